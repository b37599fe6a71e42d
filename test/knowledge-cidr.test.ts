import { describe, expect, it } from 'vitest';
import { inCidr, isPrivateAddress } from '../src/knowledge/network/cidr.js';

describe('address blocks (node:net BlockList)', () => {
  it.each([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['::ffff:10.1.2.3', '10.0.0.0/8', true],
    ['2001:db8::1', '2001:db8::/32', true],
    ['2001:db9::1', '2001:db8::/32', false],
    ['10.1.2.3', '10.1.2.3', true],
    ['10.1.2.3', '10.1.2.0/33', false],
    ['10.1.2.3', 'not-a-block/8', false],
    ['not-an-ip', '0.0.0.0/0', false],
  ] as const)('%s in %s: %s', (ip, cidr, want) => expect(inCidr(ip, cidr)).toBe(want));

  it.each([
    ['100.64.1.1', true],
    ['100.128.0.1', false],
    ['172.20.0.5', true],
    ['172.32.0.5', false],
    ['::ffff:192.168.1.1', true],
    ['fd12::1', true],
    ['54.187.174.169', false],
  ] as const)('%s private: %s', (ip, want) => expect(isPrivateAddress(ip)).toBe(want));
});
