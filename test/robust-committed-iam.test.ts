import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorizationPolicies } from '../src/policy/iamAuthorization.js';
import { terraformPolicies } from '../src/policy/terraform.js';
import { evaluateIdentityPolicies, readStatements } from '../src/verify/iam/evaluate.js';
import { cli, rng, tmp } from './helpers/cli.js';

/**
 * An account's authorization details and Terraform's JSON are files anyone can hand in, edited, cut or made up: any
 * value in any place must give issues, policies read or policies not read, never an exception or an internal error.
 */
const A = '111122223333';
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
const policy = doc({ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: '*' });

const answer = () => ({
  UserDetailList: [
    {
      UserName: 'ana',
      Arn: `arn:aws:iam::${A}:user/ana`,
      UserPolicyList: [{ PolicyName: 'u', PolicyDocument: policy }],
      GroupList: ['readers'],
      AttachedManagedPolicies: [{ PolicyName: 'm', PolicyArn: `arn:aws:iam::${A}:policy/m` }],
    },
  ],
  GroupDetailList: [
    {
      GroupName: 'readers',
      Arn: `arn:aws:iam::${A}:group/readers`,
      GroupPolicyList: [{ PolicyName: 'g', PolicyDocument: encodeURIComponent(JSON.stringify(policy)) }],
    },
  ],
  RoleDetailList: [
    {
      RoleName: 'app',
      Path: '/',
      Arn: `arn:aws:iam::${A}:role/app`,
      RolePolicyList: [{ PolicyName: 'r', PolicyDocument: JSON.stringify(policy) }],
      AttachedManagedPolicies: [{ PolicyName: 'm', PolicyArn: `arn:aws:iam::${A}:policy/m` }],
      PermissionsBoundary: { PermissionsBoundaryArn: `arn:aws:iam::${A}:policy/m` },
    },
  ],
  Policies: [
    {
      PolicyName: 'm',
      Arn: `arn:aws:iam::${A}:policy/m`,
      DefaultVersionId: 'v1',
      PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: policy }],
    },
  ],
});

const plan = () => ({
  format_version: '1.2',
  planned_values: {
    root_module: {
      resources: [
        {
          address: 'aws_iam_role.app',
          mode: 'managed',
          type: 'aws_iam_role',
          name: 'app',
          values: {
            name: 'app',
            arn: `arn:aws:iam::${A}:role/app`,
            inline_policy: [{ name: 'i', policy: JSON.stringify(policy) }],
            managed_policy_arns: [`arn:aws:iam::${A}:policy/m`],
            permissions_boundary: '',
          },
        },
        {
          address: 'aws_iam_policy.m',
          mode: 'managed',
          type: 'aws_iam_policy',
          name: 'm',
          values: { arn: `arn:aws:iam::${A}:policy/m`, policy: JSON.stringify(policy) },
        },
        {
          address: 'aws_iam_user.ana',
          mode: 'managed',
          type: 'aws_iam_user',
          name: 'ana',
          values: { name: 'ana', arn: `arn:aws:iam::${A}:user/ana` },
        },
        {
          address: 'aws_iam_user_group_membership.ana',
          mode: 'managed',
          type: 'aws_iam_user_group_membership',
          name: 'ana',
          values: { user: 'ana', groups: ['readers'] },
        },
        {
          address: 'aws_iam_group_policy.readers',
          mode: 'managed',
          type: 'aws_iam_group_policy',
          name: 'readers',
          values: { group: 'readers', policy: JSON.stringify(policy) },
        },
        {
          address: 'aws_iam_role_policy_attachment.x[0]',
          mode: 'managed',
          type: 'aws_iam_role_policy_attachment',
          name: 'x',
          index: 0,
          values: {},
        },
        {
          address: 'aws_iam_policy_attachment.all',
          mode: 'managed',
          type: 'aws_iam_policy_attachment',
          name: 'all',
          values: { policy_arn: `arn:aws:iam::${A}:policy/m`, roles: ['app'], users: ['ana'], groups: ['readers'] },
        },
      ],
      child_modules: [{ address: 'module.m', resources: [] }],
    },
  },
  configuration: {
    root_module: {
      resources: [
        {
          address: 'aws_iam_role_policy_attachment.x',
          expressions: {
            role: { references: ['aws_iam_role.app.id'] },
            policy_arn: { references: ['aws_iam_policy.m[count.index].arn'] },
          },
        },
      ],
      module_calls: { m: { module: { resources: [] } } },
    },
  },
});

