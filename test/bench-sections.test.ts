// docs/performance.md is rewritten by `npm run bench`: the measured sections are replaced, and "Where the time
// goes", written by hand, is carried over from the document as it was (scripts/bench/sections.js).
import { describe, expect, it } from 'vitest';
import { scaleSections, sectionOf, spliceSections } from '../scripts/bench/sections.js';

const section = sectionOf;
const splice = spliceSections;
const measure = scaleSections;

const before = `# Performance

## Figures

| old | 1 |

## Where the time goes

- written by hand, with a \`## \` inside a line
- and a second bullet

## How to run

npm run bench
`;

const regenerated = `# Performance

## Figures

| new | 2 |

## Where the time goes

- the default text

## How to run

npm run bench
`;

describe('the benchmark document', () => {
  it('keeps the hand-written section and takes every measured one from the new run', () => {
    const kept = section(before, 'Where the time goes')!;
    expect(kept).toBe(
      '## Where the time goes\n\n- written by hand, with a `## ` inside a line\n- and a second bullet\n',
    );
    const out = splice(regenerated, { 'Where the time goes': kept });
    expect(out).toBe(before.replace('| old | 1 |', '| new | 2 |'));
  });

  it('finds no section that is not there, and a last section runs to the end', () => {
    expect(section(before, 'Backtest on the demo')).toBeUndefined();
    expect(section(before, 'How to run')).toBe('## How to run\n\nnpm run bench\n');
  });

  it('measures a section by name under the title its text has, so it replaces that section in place', async () => {
    const root = new URL('..', import.meta.url).pathname;
    const out = await measure({ root, which: ['backtest'] });
    expect(Object.keys(out)).toEqual(['Backtest on the demo']);
    const text = out['Backtest on the demo']!;
    expect(section('# P\n\n' + text, 'Backtest on the demo')).toBe(text.endsWith('\n') ? text : text + '\n');
    expect(text).toMatch(/breakage|denied/i);
    await expect(measure({ root, which: ['floor'] })).rejects.toThrow(/unknown section floor/);
  }, 120_000);
});
