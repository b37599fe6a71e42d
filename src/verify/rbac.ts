import { accessKey, describeAccess } from '../model/access.js';
import { BINDING_RESOURCES, isRbacWrite, ROLE_RESOURCES } from '../knowledge/kubernetes/rbacWrites.js';
import { tally, type Finding, type FindingEvidence, type VerifyReport } from '../model/finding.js';
import type { Evidence } from '../model/evidence.js';
import { k8sRequester } from '../model/subject.js';
import {
  edgeAccess,
  grantableEdges,
  grantEvidence,
  type K8sEdge,
  type Principal,
  type Profile,
} from '../model/profile.js';
import type { RbacDecision, RbacPolicySet, RbacRequest } from './rbac/types.js';
import { outsideRbacCheckNote } from '../knowledge/kubernetes/outsideRbac.js';
import { DEFAULTS_FILE, defaultGrantFor } from './rbac/defaults.js';
import { broadGroup } from '../knowledge/kubernetes/managedIdentities.js';

/** Who requests without credentials: `generate rbac` binds them only when asked to. */
const ANONYMOUS = new Set(['system:anonymous', 'system:unauthenticated']);

/**
 * Replay every authorized access of the profile against RBAC policies, as the API server decides it (the
 * evaluator in ./rbac/, which follows Kubernetes' authorizer and shares no code with the generator):
 * - a binding write is replayed with the roleRef of each of its bind checks the soak passed (its bind check:
 *   `bind`, or every rule of the role held); a role write with its escalate check;
 * - the bind and escalate checks the profile records are not replayed on their own but with their request;
 *   impersonate checks are the impersonator's own step and are replayed as such (the request itself belongs to
 *   the impersonated user, as whom it is replayed);
 * - a request the policies do not allow but the cluster's default ClusterRoles do (discovery, health, self-reviews:
 *   knowledge/kubernetes/defaultGrants.ts) is allowed, and counted apart, unless `defaultGrants` is false (a cluster
 *   that removed those bindings: `--no-default-grants`);
 * - what anonymous subjects did and the policies do not allow is undetermined (the cluster's own bindings of
 *   system:unauthenticated may allow it; `generate rbac` binds them only with --include-anonymous).
 */
export function verifyRbac(
  profile: Profile,
  policies: RbacPolicySet,
  report: VerifyReport = emptyReport(profile),
  defaultGrants = true,
): VerifyReport {
  const replay = rbacReplay(policies, report, defaultGrants);
  for (const p of profile.principals) replay.principal(p);
  replay.finish();
  return report;
}

/**
 * `verifyRbac` a principal at a time, as a profile file is read (kinds/verify.ts): each principal's findings go to
 * `report` as it comes, the counts at `finish`.
 */
export function rbacReplay(
  policies: RbacPolicySet,
  report: VerifyReport,
  defaultGrants = true,
): { principal(p: Principal): void; finish(): void } {
  let observed = 0;
  let allowed = 0;
  let byDefaults = 0;
  return {
    principal(p) {
      for (const e of p.k8s) if (e.denied && !e.allowed) report.denied.push(finding(p, e, e.denied));
      const grantable = grantableEdges(p);
      const checks = writeChecks(p, new Set(grantable));
      const who = k8sRequester(p.subject, p.username, p.groups);
      for (const e of grantable) {
        if (e.implied && (e.verb === 'bind' || e.verb === 'escalate')) continue;
        observed++;
        const req = edgeRequest(who, e);
        let d = decide(policies, req, e, checks.size ? checks.get(accessKey(e)) : undefined);
        // A request of its own (not a check beside another) that a default ClusterRole allows in any cluster.
        if (d.result !== 'allow' && defaultGrants && !e.implied) {
          const role = defaultGrantFor(req);
          if (role) {
            byDefaults++;
            d = { result: 'allow', grantedBy: defaultGrant(role) };
          }
        }
        if (d.result !== 'allow' && ANONYMOUS.has(p.username))
          d = {
            result: 'undetermined',
            reasons: [
              `${p.username}: generate rbac binds anonymous subjects only with --include-anonymous; the cluster's own bindings may allow it`,
            ],
          };
        else if (d.result !== 'allow' && broadGroup(p.subject.kind, p.username))
          d = {
            result: 'undetermined',
            reasons: [
              `${p.username}: generate rbac binds this group only with --include-broad-groups (${broadGroup(p.subject.kind, p.username)!}); its members' own bindings may allow it`,
            ],
          };
        tally(report, p.username, d.result === 'allow');
        const f = (reasons: string[] = []) => {
          const detail = [...reasons, ...impersonating(e)].join('; ');
          return { ...finding(p, e, grantEvidence(e)!), ...(detail ? { detail } : {}) };
        };
        if (d.result === 'allow') allowed++;
        // RBAC would deny it, but another authorizer allowed this principal's requests in these logs: say so.
        else if (d.result === 'deny')
          report.notAllowed.push(
            f([...(d.reasons ?? []), ...(p.outsideRbac ? [outsideRbacCheckNote(p.outsideRbac)] : [])]),
          );
        else report.undetermined.push(f(d.reasons));
      }
    },
    finish() {
      report.observed += observed;
      report.allowed += allowed;
      report.byKind['rbac'] = { observed, allowed, ...(byDefaults ? { byDefaultGrants: byDefaults } : {}) };
    },
  };
}