/** Values a field may be replaced with: wrong types, inherited names, reference syntax, broken encodings, huge. */
const VALUES: unknown[] = [
  null,
  0,
  -1,
  true,
  '',
  '__proto__',
  'constructor',
  'toString',
  { __proto__: null },
  JSON.parse('{"__proto__": {"x": 1}}'),
  [],
  [null],
  ['__proto__'],
  {},
  '%E0%A4%A',
  '%7B%22Statement%22%3A5%7D',
  '{"Statement": [{"Effect": "Allow", "Action": "*"}]}',
  'aws_iam_policy.m[count.index',
  'aws_iam_role.app["k\\"]',
  'arn:aws:iam::aws:policy/ReadOnlyAccess',
  `arn:aws:iam::${A}:role/`,
  'x'.repeat(100_000),
  '2.0',
];

/** A copy of `root` with `n` random places (an object field or array element, at any depth) replaced or removed. */
function mutate(root: unknown, r: () => number, n: number): unknown {
  const copy = JSON.parse(JSON.stringify(root)) as unknown;
  for (let k = 0; k < n; k++) {
    const places: [Record<string, unknown> | unknown[], string | number][] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v))
        v.forEach((x, i) => {
          places.push([v, i]);
          walk(x);
        });
      else if (v && typeof v === 'object')
        for (const key of Object.keys(v)) {
          places.push([v as Record<string, unknown>, key]);
          walk((v as Record<string, unknown>)[key]);
        }
    };
    walk(copy);
    if (!places.length) break;
    const [parent, key] = places[Math.floor(r() * places.length)]!;
    const value = VALUES[Math.floor(r() * VALUES.length)];
    if (r() < 0.1 && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[key as string];
    else (parent as Record<string | number, unknown>)[key] = value;
  }
  return copy;
}

describe('committed IAM of any shape: issues, never a crash', () => {
  it('2,000 mutated answers and plans read into policies that are read or not read, each evaluable', () => {
    const r = rng(20261205);
    let principals = 0;
    let unread = 0;
    let issues = 0;
    for (let i = 0; i < 2000; i++) {
      const terraform = i % 2 === 1;
      const object = mutate(terraform ? plan() : answer(), r, 1 + Math.floor(r() * 4));
      if (object === null || typeof object !== 'object' || Array.isArray(object)) continue;
      const text = JSON.stringify(object, null, 2);
      const read = terraform
        ? terraformPolicies([{ file: 'plan.json', object: object as never, text }])
        : authorizationPolicies([{ file: 'authz.json', object: object as never, text }]);
      for (const is of read.issues) {
        expect(is.line).toBeGreaterThanOrEqual(1);
        expect(typeof is.message).toBe('string');
        issues++;
      }
      for (const p of read.principals) {
        expect(p.arn).toMatch(/^arn:aws[\w-]*:iam::\d{12}:(role|user)\//);
        principals++;
        for (const pol of p.policies) {
          if (pol.unknown !== undefined) unread++;
          else expect(typeof readStatements(pol.document)).not.toBe('string');
        }
        const d = evaluateIdentityPolicies(p.policies, {
          action: 'sqs:SendMessage',
          resource: `arn:aws:sqs:eu-west-1:${A}:q`,
        });
        expect(['allow', 'deny', 'undetermined']).toContain(d.result);
      }
    }
    // The mutations leave most principals readable and make some policies unreadable and some issues.
    expect(principals).toBeGreaterThan(1500);
    expect(unread).toBeGreaterThan(100);
    expect(issues).toBeGreaterThan(100);
  });

  it('check on mutated files exits 0, 1 or 2 with a message, never an internal error', { timeout: 120_000 }, () => {
    const r = rng(1205);
    const dir = tmp();
    const logs = join(dir, 'ct.json');
    writeFileSync(
      logs,
      JSON.stringify({
        eventVersion: '1.09',
        userIdentity: {
          type: 'AssumedRole',
          arn: `arn:aws:sts::${A}:assumed-role/app/s`,
          accountId: A,
          sessionContext: {
            sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${A}:role/app`, accountId: A, userName: 'app' },
          },
        },
        eventTime: '2026-11-05T10:00:00Z',
        eventSource: 'sqs.amazonaws.com',
        eventName: 'SendMessage',
        awsRegion: 'eu-west-1',
        eventID: 'e1',
        recipientAccountId: A,
        requestParameters: { queueUrl: `https://sqs.eu-west-1.amazonaws.com/${A}/q` },
      }) + '\n',
    );
    const codes = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const file = join(dir, `p${i}.json`);
      writeFileSync(file, JSON.stringify(mutate(i % 2 ? plan() : answer(), r, 2 + (i % 3)), null, 2));
      const res = cli(['check', '--policies', file, '--cloudtrail', logs, '--format', 'json', '--on-error', 'skip']);
      expect(res.stderr).not.toContain('internal error');
      expect([0, 1, 2]).toContain(res.code);
      codes.add(res.code);
    }
    expect(codes.size).toBeGreaterThan(0);
  });
});
