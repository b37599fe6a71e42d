// Partial profiles' principals cross from a worker thread and are merged as the lines the profile will hold, each with
// an order key (src/profile/orderKeys.ts, src/profile/keyedLines.ts). The keys must order as the profile orders its
// edges and be equal exactly for one access, and a merge of lines must be the bytes of the merge of the objects.
import { describe, expect, it } from 'vitest';
import { compareAccess, type K8sAccess } from '../src/model/access.js';
import { cmp } from '../src/model/issue.js';
import type { AwsCall, Principal, Profile } from '../src/model/profile.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { inMemory } from '../src/profile/io.js';
import { fromWire, mergeKeyed, toWire } from '../src/profile/keyedLines.js';
import { edgesMade, keyedOf, linesOf, offersLines } from '../src/profile/lazyEdges.js';
import { mergeProfiles } from '../src/profile/merge.js';
import { mergeStreams } from '../src/profile/mergeStream.js';
import { compareAwsCalls } from '../src/profile/order.js';
import { awsOrderKey, k8sOrderKey } from '../src/profile/orderKeys.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { profileLines, profileLinesSync, type ProfileParts } from '../src/profile/write.js';
import { rng } from './helpers/cli.js';
import { calls, observations } from './helpers/randomObservations.js';

/** Strings made of pieces that test the key's escapes: NUL, the marks \1 and \2, the ends of the code units. */
const PIECES = ['', 'a', 'b', '\u0000', '\u0001', '\u0002', 'a\u0000', '\u0000\u0001', '\uffff', '\ud800', '/', 'ab'];

