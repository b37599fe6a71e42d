import { cmp } from '../model/issue.js';
import type { IamGrant, Kind, Location, NetGrant, RbacGrant, Undetermined } from './grants.js';

/** What a CI finding says: evidence when logs or a profile were given. */
export interface CiEvidence {
  used: boolean;
  count: number;
  firstSeen: string;
  lastSeen: string;
  samples: string[];
}

export type FindingType = 'granted' | 'revoked' | 'undetermined' | 'would-deny' | 'unused';

/** RBAC: a verb on a resource (names, empty = every name) in a namespace ('' = cluster-wide), or on URLs. */
export interface RbacCiAccess {
  verb: string;
  namespace?: string;
  apiGroup?: string;
  resource?: string;
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
/** IAM: an action on resources (with the calls that needed it, for a would-be denial). */
export interface IamCiAccess {
  action: string;
  resources: string[];
  events?: string[];
}
/** NetworkPolicy: a connection. */
export interface NetCiAccess {
  from: string;
  to: string;
  protocol: string;
  port: number;
}
export type CiAccess = RbacCiAccess | IamCiAccess | NetCiAccess | Record<string, never>;

/** One finding per principal and access, the affected resources listed inside it (docs/formats.md). */
export interface CiFinding {
  type: FindingType;
  kind: Kind;
  /** Subject, IAM principal (`<account>/<name>` or its ARN) or source workload. */
  principal: string;
  /** What is granted or used, by kind (empty for an undetermined finding, whose `detail` says what). */
  access: CiAccess;
  /** The access in words, for people: `get configmaps web-config in shop`. */
  summary: string;
  evidence?: CiEvidence;
  locations: Location[];
  detail?: string;
}

export interface CiReport {
  command: 'diff' | 'check';
  granted: CiFinding[];
  revoked: CiFinding[];
  undetermined: CiFinding[];
  wouldDeny: CiFinding[];
  unused: CiFinding[];
  /** check: share of each principal's grants that the logs never used. */
  unusedShare: Record<string, number>;
  /** Kinds compared or checked. */
  kinds: Kind[];
}

export interface Group<G> {
  key: string;
  principal: string;
  items: G[];
}

export function groupBy<G>(xs: G[], key: (g: G) => string, principal: (g: G) => string): Group<G>[] {
  const m = new Map<string, Group<G>>();
  for (const x of xs) {
    const k = key(x);
    let g = m.get(k);
    if (!g) m.set(k, (g = { key: k, principal: principal(x), items: [] }));
    g.items.push(x);
  }
  return [...m.keys()].sort(cmp).map((k) => m.get(k)!);
}

// Keys are JSON arrays: no value can shift into another field, and they sort as their fields do.
export const rbacGroupKey = (g: RbacGrant) =>
  JSON.stringify([g.subject, g.namespace, g.apiGroup, g.resource, g.subresource, g.nonResourceURL, g.verb]);
export const iamGroupKey = (g: IamGrant) => JSON.stringify([g.principal, g.action.toLowerCase()]);

function rbacSummary(items: RbacGrant[]): string {
  const g = items[0]!;
  if (g.nonResourceURL) return `${g.verb} ${items.map((i) => i.nonResourceURL).join(', ')}`;
  const res = g.subresource ? `${g.resource}/${g.subresource}` : g.resource;
  const names = items.map((i) => i.name).filter((n) => n !== '*');
  const group = g.apiGroup ? `.${g.apiGroup}` : '';
  return `${g.verb} ${res}${group}${names.length && names.length === items.length ? ' ' + names.join(', ') : ''}${g.namespace ? ' in ' + g.namespace : ' (cluster-wide)'}`;
}

export function rbacFinding(type: FindingType, grp: Group<RbacGrant>, evidence?: CiEvidence): CiFinding {
  const g = grp.items[0]!;
  const names = [...new Set(grp.items.map((i) => i.name))].sort(cmp);
  return {
    type,
    kind: 'rbac',
    principal: g.subject,
    access: g.nonResourceURL
      ? { verb: g.verb, nonResourceURLs: [...new Set(grp.items.map((i) => i.nonResourceURL))].sort(cmp) }
      : {
          namespace: g.namespace,
          apiGroup: g.apiGroup,
          resource: g.subresource ? `${g.resource}/${g.subresource}` : g.resource,
          verb: g.verb,
          resourceNames: names.includes('*') ? [] : names,
        },
    summary: rbacSummary(grp.items),
    ...(evidence ? { evidence } : {}),
    locations: uniqueLocations(grp.items.map((i) => i.at)),
  };
}

export function iamFinding(
  type: FindingType,
  grp: Group<IamGrant>,
  label: (p: string) => string,
  evidence?: CiEvidence,
): CiFinding {
  const g = grp.items[0]!;
  const resources = [...new Set(grp.items.map((i) => i.resource))].sort(cmp);
  return {
    type,
    kind: 'iam',
    principal: label(g.principal),
    access: { action: g.action, resources },
    summary: `${g.action} on ${resources.length > 3 ? `${resources.slice(0, 3).join(', ')} and ${resources.length - 3} more` : resources.join(', ')}`,
    ...(evidence ? { evidence } : {}),
    locations: uniqueLocations(grp.items.map((i) => i.at)),
  };
}

export function netFinding(type: FindingType, g: NetGrant, evidence?: CiEvidence): CiFinding {
  return {
    type,
    kind: 'netpol',
    principal: g.from,
    access: { from: g.from, to: g.to, protocol: g.protocol, port: g.port },
    summary: `${g.from} → ${g.to} ${g.protocol}/${g.port}`,
    ...(evidence ? { evidence } : {}),
    locations: [g.at],
  };
}

export function undeterminedFinding(u: Undetermined): CiFinding {
  return {
    type: 'undetermined',
    kind: u.kind,
    principal: u.subject,
    access: {},
    summary: u.detail,
    locations: [u.at],
    detail: u.detail,
  };
}

function uniqueLocations(ls: Location[]): Location[] {
  const m = new Map(ls.map((l) => [`${l.file}:${l.line}`, l]));
  return [...m.keys()].sort(cmp).map((k) => m.get(k)!);
}

export function sortReport(r: CiReport): void {
  const key = (f: CiFinding) => JSON.stringify([f.kind, f.principal, f.summary]);
  for (const list of [r.granted, r.revoked, r.undetermined, r.wouldDeny, r.unused]) {
    const seen = new Set<string>();
    const uniq = list.filter((f) => {
      const k = JSON.stringify([f.kind, f.principal, f.summary, f.detail ?? '']);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    uniq.sort((a, b) => cmp(key(a), key(b)));
    list.splice(0, list.length, ...uniq);
  }
}
