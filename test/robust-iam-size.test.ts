// IAM size (issue 17): policies packed into as few managed policies as the 6,144-character limit allows, and a
// warning naming the count, the limit and the widening that fixes it when a principal needs more than AWS attaches
// (10 managed policies to a role or user; 20 with a quota increase).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitPolicy, type Statement } from '../src/generate/iam/policy.js';
import { cli, tmp } from './helpers/cli.js';
import { mdRead } from './helpers/markdown.js';

const ACCOUNT = '111122223333';
const LIMIT = 6144;
/** Size as IAM counts it, from the document as written (white space between tokens not counted). */
const size = (doc: unknown) => JSON.stringify(doc).length;

/** A CloudTrail S3 data event (the documented shape: bucketName and key in requestParameters) by role `etl`. */
function s3Event(i: number, eventName: string, key: string): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEETL:s',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/etl/s`,
      accountId: ACCOUNT,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEETL',
          arn: `arn:aws:iam::${ACCOUNT}:role/etl`,
          accountId: ACCOUNT,
          userName: 'etl',
        },
      },
    },
    eventTime: `2026-11-02T08:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`,
    eventSource: 's3.amazonaws.com',
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '10.0.0.1',
    userAgent: 'aws-sdk-go-v2/1.30.3',
    requestParameters: { bucketName: 'acme-lake', key },
    responseElements: null,
    requestID: `req-${i}`,
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    readOnly: eventName === 'GetObject',
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Data',
  };
}

/** Five letters from a number: stable object names (no date, id or number the generator would fold). */
const word = (n: number) =>
  Array.from({ length: 5 }, (_, k) => String.fromCharCode(97 + (Math.floor(n / 26 ** k) % 26))).join('');
const FOLDERS = ['icons', 'photo', 'thumb', 'fonts', 'pages'];

const stmt = (sid: string, actions: string[], resources: string[] | '*'): Statement => ({
  Sid: sid,
  Effect: 'Allow',
  Action: actions,
  Resource: resources,
});
/** Every (action, resource) a set of statements allows. */
const pairs = (ss: Statement[]) =>
  ss.flatMap((s) => s.Action.flatMap((a) => (s.Resource === '*' ? ['*'] : s.Resource).map((r) => `${a} ${r}`))).sort();

describe('packing statements into managed policies', () => {
  it('packs largest first into the room left, where the old in-order packing opened a document per statement', () => {
    // Three statements of about 2,000 characters, then three of about 3,800 (the generator's order is by action):
    // in order, two small ones share a document and each large one is left alone; largest first, each large one
    // takes a small one beside it.
    const arn = (g: number, i: number) => `arn:aws:sqs:eu-west-1:${ACCOUNT}:queue-${g}-${String(i).padStart(4, '0')}`;
    const ss: Statement[] = [];
    for (let g = 0; g < 6; g++) {
      const n = g < 3 ? 40 : 76;
      ss.push(
        stmt(
          `SqsAccess${g + 1}`,
          [`sqs:Action${g}`],
          Array.from({ length: n }, (_, i) => arn(g, i)),
        ),
      );
    }
    const docs = splitPolicy(ss);
    for (const d of docs) expect(size(d)).toBeLessThanOrEqual(LIMIT);
    expect(docs).toHaveLength(3);
    // Nothing lost, nothing added, no statement split (each fits beside another).
    expect(pairs(docs.flatMap((d) => d.Statement))).toEqual(pairs(ss));
    expect(docs.flatMap((d) => d.Statement.map((s) => s.Sid)).sort()).toEqual(ss.map((s) => s.Sid).sort());
    // Deterministic: the same statements give the same documents.
    expect(JSON.stringify(splitPolicy(ss))).toBe(JSON.stringify(docs));
  });

  it('splits a statement of many actions on `*` by its actions (the old packing wrote one document over the limit)', () => {
    const actions = Array.from({ length: 600 }, (_, i) => `ec2:DescribeSomethingNumber${word(i)}`);
    const docs = splitPolicy([stmt('Ec2Access1', actions, '*')]);
    expect(docs.length).toBeGreaterThan(1);
    for (const d of docs) expect(size(d)).toBeLessThanOrEqual(LIMIT);
    expect(pairs(docs.flatMap((d) => d.Statement))).toEqual(pairs([stmt('x', actions, '*')]));
  });
});

