import { cmp } from '../../model/issue.js';
import type { Artefact, KubeObject, Widening } from './artefact.js';
import { grantableEdges, type CreatedNames, type K8sEdge, type Principal, type Profile } from '../../model/profile.js';
import { checkPermissions, checkGaps, type CheckPermission, type LeftOut, type RbacGap } from './checks.js';
import { k8sRequester, subjectId, subjectKey, type Subject } from '../../model/subject.js';
import { defaultGrantMatcher } from '../../knowledge/kubernetes/defaultGrants.js';
import { evidenceDoc, type SharedBinding } from './evidence.js';
import { bindingObject, roleObject, objectName, filePath, fileStems } from './objects.js';
import { ANONYMOUS_NAMES, type RbacOptions } from './options.js';
import { broadGroup } from '../../knowledge/kubernetes/managedIdentities.js';
import { buildRules, type RuleWithEvidence } from './rules.js';
import { compareTuples, tupleKey } from '../../util/key.js';
import { pushAll } from '../../util/array.js';

export type { RbacOptions } from './options.js';
export type { CheckPermission, LeftOut, RbacGap } from './checks.js';

/** An access no rule is written for: a default ClusterRole of every cluster grants it (`clusterRole`). */
export interface DefaultGranted {
  subject: string;
  clusterRole: string;
  edge: K8sEdge;
}

export interface RbacResult {
  artefacts: Artefact[];
  widenings: Widening[];
  /** Permissions the API server checks beyond a request (bind, escalate, impersonate), each a rule. */
  checks: CheckPermission[];
  /** Binding writes whose roleRef the logs do not show: the bind they need is not granted. */
  gaps: RbacGap[];
  /** Anonymous subjects left out (without `includeAnonymous`). */
  leftOut: LeftOut[];
  /** Accesses left to the cluster's default grants (without `writeDefaultGrants`). */
  defaults: DefaultGranted[];
}

/** What one principal adds to the RBAC policy (its files' artefacts, and what the summary lists). */
export interface RbacPart {
  artefacts: Artefact[];
  widenings: Widening[];
  /** Every rule of its artefacts with the requests it covers: what a widened rule grants (the report says it). */
  rules: RuleWithEvidence[];
  checks: CheckPermission[];
  gaps: RbacGap[];
  defaults: DefaultGranted[];
}

/**
 * Profile → RBAC, principal by principal, in two passes over the profile (so a profile too large to hold is
 * generated from its file): `survey` sees every principal first, since a file's name depends on the other subjects
 * (stems told apart by case); then `principal` makes each one's artefacts, which depend on it alone. Per subject: a
 * Role and RoleBinding in each namespace where it acted; a ClusterRole and ClusterRoleBinding only for
 * cluster-scoped, all-namespace and non-resource requests. Pure and deterministic: sorted everywhere, no timestamps.
 */
export class RbacGenerator {
  private readonly subjects: Subject[] = [];
  /** Anonymous subjects left out (without `includeAnonymous`), in profile order. */
  readonly leftOut: LeftOut[] = [];
  private stems: Map<string, string> | undefined;

  constructor(private readonly opts: RbacOptions = {}) {}

  /** Anonymous subjects and broad groups get no binding unless asked for: false, or why (a broad group's reason). */
  private leftOutAnonymous(p: Principal): false | { broad?: string } {
    if (!this.opts.includeAnonymous && ANONYMOUS_NAMES.has(p.username)) return {};
    const broad = this.opts.includeBroadGroups ? undefined : broadGroup(p.subject.kind, p.username);
    return broad ? { broad } : false;
  }

  /**
   * The edges a principal may get rules for, and those the cluster's default ClusterRoles already grant it (unless
   * `writeDefaultGrants`): a request of its own, not a check made beside another request.
   */
  private split(p: Principal): { edges: K8sEdge[]; defaults: DefaultGranted[] } {
    const grantable = grantableEdges(p);
    if (this.opts.writeDefaultGrants) return { edges: grantable, defaults: [] };
    const grantOf = defaultGrantMatcher(k8sRequester(p.subject, p.username, p.groups));
    const edges: K8sEdge[] = [];
    const defaults: DefaultGranted[] = [];
    for (const e of grantable) {
      const clusterRole = e.implied ? undefined : grantOf(e);
      if (clusterRole) defaults.push({ subject: p.username, clusterRole, edge: e });
      else edges.push(e);
    }
    return { edges, defaults };
  }

  /** The edges a principal gets rules for; undefined when it gets none (nothing grantable, or left out). */
  private granted(p: Principal): { edges: K8sEdge[]; defaults: DefaultGranted[] } | undefined {
    const s = this.split(p);
    return s.edges.length === 0 || this.leftOutAnonymous(p) ? undefined : s;
  }

  /** First pass: every principal, in the profile's order. */
  survey(p: Principal): void {
    const grantable = this.split(p).edges;
    if (grantable.length === 0) return;
    const out = this.leftOutAnonymous(p);
    if (out) this.leftOut.push({ subject: p.username, kind: p.subject.kind, accesses: grantable.length, ...out });
    else this.subjects.push(p.subject);
  }

