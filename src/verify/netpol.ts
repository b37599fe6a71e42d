import { apiServersOf, asServer } from '../model/apiServer.js';
import { type InputIssue } from '../model/issue.js';
import { tally, type FindingEvidence, type NetpolFinding, type VerifyReport } from '../model/finding.js';
import {
  compareWorkloads,
  describePeer,
  peerId,
  workloadId,
  type FlowEvidence,
  type NetEdge,
  type Peer,
  type WorkloadInfo,
} from '../model/network.js';
import type { Profile } from '../model/profile.js';
import type { PolicyDoc } from '../policy/load.js';
import { NetworkPolicySet, type ClusterFacts, type Endpoint } from './netpol/evaluate.js';
import { ciliumProblems } from './netpol/cilium.js';
import { portProblems } from './netpol/cilium-l7.js';
import { hostL7Problem } from './netpol/host.js';
import { tupleKey } from '../util/key.js';
import { isObj } from '../util/json.js';
import { eachObject } from '../policy/listItems.js';
import { isStagedKubernetesPolicy, promotedSpec } from '../knowledge/network/staged.js';

type Obj = Record<string, unknown>;

/** A policy as the evaluator reads it. */
export interface ReadPolicy {
  kind: 'NetworkPolicy' | 'CiliumNetworkPolicy';
  name: string;
  namespace: string;
  spec: Obj;
  /** Read from a Calico StagedKubernetesNetworkPolicy: the NetworkPolicy it would enforce once promoted. */
  staged?: true;
}

/**
 * NetworkPolicies and CiliumNetworkPolicies among the policy documents; a CiliumClusterwideNetworkPolicy is kept as a
 * CiliumNetworkPolicy of the namespace '' (a host policy too: the evaluator tells it by its nodeSelector). A Calico
 * StagedKubernetesNetworkPolicy is read as the NetworkPolicy it previews (knowledge/network/staged.ts), which replaces
 * the NetworkPolicy of its namespace and name (a staged deletion removes it): `verify`, `check` and `diff` say what
 * would be denied once the staged policies are promoted, the question staging asks.
 */
