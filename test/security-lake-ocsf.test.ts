// CloudTrail through Amazon Security Lake: OCSF records (API Activity, Authentication, Account Change) whose
// metadata.product.name is CloudTrail, as Parquet (what Security Lake writes) and as JSON (what its subscribers and
// SIEMs hold), read back as the CloudTrail records they were made from (src/ingest/cloudTrail/ocsf.ts). The demo's
// CloudTrail rewritten as OCSF 1.1 (source version 2, the OCSF project's CloudTrail dossiers: test/helpers/ocsf.ts)
// profiles to the same bytes and backtests to the same figure as the original; the source version 1 records are
// shaped as the samples of Elastic's Security Lake integration (OCSF 1.0.0-rc.2: actor.user.uid the principal id,
// the request's fields flattened into unmapped).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { demoCloudTrailRecords, ocsfFlowParquet, ocsfParquet, toOcsf, vpcToOcsf } from './helpers/ocsf.js';

const DEMO = join(ROOT, 'fixtures/demo/cloudtrail');
const SPLIT = '2026-11-08T00:00:00Z';
const records = demoCloudTrailRecords(DEMO);

/** A profile file's lines after the first (which names its sources). */
const principalLines = (path: string) => readFileSync(path, 'utf8').split('\n').slice(1).join('\n');
/**
 * The same, with the TLS part of each call's origins left out: OCSF keeps no `tlsDetails` field of its own (the
 * mapping here puts none anywhere), so a call read from Security Lake says nothing of TLS; its address and endpoint
 * (`src_endpoint.ip`, `src_endpoint.uid`) stay.
 */
