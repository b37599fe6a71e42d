import { defaultGrantFor } from '../../verify/rbac/defaults.js';
import { edgeRequest } from '../../verify/rbac.js';
import type { K8sEdge, Principal } from '../../model/profile.js';
import { impliedGroups, memberGroups } from '../../knowledge/kubernetes/defaultGrants.js';
import {
  topRisk,
  RISK_ORDER,
  type CiEvidence,
  type CiFinding,
  type FindingType,
  type Location,
  type RbacCiAccess,
  type RbacFinding,
  type Risk,
} from '../../model/finding.js';
import { k8sRiskList, k8sSubjectRisk } from './risks.js';
import { buildRbacPolicySet } from '../../verify/rbac/policySet.js';
import { defaultGrantOf, redefinesDefaultRole } from '../../verify/rbac/defaultBindings.js';
import { aggregationRuleChanges, feedChanges } from './feeds.js';
import { pushAll } from '../../util/array.js';
import { cmp } from '../../model/issue.js';
import { k8sRequester, subjectFromUsername, type Subject } from '../../model/subject.js';
import type { BindingGrant, RbacPolicySet, RbacRequest } from '../../verify/rbac/types.js';
import { dedupe, uniqueLocations } from '../findings.js';
import { evidenceOf, principalsBySubject } from './evidence.js';
import { bindingLine, ruleLine } from './lines.js';
import type { CompareContext, CompareSide, Comparison, Coverage } from '../types.js';

/** One thing a binding grants: a verb on a resource name in a namespace ('' = cluster-wide), or on a URL. */
export interface RbacGrant {
  subject: string;
  subjectKind: string;
  namespace: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  /**
   * The resourceName granted; undefined when the rule names none (any name). `*` and `""` are names as written:
   * Kubernetes compares them literally (`""` is a request without a name), so neither may stand for any name.
   */
  name: string | undefined;
  verb: string;
  nonResourceURL: string;
  at: Location;
  /** The rule it comes from: one change in a diff (the binding's file, binding and rule index). */
  rule: string;
  /** How a binding no tree holds grants it: Kubernetes' default binding of a default ClusterRole redefined. */
  via?: string;
}

// Keys are JSON arrays: no value can shift into another field, and they sort as their fields do.
const groupKey = (g: RbacGrant) =>
  JSON.stringify([g.subject, g.namespace, g.apiGroup, g.resource, g.subresource, g.nonResourceURL, g.verb]);
const grantKey = (g: RbacGrant) =>
  JSON.stringify([g.subject, g.namespace, g.apiGroup, g.resource, g.subresource, g.nonResourceURL, g.verb, g.name]);

const changeKey = (g: RbacGrant) => JSON.stringify([g.subject, g.namespace, g.rule]);

