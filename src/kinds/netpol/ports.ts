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

/** The ICMP type names Cilium takes for their numbers, per family (its policy API's ICMP name tables). */
const ICMP_TYPES: Record<'IPv4' | 'IPv6', Record<string, number>> = {
  IPv4: {
    EchoReply: 0,
    DestinationUnreachable: 3,
    Redirect: 5,
    Echo: 8,
    EchoRequest: 8,
    RouterAdvertisement: 9,
    RouterSelection: 10,
    RouterSolicitation: 10,
    TimeExceeded: 11,
    ParameterProblem: 12,
    Timestamp: 13,
    TimestampReply: 14,
    Photuris: 40,
    ExtendedEchoRequest: 42,
    ExtendedEchoReply: 43,
  },
  IPv6: {
    DestinationUnreachable: 1,
    PacketTooBig: 2,
    TimeExceeded: 3,
    ParameterProblem: 4,
    EchoRequest: 128,
    EchoReply: 129,
    MulticastListenerQuery: 130,
    MulticastListenerReport: 131,
    MulticastListenerDone: 132,
  },
};

/**
 * A CiliumNetworkPolicy rule's `toPorts` (Cilium's PortProtocol: a protocol omitted, empty or `ANY` is every one it
 * matches, TCP, UDP and SCTP; a port a number or a string of one, a name otherwise, none or `0` every port; `endPort`
 * a range) and `icmps` (per family, ICMP or ICMPv6, its types by number or name; none, every type). Neither (or both
 * empty: Cilium reads their length) is any port. An entry asking more than its ports (L7 rules, a listener, TLS,
 * server names), or a name it does not know, is kept as its text.
 */
export function ciliumPortSet(toPorts: unknown, icmps: unknown, text: () => string): PortSet {
  if (!l4Part(toPorts) && !l4Part(icmps)) return ANY_PORT;
  if ((l4Part(toPorts) && !Array.isArray(toPorts)) || (l4Part(icmps) && !Array.isArray(icmps))) return { text: text() };
  const byProtocol = new Map<string, ProtocolPorts>();
  const entry = (protocol: string) => {
    let at = byProtocol.get(protocol);
    if (!at) byProtocol.set(protocol, (at = { all: false, ranges: [], names: new Set() }));
    return at;
  };
  // ICMP types as numbers, a CamelCase name as its number (Cilium, ICMPField.type); no type, every type.
  for (const x of l4Part(icmps) ? (icmps as unknown[]) : []) {
    if (!isObj(x) || !Array.isArray(x['fields'])) return { text: text() };
    for (const f of x['fields']) {
      if (!isObj(f)) return { text: text() };
      const family = f['family'] ?? 'IPv4';
      if (family !== 'IPv4' && family !== 'IPv6') return { text: text() };
      const at = entry(family === 'IPv4' ? 'ICMP' : 'ICMPv6');
      const t = f['type'];
      const n = typeof t === 'number' ? t : typeof t === 'string' ? ICMP_TYPES[family][t] : undefined;
      if (t === undefined) at.all = true;
      else if (n !== undefined && Number.isInteger(n) && n >= 0 && n <= 255) at.ranges.push([n, n]);
      else return { text: text() };
    }
  }
  for (const tp of Array.isArray(toPorts) ? toPorts : []) {
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
        const at = entry(protocol);
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
