import { simulate as simulated } from './helpers/iamSimulate.js';
import { describe, expect, it } from 'vitest';
import { generateIam as generate, grants, type Policy } from './helpers/iamGenerate.js';
import { ACCOUNT, REGION, record } from './helpers/cloudtrailRecords.js';

/**
 * Resources of calls that name them only by what AWS defaults to (the caller's own user, the caller's registry), by
 * an incomplete ARN, or not at all though AWS authorizes on them: generate → the policy, checked with iam-simulate
 * (the observed call allowed, a neighbouring resource denied) and with verify.
 */

/** Generated once, when a test first asks (a generate that fails then fails the tests, not the collection). */
function lazy<T>(make: () => T): () => T {
  let v: { value: T } | undefined;
  return () => (v ??= { value: make() }).value;
}

const simulate = (policy: Policy, principal: string, action: string, resource: string): Promise<string> =>
  simulated(policy, { principal, action, resource });

const ALICE = `arn:aws:iam::${ACCOUNT}:user/dev/alice`;
/** An IAM user signing with its own access key (CloudTrail userIdentity of type IAMUser). */
const asAlice = {
  userIdentity: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLEALICE',
    arn: ALICE,
    accountId: ACCOUNT,
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    userName: 'alice',
  },
  awsRegion: 'us-east-1',
};
const WORKER = `arn:aws:iam::${ACCOUNT}:role/apps/worker`;

describe('IAM calls without a UserName act on the calling user', () => {
  const events = ['GetUser', 'CreateAccessKey', 'ListAccessKeys', 'ChangePassword'];
  const run = lazy(() => generate(events.map((e) => record('iam.amazonaws.com', e, null, asAlice))));

  it('grants them on the caller’s own user ARN, path included, not on user/*', async () => {
    const { policy, stderr, verified } = run();
    expect(verified).toBe(0);
    for (const e of events) {
      expect(grants(policy, `iam:${e}`), e).toEqual([ALICE]);
      expect(await simulate(policy, ALICE, `iam:${e}`, ALICE), e).toBe('Allowed');
      expect(await simulate(policy, ALICE, `iam:${e}`, `arn:aws:iam::${ACCOUNT}:user/dev/bob`), e).toBe(
        'ImplicitlyDenied',
      );
    }
    expect(stderr).toContain('widenings: none');
  });

  it('a role session has no user of its own: GetUser without a UserName stays a listed widening', () => {
    const role = generate([record('iam.amazonaws.com', 'GetUser', null)]);
    expect(grants(role.policy, 'iam:GetUser')).toEqual([`arn:aws:iam::${ACCOUNT}:user/*`]);
    expect(role.stderr).toContain('iam:GetUser: the event names no user');
  });
});

describe('an account parameter the request leaves out is the call’s own account', () => {
  const run = lazy(() =>
    generate([
      record('ecr.amazonaws.com', 'CreateRepository', { repositoryName: 'testrepo' }),
      record('ecr.amazonaws.com', 'BatchGetImage', { repositoryName: 'web', imageIds: [{ imageTag: 'latest' }] }),
      record('ecr.amazonaws.com', 'BatchGetImage', { registryId: '444455556666', repositoryName: 'base' }),
    ]),
  );
  const repo = (account: string, name: string) => `arn:aws:ecr:${REGION}:${account}:repository/${name}`;

  it('ECR without registryId: the repository in the caller’s registry', async () => {
    const { policy, verified } = run();
    expect(verified).toBe(0);
    expect(grants(policy, 'ecr:CreateRepository')).toEqual([repo(ACCOUNT, 'testrepo')]);
    expect(grants(policy, 'ecr:BatchGetImage')).toEqual([repo(ACCOUNT, 'web'), repo('444455556666', 'base')]);
    expect(await simulate(policy, WORKER, 'ecr:BatchGetImage', repo(ACCOUNT, 'web'))).toBe('Allowed');
    expect(await simulate(policy, WORKER, 'ecr:BatchGetImage', repo(ACCOUNT, 'other'))).toBe('ImplicitlyDenied');
    expect(await simulate(policy, WORKER, 'ecr:CreateRepository', repo(ACCOUNT, 'other'))).toBe('ImplicitlyDenied');
  });
});