describe('a role with 20,000 distinct S3 keys', () => {
  it('takes the fewest managed policies the limit allows, each under it, and says it needs more than AWS attaches', () => {
    const dir = tmp();
    const n = 20_000;
    const records = Array.from({ length: n }, (_, i) =>
      s3Event(i, 'GetObject', `assets/${FOLDERS[i % 5]}/${word(i)}.png`),
    );
    writeFileSync(join(dir, 'ct.json'), JSON.stringify({ Records: records }));
    const out = tmp();
    const r = cli(['generate', 'iam', '--cloudtrail', dir, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const roleDir = join(out, 'iam', ACCOUNT, 'role');
    const docs = readdirSync(roleDir).map((f) => JSON.parse(readFileSync(join(roleDir, f), 'utf8')));
    for (const d of docs) expect(size(d)).toBeLessThanOrEqual(LIMIT);
    // The minimum: every ARN is as long as the others (`arn:aws:s3:::acme-lake/assets/icons/abcde.png`), and a
    // document holds at most k of them: its one statement with the shortest Sid and Action, and k quoted ARNs
    // with commas. A document of the packing holds as many (the part number in a Sid fits in the slack).
    const arnLength = JSON.stringify(`arn:aws:s3:::acme-lake/assets/icons/abcde.png`).length;
    const empty = size({
      Version: '2012-10-17',
      Statement: [{ Sid: 'S3Access1', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [] }],
    });
    const k = Math.floor((LIMIT - empty + 1) / (arnLength + 1));
    expect((LIMIT - empty + 1) % (arnLength + 1)).toBeGreaterThanOrEqual('Part999'.length);
    expect(docs).toHaveLength(Math.ceil(n / k));
    const granted = docs.flatMap((d) => d.Statement.flatMap((s: Statement) => s.Resource));
    expect(new Set(granted).size).toBe(n);
    expect(granted).toHaveLength(n);

    // The warning: principal, count, limit, the largest groups and the widening that brings it under 10.
    const needs = docs.length;
    expect(r.stderr).toContain(
      `too many policies to attach: arn:aws:iam::${ACCOUNT}:role/etl needs ${needs} managed policies: AWS attaches 10 to a role or user (20 with a quota increase)`,
    );
    expect(r.stderr).toMatch(/Largest: s3:GetObject on 4,000 resources under arn:aws:s3:::acme-lake\/assets\/\w+\//);
    // 4,000 keys under each of five folders: the largest N that folds them is 3,999.
    expect(r.stderr).toContain('Fix: --s3-prefix-wildcard 3999 would bring it to 1 (a listed widening)');
    const evidence = JSON.parse(readFileSync(join(out, 'evidence/iam', ACCOUNT, 'role', 'etl.json'), 'utf8'));
    expect(evidence.attachment).toMatchObject({
      policies: needs,
      limit: 10,
      fix: { option: 's3-prefix-wildcard', value: 3999, policies: 1 },
    });
    expect(evidence.policyFiles).toHaveLength(needs);

    // The fix it names does what it says, and then no warning.
    const fixed = cli(['generate', 'iam', '--cloudtrail', dir, '--s3-prefix-wildcard', '3999']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(Object.keys(JSON.parse(fixed.stdout)).filter((p) => p.includes('/role/'))).toHaveLength(1);
    expect(fixed.stderr).not.toContain('too many policies');
  }, 120_000);

  it("says so in the reviewer's report, among its coverage warnings", () => {
    const dir = tmp();
    // 2,000 keys: about 17 managed policies.
    const records = Array.from({ length: 2_000 }, (_, i) =>
      s3Event(i, 'PutObject', `assets/${FOLDERS[i % 5]}/${word(i)}.png`),
    );
    writeFileSync(join(dir, 'ct.json'), JSON.stringify({ Records: records }));
    const md = join(tmp(), 'report.md');
    const rep = cli(['report', '--cloudtrail', dir, '-o', md, '-q']);
    expect(rep.code, rep.stderr).toBe(0);
    expect(mdRead(readFileSync(md, 'utf8'))).toMatch(
      /too many policies: arn:aws:iam::111122223333:role\/etl needs 1\d managed policies: AWS attaches 10 .*Fix: --s3-prefix-wildcard 399 would bring it to 1/,
    );
  });
});
