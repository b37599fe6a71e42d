import { parseArn } from './arn.js';

/**
 * What the name of an AWS managed policy says of its breadth, where its document is not read (an account's answer
 * without it in `Policies`, a Terraform plan attaching it by ARN without a `data "aws_iam_policy"`): the name is all
 * that is known of it then. Sources, by title: "AWS managed policies for job functions" (IAM User Guide:
 * AdministratorAccess, `*` on `*`; PowerUserAccess, a NotAction of `iam:*`, `organizations:*` and `account:*` on
 * `*`; the administrator job functions, SystemAdministrator, NetworkAdministrator, DatabaseAdministrator), and the
 * AWS Managed Policy Reference, whose `<Service>FullAccess` policies (IAMFullAccess, AmazonS3FullAccess,
 * AWSLambda_FullAccess, CloudWatchFullAccessV2, ...) allow every action of their service, or most of it, on `*`, and
 * whose `AdministratorAccess-<Service>` ones administer that service. Other AWS managed policies (ReadOnlyAccess,
 * AmazonSSMManagedInstanceCore, ...) are not called broad here: their names do not say so.
 *
 * Returns what it grants, in words, for a broad one; undefined for another policy or an ARN of no AWS managed policy.
 */
export function broadManagedPolicy(arn: string): string | undefined {
  const a = parseArn(arn);
  if (!a || a.service !== 'iam' || a.account !== 'aws' || !a.resource.startsWith('policy/')) return undefined;
  const path = a.resource.slice('policy/'.length);
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name === 'AdministratorAccess') return 'every action on every resource';
  if (name === 'PowerUserAccess') return 'every action on every resource but IAM, Organizations and Account management';
  if (name === 'IAMFullAccess') return 'every IAM action: it can grant itself any permission';
  if (name.startsWith('AdministratorAccess-')) return `administrator access to ${name.slice(20)}`;
  if (path.startsWith('job-function/') && name.endsWith('Administrator'))
    return `the ${name} job function: administration of its services`;
  if (name.includes('FullAccess')) return 'full access to its service, by its name';
  return undefined;
}
