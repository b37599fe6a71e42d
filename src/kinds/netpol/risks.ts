import type { Risk } from '../../model/finding.js';
import type { Peer } from '../../model/network.js';
import { PRIVATE_BLOCKS, addressValue, cidrRange, isPrivateAddress } from '../../knowledge/network/cidr.js';

// ---- the documented catalogue of risky permissions (docs/report.md): network --------------------
//
// Sources, by title: Amazon EC2 "Instance metadata service" (IMDS at 169.254.169.254, and fd00:ec2::254 over
// IPv6, hands out the instance role's credentials), Google Cloud "About VM metadata" and Azure "Instance Metadata
// Service" (the same link-local address); Kubernetes "Securing a Cluster" (restrict pods' access to the cloud
// metadata API with network policies); Kubernetes "Ports and Protocols" (the kubelet API listens on TCP 10250) and
// "Kubelet authentication/authorization" (10255 is the kubelet's unauthenticated read-only port).

/** The cloud metadata services' addresses (AWS, GCP and Azure share the IPv4 one). */
const METADATA = ['169.254.169.254', 'fd00:ec2::254'];
/** The kubelet's API and its read-only port. */
const KUBELET_PORTS = [10250, 10255];

/** Ports of a connection or a grant: one port, or port through endPort. */
export interface PortSpan {
  protocol: string;
  port: number;
  endPort?: number;
}

/** A region of the address space: its first and last address as numbers (IPv4 mapped into IPv6). */
export interface Region {
  lo: bigint;
  hi: bigint;
}

/**
 * Why a connection is risky, with levels: `self` is the side the policy is for. With `ports`, the port checks
 * apply; with `region`, the peer stands for every address of the region (a grant), else for its address alone.
 */
export function netRiskList(peer: Peer, self: 'from' | 'to', ports?: PortSpan, region?: Region): Risk[] {
  const out: Risk[] = [];
  if (peer.kind === 'ip' && self === 'from' && !isPrivateAddress(peer.ip))
    out.push({ level: 'medium', reason: 'egress to the internet' });
  if (peer.kind === 'ip' && self === 'to') out.push({ level: 'medium', reason: 'ingress from outside the cluster' });
  // A pod's own node is no grant: Kubernetes allows that traffic whatever the policies, and no rule names it.
  if (peer.kind === 'node' && !peer.own) out.push({ level: 'low', reason: 'a node or host-network peer' });
  if (peer.kind !== 'workload' && self === 'from') {
    const holds = (ip: string) => {
      const v = addressValue(ip)!;
      return region ? region.lo <= v && v <= region.hi : addressValue(peer.ip) === v;
    };
    if (METADATA.some(holds))
      out.push({ level: 'high', reason: 'egress to the cloud metadata service (169.254.169.254): node credentials' });
    if (ports && ports.protocol === 'TCP') {
      const last = ports.endPort && ports.endPort > ports.port ? ports.endPort : ports.port;
      const hit = KUBELET_PORTS.find((p) => ports.port <= p && p <= last);
      if (hit !== undefined) out.push({ level: 'medium', reason: `egress to the kubelet port (TCP/${hit})` });
    }
  }
  return out;
}

/** A grant of every port of a protocol to a peer: no port restriction, the network's wildcard. */
export function netPortRiskList(): Risk[] {
  return [{ level: 'medium', reason: 'every port (no port restriction)' }];
}

/** The public IPv4 space: 0.0.0.0/0 less the private and link-local blocks. */
const V4 = cidrRange('0.0.0.0/0')!;
const PUBLIC_V4_GAPS = PRIVATE_BLOCKS.map((c) => cidrRange(c)!).filter((r) => r.lo >= V4.lo && r.hi <= V4.hi);

/** Public IPv4 addresses a grant may miss and still be 0.0.0.0/0 in effect: fewer than a /8 holds. */
const NEARLY_ALL = 1n << 24n;

/**
 * The risks of the address regions a grant names together (a diff's finding): a grant that reaches every public
 * IPv4 address but fewer than a /8's worth is 0.0.0.0/0 in effect (`0.0.0.0/0 except 1.2.3.4/32`, the private
 * blocks excepted or not), the network's wildcard peer.
 */
export function netRegionsRiskList(regions: Region[], self: 'from' | 'to'): Risk[] {
  if (!regions.length) return [];
  // The public IPv4 addresses no region holds: walk the public space in order, regions and private blocks alike.
  const covers = [...regions, ...PUBLIC_V4_GAPS].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  let missing = 0n;
  let at = V4.lo;
  for (const r of covers) {
    if (r.hi < at) continue;
    if (r.lo > V4.hi) break;
    if (r.lo > at) missing += r.lo - at;
    at = r.hi + 1n;
  }
  if (at <= V4.hi) missing += V4.hi + 1n - at;
  if (missing >= NEARLY_ALL) return [];
  return self === 'from'
    ? [{ level: 'high', reason: 'egress to any internet address (0.0.0.0/0)' }]
    : [{ level: 'medium', reason: 'ingress from any internet address (0.0.0.0/0)' }];
}