  /** Second pass: one principal's artefacts (cluster-wide first, then by namespace), widenings, checks and gaps. */
  principal(p: Principal): RbacPart {
    const granted = this.granted(p);
    // What is left to the defaults is listed even for a principal that gets no file (nothing else, or anonymous).
    const defaults = granted?.defaults ?? this.split(p).defaults;
    if (!granted) return { artefacts: [], widenings: [], rules: [], checks: [], gaps: [], defaults };
    const grantable = granted.edges;
    this.stems ??= fileStems(this.subjects);
    const stem = this.stems.get(subjectId(p.subject));
    if (stem === undefined) throw new Error(`RBAC: ${p.username} was not in the first pass over the profile`);
    const widenings: Widening[] = [];
    const rules: RuleWithEvidence[] = [];
    const artefacts = forPrincipal(p, grantable, this.opts, { widenings, rules }, stem);
    return {
      artefacts,
      widenings,
      rules,
      checks: checkPermissions(p, grantable),
      gaps: checkGaps(p, grantable),
      defaults,
    };
  }
}

/** The order RBAC artefacts are listed and printed in: by subject, then namespace (cluster-wide first). */
export const compareArtefacts = (
  a: { subject: Subject; namespace: string },
  b: { subject: Subject; namespace: string },
): number => cmp(subjectKey(a.subject), subjectKey(b.subject)) || cmp(a.namespace, b.namespace);

export const compareWidenings = (a: Widening, b: Widening): number =>
  cmp(a.subject, b.subject) || cmp(a.namespace, b.namespace) || cmp(a.option, b.option) || cmp(a.detail, b.detail);

/** A whole profile → RBAC: `RbacGenerator`'s two passes over its principals. */
export function generateRbac(profile: Profile, opts: RbacOptions = {}): RbacResult {
  const g = new RbacGenerator(opts);
  for (const p of profile.principals) g.survey(p);
  const out: RbacResult = { artefacts: [], widenings: [], checks: [], gaps: [], leftOut: g.leftOut, defaults: [] };
  for (const p of profile.principals) {
    const part = g.principal(p);
    pushAll(out.artefacts, part.artefacts);
    pushAll(out.widenings, part.widenings);
    pushAll(out.checks, part.checks);
    pushAll(out.gaps, part.gaps);
    pushAll(out.defaults, part.defaults);
  }
  out.artefacts.sort(compareArtefacts);
  out.widenings.sort(compareWidenings);
  return out;
}

