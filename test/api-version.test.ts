import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_VERSION, PROFILE_API_VERSION } from '../src/model/profile.js';
import { cli, ROOT, tmp } from './helpers/cli.js';

/**
 * Every JSON document a command prints carries `apiVersion` as its first key (`API_VERSION`, src/model/profile.ts;
 * the profile its own, `PROFILE_API_VERSION`); NDJSON carries it on every line, as a line may travel alone.
 */
const DEMO = join(ROOT, 'fixtures/demo');
const DAY = join(DEMO, 'k8s-audit/kube-apiserver-audit-2026-11-02.log.gz');
const dir = tmp('a2p-apiversion-');
const profile = join(dir, 'profile.json');
const policy = join(dir, 'policy');
const made = [
  cli(['profile', '--k8s-audit', DAY, '--cloudtrail', join(DEMO, 'cloudtrail'), '-o', profile, '-q']),
  cli(['generate', 'all', '--profile', profile, '-o', policy, '-q']),
];

/** A JSON document's keys begin with apiVersion, the one constant. */
function versioned(text: string): Record<string, unknown> {
  const doc = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(doc)[0]).toBe('apiVersion');
  expect(doc['apiVersion']).toBe(API_VERSION);
  return doc;
}

/** Every NDJSON line, each versioned; at least one. */
function versionedLines(text: string): Record<string, unknown>[] {
  const lines = text.split('\n').filter(Boolean);
  expect(lines.length).toBeGreaterThan(0);
  return lines.map(versioned);
}

describe('apiVersion in every JSON output', () => {
  it('the profile has its own (v1alpha2, JSON lines: its header line); every other document the one constant', () => {
    expect(made.map((r) => r.code)).toEqual([0, 0]);
    expect(API_VERSION).toBe('audit2policy.dev/v1alpha1');
    expect(PROFILE_API_VERSION).toBe('audit2policy.dev/v1alpha2');
    const header = JSON.parse(readFileSync(profile, 'utf8').split('\n')[0]!) as Record<string, unknown>;
    expect(Object.keys(header).slice(0, 2)).toEqual(['apiVersion', 'kind']);
    expect([header['apiVersion'], header['kind']]).toEqual([PROFILE_API_VERSION, 'Profile']);
  });

  it('verify --format json', () => {
    const r = cli(['verify', '--policies', policy, '--profile', profile, '--format', 'json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(versioned(r.stdout)['observed']).toBeGreaterThan(0);
  });

  it('diff --format json and ndjson', () => {
    const head = join(tmp(), 'policy');
    cpSync(policy, head, { recursive: true });
    const f = join(head, 'rbac/shop/serviceaccount.shop.web.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace(/( {6}- get\n)/, '$1      - delete\n'));
    const j = cli(['diff', policy, head, '--format', 'json', '-q']);
    expect(j.code, j.stderr).toBe(1);
    expect((versioned(j.stdout)['newAccess'] as unknown[]).length).toBeGreaterThan(0);
    const n = cli(['diff', policy, head, '--format', 'ndjson', '-q']);
    expect(versionedLines(n.stdout).map((l) => l['type'])).toContain('new-access');
    // Unchanged: still a versioned document.
    expect(versioned(cli(['diff', policy, policy, '--format', 'json', '-q']).stdout)).toMatchObject({ newAccess: [] });
  });

  it('check --format json and ndjson', () => {
    // Scoped to one subject, the others' grants are unused: findings to print.
    const args = ['check', '--policies', policy, '--profile', profile, '--subject', 'system:serviceaccount:shop:web'];
    const j = cli([...args, '--format', 'json', '-q']);
    expect(j.code, j.stderr).toBe(0);
    expect((versioned(j.stdout)['unused'] as unknown[]).length).toBeGreaterThan(0);
    const n = cli([...args, '--format', 'ndjson', '-q']);
    // Unused grants, and the listed widenings check keeps apart from them (DNS over TCP beside the UDP used).
    const types = versionedLines(n.stdout).map((l) => l['type']);
    expect(types).toContain('unused');
    expect(types.every((t) => t === 'unused' || t === 'kept-widening')).toBe(true);
  });

  it('backtest --format json', () => {
    const r = cli([
      'backtest',
      '--k8s-audit',
      join(DEMO, 'k8s-audit'),
      '--split',
      '2026-11-08T00:00:00Z',
      '--format',
      'json',
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(versioned(r.stdout)).slice(1, 3)).toEqual(['train', 'test']);
  });

  it('the evidence of every kind carries it too', () => {
    const rbac = readFileSync(join(policy, 'evidence/rbac/shop/serviceaccount.shop.web.yaml'), 'utf8');
    expect(rbac.split('\n')[0]).toBe(`apiVersion: ${API_VERSION}`);
  });
});
