// Writes a large, seeded set of CloudTrail files for the benchmark: S3 delivery documents
// ({"Records":[...]}, gzip) as CloudTrail writes them, realistic records of about 1.3 KB; and one large plain
// document of the same records (the shape LookupEvents dumps and Lake exports take).
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mulberry32 } from '../lib/prng.js';
import { reuseOrReset, saveMeta } from './gz-set.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const PER_FILE = 2000;

/**
 * A seeded source of records: forty roles, each with a fixed repertoire over a few resources, as real workloads have;
 * `next(t)` gives the next record at time `t` and advances nothing else.
 */
function recordSource(seed) {
  const r = mulberry32(seed);
  const int = (n) => Math.floor(r() * n);
  const hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(16)];
    return s;
  };
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  // Forty roles, each with a fixed repertoire over a few resources, as real workloads have.
  const roles = Array.from({ length: 40 }, (_, i) => {
    const name = `app-${i}`;
    const bucket = `acme-bench-${i % 8}`;
    const calls = [
      ['s3.amazonaws.com', 'GetObject', () => ({ bucketName: bucket, key: `data/${int(400)}.json` }), true],
      ['s3.amazonaws.com', 'PutObject', () => ({ bucketName: bucket, key: `data/${int(400)}.json` }), true],
      ['s3.amazonaws.com', 'ListObjects', () => ({ bucketName: bucket, prefix: 'data/' }), true],
      ['dynamodb.amazonaws.com', 'GetItem', () => ({ tableName: `table-${i % 5}`, key: { id: { S: hex(8) } } }), true],
      ['dynamodb.amazonaws.com', 'PutItem', () => ({ tableName: `table-${i % 5}`, item: { id: { S: hex(8) } } }), true],
      [
        'sqs.amazonaws.com',
        'SendMessage',
        () => ({
          queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/queue-${i % 6}`,
          messageBody: 'HIDDEN_DUE_TO_SECURITY_REASONS',
        }),
        true,
      ],
      [
        'kms.amazonaws.com',
        'Decrypt',
        () => ({ encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { app: name } }),
        false,
      ],
      [
        'secretsmanager.amazonaws.com',
        'GetSecretValue',
        () => ({ secretId: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}/db-AbC123` }),
        false,
      ],
      ['sts.amazonaws.com', 'GetCallerIdentity', () => ({}), false],
    ].filter((_, k) => (i + k) % 3 !== 0 || k < 2);
    return { name, calls };
  });
  let t = Date.UTC(2026, 10, 2);
  const next = () => {
    t += int(400);
    const role = roles[int(roles.length)];
    const [source, name, params, data] = role.calls[int(role.calls.length)];
    const p = params();
    const session = `botocore-session-${1793600000 + int(5000)}`;
    return {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROA${hex(16).toUpperCase()}:${session}`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/${session}`,
        accountId: ACCOUNT,
        accessKeyId: `ASIA${hex(16).toUpperCase()}`,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: `AROA${hex(16).toUpperCase()}`,
            arn: `arn:aws:iam::${ACCOUNT}:role/${role.name}`,
            accountId: ACCOUNT,
            userName: role.name,
          },
          webIdFederationData: {
            federatedProvider: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/BENCH`,
            attributes: {},
          },
          attributes: {
            creationDate: new Date(t - 600_000).toISOString().replace(/\.\d+Z/, 'Z'),
            mfaAuthenticated: 'false',
          },
        },
      },
      eventTime: new Date(t).toISOString().replace(/\.\d+Z/, 'Z'),
      eventSource: source,
      eventName: name,
      awsRegion: REGION,
      sourceIPAddress: `10.0.${int(4)}.${int(250)}`,
      userAgent: 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2',
      requestParameters: p,
      responseElements: null,
      ...(int(100) === 0 ? { errorCode: 'AccessDenied', errorMessage: 'Access Denied' } : {}),
      requestID: uuid(),
      eventID: uuid(),
      readOnly: /^(Get|List|Decrypt)/.test(name),
      ...(source === 's3.amazonaws.com' && p.key
        ? {
            resources: [
              { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${p.bucketName}/${p.key}` },
              { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${p.bucketName}` },
            ],
          }
        : {}),
      ...(source === 'kms.amazonaws.com'
        ? {
            resources: [
              {
                accountId: ACCOUNT,
                type: 'AWS::KMS::Key',
                ARN: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${role.name}-key`,
              },
            ],
          }
        : {}),
      eventType: 'AwsApiCall',
      managementEvent: !data,
      recipientAccountId: ACCOUNT,
      eventCategory: data ? 'Data' : 'Management',
      tlsDetails: {
        tlsVersion: 'TLSv1.3',
        cipherSuite: 'TLS_AES_128_GCM_SHA256',
        clientProvidedHostHeader: `${source.split('.')[0]}.${REGION}.amazonaws.com`,
      },
    };
  };
  return { next, now: () => t };
}

/** Generate about `sizeBytes` of uncompressed records into `dir` (reused when its meta matches). */
export function generateCloudTrail(dir, sizeBytes, seed = 11) {
  const reused = reuseOrReset(dir, seed, sizeBytes);
  if (reused) return reused;
  const src = recordSource(seed);
  let bytes = 0;
  let events = 0;
  let gzBytes = 0;
  let files = 0;
  while (bytes < sizeBytes) {
    const records = [];
    for (let k = 0; k < PER_FILE; k++) records.push(src.next());
    const t = src.now();
    const text = JSON.stringify({ Records: records });
    const gz = gzipSync(text, { level: 6 });
    const stamp = new Date(t).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
    writeFileSync(join(dir, `${ACCOUNT}_CloudTrail_${REGION}_${stamp}_${String(files).padStart(5, '0')}.json.gz`), gz);
    bytes += Buffer.byteLength(text);
    gzBytes += gz.length;
    events += records.length;
    files++;
  }
  return saveMeta(dir, { seed, target: sizeBytes, bytes, gzBytes, events, files });
}

/**
 * One large plain document of `count` records, `{"Records":[...]}` on one line, as `jq -c` of a LookupEvents or Lake
 * export leaves it: written record by record (never one string of the whole). Reused while its meta matches.
 */
export function generateCloudTrailDocument(file, count, seed = 13) {
  const metaFile = `${file}.meta.json`;
  if (existsSync(file) && existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    if (meta.seed === seed && meta.events === count && statSync(file).size === meta.bytes)
      return { ...meta, reused: true };
  }
  const src = recordSource(seed);
  const fd = openSync(file, 'w');
  let bytes = 0;
  const write = (s) => {
    bytes += writeSync(fd, s);
  };
  write('{"Records":[');
  let batch = [];
  for (let k = 0; k < count; k++) {
    batch.push(JSON.stringify(src.next()));
    if (batch.length === 1000 || k === count - 1) {
      write((k < batch.length ? '' : ',') + batch.join(','));
      batch = [];
    }
  }
  write(']}\n');
  closeSync(fd);
  const meta = { seed, events: count, bytes, files: 1, gzBytes: bytes };
  writeFileSync(metaFile, JSON.stringify(meta) + '\n');
  return meta;
}