/** RBAC as grants over every binding's effective rules, judged by the RBAC evaluator `verify` uses. */
export async function compareRbac(sides: CompareSide<RbacPolicySet>[], ctx: CompareContext): Promise<Comparison> {
  // A side that redefines a ClusterRole the cluster binds by default (`system:basic-user` to every authenticated
  // user) is judged with that binding: the role's rules are its groups' (verify/rbac/defaultBindings.ts).
  const sets = sides.map((s) =>
    ctx.defaultGrants !== false && redefinesDefaultRole(s.policies.set)
      ? buildRbacPolicySet(s.docs, { defaultBindings: true }).set
      : s.policies.set,
  );
  // A subject's first binding, per side: asked once per finding (`check` locates every would-be denial).
  const firsts: Map<string, BindingGrant>[] = [];
  const firstGrant = (side: number) => {
    let m = firsts[side];
    if (!m) {
      firsts[side] = m = new Map();
      for (const g of sets[side]!.grants()) if (!m.has(g.binding.subjectName)) m.set(g.binding.subjectName, g);
    }
    return m;
  };
  const comparison: Comparison<RbacGrant> = {
    async grants(i) {
      return rbacGrants(sets[i]!, ctx.texts, sets.length === 2 ? sets[1 - i] : undefined);
    },
    covered(g, by): Coverage {
      const req = request(g);
      const d = sets[by]!.authorize(req);
      if (d.result === 'allow') return 'yes';
      // What Kubernetes' default ClusterRoles grant, every cluster grants beside either side (ADR 0013).
      if (ctx.defaultGrants !== false && defaultGrantFor(req)) return 'yes';
      if (d.result === 'deny') return 'no';
      return { undetermined: `the ${ctx.names[by]} side may grant it through something not given` };
    },
    groupKey,
    changeKey,
    finding,
    locate(f, side) {
      const g = firstGrant(side).get(f.subject);
      return g ? [bindingLine(g.binding.file, ctx.texts, g.binding.bindingName)] : [];
    },
  };
  const profile = ctx.profile;
  if (profile) {
    const bySubject = principalsBySubject(profile);
    // In a diff, a request the other side allows too is no use of the change: asked as `verify` replays it.
    const asked = new Map<number, WeakMap<K8sEdge, boolean>>();
    const allowedBy = (by: number) => {
      let memo = asked.get(by);
      if (!memo) asked.set(by, (memo = new WeakMap()));
      const seen = memo;
      return (p: Principal, e: K8sEdge) => {
        let yes = seen.get(e);
        if (yes === undefined) {
          const req = edgeRequest(k8sRequester(p.subject, p.username, p.groups), e);
          yes =
            sets[by]!.authorize(req).result === 'allow' ||
            (ctx.defaultGrants !== false && !e.implied && defaultGrantFor(req) !== undefined);
          seen.set(e, yes);
        }
        return yes;
      };
    };
    comparison.evidence = (group, besides) =>
      evidenceOf(bySubject, group, besides === undefined ? undefined : allowedBy(besides));
  }
  return comparison as Comparison;
}

/** A subject bound to a role, the binding's own name aside: the same grant whatever the binding is called. */
const bindingKey = (b: BindingGrant['binding']) =>
  JSON.stringify([
    b.subjectKind,
    b.subjectName,
    b.bindingKind,
    b.bindingKind === 'RoleBinding' ? b.bindingNamespace : '',
    b.roleKind,
    b.roleName,
  ]);

const bindingKeysOf = new WeakMap<RbacPolicySet, Set<string>>();
function bindingKeys(set: RbacPolicySet): Set<string> {
  let keys = bindingKeysOf.get(set);
  if (!keys) bindingKeysOf.set(set, (keys = new Set(set.grants().map((g) => bindingKey(g.binding)))));
  return keys;
}

/**
 * A side's grants. A binding whose role's rules are not known (a role not given, an aggregated role without its
 * sources) is undetermined, which no `--fail-on` fails on; in a `diff` (`other`), one the other side does not have
 * (the same subject bound to the same role) is a change as a whole, a high risk: binding a service account to
 * `cluster-admin`, a built-in role no repository holds, passed `--fail-on any`.
 */
