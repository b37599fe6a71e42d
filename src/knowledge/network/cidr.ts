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

/**
 * Addresses as numbers in one 128-bit space, as BlockList compares them: an IPv4 address is its IPv4-mapped IPv6
 * address (`1.2.3.4` is `::ffff:1.2.3.4`), so an IPv4 block holds the mapped addresses and `::/0` every IPv4 one.
 */
export const MAPPED_V4 = 0xffffn << 32n;
export const ADDRESS_SPACE = 1n << 128n;

const v4Value = (ip: string): bigint => ip.split('.').reduce((n, x) => (n << 8n) | BigInt(Number(x)), 0n);

/** The address's number (IPv4 mapped), or undefined when it does not parse. */
export function addressValue(ip: string): bigint | undefined {
  let v = values.get(ip);
  if (v === undefined) {
    // A diff asks about the same few thousand addresses millions of times.
    if (values.size >= 100_000) values.clear();
    values.set(ip, (v = readAddress(ip) ?? null));
  }
  return v ?? undefined;
}
const values = new Map<string, bigint | null>();

function readAddress(ip: string): bigint | undefined {
  const f = family(ip);
  if (f === 'ipv4') return MAPPED_V4 | v4Value(ip);
  if (f !== 'ipv6' || ip.includes('%')) return undefined;
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) is the last two groups.
  const text = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    [
      [a, b],
      [c, d],
    ]
      .map(([x, y]) => ((Number(x) << 8) | Number(y)).toString(16))
      .join(':'),
  );
  const [head = '', rest] = text.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => BigInt(parseInt(g, 16))));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const zeros = 8 - left.length - right.length;
  return [...left, ...Array<bigint>(rest === undefined ? 0 : zeros).fill(0n), ...right].reduce(
    (n, g) => (n << 16n) | g,
    0n,
  );
}

/** An address's number as text: IPv4 inside the mapped range, else IPv6 with the longest run of zeros as `::`. */
export function formatAddress(v: bigint): string {
  if (v >> 32n === 0xffffn) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  const g = [7n, 6n, 5n, 4n, 3n, 2n, 1n, 0n].map((i) => Number((v >> (16n * i)) & 0xffffn));
  let best = -1;
  let len = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len) [best, len] = [i, j - i];
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + len))}`;
}

/** The addresses a block holds, first and last, as `blocks` reads it (undefined when it would leave it out). */
export function cidrRange(cidr: string): { lo: bigint; hi: bigint } | undefined {
  let r = ranges.get(cidr);
  if (r === undefined) {
    // Policies and universes name a few thousand blocks, asked about millions of times by a diff.
    if (ranges.size >= 100_000) ranges.clear();
    ranges.set(cidr, (r = readRange(cidr) ?? null));
  }
  return r ?? undefined;
}
const ranges = new Map<string, { lo: bigint; hi: bigint } | null>();

function readRange(cidr: string): { lo: bigint; hi: bigint } | undefined {
  const [base = '', lenText] = cidr.split('/');
  const f = family(base);
  const v = f ? addressValue(base) : undefined;
  if (!f || v === undefined) return undefined;
  const bits = f === 'ipv4' ? 32 : 128;
  const len = lenText === undefined ? bits : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > bits || (lenText !== undefined && !/^\d+$/.test(lenText)))
    return undefined;
  const size = 1n << BigInt(bits - len);
  const lo = v - (v % size);
  return { lo, hi: lo + size - 1n };
}

/** The fewest blocks that hold exactly the addresses lo..hi, in order, as `[base, prefix length]` of 128 bits. */
export function cidrCover(lo: bigint, hi: bigint): [bigint, number][] {
  const out: [bigint, number][] = [];
  while (lo <= hi) {
    let len = 128;
    // Widen while the block stays aligned at lo and inside lo..hi.
    while (len > 0 && lo % (1n << BigInt(129 - len)) === 0n && lo + (1n << BigInt(129 - len)) - 1n <= hi) len--;
    out.push([lo, len]);
    lo += 1n << BigInt(128 - len);
  }
  return out;
}

/** A block as people write it: IPv4 (`10.0.0.0/8`) when it lies in the mapped range, else IPv6. */
export function formatCidr(base: bigint, len: number): string {
  return len >= 96 && base >> 32n === 0xffffn ? `${formatAddress(base)}/${len - 96}` : `${formatAddress(base)}/${len}`;
}

/** Whether `ip` lies in `cidr` (IPv4 or IPv6, compared as BlockList does; false when either does not parse). */
export function inCidr(ip: string, cidr: string): boolean {
  const r = cidrRange(cidr);
  if (!r) return false;
  const v = addressValue(ip);
  return v !== undefined && v >= r.lo && v <= r.hi;
}

/** Addresses that never leave a private network: RFC 1918, CGNAT (100.64.0.0/10), loopback, link-local, ULA. */
export const PRIVATE_BLOCKS = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
];
const PRIVATE = blocks(PRIVATE_BLOCKS);

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
