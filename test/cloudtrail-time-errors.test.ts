import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import { ERROR_CODES, errorClass } from '../src/knowledge/aws/errorCodes.js';
import { mergeEvidence, type Evidence } from '../src/model/evidence.js';
import { EvidenceAccumulator } from '../src/model/evidenceStore.js';
import type { InputIssue } from '../src/model/issue.js';
import type { Profile } from '../src/model/profile.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { normalizeTime, readTime } from '../src/util/time.js';
import { readProfileFile } from './helpers/profile.js';
import { cli, ROOT, rng, shuffle, tmp } from './helpers/cli.js';

const LAKE = join(ROOT, 'test/fixtures/cloudtrail-lake/query-results.jsonl');
const lakeRecords = (): Record<string, unknown>[] =>
  readFileSync(LAKE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const first = lakeRecords()[0]!;

function decode(v: unknown): (AwsCallObservation | InputIssue)[] {
  const out: (AwsCallObservation | InputIssue)[] = [];
  decodeCloudTrailValue(v, { file: 'lake.jsonl', line: 4 }, (x) => out.push(x as AwsCallObservation | InputIssue));
  return out;
}
const calls = (xs: (AwsCallObservation | InputIssue)[]) =>
  xs.filter((x): x is AwsCallObservation => x.kind === 'aws-call');
const notices = (xs: (AwsCallObservation | InputIssue)[]) => xs.filter((x): x is InputIssue => x.kind === 'issue');

describe('record times: RFC 3339 and the forms exports give', () => {
  it.each([
    // CloudTrail Lake, Athena: a space, no zone, fractions of any length (nanoseconds cut, never rounded)
    ['2022-09-15 13:45:24', '2022-09-15T13:45:24.000000Z', false],
    ['2022-09-15 13:45:24.000', '2022-09-15T13:45:24.000000Z', false],
    ['2022-09-15 13:45:24.1', '2022-09-15T13:45:24.100000Z', false],
    ['2022-09-15 13:45:24.123456789', '2022-09-15T13:45:24.123456Z', false],
    ['2022-09-15T13:45:24.999999999', '2022-09-15T13:45:24.999999Z', false],
    // Snowflake, Splunk, Trino: offsets without a colon or after a space, hours only, the zone by name
    ['2022-09-15T15:45:24+0200', '2022-09-15T13:45:24.000000Z', false],
    ['2022-09-15 15:45:24.000 +0200', '2022-09-15T13:45:24.000000Z', false],
    ['2022-09-15 10:45:24 -03', '2022-09-15T13:45:24.000000Z', false],
    ['2022-09-15 13:45:24.000 UTC', '2022-09-15T13:45:24.000000Z', false],
    // RFC 3339 itself, the space of its section 5.6 and lower-case letters included
    ['2022-09-15T13:45:24Z', '2022-09-15T13:45:24.000000Z', true],
    ['2022-09-15 13:45:24Z', '2022-09-15T13:45:24.000000Z', true],
    ['2022-09-15t13:45:24.5z', '2022-09-15T13:45:24.500000Z', true],
    ['2022-09-15T15:45:24.25+02:00', '2022-09-15T13:45:24.250000Z', true],
    ['2022-12-31T23:30:00-01:00', '2023-01-01T00:30:00.000000Z', true],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000000Z', true],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000000Z', true],
  ])('%s → %s (RFC 3339: %s)', (input, time, rfc3339) => {
    expect(readTime(input)).toEqual({ time, rfc3339 });
    expect(normalizeTime(input)).toBe(rfc3339 ? time : undefined);
  });

  it.each([
    '2022-02-30 00:00:00',
    '2023-02-29T00:00:00Z',
    '2022-09-15 24:00:00',
    '2022-09-15 13:60:00',
    '2022-09-15T13:45:60Z',
    '2022-09-15T13:45Z',
    '2022-09-15T13:45:24+24:00',
    '2022-9-15 13:45:24',
    'noon',
    '',
  ])('%j is no time', (input) => {
    expect(readTime(input)).toBeUndefined();
  });
});

