import { cmp } from '../../model/issue.js';
import { describePeer, type WorkloadInfo } from '../../model/network.js';
import { API_VERSION } from '../../model/profile.js';
import { sortRules, type Rule } from './rules.js';

/**
 * The note of a rule to the cluster DNS (or, on its side, from a client), whose UDP and TCP 53 are both allowed
 * whichever was seen: a listed widening (`dns`), which `check` keeps when the other one is used (diff/kept.ts).
 */
export const DNS_NOTE = 'cluster DNS: UDP and TCP 53 are both allowed';

export function evidenceDoc(w: WorkloadInfo, out: Map<string, Rule>, inn: Map<string, Rule>): Record<string, unknown> {
  const entry = (r: Rule) => ({
    peer: describePeer(r.peer),
    peerKind: r.peer.kind,
    ports: r.allPorts ? 'all (--widen-ports)' : [...r.ports.values()].map((p) => `${p.protocol}/${p.port}`).sort(cmp),
    connections: r.ev.connections,
    records: r.ev.records,
    firstSeen: r.ev.firstSeen,
    lastSeen: r.ev.lastSeen,
    samples: r.ev.samples.map((s) => `${s.time} ${s.id}`),
    ...(r.names.size ? { dnsNames: [...r.names].sort(cmp) } : {}),
    ...(r.dns ? { note: DNS_NOTE } : {}),
  });
  return {
    apiVersion: API_VERSION,
    kind: 'NetworkPolicyEvidence',
    workload: `${w.namespace}/${w.name}`,
    workloadKind: w.kind,
    selector: w.selector,
    selectedBy:
      w.source === 'inventory' ? 'the workload’s selector (inventory)' : 'the pod’s stable labels seen in flows',
    egress: sortRules(out).map(entry),
    ingress: sortRules(inn).map(entry),
  };
}