function forPrincipal(
  p: Principal,
  edges: K8sEdge[],
  opts: RbacOptions,
  made: { widenings: Widening[]; rules: RuleWithEvidence[] },
  stem: string,
): Artefact[] {
  const widenings = made.widenings;
  const key = subjectKey(p.subject);
  const byNs = new Map<string, K8sEdge[]>();
  for (const e of edges) {
    const list = byNs.get(e.namespace);
    if (list) list.push(e);
    else byNs.set(e.namespace, [e]);
  }

  // --widen-namespaces: accesses (group, resource, verb) seen in more than N namespaces go to one shared ClusterRole.
  const shared: K8sEdge[] = [];
  const sharedNs = new Set<string>();
  // Per widened access (`sig`), the words of its widening: the shared ClusterRole's rules carry them.
  const sharedWhy = new Map<string, string>();
  const sig = (e: K8sEdge) => tupleKey(e.apiGroup, e.resource, e.subresource, e.verb);
  if (opts.widenNamespaces !== undefined) {
    // Per (group, resource, subresource, verb): the namespaces it was seen in.
    const nsOf = new Map<string, { e: K8sEdge; nss: Set<string> }>();
    for (const e of edges) {
      if (e.namespace === '') continue;
      const k = sig(e);
      const entry = nsOf.get(k);
      if (entry) entry.nss.add(e.namespace);
      else nsOf.set(k, { e, nss: new Set([e.namespace]) });
    }
    const order = (x: K8sEdge) => [x.apiGroup, x.resource, x.subresource, x.verb];
    const wide = [...nsOf]
      .filter(([, { nss }]) => nss.size > opts.widenNamespaces!)
      .sort((a, b) => compareTuples(order(a[1].e), order(b[1].e)));
    for (const [, { nss }] of wide) for (const ns of nss) sharedNs.add(ns);
    // The one ClusterRole holds every access widened and is bound wherever any of them was seen: each access is
    // granted in all those namespaces, seen there or not. The words say so, namespace by namespace.
    const bound = [...sharedNs].sort(cmp);
    const role = objectName(p.subject, 'namespaced');
    for (const [k, { e: first, nss }] of wide) {
      const what = `${first.verb} ${first.resource}${first.subresource ? '/' + first.subresource : ''}${first.apiGroup ? '.' + first.apiGroup : ''}`;
      const unseen = bound.filter((ns) => !nss.has(ns));
      const detail =
        `${what} seen in ${nss.size} namespaces (more than ${opts.widenNamespaces}): ${[...nss].sort(cmp).join(', ')}; ` +
        `granted by the ClusterRole ${role} in every namespace it is bound in (${bound.length}): ${bound.join(', ')}` +
        (unseen.length ? `, ${unseen.length} of them where it was not seen: ${unseen.join(', ')}` : '');
      sharedWhy.set(k, detail);
      widenings.push({ option: 'widen-namespaces', subject: key, namespace: '', detail });
      for (const ns of nss) {
        const rest: K8sEdge[] = [];
        for (const e of byNs.get(ns)!) {
          if (sig(e) === k) shared.push(e);
          else rest.push(e);
        }
        byNs.set(ns, rest);
      }
    }
  }

  const out: Artefact[] = [];
  const clusterEdges = byNs.get('') ?? [];
  const clusterRules = clusterEdges.length
    ? rulesWithWidenings(clusterEdges, opts, key, '', made, p.created ?? [])
    : [];
  const sharedRules = shared.length ? rulesWithWidenings(shared, opts, key, '', made, p.created ?? []) : [];
  // Each of its rules is there by --widen-namespaces (its annotation and evidence say so), beside any other widening.
  for (const r of sharedRules) {
    r.widenedBy = [...new Set([...r.widenedBy, 'widen-namespaces'])].sort(cmp);
    const why = [...new Set(r.observed.map((e) => sharedWhy.get(sig(e))))].filter((d) => d !== undefined).sort(cmp);
    r.widenings = [...r.widenings, ...why.map((detail) => ({ option: 'widen-namespaces', detail }))];
  }
  if (clusterRules.length || sharedRules.length) {
    const objects: KubeObject[] = [];
    const policies: { kind: string; name: string; rules: RuleWithEvidence[] }[] = [];
    if (clusterRules.length) {
      objects.push(roleObject('ClusterRole', objectName(p.subject), '', clusterRules, p));
      objects.push(bindingObject('ClusterRoleBinding', objectName(p.subject), '', 'ClusterRole', p));
      policies.push({ kind: 'ClusterRole', name: objectName(p.subject), rules: clusterRules });
    }
    if (sharedRules.length) {
      objects.push(roleObject('ClusterRole', objectName(p.subject, 'namespaced'), '', sharedRules, p));
      policies.push({ kind: 'ClusterRole', name: objectName(p.subject, 'namespaced'), rules: sharedRules });
    }
    out.push(artefact(p, stem, '', objects, policies, clusterEdges.concat(shared)));
  }
  for (const ns of [...new Set([...byNs.keys(), ...sharedNs])].filter((n) => n !== '').sort(cmp)) {
    const nsEdges = byNs.get(ns) ?? [];
    const rules = nsEdges.length ? rulesWithWidenings(nsEdges, opts, key, ns, made, p.created ?? []) : [];
    const objects: KubeObject[] = [];
    const policies: { kind: string; name: string; rules: RuleWithEvidence[] }[] = [];
    if (rules.length) {
      objects.push(roleObject('Role', objectName(p.subject), ns, rules, p));
      objects.push(bindingObject('RoleBinding', objectName(p.subject), ns, 'Role', p));
      policies.push({ kind: 'Role', name: objectName(p.subject), rules });
    }
    if (sharedNs.has(ns))
      objects.push(bindingObject('RoleBinding', objectName(p.subject, 'namespaced'), ns, 'ClusterRole', p));
    const shared = sharedNs.has(ns)
      ? { clusterRole: objectName(p.subject, 'namespaced'), evidence: filePath('evidence/rbac', '', stem) }
      : undefined;
    out.push(
      artefact(
        p,
        stem,
        ns,
        objects,
        policies,
        edges.filter((e) => e.namespace === ns),
        shared,
      ),
    );
  }
  return out;
}

function rulesWithWidenings(
  edges: K8sEdge[],
  opts: RbacOptions,
  subject: string,
  namespace: string,
  made: { widenings: Widening[]; rules: RuleWithEvidence[] },
  created: CreatedNames[],
): RuleWithEvidence[] {
  const rules = buildRules(edges, opts, created);
  for (const r of rules)
    for (const w of r.widenings) made.widenings.push({ option: w.option, subject, namespace, detail: w.detail });
  pushAll(made.rules, rules);
  return rules;
}

function artefact(
  p: Principal,
  stem: string,
  namespace: string,
  objects: KubeObject[],
  policies: { kind: string; name: string; rules: RuleWithEvidence[] }[],
  edges: K8sEdge[],
  shared?: SharedBinding,
): Artefact {
  return {
    kind: 'rbac',
    subject: p.subject,
    namespace,
    path: filePath('rbac', namespace, stem),
    objects,
    evidencePath: filePath('evidence/rbac', namespace, stem),
    evidence: evidenceDoc(
      p,
      namespace,
      policies,
      p.k8s.filter((e) => e.namespace === namespace && e.denied),
      edges.length,
      shared,
    ),
  };
}
