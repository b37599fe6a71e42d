import { isObj } from '../../util/json.js';
import { l4Part } from '../../verify/netpol/cilium.js';

/**
 * The ports a rule is open on, as a diff compares broad peers by them. Any port; a NetworkPolicy's `ports` read as
 * per protocol every port, or number ranges and named ports; or, where the fields cannot be read so (a
 * CiliumNetworkPolicy's `toPorts` with their L7 rules, an entry of another shape), their text, which only the same
 * text or any port covers.
 */
export type PortSet = { any: true } | { byProtocol: Map<string, ProtocolPorts> } | { text: string };
interface ProtocolPorts {
  all: boolean;
  /** Inclusive ranges `[port, endPort]`. */
  ranges: [number, number][];
  names: Set<string>;
}

export const ANY_PORT: PortSet = { any: true };

const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;

/**
 * A NetworkPolicy rule's `ports` (Kubernetes API reference, NetworkPolicyPort): none or an empty list is every port of
 * every protocol; an entry's protocol defaults to TCP, no `port` is every port of it, a number with `endPort` a
 * range, a string a named port. `text` keeps the fields as written for a list it cannot read.
 */
export function k8sPortSet(ports: unknown, text: () => string): PortSet {
  if (ports === undefined || ports === null || (Array.isArray(ports) && ports.length === 0)) return ANY_PORT;
  if (!Array.isArray(ports)) return { text: text() };
  const byProtocol = new Map<string, ProtocolPorts>();
  for (const p of ports) {
    if (!isObj(p)) return { text: text() };
    const protocol = p['protocol'] === undefined ? 'TCP' : p['protocol'];
    if (typeof protocol !== 'string') return { text: text() };
    let at = byProtocol.get(protocol);
    if (!at) byProtocol.set(protocol, (at = { all: false, ranges: [], names: new Set() }));
    const port = p['port'];
    const end = p['endPort'];
    if (port === undefined && end === undefined) at.all = true;
    else if (typeof port === 'string' && port !== '' && end === undefined) at.names.add(port);
    else if (isPort(port) && (end === undefined || (isPort(end) && end >= port))) at.ranges.push([port, end ?? port]);
    else return { text: text() };
  }
  return { byProtocol };
}

/** Whether the ranges, together, hold every port of `[lo, hi]`. */
function rangesHold(ranges: [number, number][], lo: number, hi: number): boolean {
  let next = lo;
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    if (a > next) break;
    if (b >= next) next = b + 1;
    if (next > hi) return true;
  }
  return next > hi;
}

/** Whether the port sets `by`, together, hold every port of `p` (of one pod: each of `by` is open for it). */
export function portsCover(by: PortSet[], p: PortSet): boolean {
  if (by.some((b) => 'any' in b)) return true;
  if ('any' in p) return false;
  if ('text' in p) return by.some((b) => 'text' in b && b.text === p.text);
  for (const [protocol, want] of p.byProtocol) {
    const have = by.flatMap((b) => {
      const x = 'byProtocol' in b ? b.byProtocol.get(protocol) : undefined;
      return x ? [x] : [];
    });
    if (have.some((h) => h.all)) continue;
    if (want.all) return false;
    const ranges = have.flatMap((h) => h.ranges);
    if (!want.ranges.every(([lo, hi]) => rangesHold(ranges, lo, hi))) return false;
    if (![...want.names].every((n) => have.some((h) => h.names.has(n)))) return false;
  }
  return true;
}

const CILIUM_ANY = ['TCP', 'UDP', 'SCTP'];

/**
 * A CiliumNetworkPolicy rule's `toPorts` (Cilium's PortProtocol: a protocol omitted, empty or `ANY` is every one it
 * matches, TCP, UDP and SCTP; a port a number or a string of one, a name otherwise, none or `0` every port; `endPort`
 * a range). Neither `toPorts` nor `icmps` (or both empty: Cilium reads their length) is any port. A rule with ICMP
 * types, or an entry asking more than its ports (L7 rules, a listener, TLS, server names), is kept as its text.
 */
export function ciliumPortSet(toPorts: unknown, icmps: unknown, text: () => string): PortSet {
  if (!l4Part(toPorts) && !l4Part(icmps)) return ANY_PORT;
  if (l4Part(icmps) || !Array.isArray(toPorts)) return { text: text() };
  const byProtocol = new Map<string, ProtocolPorts>();
  for (const tp of toPorts) {
    if (!isObj(tp) || Object.keys(tp).some((k) => k !== 'ports') || !Array.isArray(tp['ports']))
      return { text: text() };
    for (const p of tp['ports']) {
      if (!isObj(p)) return { text: text() };
      const proto = p['protocol'];
      const protocols =
        proto === undefined || proto === '' || proto === 'ANY'
          ? CILIUM_ANY
          : typeof proto === 'string' && CILIUM_ANY.includes(proto)
            ? [proto]
            : undefined;
      if (!protocols) return { text: text() };
      const w = p['port'];
      const n = typeof w === 'number' ? w : typeof w === 'string' && /^\d+$/.test(w) ? Number(w) : undefined;
      const end = p['endPort'];
      for (const protocol of protocols) {
        let at = byProtocol.get(protocol);
        if (!at) byProtocol.set(protocol, (at = { all: false, ranges: [], names: new Set() }));
        if ((w === undefined || w === '' || n === 0) && (end === undefined || end === 0)) at.all = true;
        else if (typeof w === 'string' && n === undefined && end === undefined) at.names.add(w);
        else if (n !== undefined && isPort(n) && (end === undefined || end === 0 || (isPort(end) && end >= n)))
          at.ranges.push([n, isPort(end) ? end : n]);
        else return { text: text() };
      }
    }
  }
  return { byProtocol };
}
