// Hostile strings from logs, the second round (after ADR 0008 and issue 17): values that pass the platform's name rules
// or reach an output by another road. Each table row is an input a log can carry and what must (not) come of it.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resourceArnProblem } from '../src/knowledge/aws/names.js';
import { objectNameProblem, userNameProblem, usernameProblem } from '../src/knowledge/kubernetes/names.js';
import { cli, tmp } from './helpers/cli.js';

/** One allowed `get configmaps/NAME` in namespace shop per username, as the API server logs it (audit.k8s.io/v1). */
function auditLog(users: string[]): string {
  return (
    users
      .map((username, i) => {
        const ts = new Date(Date.parse('2026-11-09T00:00:00Z') + i * 1000).toISOString().replace('Z', '000Z');
        return JSON.stringify({
          kind: 'Event',
          apiVersion: 'audit.k8s.io/v1',
          level: 'Metadata',
          auditID: `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`,
          stage: 'ResponseComplete',
          requestURI: `/api/v1/namespaces/shop/configmaps/cfg${i}`,
          verb: 'get',
          user: { username, groups: ['system:authenticated'] },
          sourceIPs: ['10.0.0.1'],
          userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/abcdef',
          objectRef: { resource: 'configmaps', namespace: 'shop', name: `cfg${i}`, apiVersion: 'v1' },
          responseStatus: { metadata: {}, code: 200 },
          requestReceivedTimestamp: ts,
          stageTimestamp: ts,
          annotations: { 'authorization.k8s.io/decision': 'allow' },
        });
      })
      .join('\n') + '\n'
  );
}

function writeLog(users: string[]): { dir: string; log: string } {
  const dir = tmp('a2p-hostile-');
  const log = join(dir, 'audit.log');
  writeFileSync(log, auditLog(users));
  return { dir, log };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

// ---- 1. Unpaired UTF-16 surrogates -----------------------------------------------------------------------------
// JSON may write `\ud800` alone; no API server or AWS service does (Go and AWS write UTF-8, and text that is not
// UTF-8 becomes U+FFFD). Once written to a file as UTF-8 every unpaired surrogate is U+FFFD, so two distinct names
// became one file and one subject: `generate rbac` stopped with an internal error ("written twice").
const LONE = [
  ['a high surrogate alone', 'alice\ud800'],
  ['a low surrogate alone', 'alice\udc00'],
  ['a low surrogate before a high one', 'alice\udc00\ud800'],
  ['a high surrogate at the start', '\udbffbob'],
] as const;

describe('unpaired surrogates in names', () => {
  it.each(LONE)('%s is refused as a Kubernetes user, object name and resource ARN', (_, v) => {
    expect(userNameProblem(v)).toBeDefined();
    expect(usernameProblem(v)).toBeDefined();
    expect(objectNameProblem(v)).toBeDefined();
    expect(resourceArnProblem(`arn:aws:s3:::bucket/${v}`)).toBeDefined();
  });

  it('a pair is a character like any other: 💥 in a user name and an S3 key passes', () => {
    expect(userNameProblem('alice💥')).toBeUndefined();
    expect(resourceArnProblem('arn:aws:s3:::bucket/💥.txt')).toBeUndefined();
  });

  it('generate rbac: the records are input issues at their lines, the other users get their files', () => {
    const { dir, log } = writeLog(['alice\ud800', 'alice\ud801', 'bob']);
    const out = join(dir, 'out');
    const r = cli(['generate', 'rbac', '--k8s-audit', log, '-o', out]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/audit\.log:1\b/);
    expect(r.stderr).toMatch(/audit\.log:2\b/);
    expect(filesUnder(join(out, 'rbac'))).toEqual(['shop/user.bob.yaml']);
    expect(readFileSync(join(out, 'rbac/shop/user.bob.yaml'), 'utf8')).not.toMatch(/\ufffd/);
  });
});
