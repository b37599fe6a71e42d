import { policyName } from '../model/layout.js';
import type { PolicyDoc } from '../policy/load.js';
import { buildIamPolicySet, type IamPolicySet } from '../verify/iam.js';
import { readNetworkPolicies } from '../verify/netpol.js';
import { NetworkPolicySet, type Endpoint, type Proto } from '../verify/netpol/evaluate.js';
import { buildRbacPolicySet } from '../verify/rbac/policySet.js';
import type { RbacPolicySet } from '../verify/rbac/types.js';
import { cmp, type InputIssue } from '../model/issue.js';

/**
 * The meaning of a set of policy files, as grants that can be compared: RBAC as (subject, namespace
 * or cluster, apiGroup, resource/subresource, name, verb) expanded over bindings; IAM as (principal,
 * action, resource) with action wildcards expanded against the catalogue; NetworkPolicy as allowed
 * (source, destination, protocol, port) over a universe of workloads. Each side's grants are checked
 * against the other side with the evaluators `verify` uses, so `*` on one side covers the other's
 * names, and a rule split, renamed or reordered means the same thing.
 */
export type Kind = 'rbac' | 'iam' | 'netpol';

export interface Location {
  file: string;
  line: number;
}

export interface RbacGrant {
  kind: 'rbac';
  subject: string;
  subjectKind: string;
  /** '' for cluster-wide (a ClusterRoleBinding). */
  namespace: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  /** `*` when the rule names no resourceNames. */
  name: string;
  verb: string;
  nonResourceURL: string;
  at: Location;
}

export interface IamGrant {
  kind: 'iam';
  /** `<account>/<name>` from the policy file's place. */
  principal: string;
  action: string;
  resource: string;
  at: Location;
}

export interface NetGrant {
  kind: 'netpol';
  from: string;
  to: string;
  protocol: Proto;
  port: number;
  at: Location;
}

/** Something a side may grant that cannot be judged (a Condition, an aggregated role without sources). */
export interface Undetermined {
  kind: Kind;
  subject: string;
  detail: string;
  at: Location;
}

export interface PolicySide {
  rbac: RbacPolicySet;
  iam: IamPolicySet;
  netpol: NetworkPolicySet;
  netpolCount: number;
  docs: PolicyDoc[];
  issues: InputIssue[];
}

export function loadSide(docs: PolicyDoc[], issues: InputIssue[], universe: Universe): PolicySide {
  const rbac = buildRbacPolicySet(docs);
  const iam = buildIamPolicySet(docs);
  const np = readNetworkPolicies(docs);
  const netpol = new NetworkPolicySet(universe.namespaceLabels, universe.dnsNames);
  for (const p of np.policies) netpol.add(p.kind, p.name, p.namespace, p.spec);
  return {
    rbac: rbac.set,
    iam: iam.set,
    netpol,
    netpolCount: np.policies.length,
    docs,
    issues: [...issues, ...rbac.issues, ...iam.issues, ...np.issues],
  };
}

/** The workloads and addresses NetworkPolicy grants are enumerated over. */
export interface Universe {
  endpoints: { name: string; ep: Endpoint }[];
  /** Ports to try per destination (beside every port the policies name). */
  ports: { protocol: Proto; port: number }[];
  namespaceLabels: Map<string, Record<string, string>>;
  dnsNames: Map<string, string[]>;
}

const docLines = new Map<string, string[]>();

/** The 1-based line of the document `index` of a file, and of the first line after it matching `needle`. */
export function locate(file: string, text: string | undefined, index: number, needle?: RegExp): Location {
  let lines = docLines.get(file);
  if (!lines) {
    lines = (text ?? '').split('\n');
    docLines.set(file, lines);
  }
  let doc = 0;
  let start = 0;
  for (let i = 0; i < lines.length && doc < index; i++) {
    if (/^---(\s|$)/.test(lines[i]!)) {
      doc++;
      start = i + 1;
    }
  }
  if (needle) for (let i = start; i < lines.length; i++) if (needle.test(lines[i]!)) return { file, line: i + 1 };
  return { file, line: start + 1 };
}

export { policyName };

export function dedupe<T>(xs: T[], key: (x: T) => string): T[] {
  const m = new Map<string, T>();
  for (const x of xs) if (!m.has(key(x))) m.set(key(x), x);
  return [...m.keys()].sort(cmp).map((k) => m.get(k)!);
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
