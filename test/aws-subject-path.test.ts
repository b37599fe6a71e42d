import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

/**
 * `--subject`/`--exclude-subject` on an AWS role decide per principal, on its final ARN. An assumed-role record with
 * its `sessionContext.sessionIssuer` shows the role's ARN with its path; one without shows only the session ARN
 * (`arn:aws:sts::<account>:assumed-role/<role>/<session>`: the role without its path), and both are one principal
 * (account and name). Globs were matched against each record's ARN, so a path glob left out the records with an
 * issuer and kept those without (a policy was still generated for the excluded role), and `--subject` dropped the
 * path-less records of a role it selected.
 */
const A = '111122223333';
const WORKER = `arn:aws:iam::${A}:role/apps/worker`;
const OTHER = `arn:aws:iam::${A}:role/other`;
type Rec = Record<string, unknown>;

function identity(role: string, path: string, session: string, issuer: boolean): Rec {
  const u: Rec = {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE${role.toUpperCase()}:${session}`,
    arn: `arn:aws:sts::${A}:assumed-role/${role}/${session}`,
    accountId: A,
  };
  if (issuer)
    u['sessionContext'] = {
      sessionIssuer: {
        type: 'Role',
        principalId: `AROAEXAMPLE${role.toUpperCase()}`,
        arn: `arn:aws:iam::${A}:role${path}${role}`,
        accountId: A,
        userName: role,
      },
      attributes: { creationDate: '2026-11-05T08:00:00Z', mfaAuthenticated: 'false' },
    };
  return u;
}

function send(userIdentity: Rec, id: string, queue: string, time: string, errorCode?: string): Rec {
  return {
    eventVersion: '1.09',
    userIdentity,
    eventTime: time,
    eventSource: 'sqs.amazonaws.com',
    eventName: 'SendMessage',
    awsRegion: 'eu-west-1',
    eventID: id,
    recipientAccountId: A,
    requestParameters: { queueUrl: `https://sqs.eu-west-1.amazonaws.com/${A}/${queue}`, messageBody: 'x' },
    ...(errorCode ? { errorCode, errorMessage: 'The security token included in the request is expired' } : {}),
  };
}

// The worker's records with their issuer in one file, without it in another (the earliest and the latest records of
// all, so a window that kept them would show it), one of each refused as unauthenticated; the other role in both.
const pathless = [
  send(identity('worker', '/apps/', 'run-2', false), 'w3', 'jobs', '2026-11-01T00:00:00Z'),
  send(identity('worker', '/apps/', 'run-2', false), 'w4', 'jobs', '2026-11-09T00:00:00Z'),
  send(identity('worker', '/apps/', 'run-2', false), 'w5', 'jobs', '2026-11-05T12:00:00Z', 'ExpiredToken'),
  send(identity('other', '/', 'o', true), 'o2', 'other-q', '2026-11-05T11:00:00Z'),
];
const issued = [
  send(identity('worker', '/apps/', 'run-1', true), 'w1', 'jobs', '2026-11-05T10:00:00Z'),
  send(identity('worker', '/apps/', 'run-1', true), 'w2', 'jobs', '2026-11-05T10:30:00Z'),
  send(identity('worker', '/apps/', 'run-1', true), 'w6', 'jobs', '2026-11-05T10:40:00Z', 'ExpiredToken'),
  send(identity('other', '/', 'o', true), 'o1', 'other-q', '2026-11-05T09:00:00Z'),
  send(identity('other', '/', 'o', true), 'o3', 'other-q', '2026-11-05T09:30:00Z', 'ExpiredToken'),
];

/** The records in two files, in the given order of files (and of the records in each). */
function logs(order: 'ab' | 'ba'): string {
  const dir = tmp();
  mkdirSync(join(dir, 'ct'));
  const lines = (rs: Rec[]) => (order === 'ab' ? rs : [...rs].reverse()).map((r) => JSON.stringify(r)).join('\n');
  writeFileSync(join(dir, 'ct', order === 'ab' ? 'a.jsonl' : 'b.jsonl'), lines(pathless) + '\n');
  writeFileSync(join(dir, 'ct', order === 'ab' ? 'b.jsonl' : 'a.jsonl'), lines(issued) + '\n');
  return join(dir, 'ct');
}

interface Line {
  principal?: { username: string };
  aws?: unknown[];
  allowed?: unknown[];
  window?: { start: string; end: string };
  skipped?: Record<string, number>;
}

