// Composite map keys (src/util/key.ts) and the AWS call a builder keeps (src/profile/order.ts). Keys are joined
// rather than concatenated so a map holds one flat string per key; what they say must not change with that: every
// part length-prefixed, so no content can shift one part into the next, and lists of any length.
import { describe, expect, it } from 'vitest';
import type { AwsCallObservation } from '../src/model/observation.js';
import { awsCallOf } from '../src/profile/order.js';
import { tupleKey, tupleKeyOf } from '../src/util/key.js';

describe('tupleKey', () => {
  it('writes each part with its length in front', () => {
    expect(tupleKey('ns', '', 'pods')).toBe('2:ns0:4:pods');
    expect(tupleKey()).toBe('');
    expect(tupleKeyOf(['a:b', '1:'])).toBe('3:a:b2:1:');
  });

  it('gives different keys to tuples that only a separator inside a part would confuse', () => {
    const tuples = [
      ['a\u0000b', 'c'],
      ['a', 'b\u0000c'],
      ['a1:b', ''],
      ['a', '1:b'],
      ['1:a', ''],
      ['', '1:a'],
      ['ab', 'c'],
      ['a', 'bc'],
      ['abc'],
      ['abc', ''],
    ];
    const keys = tuples.map((t) => tupleKeyOf(t));
    expect(new Set(keys).size).toBe(tuples.length);
  });

  it('takes a list longer than any argument list', () => {
    const parts = Array.from({ length: 200_000 }, (_, i) => String(i % 10));
    const k = tupleKeyOf(parts);
    expect(k.length).toBe(parts.length * 3);
    expect(k.startsWith('1:01:11:2')).toBe(true);
  });
});

describe('awsCallOf', () => {
  const obs = (): AwsCallObservation =>
    ({
      kind: 'aws-call',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      region: 'eu-west-1',
      account: '111122223333',
      decision: 'allow',
      errorCode: '',
      time: '2026-11-02T00:00:00.000000Z',
      id: 'e1',
      resources: ['arn:aws:s3:::b', 'arn:aws:s3:::b/k'],
      implied: [{ action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::b/k', via: 'versionId' }],
    }) as unknown as AwsCallObservation;

  it('keeps the call apart from the record it came from', () => {
    const o = obs();
    const c = awsCallOf(o);
    expect(c).toEqual({
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      resources: ['arn:aws:s3:::b', 'arn:aws:s3:::b/k'],
      implied: [{ action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::b/k', via: 'versionId' }],
      region: 'eu-west-1',
      account: '111122223333',
    });
    o.resources.push('arn:aws:s3:::other');
    o.implied.length = 0;
    expect(c.resources).toEqual(['arn:aws:s3:::b', 'arn:aws:s3:::b/k']);
    expect(c.implied).toHaveLength(1);
  });

  it('takes its names through the interner, and leaves out an empty region or account', () => {
    const seen: string[] = [];
    const o = { ...obs(), region: '', account: '' };
    const c = awsCallOf(o, (s) => (seen.push(s), s.toUpperCase()));
    expect(seen).toEqual(['s3.amazonaws.com', 'GetObject']);
    expect(c.eventSource).toBe('S3.AMAZONAWS.COM');
    expect('region' in c || 'account' in c).toBe(false);
    expect(Object.keys(awsCallOf({ ...obs(), account: '' }))).toEqual([
      'eventSource',
      'eventName',
      'resources',
      'implied',
      'region',
    ]);
  });
});
