import { describe, expect, it } from 'vitest';
import { dump, load } from 'js-yaml';
import { dumpDocument, needsQuoting } from '../src/emit/yamlQuote.js';
import { toYamlDocuments, yamlDocument } from '../src/emit/yaml.js';
import { mulberry32 } from '../scripts/lib/prng.js';

// The YAML writer lays out blocks itself and asks js-yaml only for string styles (src/emit/yaml.ts). Whatever
// the document, its text must be what js-yaml's dump with the project's options writes, with the strings a reader
// could not see as they are swapped for their double-quoted forms (`dumpDocument`), byte for byte: the policies and
// evidence `generate` writes must not change with how fast they are written.
const OPTIONS = { lineWidth: -1, noRefs: true } as const;

/** Strings a log can carry, chosen for YAML: every indicator, implicit type, quote, control and layout breaker. */
const STRINGS = [
  '',
  ' ',
  'a',
  'n',
  'N',
  'y',
  'yes',
  'No',
  'off',
  'ON',
  'null',
  'Null',
  '~',
  'true',
  'True',
  'FALSE',
  '0',
  '007',
  '0x1F',
  '0o17',
  '1e3',
  '1_000',
  '+1',
  '-1',
  '.5',
  '.inf',
  '-.Inf',
  '.nan',
  'NaN',
  'Infinity',
  'nullable',
  'trueish',
  '-',
  '- a',
  '-a',
  '---',
  '--- x',
  '---x',
  '...',
  '... x',
  '? x',
  ':',
  'a: b',
  'a:b',
  'a #b',
  'a#b',
  '#c',
  '@x',
  '`x',
  '%x',
  '!x',
  '&x',
  '*x',
  '|',
  '>',
  '[x]',
  '{x}',
  'a,b',
  "it's",
  '"q"',
  'a\tb',
  'a\\b',
  'a\u2028b',
  '\u2029',
  '\u202eevil',
  '\ufeffbom',
  'nul\u0000',
  '\u001b[31mred',
  '\u0085',
  '\u00a0nbsp',
  'ключ',
  '键',
  '😀',
  '\ud800',
  'x'.repeat(1100),
  'multi\nline',
  'multi\n\nlines\n',
  'trailing ',
  ' leading',
  '2026-11-02T00:00:13.341278Z',
  '2026-11-02T00:00:13Z',
  '2026-11-02T00:00:13.123456789Z',
  '2026-11-02',
  '2026-11-02 00:00:13',
  '12:30:00',
  '1:20',
  '<<',
  '=',
  'app.kubernetes.io/name',
  'rbac.authorization.k8s.io',
  'cm-156d-22500',
  'system:serviceaccount:shop:cart',
  'audit2policy:serviceaccount:team-15:svc-7',
  '26bcb7f7-4526-41d3-a1af-d83517899919',
  '26BCB7F7-4526-41D3-A1AF-D83517899919',
  '12345678-1234-1234-1234-123456789012',
  'abcdef',
  'abcde',
  'a.b.',
  'a/b',
  '/healthz',
  'arn:aws:s3:::bucket/*',
  '*',
  'e1',
  'E5',
  'Zz9._/-x',
];

const NUMBERS = [0, 1, -1, 42, 2 ** 53 - 1, -(2 ** 53 - 1), 1.5, -0, 1e21, 0.1];

const KEYS = STRINGS.filter((k) => !/^(?:---|\.\.\.)(?=$|[ \t])/.test(k));

function randomDoc(r: () => number, depth: number, top = true): unknown {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const x = r();
  if (depth <= 0 || x < 0.45) {
    const y = r();
    if (y < 0.7) return pick(STRINGS);
    if (y < 0.85) return pick(NUMBERS);
    if (y < 0.95) return r() < 0.5;
    return null;
  }
  const n = Math.floor(r() * 4);
  if (x < 0.7) {
    const o: Record<string, unknown> = {};
    // (A top-level key is a document's schema's own, never a document marker: that case has a test of its own.)
    for (let i = 0; i < n; i++) o[pick(top ? KEYS : STRINGS)] = randomDoc(r, depth - 1, false);
    return o;
  }
  return Array.from({ length: n }, () => randomDoc(r, depth - 1, false));
}