export function readNetworkPolicies(docs: PolicyDoc[]): {
  policies: ReadPolicy[];
  issues: InputIssue[];
} {
  const policies: ReadPolicy[] = [];
  const issues: InputIssue[] = [];
  // Staged policies replace (Set) or remove (Delete) the NetworkPolicy of their namespace and name once promoted.
  const promoted = new Set<string>();
  const visit = (o: unknown, d: PolicyDoc) => {
    if (!isObj(o)) return;
    const unread = notEvaluated(o);
    if (unread) {
      const meta = isObj(o['metadata']) ? o['metadata'] : {};
      const at = [meta['namespace'], meta['name']].filter((x) => typeof x === 'string' && x).join('/');
      issues.push({
        kind: 'issue',
        code: 'policy.netpol-not-evaluated',
        file: d.file,
        line: 1,
        message:
          `${String(o['kind'])} ${shownName(at)} (${String(o['apiVersion'])}, document ${d.index + 1}) is not ` +
          `evaluated: ${unread}; the network findings judge NetworkPolicies and Cilium's policies alone`,
      });
      return;
    }
    const clusterwide = o['kind'] === 'CiliumClusterwideNetworkPolicy';
    const staged = isStagedKubernetesPolicy(o);
    if (o['kind'] !== 'NetworkPolicy' && o['kind'] !== 'CiliumNetworkPolicy' && !clusterwide && !staged) return;
    const meta = isObj(o['metadata']) ? o['metadata'] : {};
    const name = typeof meta['name'] === 'string' ? meta['name'] : '';
    // A clusterwide policy has no namespace: it is kept under '' (no namespaced object has it), which the evaluator
    // reads as selecting endpoints, and peers that name no namespace, in every namespace.
    const namespace = clusterwide ? '' : typeof meta['namespace'] === 'string' ? meta['namespace'] : '';
    const issue = (message: string) =>
      issues.push({ kind: 'issue', code: 'policy.invalid-netpol', file: d.file, line: 1, message });
    const shown = clusterwide ? name : `${namespace}/${name}`;
    if (o['kind'] === 'NetworkPolicy' || staged) {
      const kind = String(o['kind']);
      if (!name || !namespace || !isObj(o['spec'])) {
        issue(`${kind} needs metadata.name, metadata.namespace and spec (document ${d.index + 1}); left out`);
        return;
      }
      const read = staged ? promotedSpec(o['spec']) : { spec: o['spec'] };
      // An action that is not read replaces nothing: the NetworkPolicy of its name stays as it is.
      if (staged && !('why' in read)) promoted.add(tupleKey(namespace, name));
      if ('deletes' in read) return;
      if ('why' in read) {
        issues.push({
          kind: 'issue',
          code: 'policy.netpol-not-evaluated',
          file: d.file,
          line: 1,
          message: `${kind} ${shown} (document ${d.index + 1}) is not evaluated: ${read.why}`,
        });
        return;
      }
      if (!isObj(read.spec['podSelector'])) {
        issue(`${kind} ${shown} has no spec.podSelector; left out`);
        return;
      }
      policies.push({ kind: 'NetworkPolicy', name, namespace, spec: read.spec, ...(staged ? { staged } : {}) });
      return;
    }
    // Cilium's policies hold one rule in `spec`, more in `specs`, or both: each rule applies on its own (its own
    // endpointSelector or nodeSelector), as Cilium reads them; a rule of `specs` is named by its place in messages.
    const specs = o['specs'];
    const rules: [Obj, string][] = isObj(o['spec']) ? [[o['spec'], '']] : [];
    if (Array.isArray(specs))
      for (const [i, r] of specs.entries())
        if (isObj(r)) rules.push([r, ` specs[${i}]`]);
        else issue(`${o['kind']} ${shown} (document ${d.index + 1}): specs[${i}] is not a rule; left out`);
    else if (specs !== undefined && specs !== null)
      issue(`${o['kind']} ${shown} (document ${d.index + 1}): specs is not a list of rules; left out`);
    if (!name || (!namespace && !clusterwide) || (rules.length === 0 && !(Array.isArray(specs) && specs.length > 0))) {
      const needs = clusterwide
        ? 'metadata.name and spec or specs'
        : 'metadata.name, metadata.namespace and spec or specs';
      issue(`${o['kind']} needs ${needs} (document ${d.index + 1}); left out`);
      return;
    }
    for (const [spec, where] of rules) {
      const at = `${o['kind']} ${shown}${where} (document ${d.index + 1})`;
      // A host policy (a clusterwide policy with a nodeSelector) selects nodes and is judged on them (netpol/host.ts).
      // Cilium's Rule type: nodeSelector and endpointSelector are mutually exclusive, and nodeSelector is valid only in
      // a CiliumClusterwideNetworkPolicy; a rule breaking either is refused, as its CRD's validation would.
      if (spec['nodeSelector'] !== undefined) {
        const wrong = !clusterwide
          ? 'a nodeSelector is valid only in a CiliumClusterwideNetworkPolicy'
          : !isObj(spec['nodeSelector'])
            ? 'its nodeSelector is not a label selector'
            : spec['endpointSelector'] !== undefined
              ? 'it has both a nodeSelector and an endpointSelector, which are mutually exclusive'
              : hostL7Problem(spec);
        if (wrong) {
          issue(`${at}: ${wrong}; left out`);
          continue;
        }
      }
      for (const message of portProblems(spec)) issue(`${at}: ${message}`);
      for (const message of ciliumProblems(spec))
        issues.push({
          kind: 'issue',
          code: 'policy.cilium-unknown-entity',
          file: d.file,
          line: 1,
          message: `${at}: ${message}`,
        });
      policies.push({ kind: 'CiliumNetworkPolicy', name, namespace, spec });
    }
  };
  for (const d of docs) eachObject(d.object, (o) => visit(o, d));
  if (promoted.size === 0) return { policies, issues };
  const replaced = (p: ReadPolicy) =>
    p.kind === 'NetworkPolicy' && !p.staged && promoted.has(tupleKey(p.namespace, p.name));
  return { policies: policies.filter((p) => !replaced(p)), issues };
}

