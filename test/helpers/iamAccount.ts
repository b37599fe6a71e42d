import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from './cli.js';

/**
 * An account's IAM as `aws iam get-account-authorization-details` answers it, for tests of trusts: a role by its ARN
 * (path and name from it), its trust, and one inline policy allowing `actions` on `*`.
 */
export function roleDetail(arn: string, trust: unknown, actions: string | string[], id = 'AROAEXAMPLEEXAMPLE01') {
  const name = arn.slice(arn.lastIndexOf('/') + 1);
  const path = arn.slice(arn.indexOf(':role') + 5, arn.length - name.length);
  return {
    Path: path,
    RoleName: name,
    RoleId: id,
    Arn: arn,
    CreateDate: '2026-01-01T00:00:00Z',
    AssumeRolePolicyDocument: trust,
    RolePolicyList: [
      {
        PolicyName: 'inline',
        PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] },
      },
    ],
    AttachedManagedPolicies: [],
    Tags: [],
  };
}

/** An account answer holding these roles only. */
export const accountOf = (...roles: ReturnType<typeof roleDetail>[]) => ({
  UserDetailList: [],
  GroupDetailList: [],
  Policies: [],
  RoleDetailList: roles,
});

/** CloudTrail records as one `{"Records":[...]}` file in a new directory: its path. */
export function trailFile(records: Record<string, unknown>[]): string {
  const file = join(tmp(), 'trail.json');
  writeFileSync(file, JSON.stringify({ Records: records }));
  return file;
}
