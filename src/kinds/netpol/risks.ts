import type { NetEdge } from '../../model/network.js';
import { isPrivateAddress } from '../../knowledge/network/cidr.js';

// ---- the documented list of risky permissions (docs/report.md): network --------------------------

const isPrivate = isPrivateAddress;

export function netRisks(e: NetEdge, self: 'from' | 'to'): string[] {
  const peer = self === 'from' ? e.to : e.from;
  const out: string[] = [];
  if (peer.kind === 'ip' && self === 'from' && !isPrivate(peer.ip)) out.push('egress to the internet');
  if (peer.kind === 'ip' && self === 'to') out.push('ingress from outside the cluster');
  if (peer.kind === 'node') out.push('a node or host-network peer');
  return out;
}
