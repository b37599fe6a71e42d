import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { athenaRecord } from '../src/ingest/cloudTrail/athena.js';
import { ingest } from '../src/ingest/index.js';
import type { Profile } from '../src/model/profile.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';

/**
 * Rows of the Athena table AWS documents over a trail's files (Athena user guide, "Create a table for CloudTrail logs
 * in Athena using manual partitioning" / "... using partition projection"), saved with `UNLOAD (SELECT * FROM
 * cloudtrail_logs ...) WITH (format = 'JSON')`: read as the records they were made from.
 *
 * The rows are made here the way Athena makes them, from the table's definition: every column under its lower-case
 * name, the record's field found whatever its case (Hive names are case-insensitive), a struct as an object of its own
 * columns only, a STRING column holding an object as its JSON text, a boolean as text, a field the table does not
 * define lost, a missing one null.
 */

type Column = 'string' | 'map' | { struct: Ddl } | { array: Ddl };
interface Ddl {
  [name: string]: Column;
}

const SESSION_ISSUER: Ddl = {
  type: 'string',
  principalid: 'string',
  arn: 'string',
  accountid: 'string',
  username: 'string',
};
const DDL: Ddl = {
  eventversion: 'string',
  useridentity: {
    struct: {
      type: 'string',
      principalid: 'string',
      arn: 'string',
      accountid: 'string',
      invokedby: 'string',
      accesskeyid: 'string',
      username: 'string',
      onbehalfof: { struct: { userid: 'string', identitystorearn: 'string' } },
      sessioncontext: {
        struct: {
          attributes: { struct: { mfaauthenticated: 'string', creationdate: 'string' } },
          sessionissuer: { struct: SESSION_ISSUER },
          ec2roledelivery: 'string',
          webidfederationdata: { struct: { federatedprovider: 'string', attributes: 'map' } },
        },
      },
    },
  },
  eventtime: 'string',
  eventsource: 'string',
  eventname: 'string',
  awsregion: 'string',
  sourceipaddress: 'string',
  useragent: 'string',
  errorcode: 'string',
  errormessage: 'string',
  requestparameters: 'string',
  responseelements: 'string',
  additionaleventdata: 'string',
  requestid: 'string',
  eventid: 'string',
  resources: { array: { arn: 'string', accountid: 'string', type: 'string' } },
  eventtype: 'string',
  apiversion: 'string',
  readonly: 'string',
  recipientaccountid: 'string',
  serviceeventdetails: 'string',
  sharedeventid: 'string',
  vpcendpointid: 'string',
  vpcendpointaccountid: 'string',
  eventcategory: 'string',
  addendum: {
    struct: { reason: 'string', updatedfields: 'string', originalrequestid: 'string', originaleventid: 'string' },
  },
  sessioncredentialfromconsole: 'string',
  edgedevicedetails: 'string',
  tlsdetails: { struct: { tlsversion: 'string', ciphersuite: 'string', clientprovidedhostheader: 'string' } },
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const field = (o: Obj, column: string) => Object.keys(o).find((k) => k.toLowerCase() === column);

/** One value as Athena writes the column of that type (null when the record has none). */
function cell(v: unknown, type: Column): unknown {
  if (v === undefined || v === null) return null;
  if (type === 'string') return typeof v === 'string' ? v : JSON.stringify(v);
  if (type === 'map') return v;
  if ('struct' in type) return isObj(v) ? row(v, type.struct) : null;
  return Array.isArray(v) ? v.map((x) => (isObj(x) ? row(x, type.array) : null)) : null;
}

function row(o: Obj, ddl: Ddl): Obj {
  const out: Obj = {};
  for (const [column, type] of Object.entries(ddl)) {
    const k = field(o, column);
    out[column] = cell(k === undefined ? undefined : o[k], type);
  }
  return out;
}

/** The record as the table sees it: only the fields it defines, under the record's own names. */
function projected(o: Obj, ddl: Ddl): Obj {
  const out: Obj = {};
  for (const [column, type] of Object.entries(ddl)) {
    const k = field(o, column);
    const v = k === undefined ? undefined : o[k];
    if (k === undefined || v === null || v === undefined) continue;
    if (type === 'string' || type === 'map') out[k] = v;
    else if ('struct' in type) out[k] = isObj(v) ? projected(v, type.struct) : v;
    else out[k] = (v as Obj[]).map((x) => projected(x, type.array));
  }
  return out;
}

/** What UNLOAD writes for one record, with the partition columns of the partition projection page's table. */
const athenaRow = (r: Obj, partitions: Obj = { timestamp: '2026/11/02' }) => ({ ...row(r, DDL), ...partitions });
const withoutNulls = (o: Obj) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));