function rbacGrants(
  set: RbacPolicySet,
  texts: Map<string, string>,
  other?: RbacPolicySet,
): { grants: RbacGrant[]; undetermined: CiFinding[]; changes: CiFinding[] } {
  const grants: RbacGrant[] = [];
  const undetermined: CiFinding[] = [];
  const changes: CiFinding[] = [];
  const twins = other ? bindingKeys(other) : undefined;
  for (const g of set.grants()) {
    const b = g.binding;
    const at = bindingLine(b.file, texts, b.bindingName);
    const subject = b.subjectName;
    if (!g.rules && twins && !twins.has(bindingKey(b))) {
      const where =
        (b.bindingKind === 'RoleBinding' ? `in ${b.bindingNamespace}` : 'cluster-wide') +
        (b.defaultBinding ? " (Kubernetes' default binding)" : '');
      const why = b.roleName === 'cluster-admin' && b.roleKind === 'ClusterRole' ? ': every permission' : '';
      changes.push({
        type: 'new-access',
        kind: 'rbac',
        principal: subject,
        access: { verb: '*', ...(b.bindingKind === 'RoleBinding' ? { namespace: b.bindingNamespace } : {}) },
        summary: `${b.bindingKind} ${b.bindingNamespace ? b.bindingNamespace + '/' : ''}${b.bindingName} binds ${b.roleKind} ${b.roleName} ${where}: ${g.unknown}`,
        risk: { level: 'high', reasons: [`binds a role whose rules are not known${why}`] },
        locations: [at],
      });
      continue;
    }
    if (!g.rules) {
      const detail = `${b.bindingKind} ${b.bindingNamespace ? b.bindingNamespace + '/' : ''}${b.bindingName}: ${g.unknown}`;
      undetermined.push({
        type: 'undetermined',
        kind: 'rbac',
        principal: subject,
        access: {},
        summary: detail,
        locations: [at],
        detail,
      });
      continue;
    }
    const namespace = b.bindingKind === 'RoleBinding' ? b.bindingNamespace : '';
    // Through a default binding, only what the default role does not grant: the cluster grants that anyway.
    const from = grants.length;
    const via = b.defaultBinding ? viaDefault(b.roleName, b.bindingName) : undefined;
    for (const [index, r] of g.rules.entries()) {
      const base = {
        subject,
        subjectKind: b.subjectKind,
        at: ruleLine(b.file, texts, b.roleKind, b.roleName, index) ?? at,
        rule: JSON.stringify([b.file, b.bindingKind, b.bindingNamespace, b.bindingName, index]),
        ...(via ? { via } : {}),
      };
      for (const verb of r.verbs) {
        if (b.bindingKind === 'ClusterRoleBinding')
          for (const url of r.nonResourceURLs)
            grants.push({
              ...base,
              namespace: '',
              apiGroup: '',
              resource: '',
              subresource: '',
              name: '',
              verb,
              nonResourceURL: url,
            });
        for (const group of r.apiGroups) {
          for (const res of r.resources) {
            const slash = res.indexOf('/');
            const resource = slash < 0 ? res : res.slice(0, slash);
            const subresource = slash < 0 ? '' : res.slice(slash + 1);
            for (const name of r.resourceNames.length ? r.resourceNames : [undefined])
              grants.push({
                ...base,
                namespace,
                apiGroup: group,
                resource,
                subresource,
                name,
                verb,
                nonResourceURL: '',
              });
          }
        }
      }
    }
    if (via) {
      const beyond = grants.slice(from).filter((x) => !defaultGrantFor(request(x)));
      grants.length = from;
      pushAll(grants, beyond);
    }
  }
  if (other) {
    pushAll(changes, feedChanges(set, other, texts));
    pushAll(changes, aggregationRuleChanges(set, other, texts));
  }
  return { grants: dedupe(grants, grantKey), undetermined, changes };
}

/**
 * The request a grant stands for, made by its subject: a group's by an unnamed member (the group and
 * `system:authenticated`, `memberGroups`), anyone else's with the groups the API server gives them (a service
 * account's token: `system:serviceaccounts` and its namespace's; see `k8sRequester`; anyone named but
 * `system:anonymous`: `system:authenticated`), so a binding to `system:authenticated` covers a named user's or
 * group's grant, as it does in a cluster. A User subject named `system:serviceaccount:NS:N` is that service account:
 * its requests carry them.
 */
function request(g: RbacGrant): RbacRequest {
  const subject: Subject =
    g.subjectKind === 'Group' ? { kind: 'Group', name: g.subject } : subjectFromUsername(g.subject);
  const who = k8sRequester(subject, g.subject);
  return {
    username: who.username,
    groups: subject.kind === 'Group' ? memberGroups(g.subject) : impliedGroups(who),
    verb: g.verb,
    apiGroup: g.apiGroup,
    resource: g.resource,
    subresource: g.subresource,
    namespace: g.namespace,
    name: g.name ?? '',
    nonResourceURL: g.nonResourceURL,
    // Any name: covered only by a rule without names (a rule listing `*` or `""` covers those names alone).
    ...(g.name === undefined ? { anyName: true } : {}),
  };
}

const uniq = (xs: string[]) => [...new Set(xs)];
const resOf = (g: RbacGrant) =>
  `${g.subresource ? `${g.resource}/${g.subresource}` : g.resource}${g.apiGroup ? `.${g.apiGroup}` : ''}`;

function summary(items: RbacGrant[]): string {
  const g = items[0]!;
  const verbs = uniq(items.map((i) => i.verb)).join(', ');
  const urls = items.filter((i) => i.nonResourceURL);
  if (urls.length === items.length) return `${verbs} ${uniq(urls.map((i) => i.nonResourceURL)).join(', ')}`;
  const resources = uniq(items.filter((i) => !i.nonResourceURL).map(resOf)).join(', ');
  const named = items.filter((i) => !i.nonResourceURL);
  const names = named.flatMap((i) => (i.name === undefined ? [] : [shownName(i.name)]));
  const nameText = names.length && names.length === named.length ? ' ' + uniq(names).join(', ') : '';
  return `${verbs} ${resources}${nameText}${g.namespace ? ' in ' + g.namespace : ' (cluster-wide)'}`;
}

