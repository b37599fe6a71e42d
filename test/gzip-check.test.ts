import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, removeTmp, tmp } from './helpers/cli.js';

/**
 * gzip checks its data only at a member's end (CRC-32), after zlib has handed on the bytes before it. A bit flipped in
 * a stored block decodes without complaint to a name that was never seen; the file's records must wait for the check.
 * Level 0 writes stored blocks, so the flip below lands in a name exactly.
 */
afterAll(removeTmp);

const dir = tmp('a2p-gzcheck-');

function event(i: number, name = 'db-password'): string {
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `5d1c1f3e-0000-4000-8000-${String(i).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/shop/secrets/${name}`,
    verb: 'get',
    user: { username: 'system:serviceaccount:shop:web', groups: ['system:serviceaccounts', 'system:authenticated'] },
    objectRef: { resource: 'secrets', namespace: 'shop', name, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2026-11-02T10:00:00.000000Z',
    stageTimestamp: '2026-11-02T10:00:00.002000Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  });
}

/** `n` events as stored (level 0) gzip, and the same bytes with one bit flipped in the first objectRef name. */
function files(n: number): { good: Buffer; bad: Buffer } {
  const good = gzipSync(Array.from({ length: n }, (_, i) => event(i)).join('\n') + '\n', { level: 0 });
  const bad = Buffer.from(good);
  const at = bad.indexOf('"name":"db-password"') + '"name":"d'.length;
  bad[at] = bad[at]! ^ 0x01; // db-password → dc-password: still valid JSON, still a name
  return { good, bad };
}

function profile(args: string[], input?: Buffer) {
  const out = join(dir, `p-${Math.random().toString(36).slice(2)}.json`);
  const r = cli(['profile', ...args, '-o', out], input ? { input } : {});
  return { ...r, text: r.code === 0 ? readFileSync(out, 'utf8') : '' };
}

describe('a gzip file that fails its check gives no record', () => {
  // 1,000 events: ~0.5 MB, checked by its own reading (held whole). 4,000 events: ~2 MB, checked by the checker thread.
  for (const [label, n] of [
    ['a small file, held whole', 1000],
    ['a large file, checked beside its reading', 4000],
  ] as const) {
    it(label, () => {
      const { good, bad } = files(n);
      const goodPath = join(dir, `good-${n}.log.gz`);
      const badPath = join(dir, `bad-${n}.log.gz`);
      writeFileSync(goodPath, good);
      writeFileSync(badPath, bad);

      const ok = profile(['--k8s-audit', goodPath]);
      expect(ok.code).toBe(0);
      expect(ok.text).toContain('"db-password"');
      expect(ok.stderr).toContain(`${n.toLocaleString('en-US')} records`);

      const r = profile(['--k8s-audit', badPath]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(
        /bad-\d+\.log\.gz:\d+: gzip\.corrupt: gzip data is corrupt after line \d+: incorrect data check/,
      );
      expect(r.stderr).toContain('the file is left out whole');
      expect(r.stderr).toContain(', 0 records,');
      // Neither the flipped name nor any of the file's other records is granted.
      expect(r.text).not.toContain('dc-password');
      expect(r.text).not.toContain('"db-password"');
      expect(r.text).not.toContain('system:serviceaccount:shop:web');
    });
  }

  it('with other files, under any worker count: the others are read, the same bytes', () => {
    const { bad } = files(4000);
    const other = gzipSync(event(1, 'api-token') + '\n');
    writeFileSync(join(dir, 'mixed-bad.log.gz'), bad);
    writeFileSync(join(dir, 'mixed-ok.log.gz'), other);
    const paths = [join(dir, 'mixed-bad.log.gz'), join(dir, 'mixed-ok.log.gz')];
    const one = profile(['--k8s-audit', ...paths, '--workers', '1']);
    const two = profile(['--k8s-audit', ...paths.reverse(), '--workers', '2']);
    expect(one.text).toContain('"api-token"');
    expect(one.text).not.toContain('password"');
    expect(two.text).toBe(one.text);
  });

  it('on stdin, read once: held, then left out', () => {
    const { bad } = files(4000);
    const r = profile(['--k8s-audit', '-'], bad);
    expect(r.stderr).toMatch(/-:\d+: gzip\.corrupt: .*the file is left out whole: its [\d,]+ records decoded before/);
    expect(r.text).not.toContain('password"');
  });

  it('a file cut short is still read up to its break: no check exists to hold it to', () => {
    const { good } = files(4000);
    const cut = join(dir, 'cut.log.gz');
    writeFileSync(cut, good.subarray(0, good.length >> 1));
    const r = profile(['--k8s-audit', cut]);
    expect(r.stderr).toMatch(/cut\.log\.gz:\d+: gzip\.truncated/);
    expect(r.stderr).not.toContain('gzip.corrupt');
    expect(r.text).toContain('"db-password"');
  });
});