describe('IAM calls that name an existing user', () => {
  const run = lazy(() =>
    generate([
      record('iam.amazonaws.com', 'CreateAccessKey', { userName: 'deployer' }),
      record('iam.amazonaws.com', 'CreateLoginProfile', { userName: 'deployer', passwordResetRequired: true }),
      record('iam.amazonaws.com', 'CreateServiceSpecificCredential', {
        userName: 'deployer',
        serviceName: 'codecommit.amazonaws.com',
      }),
      record('iam.amazonaws.com', 'CreateUser', { userName: 'builder', path: '/ci/' }),
    ]),
  );
  const user = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;

  it('CreateAccessKey, CreateLoginProfile, CreateServiceSpecificCredential: the user at the root or under any path', async () => {
    const { policy, verified } = run();
    expect(verified).toBe(0);
    for (const a of ['iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:CreateServiceSpecificCredential']) {
      expect(grants(policy, a), a).toEqual([user('*/deployer'), user('deployer')]);
      expect(await simulate(policy, WORKER, a, user('ci/deployer')), a).toBe('Allowed');
      expect(await simulate(policy, WORKER, a, user('ci/deployer2')), a).toBe('ImplicitlyDenied');
    }
  });

  it('CreateUser creates the user it names, at the path it gives', async () => {
    const { policy } = run();
    expect(grants(policy, 'iam:CreateUser')).toEqual([user('ci/builder')]);
    expect(await simulate(policy, WORKER, 'iam:CreateUser', user('builder'))).toBe('ImplicitlyDenied');
  });
});