describe('CloudTrail eventTime: never a reason to drop the record', () => {
  it.each([
    ['2026-11-03 09:15:02.123', '2026-11-03T09:15:02.123000Z', ['cloudtrail.time-form']],
    ['2026-11-03T09:15:02Z', '2026-11-03T09:15:02.000000Z', []],
    ['yesterday', '', ['cloudtrail.bad-time']],
    [1762161302, '', ['cloudtrail.bad-time']],
    ['', '', ['cloudtrail.no-time']],
    [undefined, '', ['cloudtrail.no-time']],
  ])('eventTime %j → kept, time %j, notices %j', (eventTime, time, codes) => {
    const out = decode({ ...first, eventTime });
    expect(calls(out)).toMatchObject([{ eventName: 'GetObject', time, decision: 'allow' }]);
    expect(notices(out).map((n) => [n.code, n.level, n.file, n.line])).toEqual(
      codes.map((c) => [c, 'notice', 'lake.jsonl', 4]),
    );
  });
});

describe('error codes (knowledge/aws/errorCodes.ts)', () => {
  const withCode = (errorCode: string) => calls(decode({ ...first, errorCode }))[0]!.decision;

  it.each(ERROR_CODES.denied.flatMap((c) => [c, `Client.${c}`]))('%s: refused by a policy → denied evidence', (c) => {
    expect(errorClass(c)).toBe('denied');
    expect(withCode(c)).toBe('deny');
  });

  it.each(ERROR_CODES.unauthenticated.flatMap((c) => [c, `Client.${c}`]))(
    '%s: never reached a policy → counted apart, never granted',
    (c) => {
      expect(errorClass(c)).toBe('unauthenticated');
      expect(withCode(c)).toBe('unauthenticated');
    },
  );

  it.each([
    '',
    'NoSuchKey',
    'NoSuchBucket',
    'ResourceNotFoundException',
    'ValidationException',
    'ThrottlingException',
    'ConditionalCheckFailedException',
    'TransactionCanceledException',
    'Client.DryRunOperation',
    'InternalFailure',
    'ServiceUnavailable',
  ])('%j: the permission check passed → allowed', (c) => {
    expect(errorClass(c)).toBe('passed');
    expect(withCode(c)).toBe('allow');
  });

  it('the three classes do not overlap, and the documented codes of each are in it', () => {
    const denied = new Set(ERROR_CODES.denied);
    expect(ERROR_CODES.unauthenticated.filter((c) => denied.has(c))).toEqual([]);
    for (const c of ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError'])
      expect(denied.has(c)).toBe(true);
    for (const c of [
      'ExpiredToken',
      'ExpiredTokenException',
      'InvalidClientTokenId',
      'AuthFailure',
      'RequestExpired',
      'SignatureDoesNotMatch',
      'UnrecognizedClientException',
      'VpceAccessDenied',
      'IncompleteSignature',
      'MissingAuthenticationToken',
      'InvalidToken',
      'TokenRefreshRequired',
    ])
      expect(ERROR_CODES.unauthenticated).toContain(c);
  });
});

/** `profile` on the given paths, as JSON. */
async function profile(args: string[]): Promise<{ code: number; stderr: string; json: Profile }> {
  const out = join(tmp(), 'p.json');
  const r = cli(['profile', ...args, '-o', out]);
  return {
    code: r.code,
    stderr: r.stderr,
    json: r.code === 0 ? await readProfileFile(out) : ({} as Profile),
  };
}

describe('a CloudTrail Lake–style export (test/fixtures/cloudtrail-lake)', () => {
  it('every record is counted, none dropped for its time; notices name what was read how', async () => {
    const r = await profile(['--cloudtrail', LAKE, '--on-error', 'fail']);
    expect(r.code, r.stderr).toBe(0);
    const src = r.json.sources[0]!;
    expect(src).toMatchObject({ records: 18, issues: 0, issueSamples: [], notices: 4 });
    expect(src.noticeSamples!.map((n: InputIssue) => [n.code, n.line])).toEqual([
      ['cloudtrail.time-form', 1],
      ['cloudtrail.no-time', 9],
      ['cloudtrail.no-time', 10],
      ['cloudtrail.bad-time', 11],
    ]);
    expect(src.noticeSamples![0]!.message).toMatch(/^14 records in this file like this one/);
    expect(r.stderr).toMatch(/4 notices: the records were kept/);
    expect(r.stderr).not.toMatch(/input issue/);
    expect(r.json.skipped).toEqual({ 'authentication-failure': 1, 'no-permission': 1 });
    const [role] = r.json.principals;
    const edges = role!.aws!;
    const counted = edges.reduce((n, e) => n + (e.allowed?.count ?? 0) + (e.denied?.count ?? 0), 0);
    expect(counted + 2).toBe(18);
    const daily = edges.find(
      (e) => e.eventName === 'GetObject' && e.resources.some((x: string) => x.endsWith('daily.csv')),
    )!;
    // Eight timed records and three without a time: all counted, only the timed ones set first and last seen.
    expect(daily.allowed).toMatchObject({
      count: 11,
      firstSeen: '2026-11-03T09:15:02.000000Z',
      lastSeen: '2026-11-03T09:15:08.000000Z',
    });
    expect(daily.allowed!.samples.map((s: { time: string }) => s.time)).toEqual([
      '2026-11-03T09:15:02.000000Z',
      '2026-11-03T09:15:02.100000Z',
      '2026-11-03T09:15:03.000000Z',
    ]);
    expect(r.json.window).toEqual({ start: '2026-11-03T09:15:02.000000Z', end: '2026-11-03T09:26:00.500000Z' });
  });

  it('--since/--until: a timeless record is kept (its time is unknown, not outside the window); a held-out backtest window leaves it to training', async () => {
    const r = await profile(['--cloudtrail', LAKE, '--since', '2026-11-03T09:20:00Z']);
    expect(r.code, r.stderr).toBe(0);
    const daily = r.json.principals[0]!.aws!.find(
      (e) => e.eventName === 'GetObject' && e.resources.some((x) => x.endsWith('daily.csv')),
    )!;
    // The eight timed reads of reports/daily.csv are before the window; the three without a time stay.
    expect(daily.allowed).toMatchObject({ count: 3, firstSeen: '', lastSeen: '' });
    expect(r.json.skipped['outside-window']).toBe(8);
    // backtest reads its held-out window with untimed: 'skip', so a timeless record is replayed never, trained on once.
    const window = { since: { kind: 'absolute' as const, time: '2026-11-03T09:20:00.000000Z' } };
    expect(new Scope({ ...defaultScope(), ...window }).timeSkip('')).toBeUndefined();
    expect(new Scope({ ...defaultScope(), ...window, untimed: 'skip' }).timeSkip('')).toBe('outside-window');
  });

  it('generates what the records needed, and nothing for the expired token', () => {
    const out = tmp();
    const r = cli(['generate', 'iam', '--cloudtrail', LAKE, '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const doc = readFileSync(join(out, 'iam/111122223333/role/lake-reader.json'), 'utf8');
    for (const a of [
      's3:GetObject',
      'sqs:SendMessage',
      'lambda:InvokeFunction',
      'dynamodb:PutItem',
      'dynamodb:ConditionCheckItem',
    ])
      expect(doc).toContain(`"${a}"`);
    expect(doc).toContain('table/lake-jobs');
    expect(doc).toContain('table/lake-locks');
    expect(doc).not.toContain('s3:PutObject');
  });
});

/** The profile without `sources` (the one part that depends on the file layout: line numbers, paths). */
const graph = (p: Profile) => JSON.stringify({ ...p, sources: [] });

describe('timeless records: counted, first and last seen unmoved, exact in any order', () => {
  const recs = () => {
    const base = lakeRecords();
    const extra = ['c', 'a', 'b', 'd'].map((id, i) => ({
      ...base[0],
      eventID: `timeless-${id}`,
      requestParameters: { bucketName: 'acme-lake-exports', key: 'reports/rare.csv' },
      resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::acme-lake-exports/reports/rare.csv' }],
      eventTime: i === 3 ? '2026-11-04 00:00:00.000001' : i === 0 ? undefined : 'not a time',
    }));
    return [...base, ...extra];
  };

  it('reversed and shuffled, in one file or four, with 1 or 3 workers: the same profile', async () => {
    const orders = [recs(), [...recs()].reverse(), shuffle(recs(), rng(7)), shuffle(recs(), rng(8))];
    const seen = new Set<string>();
    for (const [k, rs] of orders.entries()) {
      const dir = tmp();
      const q = Math.ceil(rs.length / 4);
      const parts = [rs.slice(0, q), rs.slice(q, 2 * q), rs.slice(2 * q, 3 * q), rs.slice(3 * q)];
      writeFileSync(join(dir, 'a.jsonl'), parts[0]!.map((x) => JSON.stringify(x)).join('\n') + '\n');
      writeFileSync(join(dir, 'b.json'), JSON.stringify({ Records: parts[1] }, null, 2));
      writeFileSync(join(dir, 'c.jsonl.gz'), gzipSync(parts[2]!.map((x) => JSON.stringify(x)).join('\n')));
      writeFileSync(join(dir, 'd.json.gz'), gzipSync(JSON.stringify({ Records: parts[3] })));
      const bytes: string[] = [];
      for (const workers of ['1', '3']) {
        const r = await profile(['--cloudtrail', dir, '--workers', workers]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.json.sources.reduce((n: number, s: { records: number }) => n + s.records, 0)).toBe(22);
        bytes.push(JSON.stringify(r.json));
        seen.add(graph(r.json));
      }
      expect(bytes[1], `order ${k}: 1 and 3 workers`).toBe(bytes[0]);
    }
    expect(seen.size).toBe(1);
    const p = JSON.parse([...seen][0]!);
    const rare = p.principals[0].aws.find((e: { resources: string[] }) =>
      e.resources.some((x) => x.endsWith('rare.csv')),
    );
    // One timed record and three without: samples by (time, id), the timeless after the timed, by id.
    expect(rare.allowed).toEqual({
      count: 4,
      firstSeen: '2026-11-04T00:00:00.000001Z',
      lastSeen: '2026-11-04T00:00:00.000001Z',
      stages: { ResponseComplete: 4 },
      samples: [
        { id: 'timeless-d', time: '2026-11-04T00:00:00.000001Z' },
        { id: 'timeless-a', time: '' },
        { id: 'timeless-b', time: '' },
      ],
    });
  });

  it('evidence with timeless records merges exactly: any split, any order', () => {
    const adds: [string, string][] = [
      ['e1', '2026-11-03T09:00:00.000000Z'],
      ['t3', ''],
      ['e2', '2026-11-03T08:00:00.000000Z'],
      ['t1', ''],
      ['t2', ''],
    ];
    const build = (xs: [string, string][]): Evidence => {
      const acc = new EvidenceAccumulator();
      for (const [id, time] of xs) acc.add('ResponseComplete', time, id);
      return acc.toEvidence();
    };
    const whole = build(adds);
    expect(whole).toMatchObject({
      count: 5,
      firstSeen: '2026-11-03T08:00:00.000000Z',
      lastSeen: '2026-11-03T09:00:00.000000Z',
    });
    expect(whole.samples).toEqual([
      { id: 'e2', time: '2026-11-03T08:00:00.000000Z' },
      { id: 'e1', time: '2026-11-03T09:00:00.000000Z' },
      { id: 't1', time: '' },
    ]);
    const r = rng(3);
    for (let i = 0; i < 20; i++) {
      const xs = shuffle(adds, r);
      const cut = 1 + Math.floor(r() * (xs.length - 1));
      const a = build(xs.slice(0, cut));
      const b = build(xs.slice(cut));
      expect(mergeEvidence(a, b)).toEqual(whole);
      expect(mergeEvidence(b, a)).toEqual(whole);
    }
    expect(build(adds.filter(([, t]) => t === ''))).toMatchObject({ count: 3, firstSeen: '', lastSeen: '' });
  });
});
