import type { Evidence } from '../../model/evidence.js';
import type { CiEvidence } from '../../model/finding.js';
import { grantEvidence, isGrantable, type Principal, type Profile } from '../../model/profile.js';
import { serviceAccountGroups } from '../../model/subject.js';
import { fromEvidence, mergeAll } from '../findings.js';
import type { RbacGrant } from './compare.js';
import { trimStars } from '../../verify/rbac/match.js';

/**
 * The evidence `diff --profile`, `check` and `report --policies` attach to a group of RBAC grants: the profile's
 * accesses the grants cover, merged.
 */

const wild = (pattern: string, v: string) => pattern === '*' || pattern === v;

/**
 * A grant's resource as the rule wrote it (`*`, `*\/sub`, `resource`, `resource/sub`) against an access's, as the
 * evaluator matches them (verify/rbac/match.ts): `*` any resource and subresource, `*\/sub` any resource's `sub`,
 * else exactly (`pods/*` is no wildcard).
 */
const resourceCovers = (i: RbacGrant, e: Principal['k8s'][number]) =>
  i.resource === '*'
    ? i.subresource === '' || i.subresource === e.subresource
    : i.resource === e.resource && i.subresource === e.subresource;

/** Whether a grant covers an observed access (its `*` covering every value but a name's; no name: any). */
function covers(i: RbacGrant, e: Principal['k8s'][number]): boolean {
  if (!wild(i.verb, e.verb)) return false;
  if (i.nonResourceURL)
    return (
      e.nonResourceURL !== '' &&
      (i.nonResourceURL === e.nonResourceURL ||
        (i.nonResourceURL.endsWith('*') && e.nonResourceURL.startsWith(trimStars(i.nonResourceURL))))
    );
  return (
    e.nonResourceURL === '' &&
    (i.namespace === '' || i.namespace === e.namespace) &&
    wild(i.apiGroup, e.apiGroup) &&
    resourceCovers(i, e) &&
    (i.name === undefined || i.name === e.name)
  );
}

interface PrincipalIndex {
  principals: Principal[];
  /** Positions in `principals` by username, and by group. */
  users: Map<string, number[]>;
  groups: Map<string, number[]>;
  /** The grantable accesses of a group's principals by API group and resource (built when first asked). */
  groupAccesses: Map<string, GroupAccesses>;
  /** Whose access each of those is. */
  owners: WeakMap<K8sEdge, Principal>;
}

type K8sEdge = Principal['k8s'][number];

interface GroupAccesses {
  all: K8sEdge[];
  urls: K8sEdge[];
  byResource: Map<string, Map<string, K8sEdge[]>>;
}

/** The profile's principals by username and by group (a diff asks once per group of grants). */
export function principalsBySubject(profile: Profile): PrincipalIndex {
  const users = new Map<string, number[]>();
  const groups = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, k: string, i: number) => {
    const list = m.get(k);
    if (!list) m.set(k, [i]);
    else if (list[list.length - 1] !== i) list.push(i);
  };
  profile.principals.forEach((p, i) => {
    add(users, p.username, i);
    // The groups its requests are judged with: those they carried, else a service account's own (`k8sRequester`).
    for (const g of p.groups.length ? p.groups : serviceAccountGroups(p.subject)) add(groups, g, i);
  });
  return { principals: profile.principals, users, groups, groupAccesses: new Map(), owners: new WeakMap() };
}

/**
 * Evidence of the profile's accesses that a group of grants covers; with `allowedElsewhere`, less those it says the
 * other side of a diff allows too (a request the change neither takes away nor adds).
 */
export function evidenceOf(
  by: PrincipalIndex,
  items: RbacGrant[],
  allowedElsewhere?: (p: Principal, e: K8sEdge) => boolean,
): CiEvidence {
  const g = items[0]!;
  // Grants of one rule's resourceNames differ in name alone: an access is tried against those of its name (a URL
  // grant's name is not compared).
  const anyName = items.filter((x) => x.name === undefined || x.nonResourceURL !== '');
  const byName = new Map<string, RbacGrant[]>();
  for (const x of items) {
    if (x.name === undefined || x.nonResourceURL !== '') continue;
    const l = byName.get(x.name);
    if (l) l.push(x);
    else byName.set(x.name, [x]);
  }
  const found: Evidence[] = [];
  const take = (e: K8sEdge, p: Principal) => {
    if (!anyName.some((x) => covers(x, e)) && !byName.get(e.name)?.some((x) => covers(x, e))) return;
    if (!allowedElsewhere?.(p, e)) found.push(grantEvidence(e)!);
  };
  const users = by.users.get(g.subject) ?? [];
  const members = g.subjectKind === 'Group' ? (by.groups.get(g.subject) ?? []) : [];
  if (!members.length) {
    for (const i of users) {
      const p = by.principals[i]!;
      for (const e of p.k8s) if (isGrantable(e)) take(e, p);
    }
    return fromEvidence(mergeAll(found));
  }
  // A group (`system:authenticated` is every principal) is asked once per group of grants: its members' accesses
  // are kept by API group and resource, and only those the grants could cover are read (the lists are disjoint, so
  // each access once). Evidence merges the same in any order.
  let acc = by.groupAccesses.get(g.subject);
  if (!acc) by.groupAccesses.set(g.subject, (acc = groupAccesses(by, [...new Set([...users, ...members])])));
  const lists = new Set<K8sEdge[]>();
  for (const x of items) {
    if (x.nonResourceURL) lists.add(acc.urls);
    else if (x.apiGroup === '*' || x.resource === '*') {
      lists.clear();
      lists.add(acc.all);
      break;
    } else {
      const list = acc.byResource.get(x.apiGroup)?.get(x.resource);
      if (list) lists.add(list);
    }
  }
  for (const list of lists) for (const e of list) take(e, by.owners.get(e)!);
  return fromEvidence(mergeAll(found));
}

/** The grantable accesses of some principals (each once), by API group and resource, and those of URLs. */
function groupAccesses(by: PrincipalIndex, at: number[]): GroupAccesses {
  const acc: GroupAccesses = { all: [], urls: [], byResource: new Map() };
  for (const i of at)
    for (const e of by.principals[i]!.k8s) {
      if (!isGrantable(e)) continue;
      by.owners.set(e, by.principals[i]!);
      acc.all.push(e);
      if (e.nonResourceURL !== '') {
        acc.urls.push(e);
        continue;
      }
      let byGroup = acc.byResource.get(e.apiGroup);
      if (!byGroup) acc.byResource.set(e.apiGroup, (byGroup = new Map()));
      const list = byGroup.get(e.resource);
      if (list) list.push(e);
      else byGroup.set(e.resource, [e]);
    }
  return acc;
}