/**
 * Other kinds that decide pod traffic, by API group and kind, with what they decide. Left out of the evaluation, each
 * said: a network finding that ignored one could call allowed what the cluster denies, or the reverse.
 * - Kubernetes' AdminNetworkPolicy and BaselineAdminNetworkPolicy (sigs.k8s.io/network-policy-api; OVN-Kubernetes,
 *   Antrea, Calico): cluster-wide tiers, the admin one asked before any NetworkPolicy, the baseline one for traffic no
 *   NetworkPolicy isolates.
 * - Calico's own policies (`projectcalico.org/v3`, whose NetworkPolicy shares the Kubernetes kind's name; their staged
 *   kinds too, which decide nothing until promoted but are Calico's model, not the Kubernetes one), Antrea's
 *   (`crd.antrea.io`), and the egress firewalls of OVN-Kubernetes (`k8s.ovn.org` EgressFirewall) and of OpenShift SDN
 *   (`network.openshift.io` EgressNetworkPolicy).
 */
const NOT_EVALUATED: Record<string, string> = {
  'policy.networking.k8s.io/AdminNetworkPolicy': 'its rules allow or deny before any NetworkPolicy is asked',
  'policy.networking.k8s.io/BaselineAdminNetworkPolicy': 'its rules decide the traffic no NetworkPolicy isolates',
  'projectcalico.org/NetworkPolicy': "Calico's own policy, ordered with the Kubernetes ones",
  'projectcalico.org/GlobalNetworkPolicy': "Calico's cluster-wide policy, ordered with the Kubernetes ones",
  'projectcalico.org/StagedNetworkPolicy': "Calico's own policy, staged: it would be ordered with the Kubernetes ones",
  'projectcalico.org/StagedGlobalNetworkPolicy':
    "Calico's cluster-wide policy, staged: ordered with the others once enforced",
  'crd.antrea.io/ClusterNetworkPolicy': "Antrea's cluster-wide tiers, asked before NetworkPolicies",
  'crd.antrea.io/NetworkPolicy': "Antrea's own policy, in tiers before NetworkPolicies",
  'k8s.ovn.org/EgressFirewall': "it allows or denies a namespace's egress outside the cluster",
  'network.openshift.io/EgressNetworkPolicy': "it allows or denies a namespace's egress outside the cluster",
};

/** What an object of a kind that decides pod traffic but is not evaluated decides, or undefined. */
function notEvaluated(o: Obj): string | undefined {
  const api = typeof o['apiVersion'] === 'string' ? o['apiVersion'] : '';
  const group = api.includes('/') ? api.slice(0, api.indexOf('/')) : '';
  return typeof o['kind'] === 'string' ? NOT_EVALUATED[`${group}/${o['kind']}`] : undefined;
}

const shownName = (s: string) => (s ? JSON.stringify(s) : '(unnamed)');

/** A workload's pods as the evaluator sees them: its labels (with its selector's), declared ports and addresses. */
function endpointOf(
  p: Peer,
  workloads: Map<string, WorkloadInfo>,
  addresses?: ReadonlyMap<string, readonly string[]>,
): Endpoint {
  if (p.kind !== 'workload')
    return p.kind === 'node'
      ? { kind: 'ip', ip: p.ip, node: true, ...(p.own ? { own: true } : {}) }
      : p.kind === 'apiserver'
        ? { kind: 'ip', ip: p.ip, apiserver: true }
        : { kind: 'ip', ip: p.ip };
  const w = workloads.get(tupleKey(p.namespace, p.name));
  const ips = addresses?.get(tupleKey(p.namespace, p.name));
  return {
    kind: 'pod',
    namespace: p.namespace,
    labels: { ...(w?.labels ?? {}), ...(w?.selector ?? {}) },
    ports: w?.ports ?? [],
    ...(ips?.length ? { ips } : {}),
  };
}

/** What verify and diff know beside the profile: the inventory's Services and pod addresses, the network plugin. */
export type NetFacts = ClusterFacts & {
  podAddresses?: ReadonlyMap<string, readonly string[]>;
  /** Addresses the API server was seen at beside the profile's own (a backtest's training window's). */
  apiServers?: readonly string[];
};

