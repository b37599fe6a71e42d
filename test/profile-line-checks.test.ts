import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { LINE_CHECKS_FILE, lineChecksSource } from '../scripts/lib/line-checks.js';
import { LINE_CHECKS } from '../src/profile/lineChecks.gen.js';
import { LINE_SCHEMAS, type LineKind } from '../src/profile/lineSchema.js';
import { cli, DEMO_SOURCES, ROOT, tmp } from './helpers/cli.js';
import { profileLinesOf } from './helpers/profile.js';

/**
 * The profile reader checks each line with code generated from the line schemas (src/profile/lineChecks.gen.ts,
 * `npm run schema`; ADR 0017), so that it loads no TypeBox: the file must be what the generator makes of the schemas
 * in src/, and each check must decide as TypeBox's compiled check of the same schema.
 */
const checks = LINE_CHECKS as Record<LineKind, (v: unknown) => boolean>;
const kindOf = (v: Record<string, unknown>): LineKind => ('apiVersion' in v ? 'header' : Object.keys(v)[0]) as LineKind;

/** Each value with one place in it changed: removed, or replaced by a value of another type or out of range. */
function* broken(v: unknown): Generator<unknown> {
  const replacements: unknown[] = [null, -1, 1.5, 2 ** 60, 'x', true, [], {}];
  function* at(x: unknown, rebuild: (y: unknown) => unknown): Generator<unknown> {
    for (const r of replacements) yield rebuild(r);
    if (Array.isArray(x)) {
      yield rebuild([...x, 'extra']);
      if (x.length) yield rebuild(x.slice(1));
      for (let i = 0; i < x.length; i++) yield* at(x[i], (y) => rebuild(x.map((e, j) => (j === i ? y : e))));
    } else if (typeof x === 'object' && x !== null) {
      for (const k of Object.keys(x)) {
        const { [k]: _gone, ...rest } = x as Record<string, unknown>;
        yield rebuild(rest);
        yield* at((x as Record<string, unknown>)[k], (y) => rebuild({ ...x, [k]: y }));
      }
      yield rebuild({ ...x, unknownKey: 1 });
    }
  }
  yield* at(v, (y) => y);
}

describe('the generated line checks', () => {
  it('are what `npm run schema` makes of the schemas in src/', () => {
    expect(readFileSync(join(ROOT, LINE_CHECKS_FILE), 'utf8')).toBe(lineChecksSource(LINE_SCHEMAS));
    expect(Object.keys(LINE_CHECKS)).toEqual(Object.keys(LINE_SCHEMAS));
  });

  it("decide as TypeBox's compiled checks on the demo profile's lines and on each of them broken in one place", () => {
    const profile = join(tmp(), 'profile.json');
    const r = cli(['profile', ...DEMO_SOURCES, '-o', profile, '-q']);
    expect(r.code, r.stderr).toBe(0);
    // The demo's nodes carry no spec.providerID: a node that is an EC2 instance, as a profile made on EKS holds it.
    const lines = [
      ...profileLinesOf(profile),
      { nodeInstance: { node: 'ip-10-0-1-23.ec2.internal', instanceId: 'i-0a1b2c3d4e5f60718' } },
    ];
    const compiled = new Map<LineKind, ReturnType<typeof TypeCompiler.Compile>>();
    const seen = new Set<LineKind>();
    let fit = 0;
    let misfit = 0;
    for (const line of lines) {
      const kind = kindOf(line);
      seen.add(kind);
      let c = compiled.get(kind);
      if (!c) compiled.set(kind, (c = TypeCompiler.Compile(LINE_SCHEMAS[kind])));
      expect(checks[kind](line), `${kind}: ${JSON.stringify(line).slice(0, 200)}`).toBe(true);
      for (const b of broken(line)) {
        const want = c.Check(b);
        if (checks[kind](b) !== want)
          expect.fail(`${kind}: generated ${!want}, compiled ${want} on ${JSON.stringify(b).slice(0, 300)}`);
        if (want) fit++;
        else misfit++;
      }
    }
    // The demo holds every kind of line but the left-out identities, and the changes go both ways.
    expect([...seen].sort()).toEqual(
      Object.keys(LINE_SCHEMAS)
        .filter((k) => k !== 'leftOut')
        .sort(),
    );
    expect(misfit).toBeGreaterThan(100_000);
    expect(fit).toBeGreaterThan(10_000);
  });
});
