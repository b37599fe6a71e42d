import { describe, expect, it } from 'vitest';
import { labelSelectorMatches, selectorCovers, type LabelSelector } from '../src/util/labels.js';
import { rng } from './helpers/cli.js';

// `selectorCovers(outer, inner)` lets diff call a broad peer old when the other side opens it for a selection that
// takes in every pod this one does. It must be sound: every label set inner matches, outer matches. Checked here
// against `labelSelectorMatches` over every label set of a small universe, on random selectors.

const KEYS = ['app', 'tier'];
const VALUES = ['a', 'b', 'c'];
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** Every label set over KEYS and VALUES, a key absent too. */
function* labelSets(): Generator<Record<string, string>> {
  for (const app of [undefined, ...VALUES])
    for (const tier of [undefined, ...VALUES]) yield { ...(app ? { app } : {}), ...(tier ? { tier } : {}) };
}

describe('selectorCovers', () => {
  it('is sound on 3,000 random pairs, and says yes where it should', () => {
    const r = rng(20261207);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const selector = (): LabelSelector => {
      const matchLabels: Record<string, string> = {};
      if (r() < 0.4) matchLabels[pick(KEYS)] = pick(VALUES);
      const matchExpressions = Array.from({ length: Math.floor(r() * 3) }, () => {
        const operator = pick(OPERATORS);
        const values = operator === 'In' || operator === 'NotIn' ? VALUES.filter(() => r() < 0.5) : [];
        return { key: pick(KEYS), operator, values: values.length || operator.endsWith('xist') ? values : ['a'] };
      });
      return { matchLabels, matchExpressions };
    };
    let covered = 0;
    let wider = 0;
    for (let i = 0; i < 3000; i++) {
      const outer = selector();
      const inner = selector();
      if (!selectorCovers(outer, inner)) continue;
      covered++;
      const sets = [...labelSets()];
      for (const labels of sets)
        if (labelSelectorMatches(inner, labels))
          expect(labelSelectorMatches(outer, labels), JSON.stringify({ outer, inner, labels })).toBe(true);
      if (sets.some((l) => labelSelectorMatches(outer, l) && !labelSelectorMatches(inner, l))) wider++;
    }
    // Not vacuous: many pairs are judged covered, some of them strictly wider.
    expect(covered).toBeGreaterThan(300);
    expect(wider).toBeGreaterThan(100);
  });

  it('matchLabels and In of one value cover each other; In of more covers one; NotIn by In of others', () => {
    const sel = (matchExpressions: LabelSelector['matchExpressions'], matchLabels = {}) => ({
      matchLabels,
      matchExpressions,
    });
    const inOf = (...values: string[]) => sel([{ key: 'app', operator: 'In', values }]);
    expect(selectorCovers(sel([], { app: 'a' }), inOf('a'))).toBe(true);
    expect(selectorCovers(inOf('a'), sel([], { app: 'a' }))).toBe(true);
    expect(selectorCovers(inOf('a', 'b'), inOf('a'))).toBe(true);
    expect(selectorCovers(inOf('a'), inOf('a', 'b'))).toBe(false);
    expect(selectorCovers(sel([{ key: 'app', operator: 'NotIn', values: ['c'] }]), inOf('a', 'b'))).toBe(true);
    expect(selectorCovers(sel([{ key: 'app', operator: 'NotIn', values: ['c'] }]), sel([]))).toBe(false);
    expect(selectorCovers(sel([]), inOf('a'))).toBe(true);
    // An operator it does not know covers nothing and is covered by nothing but the empty selector.
    expect(selectorCovers(sel([{ key: 'app', operator: 'Gt', values: ['1'] }]), inOf('a'))).toBe(false);
  });
});