/**
 * The default binding a grant comes through, in words: the ClusterRole redefined, whom Kubernetes binds it to, and
 * why the rules added stay.
 */
function viaDefault(role: string, binding: string): string {
  const d = defaultGrantOf(role);
  const on = d?.platform ? ` on ${d.platform}` : '';
  return (
    `ClusterRole ${role} is one the cluster binds by default${on} (ClusterRoleBinding ${binding}, to ` +
    `${(d?.groups ?? []).join(' and ')}): the API server's reconciliation at start adds back its default rules ` +
    'and keeps those the policies add'
  );
}

/**
 * The catalogue's risks of every grant of a finding, each reason once, the highest level first, with its subject's
 * (`system:authenticated`, `system:unauthenticated`...: every caller gains it).
 */
function riskOf(items: RbacGrant[]): CiFinding['risk'] {
  const all = new Map<string, Risk>();
  const broad = k8sSubjectRisk(items[0]!.subjectKind, items[0]!.subject);
  if (broad) all.set(broad.reason, broad);
  for (const i of items) for (const r of k8sRiskList(i)) if (!all.has(r.reason)) all.set(r.reason, r);
  // Highest level first, as CiFinding's risk promises (a stable sort keeps the catalogue's order within a level).
  const list = [...all.values()].sort((a, b) => RISK_ORDER[a.level] - RISK_ORDER[b.level]);
  const level = topRisk(list);
  return level ? { level, reasons: list.map((r) => r.reason) } : undefined;
}

/** A name in words: `*` and `""` quoted, so neither reads as any name or as nothing. */
const shownName = (n: string) => (n === '' || n === '*' ? JSON.stringify(n) : n);

function finding(type: FindingType, items: RbacGrant[], evidence?: CiEvidence): CiFinding {
  const g = items[0]!;
  const anyName = items.some((i) => i.name === undefined);
  const names = [...new Set(items.flatMap((i) => (i.name === undefined ? [] : [i.name])))].sort(cmp);
  const verbs = uniq(items.map((i) => i.verb));
  const resources = uniq(items.map((i) => (i.subresource ? `${i.resource}/${i.subresource}` : i.resource)));
  const risk = type === 'undetermined' ? undefined : riskOf(items);
  return {
    type,
    kind: 'rbac',
    principal: g.subject,
    access: g.nonResourceURL
      ? {
          verb: g.verb,
          ...(verbs.length > 1 ? { verbs } : {}),
          nonResourceURLs: [...new Set(items.map((i) => i.nonResourceURL))].sort(cmp),
        }
      : {
          namespace: g.namespace,
          apiGroup: g.apiGroup,
          resource: resources[0]!,
          verb: g.verb,
          ...(verbs.length > 1 ? { verbs } : {}),
          ...(resources.length > 1 ? { resources } : {}),
          resourceNames: anyName ? [] : names,
        },
    summary: summary(items),
    ...(risk ? { risk } : {}),
    ...(evidence ? { evidence } : {}),
    locations: uniqueLocations(items.map((i) => i.at)),
    ...(g.via ? { detail: g.via } : {}),
  };
}

/** A would-be denial as a CI finding's access and words. */
export function describeRbac(f: RbacFinding): { access: RbacCiAccess; summary: string } {
  const a = f.access;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return {
    access: {
      namespace: a.namespace,
      apiGroup: a.apiGroup,
      resource: res,
      verb: a.verb,
      resourceNames: a.name ? [a.name] : [],
      ...(a.nonResourceURL ? { nonResourceURLs: [a.nonResourceURL] } : {}),
    },
    summary: a.nonResourceURL
      ? `${a.verb} ${a.nonResourceURL}`
      : `${a.verb} ${res}${a.apiGroup ? '.' + a.apiGroup : ''}${a.name ? ' ' + a.name : ''}${a.namespace ? ' in ' + a.namespace : ' (cluster-wide)'}`,
  };
}
