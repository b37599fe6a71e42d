import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { cli, tmp } from './helpers/cli.js';
import { profileOfText } from './helpers/profile.js';

function event(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  const sa = ['web', 'cart', 'api'][i % 3];
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/shop/configmaps/cfg-${i % 4}`,
    verb: 'get',
    user: {
      username: `system:serviceaccount:shop:${sa}`,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'],
    },
    objectRef: { resource: 'configmaps', namespace: 'shop', name: `cfg-${i % 4}`, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: new Date(Date.UTC(2026, 10, 2) + i * 3_600_000).toISOString(),
    stageTimestamp: new Date(Date.UTC(2026, 10, 2) + i * 3_600_000 + 5).toISOString(),
    ...over,
  };
}
const jsonl = (evs: unknown[]) => evs.map((e) => JSON.stringify(e)).join('\n') + '\n';

describe('input formats', () => {
  it('reads JSON lines, EventLists, pretty-printed documents, gzip (by content, any name) and stdin alike', () => {
    const evs = Array.from({ length: 12 }, (_, i) => event(i));
    const dir = tmp();
    writeFileSync(join(dir, 'lines.log'), jsonl(evs.slice(0, 3)));
    writeFileSync(
      join(dir, 'batch.json'),
      JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: evs.slice(3, 6) }),
    );
    writeFileSync(join(dir, 'pretty.json'), JSON.stringify({ kind: 'EventList', items: evs.slice(6, 8) }, null, 2));
    writeFileSync(join(dir, 'zipped.txt'), gzipSync(jsonl(evs.slice(8, 10))));
    const one = cli(['generate', 'rbac', '--k8s-audit', dir, '-', '-q'], { input: gzipSync(jsonl(evs.slice(10))) });
    expect(one.code).toBe(0);
    const all = cli(['generate', 'rbac', '--k8s-audit', '-', '-q'], { input: jsonl(evs) });
    expect(all.code).toBe(0);
    expect(one.stdout).toBe(all.stdout);
    expect(all.stdout).toContain('cfg-3');
  });

  it('skips what is no log at all with a notice, and reports bad lines with file and line, going on', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'README.md'), '# notes\n');
    writeFileSync(join(dir, 'archive.zip'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]));
    writeFileSync(
      join(dir, 'audit.log'),
      jsonl([event(1)]) + '{"kind":"Event", broken\n' + jsonl([event(2)]) + '{"kind":"Pod"}\n',
    );
    const full = gzipSync(jsonl([event(3), event(4), event(5)]));
    writeFileSync(join(dir, 'cut.gz'), full.subarray(0, full.length - 12));
    const r = cli(['profile', '--k8s-audit', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/notice: skipped .*README\.md: not a log: text that is not JSON/);
    expect(r.stderr).toMatch(/notice: skipped .*archive\.zip: not a log: zip archive/);
    expect(r.stderr).toMatch(/audit\.log:2: json\.malformed/);
    expect(r.stderr).toMatch(/audit\.log:4: k8s\.wrong-kind/);
    expect(r.stderr).toMatch(/cut\.gz:\d+: gzip\.truncated/);
    const profile = await profileOfText(r.stdout);
    const src = Object.fromEntries(profile.sources.map((s: { path: string }) => [s.path.split('/').pop(), s]));
    expect(src['audit.log']).toMatchObject({ records: 2, issues: 2 });
    expect(src['README.md']).toMatchObject({ format: 'skipped' });
    expect(src['cut.gz'].issues).toBe(1);
  });

  it('with --on-error fail, bad input stops the run with exit 2 and no output', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'audit.log'), jsonl([event(1)]) + 'nonsense\n');
    const r = cli(['generate', 'rbac', '--k8s-audit', dir, '--on-error', 'fail']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/audit\.log:2: json\.malformed/);
  });

  it('applies --since as a duration back from the newest event, and as an RFC 3339 time', async () => {
    const evs = Array.from({ length: 48 }, (_, i) =>
      event(i, { user: { username: `system:serviceaccount:shop:sa-${i}` } }),
    );
    const dir = tmp();
    writeFileSync(join(dir, 'a.log'), jsonl(evs));
    const subjects = async (args: string[]) => {
      const r = cli(['profile', '--k8s-audit', dir, '-q', ...args]);
      expect(r.code).toBe(0);
      return (await profileOfText(r.stdout)).principals.length;
    };
    expect(await subjects([])).toBe(48);
    expect(await subjects(['--since', '10h'])).toBe(11);
    expect(await subjects(['--since', '2026-11-03T00:00:00Z', '--until', '2026-11-03T05:00:00Z'])).toBe(6);
  });

  it('gives the same profile bytes for 1 worker and for byte ranges split across 3 workers', async () => {
    const dir = tmp();
    const evs = Array.from({ length: 3000 }, (_, i) =>
      event(i, { objectRef: { resource: 'configmaps', namespace: `ns-${i % 17}`, name: `c-${i % 29}` } }),
    );
    writeFileSync(join(dir, 'big.log'), jsonl(evs) + 'not json\n' + jsonl(evs.slice(0, 10)));
    const run = (workers: number) =>
      ingest({ k8sAudit: [dir], scope: new Scope(defaultScope()), workers, cwd: '/', splitBytes: 64 * 1024 });
    const one = await run(1);
    const three = await run(3);
    expect(serializeProfile(three.profile)).toBe(serializeProfile(one.profile));
    expect(three.issues).toEqual([expect.objectContaining({ line: 3001, code: 'json.malformed' })]);
  });

  it.each([
    [['generate', 'rbac'], /no input/],
    [['generate', 'rbac', '--k8s-audit', '/nonexistent/x.log'], /cannot read \/nonexistent\/x\.log/],
    [['profile', '--k8s-audit', '-', '--since', 'last tuesday'], /--since: "last tuesday" is neither/],
    [['profile', '--k8s-audit', '-', '--subject-kind', 'robot'], /unknown kind "robot"/],
    [['profile', '--k8s-audit', '-', '--workers', '0'], /--workers/],
    [['profile', '--bogus'], /unknown option/],
    [['verify', '--k8s-audit', '-'], /--policies/],
    [['generate', 'rbac', '--k8s-audit', '-', '--profile', 'p.json'], /either --profile or log sources/],
  ])('usage error %j exits 2 with one line', (args, msg) => {
    const r = cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('leaves files it did not write in the output directory alone, and says so', () => {
    const out = tmp();
    mkdirSync(join(out, 'rbac/shop'), { recursive: true });
    writeFileSync(join(out, 'rbac/shop/hand-written.yaml'), 'kind: Role\n');
    const r = cli(['generate', 'rbac', '--k8s-audit', '-', '-o', out], { input: jsonl([event(1)]) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/hand-written\.yaml .* was not written by audit2policy .*: left alone/);
    expect(readFileSync(join(out, 'rbac/shop/hand-written.yaml'), 'utf8')).toBe('kind: Role\n');
  });
});
