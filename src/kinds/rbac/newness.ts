import { sessionRoles, sessionUser, templateSession } from '../../knowledge/kubernetes/sessionUsers.js';
import type { RbacFinding } from '../../model/finding.js';
import type { Profile, RoleSession } from '../../model/profile.js';

/**
 * The training profile's role sessions by template (each once), the most fixed text first; a template of markers
 * only (`{{SessionName}}`) is left out: any new username fits it, a new principal as well as a new session.
 */
const templatesOf = new WeakMap<Profile, RoleSession[]>();

const fixedText = (t: string) => t.replace(/\{\{(?:SessionName|SessionNameRaw|AccessKeyID)\}\}/g, '').length;

/** The role and template of a training User's sessions that a username fits, if any. */
function trainedSession(username: string, train: Profile): RoleSession | undefined {
  let list = templatesOf.get(train);
  if (!list) {
    const seen = new Map<string, RoleSession>();
    for (const p of train.principals)
      for (const r of sessionRoles(p.roleSessions ?? []))
        if (fixedText(r.template) && !seen.has(r.template)) seen.set(r.template, r);
    list = [...seen.values()].sort((a, b) => fixedText(b.template) - fixedText(a.template));
    templatesOf.set(train, list);
  }
  return list.find((r) => templateSession(r.template, username) !== undefined);
}

/** Why a held-out request is new: a new principal, namespace, resource, verb or name. */
export function rbacNewness(f: RbacFinding, train: Profile): string {
  const p = train.principals.find((x) => x.username === f.subject && x.subject.kind === f.subjectKind);
  if (!p) {
    const s = f.subjectKind === 'User' ? (sessionUser(f.subject) ?? trainedSession(f.subject, train)) : undefined;
    return s
      ? `a new session of IAM role ${s.role}: its Kubernetes username (${s.template}) changes each session`
      : 'a new principal: not seen in training';
  }
  const a = f.access;
  const seen = p.k8s.filter((e) => e.allowed || e.undecided);
  if (a.nonResourceURL)
    return seen.some((e) => e.nonResourceURL === a.nonResourceURL)
      ? `a new verb on ${a.nonResourceURL}`
      : `a new URL ${a.nonResourceURL}`;
  const sameNs = seen.filter((e) => e.namespace === a.namespace);
  if (sameNs.length === 0) return a.namespace ? `a new namespace ${a.namespace}` : 'a new cluster-wide access';
  const sameRes = sameNs.filter(
    (e) => e.apiGroup === a.apiGroup && e.resource === a.resource && e.subresource === a.subresource,
  );
  const res = `${a.resource}${a.subresource ? '/' + a.subresource : ''}`;
  if (sameRes.length === 0) return `a new resource ${res}`;
  if (!sameRes.some((e) => e.verb === a.verb)) return `a new verb ${a.verb} on ${res}`;
  return `a new name ${a.name || '(none)'} of ${res} (seen: ${[...new Set(sameRes.filter((e) => e.verb === a.verb).map((e) => e.name || '(none)'))].slice(0, 3).join(', ')})`;
}