// ---- Records as a trail writes them (CloudTrail user guide: record contents, userIdentity element, S3 and STS
// examples), each of a different identity and shape.
const A = '111122223333';
const TLS = {
  tlsVersion: 'TLSv1.3',
  cipherSuite: 'TLS_AES_128_GCM_SHA256',
  clientProvidedHostHeader: 'sqs.eu-west-1.amazonaws.com',
};

const assumedRole = {
  eventVersion: '1.09',
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEAPP:i-0abc',
    arn: `arn:aws:sts::${A}:assumed-role/orders-app/i-0abc`,
    accountId: A,
    accessKeyId: 'ASIAEXAMPLE1',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEAPP',
        arn: `arn:aws:iam::${A}:role/service/orders-app`,
        accountId: A,
        userName: 'orders-app',
      },
      attributes: { creationDate: '2026-11-02T07:55:10Z', mfaAuthenticated: 'false' },
      ec2RoleDelivery: '2.0',
    },
  },
  eventTime: '2026-11-02T08:00:01Z',
  eventSource: 'sqs.amazonaws.com',
  eventName: 'SendMessage',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '10.0.4.20',
  userAgent: 'aws-sdk-java/2.25.1',
  requestParameters: {
    queueUrl: `https://sqs.eu-west-1.amazonaws.com/${A}/orders`,
    messageBody: 'HIDDEN_DUE_TO_SECURITY_REASONS',
  },
  responseElements: { mD5OfMessageBody: '0e024d30', messageId: 'f1c1a6c4' },
  requestID: 'req-sqs-1',
  eventID: '00000000-0000-4000-8000-000000000001',
  readOnly: false,
  resources: [{ accountId: A, type: 'AWS::SQS::Queue', ARN: `arn:aws:sqs:eu-west-1:${A}:orders` }],
  eventType: 'AwsApiCall',
  managementEvent: false,
  recipientAccountId: A,
  eventCategory: 'Data',
  tlsDetails: TLS,
};

const iamUser = {
  eventVersion: '1.08',
  userIdentity: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLEDEPLOY',
    arn: `arn:aws:iam::${A}:user/ci/deployer`,
    accountId: A,
    accessKeyId: 'AKIAEXAMPLE2',
    userName: 'deployer',
  },
  eventTime: '2026-11-02T08:00:02Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'CreateUser',
  awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.7',
  userAgent: 'aws-cli/2.15.0',
  requestParameters: { userName: 'bot', path: '/ci/' },
  responseElements: {
    user: {
      path: '/ci/',
      userName: 'bot',
      userId: 'AIDAEXAMPLEBOT',
      arn: `arn:aws:iam::${A}:user/ci/bot`,
      createDate: 'Nov 2, 2026 8:00:02 AM',
    },
  },
  requestID: 'req-iam-1',
  eventID: '00000000-0000-4000-8000-000000000002',
  readOnly: false,
  eventType: 'AwsApiCall',
  managementEvent: true,
  recipientAccountId: A,
  eventCategory: 'Management',
  sessionCredentialFromConsole: 'true',
};

