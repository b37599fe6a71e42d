import { BlockList, isIP } from 'node:net';

/**
 * Address arithmetic through node:net's BlockList, which reads IPv4 and IPv6 (an IPv4-mapped IPv6
 * address such as `::ffff:10.0.0.1` matches IPv4 blocks) and validates what it is given.
 */

const family = (ip: string): 'ipv4' | 'ipv6' | undefined =>
  isIP(ip) === 4 ? 'ipv4' : isIP(ip) === 6 ? 'ipv6' : undefined;

/** A BlockList of the blocks; blocks that do not parse are left out. */
export function blocks(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [base = '', lenText] = c.split('/');
    const f = family(base);
    if (!f) continue;
    const len = lenText === undefined ? (f === 'ipv4' ? 32 : 128) : Number(lenText);
    if (
      !Number.isInteger(len) ||
      len < 0 ||
      len > (f === 'ipv4' ? 32 : 128) ||
      (lenText !== undefined && !/^\d+$/.test(lenText))
    )
      continue;
    list.addSubnet(base, len, f);
  }
  return list;
}

/** Whether `ip` lies in `cidr` (IPv4 or IPv6; false when either does not parse). */
export function inCidr(ip: string, cidr: string): boolean {
  const f = family(ip);
  return !!f && blocks([cidr]).check(ip, f);
}

/** Addresses that never leave a private network: RFC 1918, CGNAT (100.64.0.0/10), loopback, link-local, ULA. */
const PRIVATE = blocks([
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
]);

export function isPrivateAddress(ip: string): boolean {
  const f = family(ip);
  return !!f && PRIVATE.check(ip, f);
}