const withoutTls = (path: string) => principalLines(path).replace(/(\["[^"]*","[^"]*",)"tls"/g, '$1""');

function backtest(source: string) {
  const r = cli(['backtest', '--cloudtrail', source, '--split', SPLIT, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as {
    observed: number;
    allowed: number;
    excess: { iam: { samples: number; allowed: number } };
  };
  return { observed: j.observed, allowed: j.allowed, excess: [j.excess.iam.samples, j.excess.iam.allowed] };
}

function generateIam(lines: unknown[], dir = tmp()) {
  const file = join(dir, 'lake.jsonl');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const r = cli(['generate', 'iam', '--cloudtrail', file]);
  return {
    ...r,
    file,
    policies: r.code === 0 ? (JSON.parse(r.stdout) as Record<string, { Statement?: unknown[] }>) : {},
  };
}

describe('the demo CloudTrail as Security Lake stores it', () => {
  const dir = tmp();
  const native = join(dir, 'native.json');
  expect(cli(['profile', '--cloudtrail', DEMO, '-o', native, '-q']).code).toBe(0);
  const forms = {
    'JSON, fields as objects': (d: string) =>
      writeFileSync(join(d, 'lake.jsonl'), records.map((r) => JSON.stringify(toOcsf(r))).join('\n') + '\n'),
    'JSON, JSON-typed fields as text': (d: string) =>
      writeFileSync(
        join(d, 'lake.jsonl'),
        records.map((r) => JSON.stringify(toOcsf(r, { jsonText: true }))).join('\n') + '\n',
      ),
    // Three files, small row groups: Parquet is read a row group at a time, files by any worker.
    Parquet: (d: string) => {
      const third = Math.ceil(records.length / 3);
      for (let k = 0; k < 3; k++)
        writeFileSync(
          join(d, `part-${k}.gz.parquet`),
          ocsfParquet(
            records.slice(k * third, (k + 1) * third).map((r) => toOcsf(r, { jsonText: true })),
            200,
          ),
        );
    },
  };

  for (const [name, write] of Object.entries(forms))
    it(`${name}: the same profile as the trail's own files, for 1 and 3 workers`, () => {
      const d = join(dir, name.replace(/\W+/g, '-'));
      mkdirSync(d);
      write(d);
      for (const workers of ['1', '3']) {
        const out = join(dir, `${name.replace(/\W+/g, '-')}-${workers}.json`);
        const r = cli(['profile', '--cloudtrail', d, '--workers', workers, '-o', out]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).not.toMatch(/issue|notice/);
        expect(r.stderr).toContain(`${records.length.toLocaleString('en-US')} records`);
        expect(withoutTls(out)).toBe(withoutTls(native));
        expect(principalLines(out)).not.toContain('"tls"');
      }
    });

  it('held out: days 1-6 → 7-8 from the Parquet files backtest as the original does (breakage 1 of 185)', () => {
    const d = join(dir, 'Parquet');
    const original = backtest(DEMO);
    // The one denied: an on-call engineer's first SAML sign-in on day 8 (the trust names the people seen).
    // New shoppers of the mobile app's Cognito pool are let in by the pool.
    expect(original).toEqual({ observed: 185, allowed: 184, excess: [4714, 0] });
    expect(backtest(d)).toEqual(original);
  });

  it('Parquet on stdin is read as the file is; given to --k8s-audit it is skipped with a notice', () => {
    const bytes = ocsfParquet(records.slice(0, 50).map((r) => toOcsf(r, { jsonText: true })));
    const a = cli(['profile', '--cloudtrail', '-', '-o', join(dir, 'stdin.json')], { input: bytes });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toContain('50 records');
    const f = join(dir, 'fifty.parquet');
    writeFileSync(f, bytes);
    expect(cli(['profile', '--cloudtrail', f, '-o', join(dir, 'file.json')]).code).toBe(0);
    expect(principalLines(join(dir, 'stdin.json'))).toBe(principalLines(join(dir, 'file.json')));
    const k = cli(['profile', '--k8s-audit', f, '-o', join(dir, 'k.json')]);
    expect(k.stderr).toContain('not a log: an Apache Parquet file');
  });
});

/** A source version 1 record, shaped as Elastic's Security Lake samples (OCSF 1.0.0-rc.2). */
const V1_CREATE_USER = {
  activity_id: 1,
  activity_name: 'Create',
  actor: {
    idp: {},
    session: { created_time: 1679071437000, issuer: 'arn:aws:iam::112233445566:role/Admin', mfa: false },
    user: {
      account: { uid: '112233445566' },
      credential_uid: 'ASIAEXAMPLEKEY00001',
      type: 'AssumedRole',
      uid: 'AROAEXAMPLEROLEID:admin-session',
    },
  },
  api: {
    operation: 'CreateUser',
    request: { uid: 'c0ffee00-0000-4000-8000-000000000001' },
    response: {},
    service: { name: 'iam.amazonaws.com' },
  },
  category_uid: 3,
  class_name: 'Account Change',
  class_uid: 3001,
  cloud: { provider: 'AWS', region: 'us-east-1' },
  http_request: { user_agent: 'AWS Internal' },
  metadata: {
    product: { feature: { name: 'Management' }, name: 'CloudTrail', vendor_name: 'AWS', version: '1.08' },
    uid: '7dd15a89-0000-4000-8000-000000000001',
    version: '1.0.0-rc.2',
  },
  src_endpoint: { ip: '198.51.100.7' },
  status: 'Success',
  status_id: 1,
  time: 1679072879000,
  unmapped: {
    eventType: 'AwsApiCall',
    readOnly: 'false',
    recipientAccountId: '112233445566',
    'responseElements.user.arn': 'arn:aws:iam::112233445566:user/test_user2',
    'userIdentity.sessionContext.sessionIssuer.type': 'Role',
    'userIdentity.sessionContext.sessionIssuer.userName': 'Admin',
  },
  user: { name: 'test_user2', uid: 'AIDAEXAMPLEUSERID0001' },
};

/** A source version 2 (OCSF 1.1) record: the ARN in actor.user.uid, the request whole in api.request.data. */
function v2(
  operation: string,
  service: string,
  data: unknown,
  more: Record<string, unknown> = {},
  user: Record<string, unknown> = {},
) {
  return {
    class_uid: 6003,
    class_name: 'API Activity',
    time: 1794182404000,
    status: 'Success',
    status_id: 1,
    metadata: {
      uid: `e-${operation}`,
      version: '1.1.0',
      product: { name: 'CloudTrail', vendor_name: 'AWS', version: '1.09' },
    },
    actor: {
      user: {
        type: 'AssumedRole',
        uid: 'arn:aws:sts::111122223333:assumed-role/orders/session-1',
        uid_alt: 'AROAEXAMPLEORDERS:session-1',
        account: { uid: '111122223333' },
        ...user,
      },
      session: { issuer: 'arn:aws:iam::111122223333:role/apps/orders' },
    },
    api: { operation, service: { name: service }, request: { uid: 'r-1', data }, response: {} },
    cloud: { provider: 'AWS', region: 'eu-west-1', account: { uid: '111122223333' } },
    ...more,
  };
}

describe('records in the shapes Security Lake writes', () => {
  it('source version 1: the session issuer is the principal; a resource the flattening lost is a listed widening', () => {
    const r = generateIam([V1_CREATE_USER]);
    expect(r.code, r.stderr).toBe(0);
    const policy = r.policies['iam/112233445566/role/Admin.json'];
    expect(JSON.stringify(policy)).toContain('iam:CreateUser');
    expect(r.stderr).toMatch(/iam:CreateUser: the event names no user .*→ arn:aws:iam::112233445566:user\/\*/);
    // Said once for the file, naming the file and the first record.
    expect(r.stderr).toContain(`notice: ${r.file}:1: cloudtrail.ocsf-v1`);
  });

  it('source version 2: the request whole (as object or JSON text) names the resource', () => {
    for (const data of [
      { bucketName: 'orders-archive', key: 'a/b.json' },
      '{"bucketName":"orders-archive","key":"a/b.json"}',
    ]) {
      const r = generateIam([
        v2('GetObject', 's3.amazonaws.com', data, {
          resources: [{ uid: 'arn:aws:s3:::orders-archive/a/b.json', type: 'AWS::S3::Object' }],
        }),
      ]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.stringify(r.policies['iam/111122223333/role/orders.json']);
      expect(doc).toContain('"s3:GetObject"');
      expect(doc).toContain('arn:aws:s3:::orders-archive/a/b.json');
      expect(r.stderr).not.toMatch(/issue|notice/);
      expect(r.stderr).toContain('widenings: none');
    }
  });

  it('IRSA: a web identity user named system:serviceaccount:NS:NAME links the service account to the role', () => {
    const d = tmp();
    const file = join(d, 'irsa.jsonl');
    const rec = v2(
      'AssumeRoleWithWebIdentity',
      'sts.amazonaws.com',
      { roleArn: 'arn:aws:iam::111122223333:role/shop-cart', roleSessionName: 's' },
      {},
      {
        type: 'WebIdentityUser',
        name: 'system:serviceaccount:shop:cart',
        uid: undefined,
        uid_alt: 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sts.amazonaws.com:system:serviceaccount:shop:cart',
      },
    );
    writeFileSync(file, JSON.stringify(rec) + '\n');
    const out = join(d, 'p.json');
    const r = cli(['profile', '--cloudtrail', file, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(
      /"assumes":\[\{"roleArn":"arn:aws:iam::111122223333:role\/shop-cart","via":"irsa"/,
    );
  });

  it('a refused call is evidence, never a grant; a Failure without its error is left out and said', () => {
    const denied = v2('DeleteObject', 's3.amazonaws.com', { bucketName: 'b', key: 'k' });
    (denied.api.response as Record<string, unknown>) = { error: 'AccessDenied', message: 'Access Denied' };
    denied.status = 'Failure';
    const unknown = v2('PutObject', 's3.amazonaws.com', { bucketName: 'b', key: 'k' });
    unknown.status = 'Failure';
    unknown.status_id = 2;
    const ok = v2('GetObject', 's3.amazonaws.com', { bucketName: 'b', key: 'k' });
    const numeric = v2('DeleteBucket', 's3.amazonaws.com', { bucketName: 'b' });
    (numeric.api.response as Record<string, unknown>) = { error: 403 };
    const r = generateIam([denied, unknown, ok, numeric]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.stringify(r.policies['iam/111122223333/role/orders.json']);
    expect(doc).toContain('s3:GetObject');
    expect(doc).not.toContain('s3:DeleteObject');
    expect(doc).not.toContain('s3:PutObject');
    expect(r.stderr).toContain(`${r.file}:2: cloudtrail.ocsf-unknown-failure`);
    expect(doc).not.toContain('s3:DeleteBucket');
    expect(r.stderr).toContain(
      `${r.file}:4: cloudtrail.bad-type: an OCSF record (Security Lake): api.response.error is a number`,
    );
  });

  it('Authentication (console sign-in) needs no permission; an OCSF record of another product is an issue', () => {
    const login = v2('ConsoleLogin', 'signin.amazonaws.com', undefined, {
      class_uid: 3002,
      class_name: 'Authentication',
    });
    const okta = {
      ...v2('GetObject', 's3.amazonaws.com', {}),
      metadata: { version: '1.1.0', product: { name: 'Okta', vendor_name: 'Okta' } },
    };
    const badJson = v2('GetObject', 's3.amazonaws.com', '{"bucketName": ');
    const r = generateIam([login, okta, badJson, v2('GetObject', 's3.amazonaws.com', { bucketName: 'b', key: 'k' })]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no-permission 1');
    expect(r.stderr).toMatch(new RegExp(`${r.file}:2: cloudtrail.not-a-record: .*OCSF API Activity of Okta Okta`));
    expect(r.stderr).toMatch(new RegExp(`${r.file}:3: json.malformed: .*api.request.data is not JSON text`));
  });

  it('unmapped keys from the log cannot reach an object prototype', () => {
    const rec = v2(
      'GetObject',
      's3.amazonaws.com',
      { bucketName: 'b', key: 'k' },
      {
        unmapped: { '__proto__.polluted': 'yes', 'constructor.prototype.polluted': 'yes', readOnly: 'true' },
      },
    );
    const r = generateIam([rec]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.stringify(r.policies)).toContain('s3:GetObject');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('a Parquet file of other columns, or no Parquet at all, given to --cloudtrail is one issue, no row read', () => {
    const d = tmp();
    // A table of another shape (a VPC flow log's flat columns).
    const other = join(d, 'other.parquet');
    writeFileSync(
      other,
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'version', data: [2], type: 'INT32' },
            { name: 'srcaddr', data: ['10.0.0.1'], type: 'STRING' },
          ],
        }),
      ),
    );
    const a = cli(['profile', '--cloudtrail', other, '-o', join(d, 'a.json')]);
    expect(a.stderr).toMatch(new RegExp(`${other}:0: cloudtrail.parquet-columns: its columns \\(version, srcaddr\\)`));
    expect(a.stderr).toContain('0 records');
    const broken = join(d, 'broken.parquet');
    writeFileSync(broken, ocsfParquet(records.slice(0, 5).map((r) => toOcsf(r))).subarray(0, 64));
    const b = cli(['profile', '--cloudtrail', broken, '-o', join(d, 'b.json')]);
    expect(b.stderr).toContain(`${broken}:0: cloudtrail.parquet-unreadable`);
  });
});

it('Security Lake CloudTrail Parquet given to --flows is skipped, naming --cloudtrail', () => {
  const d = tmp();
  const f = join(d, 'lake.parquet');
  writeFileSync(f, ocsfParquet(records.slice(0, 5).map((r) => toOcsf(r))));
  const r = cli(['profile', '--flows', f, '-o', join(d, 'p.json')]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain("looks like Security Lake's CloudTrail records as Parquet: read it with --cloudtrail");
});

describe('VPC flow logs as Security Lake stores them (OCSF Network Activity)', () => {
  const VPC = join(ROOT, 'fixtures/demo/flows/vpc/eni-0a1b2c3d4e5f60718-2026-11-07T15.log');
  const INVENTORY = join(ROOT, 'fixtures/demo/inventory');
  const [head, ...lines] = readFileSync(VPC, 'utf8').split('\n').filter(Boolean);
  const fields = head!.split(' ');
  const byName = (line: string) => Object.fromEntries(line.split(' ').map((x, i) => [fields[i]!, x]));
  const lake = lines.map((l) => vpcToOcsf(byName(l)));
  const dir = tmp();
  const native = join(dir, 'native.json');
  expect(cli(['profile', '--flows', VPC, '--inventory', INVENTORY, '-o', native, '-q']).code).toBe(0);

  it('as JSON and as Parquet: the same profile as the text flow log, for 1 and 2 workers', () => {
    writeFileSync(join(dir, 'lake.jsonl'), lake.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(join(dir, 'lake.gz.parquet'), ocsfFlowParquet(lake, 7));
    for (const f of ['lake.jsonl', 'lake.gz.parquet'])
      for (const workers of ['1', '2']) {
        const out = join(dir, `${f}-${workers}.json`);
        const r = cli(['profile', '--flows', join(dir, f), '--inventory', INVENTORY, '--workers', workers, '-o', out]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).not.toMatch(/issue/);
        expect(principalLines(out)).toBe(principalLines(native));
      }
  });

  it("the packet's own addresses (pkt-srcaddr) are the peers, as in the text record", () => {
    const d = tmp();
    // The demo's first connection seen at an interface whose own address is not the pod's (10.0.99.99).
    const rec = { ...byName(lines[0]!), srcaddr: '10.0.99.99', 'pkt-srcaddr': byName(lines[0]!)['srcaddr']! };
    const order = [...fields, 'pkt-srcaddr'];
    writeFileSync(
      join(d, 'text.log'),
      [order.join(' '), order.map((f) => (rec as Record<string, string>)[f]).join(' ')].join('\n') + '\n',
    );
    const ocsf = vpcToOcsf(rec);
    expect(ocsf['src_endpoint']).toMatchObject({ ip: rec['pkt-srcaddr'], intermediate_ips: ['10.0.99.99'] });
    writeFileSync(join(d, 'lake.jsonl'), JSON.stringify(ocsf) + '\n');
    for (const f of ['text.log', 'lake.jsonl'])
      expect(cli(['profile', '--flows', join(d, f), '--inventory', INVENTORY, '-o', join(d, `${f}.json`)]).code).toBe(
        0,
      );
    expect(principalLines(join(d, 'lake.jsonl.json'))).toBe(principalLines(join(d, 'text.log.json')));
    expect(principalLines(join(d, 'lake.jsonl.json'))).toContain('"workload"');
  });

  it('a denied record allows nothing; no action, or another product, is an issue naming the line', () => {
    const d = tmp();
    const first = vpcToOcsf(byName(lines[0]!));
    const rejected = { ...first, action: 'Denied', action_id: 2, disposition: 'Blocked' };
    const noAction = { ...first };
    delete noAction['action'];
    delete noAction['action_id'];
    delete noAction['disposition'];
    const other = { ...first, metadata: { version: '1.1.0', product: { name: 'Zeek' } } };
    const netpol = (recs: unknown[], name: string) => {
      const file = join(d, `${name}.jsonl`);
      writeFileSync(file, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const r = cli(['generate', 'netpol', '--flows', file, '--inventory', INVENTORY]);
      expect(r.code, r.stderr).toBe(0);
      return { ...r, file };
    };
    // The same connection accepted makes a rule admitting its client; refused, it makes none.
    expect(netpol([first], 'accepted').stdout).toContain('cidr: 10.0.0.50/32');
    const r = netpol([rejected, noAction, other], 'mixed');
    expect(r.stdout).not.toContain('cidr: 10.0.0.50/32');
    expect(r.stderr).toContain(`${r.file}:2: flow.vpc-bad-record: action "-" is neither ACCEPT nor REJECT`);
    expect(r.stderr).toContain(
      `${r.file}:3: flow.not-a-flow: an OCSF Network Activity record of Zeek, not a VPC flow log`,
    );
  });

  it('Security Lake VPC flow Parquet given to --cloudtrail is skipped, naming --flows', () => {
    const f = join(dir, 'for-cloudtrail.parquet');
    writeFileSync(f, ocsfFlowParquet(lake.slice(0, 3)));
    const r = cli(['profile', '--cloudtrail', f, '-o', join(dir, 'ct.json')]);
    expect(r.stderr).toContain("looks like Security Lake's VPC flow records as Parquet: read it with --flows");
  });
});

it('Zstandard pages, as pipelines writing OCSF to a lake often choose, read as Snappy ones do; a page whose frame declares another size is an issue', () => {
  const d = tmp();
  const part = records.slice(0, 300).map((r) => toOcsf(r, { jsonText: true }));
  writeFileSync(join(d, 'snappy.parquet'), ocsfParquet(part, 100));
  writeFileSync(join(d, 'zstd.parquet'), ocsfParquet(part, 100, 'ZSTD'));
  for (const f of ['snappy', 'zstd']) {
    const r = cli(['profile', '--cloudtrail', join(d, `${f}.parquet`), '-o', join(d, `${f}.json`)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/issue/);
  }
  expect(principalLines(join(d, 'zstd.json'))).toBe(principalLines(join(d, 'snappy.json')));
  // Every frame's declared content size one byte short: the pages are refused, named by their rows.
  const bytes = readFileSync(join(d, 'zstd.parquet'));
  const magic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
  let frames = 0;
  for (let at = bytes.indexOf(magic); at >= 0; at = bytes.indexOf(magic, at + 4)) {
    const size = bytes.readUInt32LE(at + 5);
    if (size > 0) bytes.writeUInt32LE(size - 1, at + 5);
    frames += size > 0 ? 1 : 0;
  }
  expect(frames).toBeGreaterThan(10);
  writeFileSync(join(d, 'bad.parquet'), bytes);
  const r = cli(['profile', '--cloudtrail', join(d, 'bad.parquet'), '-o', join(d, 'bad.json')]);
  expect(r.stderr).toMatch(
    /bad\.parquet:1: cloudtrail\.parquet-unreadable: rows 1-100 cannot be decoded: .*Zstandard page holds/,
  );
});
