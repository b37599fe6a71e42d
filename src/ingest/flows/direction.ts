import type { Resolver } from '../../inventory/inventory.js';
import type { L4Protocol } from '../../model/network.js';

/** Where Linux's default ephemeral (client) port range starts (net.ipv4.ip_local_port_range: 32768-60999). */
const EPHEMERAL = 32768;

/**
 * Whether a VPC record is the client's side of its connection. Flow logs keep each direction of a connection as a
 * record of its own and do not say who started it, so in order: the TCP flags when the format has them (AWS ORs
 * the flags of the aggregation window, so a short connection's records are 3 and 19: SYN marks the client's, and
 * 16 only ever comes with SYN, as SYN-ACK, from the server); then the ports the inventory says are listened on
 * (a pod's containerPort, a Service's port, targetPort or NodePort); only then the lower port, as the server's.
 * That guess is a notice (`guessed`) unless one port is below the ephemeral range and the other in it.
 */
export function fromClient(
  resolver: Resolver,
  guessed: (message: string) => void,
  protocol: L4Protocol,
  tcpFlags: string | undefined,
  srcIp: string,
  sport: number,
  dstIp: string,
  dport: number,
): boolean {
  if (protocol === 'ICMP' || protocol === 'ICMPv6') return true;
  if (protocol === 'TCP' && tcpFlags !== undefined) {
    const flags = Number(tcpFlags);
    if (Number.isInteger(flags) && (flags & 2) !== 0) return (flags & 16) === 0;
  }
  const side = byPorts(resolver, protocol, srcIp, sport, dstIp, dport);
  if (side.guess === 'unsure')
    guessed(
      `${srcIp}:${sport} > ${dstIp}:${dport}: neither TCP flags (add tcp-flags to the flow log format) nor the ` +
        `inventory's ports say which side started the connection; taken as ${side.client ? 'a request to' : 'the answer from'} ` +
        `port ${Math.min(sport, dport)}, the lower one`,
    );
  return side.client;
}

/**
 * Whether a packet goes from a connection's client to its server, by its ports alone: the inventory's (which side
 * listens on its port), else the lower port as the server's. `guess`: `inventory` when the inventory decided; `sure`
 * when one port is below the ephemeral range and the other in it; `unsure` otherwise.
 */
export function byPorts(
  resolver: Resolver,
  protocol: L4Protocol,
  srcIp: string,
  sport: number,
  dstIp: string,
  dport: number,
): { client: boolean; guess: 'inventory' | 'sure' | 'unsure' } {
  const toServer = resolver.serves(dstIp, dport, protocol);
  if (toServer !== resolver.serves(srcIp, sport, protocol)) return { client: toServer, guess: 'inventory' };
  const client = sport >= dport;
  const unsure = Math.min(sport, dport) >= EPHEMERAL || Math.max(sport, dport) < EPHEMERAL;
  return { client, guess: unsure ? 'unsure' : 'sure' };
}

/**
 * Whether a Hubble UDP or SCTP flow without is_reply (Hubble leaves it out when conntrack does not know the
 * direction) goes to the side that serves (byPorts); a guess by the ports is a notice (`guessed`).
 */
export function hubbleRequest(
  resolver: Resolver,
  protocol: L4Protocol,
  src: string,
  sport: number,
  dst: string,
  dport: number,
  guessed: (message: string) => void,
): boolean {
  const side = byPorts(resolver, protocol, src, sport, dst, dport);
  if (side.guess !== 'inventory')
    guessed(
      `${src}:${sport} > ${dst}:${dport} ${protocol}: the flow has no is_reply (Hubble did not know its direction) ` +
        `and the inventory's ports do not say which side serves; taken as ` +
        `${side.client ? 'a request to' : 'the answer from'} port ${Math.min(sport, dport)}, the lower one`,
    );
  return side.client;
}
