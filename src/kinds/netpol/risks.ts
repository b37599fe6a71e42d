import type { Risk } from '../../model/finding.js';
import type { Peer } from '../../model/network.js';
import { isPrivateAddress } from '../../knowledge/network/cidr.js';

// ---- the documented catalogue of risky permissions (docs/report.md): network --------------------

/** Why a connection is risky, with levels: `self` is the side the policy is for. */
export function netRiskList(peer: Peer, self: 'from' | 'to'): Risk[] {
  const out: Risk[] = [];
  if (peer.kind === 'ip' && self === 'from' && !isPrivateAddress(peer.ip))
    out.push({ level: 'medium', reason: 'egress to the internet' });
  if (peer.kind === 'ip' && self === 'to') out.push({ level: 'medium', reason: 'ingress from outside the cluster' });
  if (peer.kind === 'node') out.push({ level: 'low', reason: 'a node or host-network peer' });
  return out;
}

/** A grant of every port of a protocol to a peer: no port restriction, the network's wildcard. */
export function netPortRiskList(): Risk[] {
  return [{ level: 'medium', reason: 'every port (no port restriction)' }];
}
