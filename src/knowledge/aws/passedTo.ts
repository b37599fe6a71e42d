import { servicePrefix } from './actions.js';

/**
 * The service a call hands a role to (`iam:PassedToService`, the key of an `iam:PassRole` request: the IAM User Guide's
 * "IAM and AWS STS condition context keys"), for the calls whose guides name it: the service principal that assumes
 * the role later. AWS managed policies allow `iam:PassRole` under that key (AWSLambda_FullAccess to
 * `lambda.amazonaws.com`, AmazonECS_FullAccess to `ecs-tasks.amazonaws.com`, AWSGlueConsoleFullAccess to
 * `glue.amazonaws.com`), so a check of them needs the value. Only the calls listed here say it; any other leaves the
 * key unknown (a Condition on it undetermined), never guessed from the event source: a task role passed to ECS goes
 * to `ecs-tasks.amazonaws.com`, an EKS node role to `ec2.amazonaws.com`, an RDS monitoring role to
 * `monitoring.rds.amazonaws.com`.
 */
/** The condition key, as AWS's managed policies spell it. */
export const PASSED_TO_KEY = 'iam:PassedToService';

const PASSED_TO: Record<string, { params: readonly string[]; service: string }> = {
  // The execution role, which Lambda assumes (Lambda Developer Guide, "Lambda execution role").
  'lambda:CreateFunction': { params: ['role'], service: 'lambda.amazonaws.com' },
  'lambda:UpdateFunctionConfiguration': { params: ['role'], service: 'lambda.amazonaws.com' },
  // A task's role and its execution role, which ECS tasks assume (ECS Developer Guide, "Task IAM role").
  'ecs:RegisterTaskDefinition': { params: ['taskRoleArn', 'executionRoleArn'], service: 'ecs-tasks.amazonaws.com' },
  // The role an instance profile holds, which EC2 assumes for the instance.
  'ec2:RunInstances': { params: ['iamInstanceProfile'], service: 'ec2.amazonaws.com' },
  'ec2:AssociateIamInstanceProfile': { params: ['iamInstanceProfile'], service: 'ec2.amazonaws.com' },
  'ec2:ReplaceIamInstanceProfileAssociation': { params: ['iamInstanceProfile'], service: 'ec2.amazonaws.com' },
  'states:CreateStateMachine': { params: ['roleArn'], service: 'states.amazonaws.com' },
  'states:UpdateStateMachine': { params: ['roleArn'], service: 'states.amazonaws.com' },
  'glue:CreateJob': { params: ['role'], service: 'glue.amazonaws.com' },
  'glue:UpdateJob': { params: ['jobUpdate.role'], service: 'glue.amazonaws.com' },
  'glue:CreateCrawler': { params: ['role'], service: 'glue.amazonaws.com' },
  'glue:UpdateCrawler': { params: ['role'], service: 'glue.amazonaws.com' },
  'cloudformation:CreateStack': { params: ['roleARN'], service: 'cloudformation.amazonaws.com' },
  'cloudformation:UpdateStack': { params: ['roleARN'], service: 'cloudformation.amazonaws.com' },
  'cloudformation:CreateChangeSet': { params: ['roleARN'], service: 'cloudformation.amazonaws.com' },
  'codebuild:CreateProject': { params: ['serviceRole'], service: 'codebuild.amazonaws.com' },
  'codebuild:UpdateProject': { params: ['serviceRole'], service: 'codebuild.amazonaws.com' },
};

/**
 * The service principal `call` (`lambda:UpdateFunctionConfiguration`) hands the role of the parameter `via`
 * (`requestParameters.role`, as implied.ts writes it; an instance profile's with what follows it) to, where its guide
 * says; undefined otherwise.
 */
export function passedToService(call: string, via: string): string | undefined {
  const entry = PASSED_TO[call];
  const m = /^requestParameters\.([\w.]+)/.exec(via);
  return entry && m && entry.params.includes(m[1]!) ? entry.service : undefined;
}

/** `passedToService` of one need of a call: undefined for any need but an `iam:PassRole` whose service is known. */
export function passedToOf(
  call: { eventSource: string; eventName: string },
  need: { action: string; implied?: string },
): string | undefined {
  if (need.action !== 'iam:PassRole' || !need.implied) return undefined;
  return passedToService(`${servicePrefix(call.eventSource)}:${call.eventName}`, need.implied);
}

/**
 * The service that asked KMS as the caller for a need of a call (an S3 write's data key: `s3`, as `kms:ViaService`
 * names its endpoint), undefined for a need that is no KMS permission another service's call implied.
 */
export function kmsViaOf(
  call: { eventSource: string },
  need: { action: string; implied?: string },
): string | undefined {
  const host = call.eventSource.replace(/\.amazonaws\.com(\.cn)?$/, '');
  return need.implied && need.action.startsWith('kms:') && host !== 'kms' ? host : undefined;
}
