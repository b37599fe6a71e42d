import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readTree, ROOT, tmp } from './helpers/cli.js';

/**
 * The output of `generate all` on fixtures/demo, pinned: the policies as files under test/golden/demo/
 * (a change to them shows in review as a diff of the policies themselves), the evidence and the
 * `--exact` tree as SHA-256 manifests. A change of output is a decision: rerun with UPDATE_GOLDEN=1
 * and commit what it writes.
 */
const GOLDEN = join(ROOT, 'test/golden/demo');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const D = join(ROOT, 'fixtures/demo');
const SOURCES = [
  '--k8s-audit',
  `${D}/k8s-audit`,
  '--cloudtrail',
  `${D}/cloudtrail`,
  '--flows',
  `${D}/flows`,
  '--inventory',
  `${D}/inventory`,
];

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const manifest = (tree: Record<string, string>) =>
  Object.keys(tree)
    .sort()
    .map((p) => `${sha(tree[p]!)}  ${p}`)
    .join('\n') + '\n';

function generate(extra: string[]): Record<string, string> {
  const out = join(tmp('a2p-golden-'), 'out');
  const r = cli(['generate', 'all', ...SOURCES, '-o', out, '-q', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return readTree(out);
}

function writeGolden(rel: string, content: string): void {
  mkdirSync(dirname(join(GOLDEN, rel)), { recursive: true });
  writeFileSync(join(GOLDEN, rel), content);
}

describe('golden tree: generate all on fixtures/demo', () => {
  it('the policies, byte for byte, and the evidence by hash', () => {
    const tree = generate([]);
    const policies = Object.fromEntries(Object.entries(tree).filter(([p]) => !p.startsWith('evidence/')));
    const evidence = Object.fromEntries(Object.entries(tree).filter(([p]) => p.startsWith('evidence/')));
    if (UPDATE) {
      rmSync(GOLDEN, { recursive: true, force: true });
      for (const [p, c] of Object.entries(policies)) writeGolden(join('tree', p), c);
      writeGolden('evidence.sha256', manifest(evidence));
    }
    expect(policies).toEqual(readTree(join(GOLDEN, 'tree')));
    expect(manifest(evidence)).toBe(readFileSync(join(GOLDEN, 'evidence.sha256'), 'utf8'));
  });

  it('--exact, by hash (the output without generalization)', () => {
    const m = manifest(generate(['--exact']));
    if (UPDATE) writeGolden('exact.sha256', m);
    expect(m).toBe(readFileSync(join(GOLDEN, 'exact.sha256'), 'utf8'));
  });
});