/** The default ClusterRole and its binding (of the same name) as what allowed a request. */
const defaultGrant = (role: string) =>
  ({
    bindingKind: 'ClusterRoleBinding',
    bindingNamespace: '',
    bindingName: role,
    roleKind: 'ClusterRole',
    roleName: role,
    file: DEFAULTS_FILE,
  }) as const;

/** For an impersonate check: the requests that needed it, in words. */
function impersonating(e: K8sEdge): string[] {
  if (e.verb !== 'impersonate' || !e.implied) return [];
  const first = e.implied[0]!;
  const more = e.implied.length > 1 ? ` and ${e.implied.length - 1} more` : '';
  return [`needed to make requests as ${first.as ?? 'another user'}: ${describeAccess(first.request)}${more}`];
}

/** What the profile says about the checks of one of a principal's RBAC writes. */
interface WriteChecks {
  /** The roles its bind checks were passed for. */
  roleRefs: NonNullable<RbacRequest['roleRef']>[];
  /** Some bind or escalate check of it was refused in the soak (a 403 after authorization). */
  refused: boolean;
  /** Some escalate check of it was passed. */
  escalated: boolean;
}

/** Per request (by access key): the bind and escalate checks recorded for it. */
function writeChecks(p: Principal, passed: Set<K8sEdge>): Map<string, WriteChecks> {
  const out = new Map<string, WriteChecks>();
  for (const e of p.k8s) {
    if (!e.implied || (e.verb !== 'bind' && e.verb !== 'escalate')) continue;
    for (const i of e.implied) {
      const k = accessKey(i.request);
      let c = out.get(k);
      if (!c) out.set(k, (c = { roleRefs: [], refused: false, escalated: false }));
      if (!passed.has(e)) c.refused = true;
      else if (e.verb === 'escalate') c.escalated = true;
      else c.roleRefs.push({ kind: e.resource === 'roles' ? 'Role' : 'ClusterRole', name: e.name });
    }
  }
  return out;
}

/**
 * The evaluator's decision on one access. A check the soak itself refused is not replayed (nothing passed it), nor
 * one it never reached: an authorized write whose every record failed afterwards with another code than 401 or 403
 * (409 AlreadyExists or Conflict, 422, a webhook's 500) records no check (src/ingest/k8sAudit/checks.ts), and
 * nothing shows the check would pass; the authorizer's part is what the soak showed. A binding write whose records
 * carry no roleRef (`roleRefUnknown`) stays undetermined.
 */
function decide(policies: RbacPolicySet, req: RbacRequest, e: K8sEdge, c: WriteChecks | undefined): RbacDecision {
  // Every allowed record changed only finalizers and ownerReferences: no bind or escalate check was made.
  if (e.gcOnly && isRbacWrite(e, [...BINDING_RESOURCES, ...ROLE_RESOURCES]))
    return policies.admit({ ...req, gcOnly: true });
  if (isRbacWrite(e, BINDING_RESOURCES)) {
    if (!c?.roleRefs.length)
      return (!c || c.refused) && !e.roleRefUnknown ? policies.authorize(req) : policies.admit(req);
    let d: RbacDecision = { result: 'deny' };
    for (const roleRef of c.roleRefs) {
      d = policies.admit({ ...req, roleRef });
      if (d.result !== 'allow') return d;
    }
    return e.roleRefUnknown ? policies.admit(req) : d;
  }
  if (isRbacWrite(e, ROLE_RESOURCES) && (!c || (c.refused && !c.escalated))) return policies.authorize(req);
  return policies.admit(req);
}

/** A report with nothing replayed yet: the profile's skipped counts. */
export function emptyReport(profile: Pick<Profile, 'skipped'>): VerifyReport {
  return {
    observed: 0,
    allowed: 0,
    notAllowed: [],
    undetermined: [],
    skipped: { ...profile.skipped },
    byKind: {},
    denied: [],
  };
}

/**
 * The request a principal's access stands for, as `who` (the principal's `k8sRequester`: the groups its records
 * carried; a group principal as an anonymous member). Written out field by field: an object spread of two objects
 * took most of the replay's time (V8 copies the second one property by property, slowly).
 */
export function edgeRequest(who: { username: string; groups: readonly string[] }, e: K8sEdge): RbacRequest {
  return {
    username: who.username,
    groups: who.groups,
    verb: e.verb,
    apiGroup: e.apiGroup,
    resource: e.resource,
    subresource: e.subresource,
    namespace: e.namespace,
    name: e.name,
    nonResourceURL: e.nonResourceURL,
  };
}

function finding(p: Principal, e: K8sEdge, ev: Evidence): Finding {
  return {
    kind: 'rbac',
    subject: p.username,
    subjectKind: p.subject.kind,
    access: edgeAccess(e),
    evidence: findingEvidence(ev),
  };
}

export function findingEvidence(ev: Evidence): FindingEvidence {
  return { count: ev.count, firstSeen: ev.firstSeen, lastSeen: ev.lastSeen, samples: ev.samples.map((s) => s.id) };
}