describe('a partial Secrets Manager ARN', () => {
  const base = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:`;
  const run = lazy(() =>
    generate([
      record('secretsmanager.amazonaws.com', 'GetSecretValue', { secretId: `${base}prod/db` }),
      record('secretsmanager.amazonaws.com', 'DescribeSecret', { secretId: `${base}prod/api-AbCdEf` }),
    ]),
  );

  it('is granted as the full ARN IAM authorizes: the six random characters as ??????', async () => {
    const { policy, verified } = run();
    expect(verified).toBe(0);
    expect(grants(policy, 'secretsmanager:GetSecretValue')).toEqual([`${base}prod/db-??????`]);
    expect(await simulate(policy, WORKER, 'secretsmanager:GetSecretValue', `${base}prod/db-Xy12Zw`)).toBe('Allowed');
    expect(await simulate(policy, WORKER, 'secretsmanager:GetSecretValue', `${base}prod/db2-Xy12Zw`)).toBe(
      'ImplicitlyDenied',
    );
    // A name that ends in - and six characters is a full ARN, as Secrets Manager reads it.
    expect(grants(policy, 'secretsmanager:DescribeSecret')).toEqual([`${base}prod/api-AbCdEf`]);
  });
});

describe('RunInstances', () => {
  const run = lazy(() =>
    generate([
      record(
        'ec2.amazonaws.com',
        'RunInstances',
        {
          instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] },
          instanceType: 't3.micro',
          subnetId: 'subnet-0123456789abcdef0',
          groupSet: { items: [{ groupId: 'sg-0123456789abcdef0' }] },
        },
        { responseElements: { instancesSet: { items: [{ instanceId: 'i-0123456789abcdef0' }] } } },
      ),
    ]),
  );

  it('is granted on the volumes an EBS-backed launch creates, as a listed widening', async () => {
    const { policy, stderr, verified } = run();
    expect(verified).toBe(0);
    const volumes = `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/*`;
    expect(grants(policy, 'ec2:RunInstances')).toContain(volumes);
    expect(stderr).toContain(`creates the instance's volumes, on which RunInstances is authorized`);
    expect(
      await simulate(
        policy,
        WORKER,
        'ec2:RunInstances',
        `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/vol-0123456789abcdef0`,
      ),
    ).toBe('Allowed');
    expect(
      await simulate(
        policy,
        WORKER,
        'ec2:RunInstances',
        `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/subnet-0fedcba987654321f`,
      ),
    ).toBe('ImplicitlyDenied');
  });
});

describe('RunInstances from a launch template', () => {
  // As CloudTrail logs a launch from a template: `launchTemplate` with the template's id or name and its version, the
  // image, subnet and security groups left to the template (they are in the response, not in the request).
  const launch = (launchTemplate: Record<string, string>) =>
    record(
      'ec2.amazonaws.com',
      'RunInstances',
      { instancesSet: { items: [{ minCount: 1, maxCount: 1 }] }, launchTemplate },
      {
        responseElements: {
          instancesSet: { items: [{ instanceId: 'i-0123456789abcdef0', imageId: 'ami-0abcdef1234567890' }] },
        },
      },
    );
  const ec2 = (type: string, id: string, region = REGION) =>
    `arn:aws:ec2:${region}:${type === 'image' ? '' : ACCOUNT}:${type}/${id}`;
  /** What AWS authorizes such a launch on: the template and every resource the template launches. */
  const launched = (template: string) => [
    ec2('launch-template', template),
    ec2('image', 'ami-0abcdef1234567890'),
    ec2('instance', 'i-0fedcba9876543210'),
    ec2('network-interface', 'eni-0fedcba9876543210'),
    ec2('security-group', 'sg-0123456789abcdef0'),
    ec2('subnet', 'subnet-0123456789abcdef0'),
    ec2('volume', 'vol-0fedcba9876543210'),
  ];
  const byId = lazy(() => generate([launch({ launchTemplateId: 'lt-0a1b2c3d4e5f60718', version: '3' })]));
  const byName = lazy(() => generate([launch({ launchTemplateName: 'web-servers', version: '$Latest' })]));

  it('by id: granted on that launch template, which AWS authorizes the launch on, and on no other', async () => {
    const { policy, verified } = byId();
    expect(verified).toBe(0);
    for (const r of launched('lt-0a1b2c3d4e5f60718'))
      expect(await simulate(policy, WORKER, 'ec2:RunInstances', r), r).toBe('Allowed');
    const on = grants(policy, 'ec2:RunInstances');
    expect(on).toContain(ec2('launch-template', 'lt-0a1b2c3d4e5f60718'));
    expect(on).not.toContain(ec2('launch-template', '*'));
    expect(await simulate(policy, WORKER, 'ec2:RunInstances', ec2('launch-template', 'lt-0fffffffffffffff0'))).toBe(
      'ImplicitlyDenied',
    );
  });

  it("by name: the template's ARN holds its id, which the event does not give: the account and Region's, listed", async () => {
    const { policy, stderr, verified } = byName();
    expect(verified).toBe(0);
    for (const r of launched('lt-0a1b2c3d4e5f60718'))
      expect(await simulate(policy, WORKER, 'ec2:RunInstances', r), r).toBe('Allowed');
    expect(grants(policy, 'ec2:RunInstances')).toContain(ec2('launch-template', '*'));
    expect(stderr).toMatch(
      /ec2:RunInstances: requestParameters\.launchTemplate\.launchTemplateName \(web-servers\): [^\n]*→ arn:aws:ec2:eu-west-1:111122223333:launch-template\/\*/,
    );
    expect(
      await simulate(policy, WORKER, 'ec2:RunInstances', ec2('launch-template', 'lt-0a1b2c3d4e5f60718', 'us-east-1')),
    ).toBe('ImplicitlyDenied');
  });

  it('by name, with the image given in the request: the template adds itself, not every image', async () => {
    const overridden = launch({ launchTemplateName: 'web-servers', version: '2' });
    const items = (overridden['requestParameters'] as { instancesSet: { items: Record<string, unknown>[] } })
      .instancesSet.items;
    items[0]!['imageId'] = 'ami-0abcdef1234567890';
    const { policy, verified } = generate([overridden]);
    expect(verified).toBe(0);
    const on = grants(policy, 'ec2:RunInstances');
    expect(on).toContain(ec2('launch-template', '*'));
    expect(on.filter((r) => r.includes(':image/'))).toEqual([ec2('image', 'ami-0abcdef1234567890')]);
    expect(await simulate(policy, WORKER, 'ec2:RunInstances', ec2('image', 'ami-0fffffffffffffff0'))).toBe(
      'ImplicitlyDenied',
    );
  });

  it('a launch that names no template is granted on none', () => {
    const { policy } = lazy(() =>
      generate([
        record('ec2.amazonaws.com', 'RunInstances', {
          instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] },
        }),
      ]),
    )();
    expect(grants(policy, 'ec2:RunInstances').filter((r) => r.includes(':launch-template/'))).toEqual([]);
  });
});