// A pod's session from IRSA reading and writing S3 (a data event: resources and additionalEventData).
const podSession = {
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLECART:botocore-session-1',
  arn: `arn:aws:sts::${A}:assumed-role/shop-cart/botocore-session-1`,
  accountId: A,
  accessKeyId: 'ASIAEXAMPLE3',
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      principalId: 'AROAEXAMPLECART',
      arn: `arn:aws:iam::${A}:role/apps/shop-cart`,
      accountId: A,
      userName: 'shop-cart',
    },
    webIdFederationData: {
      federatedProvider: `arn:aws:iam::${A}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B7`,
      attributes: {},
    },
    attributes: { creationDate: '2026-11-02T07:59:00Z', mfaAuthenticated: 'false' },
  },
};
const s3Get = {
  eventVersion: '1.10',
  userIdentity: podSession,
  eventTime: '2026-11-02T08:00:03Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '10.0.7.31',
  userAgent: '[Boto3/1.34.0]',
  requestParameters: { bucketName: 'shop-assets', Host: 'shop-assets.s3.eu-west-1.amazonaws.com', key: 'img/a b.png' },
  responseElements: null,
  additionalEventData: {
    SignatureVersion: 'SigV4',
    CipherSuite: 'TLS_AES_128_GCM_SHA256',
    bytesTransferredIn: 0,
    AuthenticationMethod: 'AuthHeader',
    'x-amz-id-2': 'EXAMPLE',
    bytesTransferredOut: 4096,
  },
  requestID: 'req-s3-1',
  eventID: '00000000-0000-4000-8000-000000000003',
  readOnly: true,
  resources: [
    { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::shop-assets/img/a b.png' },
    { accountId: A, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::shop-assets' },
  ],
  eventType: 'AwsApiCall',
  managementEvent: false,
  recipientAccountId: A,
  eventCategory: 'Data',
  tlsDetails: { ...TLS, clientProvidedHostHeader: 'shop-assets.s3.eu-west-1.amazonaws.com' },
};
// SSE-KMS: the key is in the response (responseElements as JSON text, read back for kms:GenerateDataKey).
const s3Put = {
  ...s3Get,
  eventTime: '2026-11-02T08:00:04Z',
  eventName: 'PutObject',
  requestParameters: {
    bucketName: 'shop-assets',
    Host: 'shop-assets.s3.eu-west-1.amazonaws.com',
    key: 'upload/x.json',
  },
  responseElements: {
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-aws-kms-key-id': `arn:aws:kms:eu-west-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  },
  requestID: 'req-s3-2',
  eventID: '00000000-0000-4000-8000-000000000004',
  readOnly: false,
  resources: [
    { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::shop-assets/upload/x.json' },
    { accountId: A, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::shop-assets' },
  ],
};

const irsa = {
  eventVersion: '1.08',
  userIdentity: {
    type: 'WebIdentityUser',
    principalId: `arn:aws:iam::${A}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B7:sts.amazonaws.com:system:serviceaccount:shop:cart`,
    userName: 'system:serviceaccount:shop:cart',
    identityProvider: `arn:aws:iam::${A}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B7`,
  },
  eventTime: '2026-11-02T07:59:00Z',
  eventSource: 'sts.amazonaws.com',
  eventName: 'AssumeRoleWithWebIdentity',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '10.0.7.31',
  userAgent: 'Boto3/1.34.0',
  requestParameters: { roleArn: `arn:aws:iam::${A}:role/apps/shop-cart`, roleSessionName: 'botocore-session-1' },
  responseElements: {
    credentials: { accessKeyId: 'ASIAEXAMPLE3', expiration: 'Nov 2, 2026, 8:59:00 AM', sessionToken: 'EXAMPLE' },
    subjectFromWebIdentityToken: 'system:serviceaccount:shop:cart',
    assumedRoleUser: {
      assumedRoleId: 'AROAEXAMPLECART:botocore-session-1',
      arn: `arn:aws:sts::${A}:assumed-role/shop-cart/botocore-session-1`,
    },
    provider: `arn:aws:iam::${A}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B7`,
    audience: 'sts.amazonaws.com',
  },
  additionalEventData: { identityProviderConnectionVerificationMethod: 'IAMTrustStore' },
  requestID: 'req-sts-1',
  eventID: '00000000-0000-4000-8000-000000000005',
  readOnly: true,
  resources: [{ accountId: A, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${A}:role/apps/shop-cart` }],
  eventType: 'AwsApiCall',
  managementEvent: true,
  recipientAccountId: A,
  sharedEventID: 'a5d2c4f0-1b2c-4d5e-8f90-123456789abc',
  eventCategory: 'Management',
  tlsDetails: { ...TLS, clientProvidedHostHeader: 'sts.eu-west-1.amazonaws.com' },
};

// Refused: an error call (the role may not read the table), evidence of a denial.
const denied = {
  ...assumedRole,
  eventTime: '2026-11-02T08:00:05Z',
  eventSource: 'dynamodb.amazonaws.com',
  eventName: 'GetItem',
  errorCode: 'AccessDenied',
  errorMessage: `User: arn:aws:sts::${A}:assumed-role/orders-app/i-0abc is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:eu-west-1:${A}:table/payments because no identity-based policy allows the dynamodb:GetItem action`,
  requestParameters: { tableName: 'payments', key: { id: { S: '42' } }, consistentRead: false },
  responseElements: null,
  requestID: 'req-ddb-1',
  eventID: '00000000-0000-4000-8000-000000000006',
  readOnly: true,
  resources: [{ accountId: A, type: 'AWS::DynamoDB::Table', ARN: `arn:aws:dynamodb:eu-west-1:${A}:table/payments` }],
  tlsDetails: { ...TLS, clientProvidedHostHeader: 'dynamodb.eu-west-1.amazonaws.com' },
  addendum: {
    reason: 'DELIVERY_DELAY',
    originalRequestID: 'req-ddb-1',
    originalEventID: '00000000-0000-4000-8000-000000000006',
  },
};

// KMS names the key in resources alone (its request has no keyId: the ciphertext says which key).
const kmsDecrypt = {
  ...assumedRole,
  eventTime: '2026-11-02T08:00:06Z',
  eventSource: 'kms.amazonaws.com',
  eventName: 'Decrypt',
  requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { app: 'orders' } },
  responseElements: null,
  requestID: 'req-kms-1',
  eventID: '00000000-0000-4000-8000-000000000007',
  readOnly: true,
  resources: [
    { accountId: A, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:eu-west-1:${A}:key/0987dcba-09fe-87dc-65ba-ab0987654321` },
  ],
  eventCategory: 'Management',
  tlsDetails: { ...TLS, clientProvidedHostHeader: 'kms.eu-west-1.amazonaws.com' },
};

const TRAIL: Obj[] = [assumedRole, iamUser, s3Get, s3Put, irsa, denied, kmsDecrypt];

const everyone = () =>
  new Scope({ ...defaultScope(), includeSystem: true, subjectKinds: ['ServiceAccount', 'User', 'Group'] });
const read = (path: string) => ingest({ k8sAudit: [], cloudtrail: [path], scope: everyone(), workers: 1, cwd: ROOT });
const withoutSources = (p: Profile) => serializeProfile({ ...p, sources: [] });

describe('rows of an Athena CloudTrail table read as the records they were made from', () => {
  const dir = tmp();
  const plainPath = join(dir, 'trail.json');
  writeFileSync(plainPath, JSON.stringify({ Records: TRAIL }));

  it('each row turns back into its record: every field the table keeps, under the record’s name', () => {
    for (const r of TRAIL) {
      const back = athenaRecord(athenaRow(r));
      expect(back).toEqual({ record: projected(r, DDL) });
      // The same with null columns left out.
      expect(athenaRecord(withoutNulls(athenaRow(r)))).toEqual(back);
    }
  });

  it.each([
    [
      'UNLOAD ... WITH (format = JSON): a row per line, null columns written, gzip',
      'unload.gz',
      gzipSync(TRAIL.map((r) => JSON.stringify(athenaRow(r))).join('\n') + '\n'),
    ],
    [
      'a row per line, null columns left out',
      'rows.jsonl',
      TRAIL.map((r) => JSON.stringify(withoutNulls(athenaRow(r)))).join('\n'),
    ],
    [
      'a top-level JSON array of rows, pretty-printed',
      'rows.json',
      JSON.stringify(
        TRAIL.map((r) => athenaRow(r, { region: 'eu-west-1', year: '2026', month: '11', day: '02' })),
        null,
        2,
      ),
    ],
  ])(
    '%s: the profile of the same records in a Records document, byte for byte but sources',
    async (_name, file, content) => {
      const path = join(dir, file);
      writeFileSync(path, content);
      const plain = await read(plainPath);
      const rows = await read(path);
      expect(plain.issues).toEqual([]);
      expect(rows.issues).toEqual([]);
      expect(rows.sources.map((s) => [s.format, s.records, s.issues])).toEqual([['cloudtrail', TRAIL.length, 0]]);
      // Not vacuous: the records give a role with its path, an IAM user, S3 object ARNs from requestParameters, the KMS
      // key from responseElements, the IRSA link, and a denial.
      const text = withoutSources(plain.profile);
      for (const x of [
        `arn:aws:iam::${A}:role/service/orders-app`,
        `arn:aws:iam::${A}:user/ci/deployer`,
        'arn:aws:s3:::shop-assets/img/a b.png',
        'kms:GenerateDataKey',
        `arn:aws:kms:eu-west-1:${A}:key/0987dcba-09fe-87dc-65ba-ab0987654321`,
        'system:serviceaccount:shop:cart',
        '"denied"',
      ])
        expect(text).toContain(x);
      expect(withoutSources(rows.profile)).toBe(text);
      // Cut at row boundaries for two workers (a large document is): the same profile.
      const split = await ingest({
        k8sAudit: [],
        cloudtrail: [path],
        scope: everyone(),
        workers: 2,
        splitBytes: 1024,
        cwd: ROOT,
      });
      expect(split.issues).toEqual([]);
      expect(withoutSources(split.profile)).toBe(text);
    },
  );
});

describe('rows that make no record are issues at their line, naming the column; the others are read', () => {
  it('bad JSON text, a missing eventsource, a struct as text, a JSON-text column holding an object', async () => {
    const dir = tmp();
    const path = join(dir, 'bad.jsonl');
    const good = athenaRow(assumedRole);
    const lines = [
      good,
      { ...athenaRow(s3Get), requestparameters: '{"bucketName":"shop-assets","key":' },
      { ...athenaRow(iamUser), eventsource: null },
      { ...athenaRow(irsa), useridentity: '{type=WebIdentityUser, username=system:serviceaccount:shop:cart}' },
      // CloudTrail Lake's map<string,string> is no JSON text: read as it is, its nested values would be text.
      { ...athenaRow(denied), requestparameters: { tableName: 'payments', key: '{id={S=42}}' } },
      { ...athenaRow(s3Put), responseelements: 'not json' },
      iamUser,
    ];
    writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await read(path);
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([
      [2, 'json.malformed'],
      [3, 'cloudtrail.not-a-record'],
      [4, 'cloudtrail.bad-type'],
      [5, 'cloudtrail.bad-type'],
      [6, 'json.malformed'],
    ]);
    const [json, missing, identity, map, response] = r.issues.map((i) => i.message);
    expect(json).toMatch(/^a row of an Athena CloudTrail table: column requestparameters is not JSON text: /);
    expect(missing).toMatch(
      /^a row of an Athena CloudTrail table: event "[0-9a-f-]+": not a CloudTrail record: eventSource, eventName or userIdentity missing$/,
    );
    expect(identity).toMatch(/useridentity is a string, not a struct/);
    expect(map).toMatch(/requestparameters is an object, not the JSON text/);
    expect(response).toMatch(/column responseelements is not JSON text/);
    expect(r.sources[0]!.records).toBe(2);
    // Nothing of the bad rows reaches the profile: no S3 or DynamoDB access, no IRSA link.
    const text = withoutSources(r.profile);
    expect(text).toContain('SendMessage');
    expect(text).toContain('CreateUser');
    expect(text).not.toMatch(/GetObject|PutObject|GetItem|serviceaccount/);
  });

  it('a JSON-text column whose JSON is no object is the bad-type issue a record with it gets', async () => {
    const dir = tmp();
    const path = join(dir, 'array.jsonl');
    writeFileSync(path, JSON.stringify({ ...athenaRow(s3Get), requestparameters: '["shop-assets"]' }) + '\n');
    const r = await read(path);
    expect(r.issues.map((i) => [i.line, i.code, i.message])).toEqual([
      [
        1,
        'cloudtrail.bad-type',
        `a row of an Athena CloudTrail table: event "${String(s3Get['eventID'])}": requestParameters is a list, not an object`,
      ],
    ]);
  });

  it('an Athena query answer (get-query-results) holds columns as text: one issue saying so and what to read', async () => {
    // Athena API reference, GetQueryResults: ResultSet.Rows[].Data[].VarCharValue, the first row the column names.
    const dir = tmp();
    const path = join(dir, 'athena-results.json');
    const text = (xs: string[]) => ({ Data: xs.map((x) => ({ VarCharValue: x })) });
    const answer = {
      UpdateCount: 0,
      ResultSet: {
        Rows: [
          text(['eventsource', 'eventname', 'useridentity']),
          text(['sqs.amazonaws.com', 'SendMessage', `{type=AssumedRole, arn=arn:aws:sts::${A}:assumed-role/app/s1}`]),
        ],
        ResultSetMetadata: { ColumnInfo: [{ Name: 'eventsource', Type: 'varchar' }] },
      },
    };
    writeFileSync(path, JSON.stringify(answer, null, 4));
    const r = await read(path);
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([[1, 'cloudtrail.not-a-record']]);
    expect(r.issues[0]!.message).toMatch(/^an Athena query answer \(get-query-results\), 2 rows left out: .*UNLOAD/);
  });

  it('other objects keep the plain message', async () => {
    const dir = tmp();
    const path = join(dir, 'other.json');
    writeFileSync(path, JSON.stringify({ eventSource: 's3.amazonaws.com', eventName: 'GetObject' }) + '\n');
    const r = await read(path);
    expect(r.issues.map((i) => i.message)).toEqual([
      'not a CloudTrail record: eventSource, eventName or userIdentity missing',
    ]);
  });

  it('rows given to --k8s-audit are a notice saying they are CloudTrail', async () => {
    const dir = tmp();
    const path = join(dir, 'rows.jsonl');
    writeFileSync(path, TRAIL.map((x) => JSON.stringify(athenaRow(x))).join('\n') + '\n');
    const r = await ingest({ k8sAudit: [path], scope: everyone(), workers: 1, cwd: ROOT });
    expect(r.sources.map((s) => [s.format, s.notice])).toEqual([
      ['skipped', 'looks like CloudTrail: read it with --cloudtrail'],
    ]);
  });
});