const hasMarkerKey = (doc: object) =>
  !Array.isArray(doc) && Object.keys(doc).some((k) => /^(?:---|\.\.\.)(?=$|[ \t])/.test(k));

describe('YAML documents', () => {
  it('every string of the table, as a value, an item and a key, is written as js-yaml writes it', () => {
    for (const s of STRINGS) {
      for (const doc of [{ k: s }, [s], { [s]: s }, { a: { b: [s, { c: s }] } }, [[s]], [{ [s]: [s] }]]) {
        if (!hasMarkerKey(doc)) expect(yamlDocument(doc), JSON.stringify(doc)).toBe(dumpDocument(doc));
        expect(load(yamlDocument(doc)), JSON.stringify(doc)).toEqual(doc);
      }
    }
  });

  it('numbers, booleans, null, empty collections and undefined fields are written as js-yaml writes them', () => {
    const docs: unknown[] = [
      { n: NUMBERS, b: [true, false], z: null },
      {},
      [],
      { a: [], b: {}, c: [[], {}], d: [{}, []] },
      { skip: undefined, keep: 1 },
      { only: undefined },
      [1, [2, [3, [4]]]],
      Object.assign(Object.create(null) as Record<string, unknown>, { bare: 'object' }),
      { when: new Date(0) },
    ];
    for (const d of docs) expect(yamlDocument(d), String(JSON.stringify(d))).toBe(dumpDocument(d));
  });

  it('5,000 random documents of those strings: the same bytes, and they read back to the same value', () => {
    const r = mulberry32(2026);
    for (let i = 0; i < 5000; i++) {
      const doc = randomDoc(r, 4);
      if (typeof doc !== 'object' || doc === null) continue;
      const text = yamlDocument(doc);
      expect(text, JSON.stringify(doc)).toBe(dumpDocument(doc));
      expect(load(text)).toEqual(doc);
    }
  });

  it('a top-level key YAML would take for a document marker is quoted, and reads back', () => {
    for (const k of ['--- x', '... x', '---', '...']) {
      const text = yamlDocument({ [k]: 'v', kind: 'Role' });
      expect(text.split('\n')[0]).toMatch(/^'/);
      expect(load(text)).toEqual({ [k]: 'v', kind: 'Role' });
      // Below the top level the key is not at a line's start, and js-yaml's text is kept.
      expect(yamlDocument({ a: { [k]: 1 } })).toBe(dumpDocument({ a: { [k]: 1 } }));
      // A document js-yaml writes whole (one holding an object of a class) would come out broken: refused instead.
      expect(() => yamlDocument({ [k]: new Date(0) })).toThrow(/document marker/);
    }
  });

  it("strings a reader could not see as they are are double-quoted with escapes; the others are js-yaml's own", () => {
    const hidden = STRINGS.filter(needsQuoting);
    expect(hidden.length).toBeGreaterThan(8);
    for (const s of hidden) {
      const line = yamlDocument({ k: s });
      expect(line, JSON.stringify(s)).toMatch(/^k: "/);
      // One line, and nothing in it a reader could not see.
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(needsQuoting(line.slice(0, -1)), line).toBe(false);
      expect(load(line)).toEqual({ k: s });
    }
    for (const s of STRINGS.filter((x) => !needsQuoting(x)))
      expect(yamlDocument({ k: s })).toBe(dump({ k: s }, OPTIONS));
  });

  it('documents are joined with ---, each written on its own', () => {
    const docs = [
      { kind: 'Role', rules: [{ verbs: ['get'] }] },
      { kind: 'RoleBinding', x: 'multi\nline' },
    ];
    expect(toYamlDocuments(docs)).toBe(docs.map((d) => dumpDocument(d)).join('---\n'));
  });
});