describe('event sources and names that differ from their actions', () => {
  const cluster = `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:orders`;
  const statement = {
    continueAfterTimeout: false,
    database: 'orders',
    includeResultMetadata: false,
    parameters: [],
    resourceArn: cluster,
    schema: '',
    secretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:orders-db-AbCdEf`,
    sql: 'select 1',
  };
  const run = lazy(() =>
    generate([
      record('rdsdataapi.amazonaws.com', 'ExecuteStatement', statement),
      record('rdsdata.amazonaws.com', 'BeginTransaction', {
        database: 'orders',
        resourceArn: cluster,
        secretArn: statement.secretArn,
      }),
      record('s3.amazonaws.com', 'PostObject', {
        bucketName: 'uploads',
        key: 'forms/a.txt',
        Host: 'uploads.s3.amazonaws.com',
      }),
    ]),
  );

  it('RDS Data API (rdsdataapi, rdsdata) is rds-data; S3 PostObject is s3:PutObject', async () => {
    const { policy, stderr, verified } = run();
    expect(stderr).not.toContain('unmapped');
    expect(verified).toBe(0);
    expect(grants(policy, 'rds-data:ExecuteStatement')).toEqual([cluster]);
    expect(grants(policy, 'rds-data:BeginTransaction')).toEqual([cluster]);
    expect(grants(policy, 's3:PutObject')).toEqual(['arn:aws:s3:::uploads/forms/a.txt']);
    expect(await simulate(policy, WORKER, 'rds-data:ExecuteStatement', cluster)).toBe('Allowed');
    expect(await simulate(policy, WORKER, 'rds-data:ExecuteStatement', `${cluster}2`)).toBe('ImplicitlyDenied');
  });
});

describe('KMS ReEncrypt', () => {
  const source = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1111aaaa-2222-3333-4444-555566667777`;
  const destination = `arn:aws:kms:${REGION}:${ACCOUNT}:key/8888bbbb-9999-aaaa-bbbb-ccccddddeeee`;
  // As the KMS developer guide logs it: both keys in resources[], the request naming each.
  const resources = [source, destination].map((ARN) => ({ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN }));
  const named = lazy(() =>
    generate([
      record(
        'kms.amazonaws.com',
        'ReEncrypt',
        {
          sourceKeyId: source,
          destinationKeyId: destination,
          sourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          destinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        },
        { resources },
      ),
    ]),
  );

  it('naming both keys: ReEncryptFrom on the source key alone, ReEncryptTo on the destination alone', async () => {
    const { policy, verified } = named();
    expect(verified).toBe(0);
    expect(grants(policy, 'kms:ReEncryptFrom')).toEqual([source]);
    expect(grants(policy, 'kms:ReEncryptTo')).toEqual([destination]);
    expect(await simulate(policy, WORKER, 'kms:ReEncryptFrom', source)).toBe('Allowed');
    expect(await simulate(policy, WORKER, 'kms:ReEncryptFrom', destination)).toBe('ImplicitlyDenied');
    expect(await simulate(policy, WORKER, 'kms:ReEncryptTo', source)).toBe('ImplicitlyDenied');
  });

  it('without sourceKeyId (a symmetric key, read from the ciphertext): both actions on the keys of the record', () => {
    const { policy, verified } = generate([
      record('kms.amazonaws.com', 'ReEncrypt', { destinationKeyId: destination }, { resources }),
    ]);
    expect(verified).toBe(0);
    expect(grants(policy, 'kms:ReEncryptFrom')).toEqual([source, destination].sort());
    expect(grants(policy, 'kms:ReEncryptTo')).toEqual([source, destination].sort());
  });
});

describe('S3 reads of one version', () => {
  const object = 'arn:aws:s3:::acme-data/in/a.json';
  const read = (eventName: string, versionId?: string) =>
    record('s3.amazonaws.com', eventName, {
      bucketName: 'acme-data',
      key: 'in/a.json',
      ...(versionId ? { versionId } : {}),
      Host: 'acme-data.s3.eu-west-1.amazonaws.com',
    });

  it('GetObject and HeadObject with a versionId need s3:GetObjectVersion alone (S3 API reference)', async () => {
    const { policy, verified } = generate([
      read('GetObject', '3HL4kqtJlcpXroDTDmJ'),
      read('HeadObject', 'DVBH40Nr8X8g'),
    ]);
    expect(verified).toBe(0);
    expect(grants(policy, 's3:GetObjectVersion')).toEqual([object]);
    expect(grants(policy, 's3:GetObject')).toEqual([]);
    expect(await simulate(policy, WORKER, 's3:GetObjectVersion', object)).toBe('Allowed');
    expect(await simulate(policy, WORKER, 's3:GetObject', object)).toBe('ImplicitlyDenied');
  });

  it('without a versionId, s3:GetObject as before', () => {
    const { policy } = generate([read('GetObject')]);
    expect(grants(policy, 's3:GetObject')).toEqual([object]);
    expect(grants(policy, 's3:GetObjectVersion')).toEqual([]);
  });
});
