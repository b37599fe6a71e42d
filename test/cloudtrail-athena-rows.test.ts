import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

// Rows of an Athena table over a trail (the CREATE TABLE of AWS's "Querying AWS CloudTrail logs" page names every
// column in lower case, keeps useridentity a struct of lower-case fields and requestparameters as text), saved as
// JSON lines (UNLOAD ... WITH (format = 'JSON')). They are no CloudTrail records: each is an issue that says what
// it is and where the records are, and the records beside them are read.
const athenaRow = (id: string) => ({
  eventversion: '1.08',
  useridentity: {
    type: 'AssumedRole',
    principalid: 'AROAEXAMPLE:shop',
    arn: 'arn:aws:sts::111122223333:assumed-role/shop-cart/shop',
    accountid: '111122223333',
    sessioncontext: { sessionissuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/shop-cart' } },
  },
  eventtime: '2026-11-02T08:00:00Z',
  eventsource: 's3.amazonaws.com',
  eventname: 'GetObject',
  awsregion: 'eu-west-1',
  requestparameters: '{"bucketName":"shop-assets","key":"a.png"}',
  eventid: id,
  readonly: 'true',
  recipientaccountid: '111122223333',
});

const record = {
  eventVersion: '1.08',
  userIdentity: {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/shop-cart/shop',
    accountId: '111122223333',
    sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/shop-cart' } },
  },
  eventTime: '2026-11-02T08:00:00Z',
  eventSource: 'sqs.amazonaws.com',
  eventName: 'SendMessage',
  awsRegion: 'eu-west-1',
  requestParameters: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/orders' },
  eventID: 'real-1',
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
};

describe('rows of an Athena CloudTrail table', () => {
  it('are each an issue naming what they are and where the records are; the records beside them are read', async () => {
    const dir = tmp();
    const file = join(dir, 'athena.json');
    writeFileSync(file, [athenaRow('a-1'), record, athenaRow('a-2')].map((x) => JSON.stringify(x)).join('\n') + '\n');
    const r = cli(['profile', '--cloudtrail', file, '-o', join(dir, 'p.json')]);
    expect(r.code, r.stderr).toBe(0);
    const p = await readProfileFile(join(dir, 'p.json'));
    expect(p.sources[0].issues).toBe(2);
    const samples = p.sources[0].issueSamples as { code: string; line: number; message: string }[];
    expect(samples.map((i) => [i.code, i.line])).toEqual([
      ['cloudtrail.not-a-record', 1],
      ['cloudtrail.not-a-record', 3],
    ]);
    expect(samples[0]!.message).toMatch(/Athena CloudTrail table .* with --cloudtrail/);
    const role = p.principals.find((x: { username: string }) => x.username.endsWith(':role/shop-cart'));
    expect(role.aws.map((e: { eventName: string }) => e.eventName)).toEqual(['SendMessage']);
  });

  it('other objects keep the plain message', async () => {
    const dir = tmp();
    const file = join(dir, 'other.json');
    writeFileSync(file, JSON.stringify({ eventSource: 's3.amazonaws.com', eventName: 'GetObject' }) + '\n');
    const r = cli(['profile', '--cloudtrail', file, '-o', join(dir, 'p.json')]);
    expect(r.code, r.stderr).toBe(0);
    const p = await readProfileFile(join(dir, 'p.json'));
    expect(p.sources[0].issueSamples[0].message).toMatch(/eventSource, eventName or userIdentity missing/);
  });
});
