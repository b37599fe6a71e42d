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

/**
 * Whether `ip` is in a range clusters take their pod, node and Service addresses from: RFC 1918, CGNAT
 * (100.64.0.0/10), IPv6 ULA (fc00::/7). Read by hand rather than through a BlockList: it is asked of flow records'
 * addresses, and a BlockList check costs microseconds each.
 */
export function inClusterRange(ip: string): boolean {
  if (!ip.includes('.')) {
    // IPv6: the ULA block is every address whose first group is fcXX or fdXX.
    const f = ip.charCodeAt(0) | 0x20;
    const g = ip.charCodeAt(1) | 0x20;
    return f === 0x66 && (g === 0x63 || g === 0x64) && ip.charCodeAt(4) === 0x3a;
  }
  // IPv4, or IPv4-mapped IPv6 (::ffff:10.0.0.1): the first two numbers decide.
  let i = ip.startsWith('::ffff:') ? 7 : 0;
  let a = 0;
  for (; i < ip.length && ip.charCodeAt(i) !== 0x2e; i++) a = a * 10 + ip.charCodeAt(i) - 0x30;
  let b = 0;
  for (i++; i < ip.length && ip.charCodeAt(i) !== 0x2e; i++) b = b * 10 + ip.charCodeAt(i) - 0x30;
  const rfc1918 = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  return rfc1918 || (a === 100 && b >= 64 && b <= 127);
}
