// Huge strings in records (issue 17: 20 lines whose `kind` was a 30 MB string wrote 300 MB to stderr, then
// "Invalid string length"): each such record is one counted input issue, quoted in at most 120 characters, so
// stderr and the profile stay small whatever the records hold; the rest of the file is read.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

describe('a huge string where a record names its kind', () => {
  it('20 lines of a 2 MB kind: one issue counting them, stderr and profile under 4 KB, the good record read', async () => {
    const dir = tmp();
    const event = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: 'a1',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/shop/configmaps/web-config',
      verb: 'get',
      user: { username: 'system:serviceaccount:shop:web', groups: ['system:serviceaccounts'] },
      objectRef: { resource: 'configmaps', namespace: 'shop', name: 'web-config', apiVersion: 'v1' },
      responseStatus: { code: 200 },
      requestReceivedTimestamp: '2026-11-02T08:00:00.000000Z',
      stageTimestamp: '2026-11-02T08:00:00.100000Z',
    };
    const huge = 'K'.repeat(2_000_000);
    const lines = [
      ...Array.from({ length: 20 }, (_, i) => JSON.stringify({ ...event, kind: huge + i })),
      JSON.stringify(event),
    ];
    writeFileSync(join(dir, 'audit.log'), lines.join('\n') + '\n');
    const out = join(tmp(), 'profile.json');
    const r = cli(['profile', '--k8s-audit', dir, '-o', out]);
    expect(r.code, r.stderr.slice(0, 2000)).toBe(0);
    expect(r.stderr.length).toBeLessThan(4096);
    expect(r.stderr).toMatch(/audit\.log:1: k8s\.wrong-kind: .*K{100}….* \(and 19 more records like it/);
    const text = readFileSync(out, 'utf8');
    expect(text.length).toBeLessThan(4096);
    const profile = await readProfileFile(out);
    // One issue for the input, its message counting the other 19 records it stands for.
    expect(profile.sources[0]!.issueSamples.map((i) => i.message).join('\n')).toMatch(/and 19 more records like it/);
    expect(profile.principals.map((p) => p.username)).toEqual(['system:serviceaccount:shop:web']);
  });
});
