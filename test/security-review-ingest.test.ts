import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';

// Security review of the day's ingest changes: hostile log content is a counted issue naming the file and line, never
// a crash that loses the whole input, and never a value chosen silently among two.

const everyone = () =>
  new Scope({ ...defaultScope(), includeSystem: true, subjectKinds: ['ServiceAccount', 'User', 'Group'] });

async function read(flag: 'k8sAudit' | 'cloudtrail', path: string) {
  return ingest({
    k8sAudit: flag === 'k8sAudit' ? [path] : [],
    ...(flag === 'cloudtrail' ? { cloudtrail: [path] } : {}),
    scope: everyone(),
    workers: 1,
    cwd: ROOT,
  });
}

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app`;
const cloudTrail = (eventSource: string, eventName: string, params: Record<string, unknown>, id: string) => ({
  eventVersion: '1.08',
  userIdentity: {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/s`,
    accountId: ACCOUNT,
    sessionContext: { sessionIssuer: { type: 'Role', arn: ROLE, accountId: ACCOUNT } },
  },
  eventTime: '2026-11-01T00:00:00Z',
  eventSource,
  eventName,
  awsRegion: 'us-east-1',
  requestParameters: params,
  recipientAccountId: ACCOUNT,
  eventID: id,
});

describe('CloudTrail: API Gateway records with an empty event name', () => {
  // apiGatewayImplied read the request body under `<eventName>Input`, lower-casing the name's first character: an
  // empty name threw, and the whole file was "cannot read" (exit 2) instead of one issue for the record.
  it.each(['apigateway.amazonaws.com', 'wafv2.amazonaws.com'])('%s: one issue, the other records read', async (src) => {
    const path = join(tmp(), 'trail.json');
    const records = [
      cloudTrail(src, '', { restApiId: 'a1b2c3' }, 'e1'),
      cloudTrail('apigateway.amazonaws.com', 'GetRestApi', { restApiId: 'a1b2c3' }, 'e2'),
    ];
    writeFileSync(path, JSON.stringify({ Records: records }));
    const r = await read('cloudtrail', path);
    expect(r.issues.map((i) => [i.file, i.code])).toEqual([[path, 'cloudtrail.bad-name']]);
    expect(r.issues[0]!.message).toContain('eventName "" is not an event name');
    const p = r.profile.principals.find((x) => x.username === ROLE)!;
    expect(p.aws!.map((e) => e.eventName)).toEqual(['GetRestApi']);
  });
});

// ---- Log Analytics' query answer: a column named twice --------------------------------------------------------------

const EVENTS = readFileSync(join(ROOT, 'fixtures/envelopes/native/events.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("Log Analytics' query answer: a table whose columns repeat a name", () => {
  // Rows are read by column name: with two columns of one name, the later value silently replaced the earlier, so
  // the record read was not the one a reader of the table sees first. A table like that is one issue, its rows unread.
  it('is an issue naming the table and the column, its rows unread; other tables are read', async () => {
    const columns = (names: string[]) => names.map((name) => ({ name, type: 'string' }));
    const diag = ['TimeGenerated', 'Category', 'log_s', 'Type'];
    const row = (e: Record<string, unknown>) => ['2026-11-02T08:00:00.0000000Z', 'kube-audit', JSON.stringify(e)];
    const answer = {
      tables: [
        {
          name: 'PrimaryResult',
          columns: columns([...diag.slice(0, 3), 'log_s', 'Type']),
          rows: [[...row(EVENTS[0]!), JSON.stringify(EVENTS[2]!), 'AzureDiagnostics']],
        },
        { name: 'Second', columns: columns(diag), rows: [[...row(EVENTS[1]!), 'AzureDiagnostics']] },
      ],
    };
    const path = join(tmp(), 'answer.json');
    writeFileSync(path, JSON.stringify(answer));
    const r = await read('k8sAudit', path);
    expect(r.issues.map((i) => [i.file, i.line, i.code, i.message])).toEqual([
      [path, 1, 'k8s.bad-envelope', 'tables[0], the column "log_s" is named twice: its rows are not read'],
    ]);
    expect(r.profile.sources[0]!.records).toBe(1);
  });
});