function strings(r: () => number): () => string {
  return () => {
    let s = '';
    for (let n = Math.floor(r() * 4); n > 0; n--) s += PIECES[Math.floor(r() * PIECES.length)]!;
    return s;
  };
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

describe('order keys', () => {
  it('order Kubernetes accesses as compareAccess, equal exactly for the same access', () => {
    const s = strings(rng(7));
    const accesses: K8sAccess[] = [];
    for (let i = 0; i < 250; i++)
      accesses.push({
        verb: s(),
        apiGroup: s(),
        resource: s(),
        subresource: s(),
        namespace: s(),
        name: s(),
        nonResourceURL: s(),
      });
    // Near neighbours too: one field changed, or grown by a NUL (a prefix of the other).
    for (const a of accesses.slice(0, 50)) {
      accesses.push({ ...a, name: a.name + '\u0000' }, { ...a, namespace: a.namespace + a.apiGroup, apiGroup: '' });
    }
    let equal = 0;
    const wrong: unknown[] = [];
    for (const a of accesses)
      for (const b of accesses) {
        const want = sign(compareAccess(a, b));
        if (sign(cmp(k8sOrderKey(a), k8sOrderKey(b))) !== want) wrong.push([a, b]);
        if (want === 0) equal++;
      }
    expect(wrong.slice(0, 3)).toEqual([]);
    expect(equal).toBeGreaterThanOrEqual(accesses.length);
  });

  it('order AWS calls as compareAwsCalls, their resources and implied permissions as lists', () => {
    const r = rng(8);
    const s = strings(r);
    const list = () => Array.from({ length: Math.floor(r() * 3) }, s);
    const calls: AwsCall[] = [];
    for (let i = 0; i < 200; i++) {
      const c: AwsCall = {
        eventSource: r() < 0.5 ? 's3.amazonaws.com' : s(),
        eventName: s(),
        resources: list(),
        implied: Array.from({ length: Math.floor(r() * 2) }, () => ({ action: s(), resource: s(), via: s() })),
      };
      if (r() < 0.5) c.region = s();
      if (r() < 0.5) c.account = s();
      calls.push(c);
      // A list that is a prefix of another, and an empty string at the end of one.
      calls.push({ ...c, resources: [...c.resources, ''] }, { ...c, resources: c.resources.slice(1), implied: [] });
    }
    const wrong: unknown[] = [];
    for (const a of calls)
      for (const b of calls)
        if (sign(cmp(awsOrderKey(a), awsOrderKey(b))) !== sign(compareAwsCalls(a, b))) wrong.push([a, b]);
    expect(wrong.slice(0, 3)).toEqual([]);
  });
});

/** The seed's requests and calls dealt at random to `n` builders, as a worker's byte ranges deal them. */
function dealt(seed: number, n: number): ProfileBuilder[] {
  const r = rng(seed * 31);
  const builders = Array.from({ length: n }, () => new ProfileBuilder(new Scope(defaultScope())));
  for (const o of [...observations(seed), ...calls(seed)]) builders[Math.floor(r() * n)]!.add(o);
  return builders;
}

/** A builder's principals as the main thread gets them from a worker: made wire, copied, made whole again. */
function acrossThreads(b: ProfileBuilder): ProfileParts {
  const parts = b.parts();
  const principals = [...parts.principals].map((p) => fromWire(structuredClone(toWire(p))));
  return { head: parts.head, principals, tail: parts.tail };
}

async function text(parts: ProfileParts): Promise<string> {
  let out = '';
  for await (const piece of profileLines(parts)) out += piece;
  return out;
}

/** The same profiles merged as objects, in memory. */
function asObjects(seed: number, n: number): string {
  const whole: Profile = mergeProfiles(dealt(seed, n).map((b) => b.toProfile()));
  return [...profileLinesSync(whole)].join('');
}

describe('partial profiles merged as lines', () => {
  it.each([
    [1, 2],
    [2, 3],
    [3, 4],
  ])('are the bytes of the same partial profiles merged as objects (seed %i, %i parts)', async (seed, n) => {
    const want = asObjects(seed, n);
    const merged = mergeStreams(dealt(seed, n).map(acrossThreads));
    const principals: Principal[] = [];
    for await (const p of merged.principals) principals.push(p);
    // The merged principals still offer their lines: nothing was made as objects on the way.
    expect(principals.every(offersLines)).toBe(true);
    const got = await text({ head: merged.head, principals, tail: merged.tail });
    expect(got).toBe(want);
    // Accesses that several parts saw were merged (their evidence added up), not only interleaved.
    expect(got).toMatch(/"allowed":\[\d*[2-9]\d*,/);
    // Read as objects, the merged edges are those of the merge of objects.
    const objects = mergeProfiles(dealt(seed, n).map((b) => b.toProfile()));
    expect(principals.map((p) => [p.k8s, p.aws])).toEqual(objects.principals.map((p) => [p.k8s, p.aws]));
  });

  it('merges a principal offering lines with one held as objects (an in-memory part, a profile file)', async () => {
    const [a, b, c] = dealt(4, 3);
    const want = asObjects(4, 3);
    // Part a as objects (as the CloudTrail API's or the inventory's part), the others as lines.
    const merged = mergeStreams([inMemory(a!.toProfile()), acrossThreads(b!), acrossThreads(c!)]);
    expect(await text(merged)).toBe(want);
  });

  it('reads a line back only where both sides hold the access', () => {
    const [a, b] = dealt(5, 2).map((x) => [...x.parts().principals]);
    const p = a!.find((x) => x.subject.kind === 'ServiceAccount')!;
    const q = b!.find((x) => x.subject.name === p.subject.name)!;
    const x = keyedOf(p, 'k8s')!;
    const y = keyedOf(q, 'k8s')!;
    const m = mergeKeyed('k8s', x, y);
    const shared = x.keys.filter((k) => y.keys.includes(k));
    expect(shared.length).toBeGreaterThan(0);
    expect(m.keys).toEqual([...new Set([...x.keys, ...y.keys])].sort(cmp));
    expect(m.lines).toHaveLength(m.keys.length);
    // A line only one side holds is that side's line, the same string.
    for (const [i, k] of m.keys.entries()) {
      if (shared.includes(k)) continue;
      const from = x.keys.includes(k) ? x : y;
      expect(m.lines[i]).toBe(from.lines[from.keys.indexOf(k)]);
    }
    // The offers were read, not spent: the principals still give their lines.
    expect(linesOf(p, 'k8s')).toBeDefined();
  });

  it('made into objects (a profile held in memory), lets go of its lines and offers none', () => {
    const parts = acrossThreads(dealt(6, 1)[0]!);
    const principals = parts.principals as Principal[];
    const want = mergeProfiles([dealt(6, 1)[0]!.toProfile()]).principals;
    for (const p of principals) {
      expect(offersLines(p)).toBe(true);
      expect(edgesMade(p)).toBe(p);
      expect(offersLines(p)).toBe(false);
      expect(keyedOf(p, 'k8s')).toBeUndefined();
      expect(keyedOf(p, 'aws')).toBeUndefined();
    }
    expect(principals.map((p) => [p.k8s, p.aws])).toEqual(want.map((p) => [p.k8s, p.aws]));
  });
});
