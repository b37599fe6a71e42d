/**
 * ICMP in flow records. Only an echo request (ICMP type 8, ICMPv6 128) opens a conversation a policy allows; its reply
 * (0, 129) answers it. Errors (destination unreachable, source quench, redirect, time exceeded, parameter problem;
 * ICMPv6 1-4), neighbour discovery and router messages (ICMPv6 133-137) and the other queries (timestamp, address
 * mask, multicast listener...) are no connection: Kubernetes and Cilium let errors through with the connection they
 * are about, neighbour discovery is below policy, and the others are skipped with a count rather than allowed.
 */
export function hubbleIcmp(v6: boolean, type: number): 'request' | 'reply' | 'other' {
  if (type === (v6 ? 128 : 8)) return 'request';
  if (type === (v6 ? 129 : 0)) return 'reply';
  return 'other';
}