/** The addresses the flows saw as addresses or nodes, and `more`: none is a pod's (an ipBlock of them holds no pod). */
export function hostsOf(network: readonly NetEdge[] | undefined, more: readonly string[] = []): string[] {
  const out = new Set(more);
  for (const e of network ?? []) for (const p of [e.from, e.to]) if (p.kind !== 'workload') out.add(p.ip);
  return [...out];
}

const evidenceOf = (ev: FlowEvidence): FindingEvidence => ({
  count: ev.connections || ev.records,
  firstSeen: ev.firstSeen,
  lastSeen: ev.lastSeen,
  samples: ev.samples.map((s) => s.id),
});

function finding(e: NetEdge, ev: FlowEvidence, detail?: string): NetpolFinding {
  return {
    kind: 'netpol',
    subject: describePeer(e.from),
    subjectKind: e.from.kind,
    access: { from: describePeer(e.from), to: describePeer(e.to), protocol: e.protocol, port: e.port },
    evidence: evidenceOf(ev),
    ...(detail ? { detail } : {}),
  };
}

/**
 * Replay every observed connection against the policies (all must be allowed), and, as a check that
 * they are narrow, count the pairs of known workloads that never connected which the policies would
 * still let talk on some port.
 */
export function verifyNetpol(
  profile: Pick<Profile, 'workloads' | 'namespaces' | 'dnsNames' | 'network'>,
  policies: ReturnType<typeof readNetworkPolicies>['policies'],
  report: VerifyReport,
  /**
   * The cluster's Services, when an inventory gave them (`toServices`; without, a Service peer is a maybe), its pods'
   * addresses and the network plugin (an ipBlock that covers a pod).
   */
  facts: NetFacts = {},
): void {
  const { workloads, names, set } = evaluatorOf(profile, policies, facts);

  let observed = 0;
  let allowed = 0;
  const talked: [Peer, Peer][] = [];
  // An address Hubble showed as the API server is the API server in a flow log's records too.
  const servers = new Set(apiServersOf(profile.network, facts.apiServers));
  for (const e of profile.network ?? []) {
    if (e.denied && !e.allowed) report.denied.push(finding(e, e.denied));
    if (!e.allowed) continue;
    talked.push([e.from, e.to]);
    observed++;
    const d = set.allows({
      src: endpointOf(asServer(e.from, servers), workloads, facts.podAddresses),
      dst: endpointOf(asServer(e.to, servers), workloads, facts.podAddresses),
      protocol: e.protocol,
      port: e.port,
    });
    tally(report, describePeer(e.from), d.allowed);
    if (d.allowed) allowed++;
    // What the profile cannot tell decides it (a Cilium peer such as an entity or a Service, an L7 rule, a
    // requirement): neither allowed nor denied.
    else if (d.undetermined) report.undetermined.push(finding(e, e.allowed, d.detail));
    else if (
      (e.protocol === 'ICMP' || e.protocol === 'ICMPv6') &&
      !policies.some((p) => p.kind === 'CiliumNetworkPolicy')
    ) {
      // A NetworkPolicy cannot name ICMP; what isolated pods do with it is the network plugin's choice.
      report.undetermined.push(
        finding(
          e,
          e.allowed,
          `${e.protocol}: a Kubernetes NetworkPolicy cannot allow it by protocol; whether isolated pods pass it depends on the network plugin (${d.detail})`,
        ),
      );
    } else {
      // An address's DNS names say what it is: a service that moved to another address is seen here.
      const ip = e.to.kind === 'ip' ? e.to.ip : undefined;
      const known = ip ? names.get(ip) : undefined;
      const named = known?.length ? `${ip} is ${known.join(', ')} (DNS answers)` : undefined;
      // The API server at an address the policies do not name: managed control planes move it.
      const server = [e.from, e.to].map((p) => asServer(p, servers)).find((p) => p.kind === 'apiserver');
      const moved = server
        ? `${server.ip} is the API server's address (Hubble's reserved:kube-apiserver), which managed control planes change; Cilium's kube-apiserver entity selects it at any address`
        : undefined;
      report.notAllowed.push(finding(e, e.allowed, [d.detail, named, moved].filter(Boolean).join('; ') || undefined));
    }
  }
  const { pairs, open, examples } = pairsNeverTalked(workloads, talked, set, facts.podAddresses);
  report.observed += observed;
  report.allowed += allowed;
  report.byKind['netpol'] = {
    observed,
    allowed,
    unobservedPairs: pairs,
    unobservedAllowed: open,
    ...(examples.length ? { unobservedAllowedExamples: examples } : {}),
  };
}