/** `profile` with a filter, every worker count and file order: the same bytes each time; its lines. */
function profile(filter: string[]): { text: string; lines: Line[] } {
  let first: string | undefined;
  for (const order of ['ab', 'ba'] as const)
    for (const workers of ['1', '2']) {
      const out = join(tmp(), 'p.json');
      const r = cli(['profile', '--cloudtrail', logs(order), ...filter, '--workers', workers, '-o', out, '-q']);
      expect(r.code, r.stderr).toBe(0);
      // The same bytes but the header's sources (the files' paths and sizes differ with the order).
      const [header, ...rest] = readFileSync(out, 'utf8').split('\n');
      const { sources: _sources, ...head } = JSON.parse(header!) as Record<string, unknown>;
      const text = [JSON.stringify(head), ...rest].join('\n');
      if (first === undefined) first = text;
      else expect(text, `${order}, ${workers} workers`).toBe(first);
    }
  return {
    text: first!,
    lines: first!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line),
  };
}

const usernames = (lines: Line[]) => lines.filter((l) => l.principal).map((l) => l.principal!.username);
/** The allowed count of each call line, in order. */
const counts = (lines: Line[]) => lines.filter((l) => l.aws).map((l) => (l.allowed as number[])[0]);

describe('--subject and --exclude-subject decide per AWS principal, on its ARN with the path a record showed', () => {
  it('unfiltered, the role is one principal with all its records (the baseline)', () => {
    const { lines } = profile([]);
    expect(usernames(lines)).toEqual([OTHER, WORKER]);
    expect(counts(lines)).toEqual([2, 4]);
    expect(lines[0]!.skipped).toEqual({ 'authentication-failure': 3 });
    expect(lines[0]!.window).toEqual({ start: '2026-11-01T00:00:00.000000Z', end: '2026-11-09T00:00:00.000000Z' });
  });

  it('--exclude-subject on the path leaves out every record of the role, with or without its issuer', () => {
    const { lines } = profile(['--exclude-subject', 'arn:aws:iam::*:role/apps/*']);
    expect(usernames(lines)).toEqual([OTHER]);
    expect(counts(lines)).toEqual([2]);
    // Its 6 records (2 of them unauthenticated) are subject-filter's, as they would be had every record shown the path.
    expect(lines[0]!.skipped).toEqual({ 'authentication-failure': 1, 'subject-filter': 6 });
    // The window spans the records in scope only.
    expect(lines[0]!.window).toEqual({ start: '2026-11-05T09:00:00.000000Z', end: '2026-11-05T11:00:00.000000Z' });
  });

  it('--subject on the path keeps every record of the role it selects', () => {
    const { lines } = profile(['--subject', 'arn:aws:iam::*:role/apps/*']);
    expect(usernames(lines)).toEqual([WORKER]);
    expect(counts(lines)).toEqual([4]);
    expect(lines[0]!.skipped).toEqual({ 'authentication-failure': 2, 'subject-filter': 3 });
    expect(lines[0]!.window).toEqual({ start: '2026-11-01T00:00:00.000000Z', end: '2026-11-09T00:00:00.000000Z' });
  });

  it('a glob on the ARN without its path matches neither (the principal is named with its path)', () => {
    const { lines } = profile(['--subject', `arn:aws:iam::${A}:role/worker`]);
    expect(usernames(lines)).toEqual([]);
    expect(lines[0]!.skipped).toEqual({ 'subject-filter': 9 });
  });

  it('generate iam writes no policy for an excluded role, and the whole policy for a selected one', () => {
    const out = join(tmp(), 'out');
    const g = cli([
      'generate',
      'iam',
      '--cloudtrail',
      logs('ab'),
      '--exclude-subject',
      'arn:aws:iam::*:role/apps/*',
      '-o',
      out,
      '-q',
    ]);
    expect(g.code, g.stderr).toBe(0);
    expect(existsSync(join(out, 'iam', A, 'role', 'worker.json'))).toBe(false);
    expect(existsSync(join(out, 'iam', A, 'role', 'other.json'))).toBe(true);
    const v = cli([
      'verify',
      '--policies',
      out,
      '--cloudtrail',
      logs('ba'),
      '--subject',
      'arn:aws:iam::*:role/apps/*',
      '--format',
      'json',
    ]);
    // The selected role's calls, all of them, are judged against a tree without its policy.
    const report = JSON.parse(v.stdout) as { notAllowed: { subject: string; evidence: { count: number } }[] };
    expect(report.notAllowed.map((f) => [f.subject, f.evidence.count])).toEqual([[WORKER, 4]]);
  });
});
