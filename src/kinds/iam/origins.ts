import { BlockList, isIP } from 'node:net';
import { cmp } from '../../model/issue.js';
import type { AwsEdge } from '../../model/profile.js';

/** Addresses no one reaches from the internet (RFC 1918, shared, loopback, link-local, IPv6 unique-local). */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');
PRIVATE.addAddress('::1', 'ipv6');

const isPrivate = (ip: string) => PRIVATE.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');

/** Up to three, then how many more. */
function some(list: string[]): string {
  return list.slice(0, 3).join(', ') + (list.length > 3 ? `, +${list.length - 3} more` : '');
}

/**
 * Where a principal's allowed calls came from, in words for the report (the profile's `origins`): its public and
 * private addresses, the VPC endpoints, the services that called for it. A reviewer reads from it where its
 * credentials are used: a workload's role called from a public address is used outside its network. Undefined
 * where no record said.
 */
export function originWords(edges: readonly AwsEdge[]): string | undefined {
  const pub = new Set<string>();
  const priv = new Set<string>();
  const endpoints = new Set<string>();
  const services = new Set<string>();
  let more = false;
  let said = false;
  for (const e of edges) {
    if (!e.allowed) continue;
    if (e.originsMore) more = true;
    for (const [ip, vpce, , by] of e.origins ?? []) {
      said = true;
      if (by) services.add(by);
      else if (ip) (isPrivate(ip) || vpce ? priv : pub).add(ip);
      if (vpce) endpoints.add(vpce);
    }
  }
  if (!said) return undefined;
  const parts: string[] = [];
  const n = (set: Set<string>, what: string) => `${set.size} ${what}${set.size === 1 ? '' : 'es'}`;
  if (pub.size) parts.push(`${n(pub, 'public address')} (${some([...pub].sort(cmp))})`);
  if (priv.size) parts.push(`${n(priv, 'private address')} (${some([...priv].sort(cmp))})`);
  if (endpoints.size)
    parts.push(`through VPC endpoint${endpoints.size === 1 ? '' : 's'} ${some([...endpoints].sort(cmp))}`);
  if (services.size) parts.push(`made for it by ${some([...services].sort(cmp))}`);
  if (!parts.length) parts.push('no address the records name');
  return `its calls came from ${parts.join('; ')}${more ? ' (and places the profile does not list)' : ''}`;
}