/** The profile's workloads by id, its DNS names by address, and the evaluator over `policies` with what it knows. */
function evaluatorOf(
  profile: Pick<Profile, 'workloads' | 'namespaces' | 'dnsNames' | 'network'>,
  policies: ReadPolicy[],
  facts: NetFacts,
) {
  const workloads = new Map<string, WorkloadInfo>();
  for (const w of profile.workloads ?? []) workloads.set(workloadId(w), w);
  const nsLabels = new Map((profile.namespaces ?? []).map((n) => [n.name, n.labels]));
  const names = new Map((profile.dnsNames ?? []).map((n) => [n.ip, n.names]));
  const { podAddresses: _a, apiServers: _s, ...known } = facts;
  const set = new NetworkPolicySet(nsLabels, names, { ...known, hosts: hostsOf(profile.network, facts.hosts) });
  for (const p of policies) set.add(p.kind, p.name, p.namespace, p.spec);
  return { workloads, names, set };
}

/**
 * The backtest's network excess: the pairs of the profile's workloads that never connected in it (training and
 * held-out merged: a pair that talked in either window did talk), and how many of them `policies` let talk.
 */
export function excessPairs(
  profile: Pick<Profile, 'workloads' | 'namespaces' | 'dnsNames' | 'network'>,
  policies: ReadPolicy[],
  facts: NetFacts = {},
): { pairs: number; open: number; examples: string[] } {
  const { workloads, set } = evaluatorOf(profile, policies, facts);
  const talked = (profile.network ?? []).filter((e) => e.allowed).map((e): [Peer, Peer] => [e.from, e.to]);
  return pairsNeverTalked(workloads, talked, set, facts.podAddresses);
}

function pairsNeverTalked(
  workloads: Map<string, WorkloadInfo>,
  talked: [Peer, Peer][],
  set: NetworkPolicySet,
  podAddresses: NetFacts['podAddresses'],
): { pairs: number; open: number; examples: string[] } {
  // Narrowness: pairs of known workloads that never connected (each direction on its own). Workloads
  // of one namespace with identical labels are one group: no NetworkPolicy can tell their pods apart,
  // so a pair is over groups, and a group pair talked when any of its members did.
  // Groups are numbered in order of their first workload; a pair of groups is one number.
  const groupOf = new Map<string, number>();
  const numbered = new Map<string, number>();
  const groups: { name: string; ep: Endpoint }[] = [];
  for (const w of [...workloads.values()].filter((x) => !x.hostNetwork).sort(compareWorkloads)) {
    const ep = endpointOf({ kind: 'workload', namespace: w.namespace, name: w.name }, workloads, podAddresses);
    const key = tupleKey(w.namespace, JSON.stringify(ep.kind === 'pod' ? Object.entries(ep.labels).sort() : []));
    let g = numbered.get(key);
    if (g === undefined) {
      numbered.set(key, (g = groups.length));
      groups.push({ name: `${w.namespace}/${w.name}`, ep });
    }
    groupOf.set(peerId({ kind: 'workload', namespace: w.namespace, name: w.name }), g);
  }
  const talkedGroups = new Set<number>();
  for (const [a, b] of talked) {
    const ga = groupOf.get(peerId(a));
    const gb = groupOf.get(peerId(b));
    if (ga !== undefined && gb !== undefined) talkedGroups.add(ga * groups.length + gb);
  }
  let pairs = 0;
  let open = 0;
  const examples: string[] = [];
  for (let ia = 0; ia < groups.length; ia++) {
    const a = groups[ia]!;
    for (let ib = 0; ib < groups.length; ib++) {
      const b = groups[ib]!;
      if (ia === ib || talkedGroups.has(ia * groups.length + ib)) continue;
      pairs++;
      if (set.isAllowed({ src: a.ep, dst: b.ep })) {
        open++;
        if (examples.length < 10) examples.push(`${a.name} → ${b.name}`);
      }
    }
  }
  return { pairs, open, examples };
}
