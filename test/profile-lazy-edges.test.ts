// A builder's principals give their Kubernetes accesses' and AWS calls' lines made from its columns, and their edges
// as objects only when read (src/profile/lazyEdges.ts). The lines must be the bytes the object writer makes of the
// same edges, whatever the edges hold, and a principal whose edges were read (and perhaps changed) is written from
// them.
import { describe, expect, it } from 'vitest';
import type { Principal } from '../src/model/profile.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { edgeCount, linesOf } from '../src/profile/lazyEdges.js';
import { profileLines } from '../src/profile/write.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { calls, observations } from './helpers/randomObservations.js';

function builderOf(seed: number): ProfileBuilder {
  const b = new ProfileBuilder(new Scope(defaultScope()));
  for (const o of observations(seed)) b.add(o);
  for (const o of calls(seed)) b.add(o);
  return b;
}

async function written(b: ProfileBuilder, before: (p: Principal) => void = () => {}): Promise<string> {
  const parts = b.parts();
  const principals = [...parts.principals];
  for (const p of principals) before(p);
  let text = '';
  for await (const piece of profileLines({ head: parts.head, principals, tail: parts.tail })) text += piece;
  return text;
}

describe("a builder's principals written from its columns", () => {
  it.each([1, 2, 3])('are the bytes of the same edges written as objects (seed %i)', async (seed) => {
    // From the columns: nothing reads the edges.
    const fast = await written(builderOf(seed), (p) =>
      expect(edgeCount(p, 'k8s') + edgeCount(p, 'aws')).toBeGreaterThan(0),
    );
    // From the objects: every principal's edges are read before it is written.
    const slow = await written(builderOf(seed), (p) => expect(p.k8s.length + (p.aws?.length ?? 0)).toBeGreaterThan(0));
    expect(fast).toBe(slow);
    // AWS calls with each of their fields.
    for (const part of [
      '"resources":',
      '"implied":[["kms:Decrypt"',
      '"origins":',
      '"originsMore":true',
      ',"us-east-1",""]',
    ])
      expect(fast).toContain(part);
    // The cases were there to be written: flags, implied checks, other stages, timeless and odd-text samples.
    for (const part of ['"gcOnly":true', '"roleRefUnknown":true', '"implied":', '"undecided":', '"denied":'])
      expect(fast).toContain(part);
    expect(fast).toContain('"RequestReceived":');
    expect(fast).toContain(',""');
    expect(fast).toContain('"ns\\"\\\\\\n\u2028"');
    const hot = fast.split('\n').filter((l) => l.startsWith('{"k8s":[') && l.includes(',"hot",'));
    expect(hot.length).toBeGreaterThan(8 * 4);
  });

  it('offers its lines until its edges are read, and counts its edges without making them', () => {
    const principals = [...builderOf(4).parts().principals];
    for (const [kind, p] of [
      ['k8s', principals.find((x) => x.subject.kind === 'ServiceAccount')!],
      ['aws', principals.find((x) => x.subject.kind === 'IAMRole')!],
    ] as const) {
      const count = edgeCount(p, kind);
      expect(count).toBeGreaterThan(100);
      // Made from the columns; no edge objects were made for them.
      const lines = [...linesOf(p, kind)!];
      expect(lines).toHaveLength(count);
      expect(p[kind]).toHaveLength(count);
      expect(linesOf(p, kind)).toBeUndefined();
      expect(edgeCount(p, kind)).toBe(count);
      // A copy (a worker's message, a spread) holds the edges as data.
      const copy = structuredClone(p);
      expect(copy[kind]).toEqual(p[kind]);
      expect({ ...p }[kind]).toBe(p[kind]);
    }
  });

  it('writes the edges as they are once read: a change made to them is written', async () => {
    const whole = await written(builderOf(5));
    const dropped = await written(builderOf(5), (p) => {
      if (p.k8s.length) p.k8s.pop();
      else p.aws!.pop();
    });
    const accesses = (t: string) => t.split('\n').filter((l) => /^\{"(k8s|aws)":/.test(l)).length;
    const principals = whole.split('\n').filter((l) => l.startsWith('{"principal":')).length;
    expect(principals).toBe(7);
    expect(accesses(dropped)).toBe(accesses(whole) - principals);
    expect(dropped).toContain(`"accesses":${accesses(whole) - principals}`);
    // Replacing them works too.
    const replaced = await written(builderOf(5), (p) => {
      p.k8s = [];
      if (p.aws) p.aws = [];
    });
    expect(accesses(replaced)).toBe(0);
  });
});
