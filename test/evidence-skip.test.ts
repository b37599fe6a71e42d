// The evidence files `generate` writes beside its policies are skipped unparsed when policies are loaded (most of a
// generated tree's bytes). Skipping must never hide a policy: a text is skipped only when it can be nothing but one
// evidence document, and any edit that could carry a policy (another document, another top-level key, a top-level
// flow mapping) makes it read as before.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllPolicies } from '../src/kinds/index.js';
import { isOwnEvidence, loadPolicyDocs, parsePolicyText, type PolicyDoc } from '../src/policy/load.js';
import type { InputIssue } from '../src/model/issue.js';
import { cli, DEMO_SOURCES, rng, tmp } from './helpers/cli.js';

let out: string;
let evidence: { file: string; text: string }[];

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));

beforeAll(() => {
  out = join(tmp(), 'out');
  const r = cli(['generate', 'all', ...DEMO_SOURCES, '-o', out, '-q']);
  expect(r.code, r.stderr).toBe(0);
  evidence = walk(join(out, 'evidence'))
    .filter((f) => f.endsWith('.yaml'))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}, 120_000);

/** What the policy readers take from a text: the documents of every kind they claim. */
function claimed(text: string): number {
  const docs: PolicyDoc[] = [];
  const issues: InputIssue[] = [];
  parsePolicyText('x.yaml', text, docs, issues);
  return [...readAllPolicies(docs).values()].reduce((n, p) => n + p.count, 0);
}

// Lines an edit might add: policies and the YAML that could start one, and harmless nested lines.
const HOSTILE = [
  '---',
  '--- ',
  '...',
  '%YAML 1.2',
  '# a comment',
  'kind: Role',
  'Statement: [{Effect: Allow, Action: "*", Resource: "*"}]',
  '{kind: ClusterRole}',
  '- kind: Role',
  'rules: []',
  'denied: []',
  'subject: other',
  '"kind": Role',
  '\tkind: Role',
  '? kind',
  '<<: {kind: Role}',
  '  - nested: value',
  '    more: 1',
  '',
];
const ROLE = [
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: ClusterRole',
  'metadata: {name: hidden}',
  'rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]',
];

describe('evidence files are skipped only when they can hold nothing else', () => {
  it('recognises every evidence file generate wrote, and no policy file', () => {
    expect(evidence.length).toBeGreaterThan(20);
    expect(new Set(evidence.map((e) => e.text.split('\n')[1]))).toEqual(
      new Set(['kind: Evidence', 'kind: NetworkPolicyEvidence']),
    );
    for (const e of evidence) expect(isOwnEvidence(e.text), e.file).toBe(true);
    const policies = walk(out).filter((f) => !f.includes('/evidence/') && /\.(ya?ml|json)$/.test(f));
    expect(policies.length).toBeGreaterThan(20);
    for (const f of policies) expect(isOwnEvidence(readFileSync(f, 'utf8')), f).toBe(false);
  });

  it('reads a policy hidden in an evidence file: after a separator, or as top-level keys', () => {
    const text = evidence.find((e) =>
      e.text.startsWith('apiVersion: audit2policy.dev/v1alpha1\nkind: Evidence\n'),
    )!.text;
    for (const hidden of [
      `${text}---\n${ROLE.join('\n')}\n`,
      `${text}...\n---\n${ROLE.join('\n')}\n`,
      `${text}Statement:\n  - {Effect: Allow, Action: "*", Resource: "*"}\n`,
      text.replace('kind: Evidence\n', 'kind: Evidence\nkind: Role\n'),
      text.replace('\nsubject: ', '\nsubject: a\nsubject: '),
      `\ufeff${text}`,
      text.replace(/\n/g, '\r\n'),
    ]) {
      expect(isOwnEvidence(hidden)).toBe(false);
    }
    expect(claimed(`${text}---\n${ROLE.join('\n')}\n`)).toBe(1);
  });

  it('accepts an edited text only when YAML reads it as one evidence document no policy reader claims', () => {
    const r = rng(0x0e71de);
    let accepted = 0;
    let refused = 0;
    for (let round = 0; round < 3000; round++) {
      const e = evidence[Math.floor(r() * evidence.length)]!;
      const lines = e.text.split('\n');
      const edits = 1 + Math.floor(r() * 3);
      for (let k = 0; k < edits; k++) {
        const at = 2 + Math.floor(r() * (lines.length - 2));
        const line = r() < 0.2 ? ROLE[Math.floor(r() * ROLE.length)]! : HOSTILE[Math.floor(r() * HOSTILE.length)]!;
        lines.splice(at, r() < 0.3 ? 1 : 0, line);
      }
      const text = lines.join('\n');
      if (!isOwnEvidence(text)) {
        refused++;
        continue;
      }
      accepted++;
      // Accepted: what YAML makes of it (if anything) is one mapping of the evidence kind, claimed by no kind.
      let docs: unknown[];
      try {
        docs = loadAll(text) as unknown[];
      } catch {
        continue; // an edit that broke the YAML: skipping it hides nothing a reader would take
      }
      const objects = docs.filter((d) => d !== null && d !== undefined);
      expect(objects.length, text).toBe(1);
      expect((objects[0] as Record<string, unknown>)['kind'], text).toBe(e.text.split('\n')[1]!.slice(6));
      expect(claimed(text), text).toBe(0);
    }
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(1000);
  });

  it('verify names the skipped evidence and the tree’s own files apart from documents it ignores, and judges as before', async () => {
    const loaded = await loadPolicyDocs([out], process.cwd());
    expect(loaded.evidence).toBe(evidence.length);
    expect(loaded.docs.some((d) => d.file.includes('/evidence/') && d.file.endsWith('.yaml'))).toBe(false);
    const r = cli(['verify', '--policies', out, ...DEMO_SOURCES]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^OK: (\d+) of \1 observed accesses allowed/);
    // The YAML evidence skipped and the IAM evidence (JSON) read: all counted as evidence; the tree's IAM index,
    // kustomization and manifest named; nothing of a tree `generate -o` wrote is "ignored".
    const besides = /\(besides: (\d+) evidence documents, 1 IAM index, 1 kustomization, 1 output manifest\)\n/.exec(
      r.stderr,
    );
    expect(besides, r.stderr).not.toBeNull();
    expect(Number(besides![1])).toBeGreaterThan(evidence.length);
    expect(r.stderr).not.toMatch(/ignored/);
    // A document no kind reads is still said.
    writeFileSync(join(out, 'extra.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    const more = cli(['verify', '--policies', out, ...DEMO_SOURCES]);
    expect(more.stderr).toMatch(/output manifest; other documents ignored: 1\)\n/);
  });
});
