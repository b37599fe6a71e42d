import { servicePrefix } from './eventNames.js';
import { partitionOfRegion } from './arn.js';

/**
 * The service a call hands a role to (`iam:PassedToService`, the key of an `iam:PassRole` request: the IAM User Guide's
 * "IAM and AWS STS condition context keys"), for the calls whose guides name it: the service principal that assumes
 * the role later. AWS managed policies allow `iam:PassRole` under that key (AWSLambda_FullAccess to
 * `lambda.amazonaws.com`, AmazonECS_FullAccess to `ecs-tasks.amazonaws.com`, AWSGlueConsoleFullAccess to
 * `glue.amazonaws.com`), so a check of them needs the value. Only the calls listed here say it; any other leaves the
 * key unknown (a Condition on it undetermined), never guessed from the event source or the role's trust: a task role
 * passed to ECS goes to `ecs-tasks.amazonaws.com`, an EKS node role (which trusts EC2) is checked as passed to
 * `eks.amazonaws.com`, and what RDS sends for an enhanced-monitoring role (which trusts
 * `monitoring.rds.amazonaws.com`) is not written down. A value here comes from an AWS guide's policy for the call or
 * from an AWS managed policy's PassRole statement for the service (docs/design.md lists them).
 */
/** The condition key, as AWS's managed policies spell it. */
export const PASSED_TO_KEY = 'iam:PassedToService';

/**
 * Per call, the request parameters holding a role it hands over (as implied.ts writes them, a list's index as `[]`) and
 * the service it goes to; null where the guide says the service's request carries no `iam:PassedToService` at all
 * (the IAM User Guide's entry for the key names CodeBuild): a grant under the key would deny the call, so its PassRole
 * is granted without one, and replay asks with the key absent.
 */
const PASSED_TO: Record<string, { params: readonly string[]; service: string | null }> = {
  // The execution role, which Lambda assumes (Lambda Developer Guide, "Lambda execution role"; AWSLambda_FullAccess).
  'lambda:CreateFunction': { params: ['role'], service: 'lambda.amazonaws.com' },
  'lambda:UpdateFunctionConfiguration': { params: ['role'], service: 'lambda.amazonaws.com' },
  // A task's role and its execution role, which ECS tasks assume (ECS Developer Guide, "Task IAM role";
  // AmazonECS_FullAccess), in a task definition or a run's overrides.
  'ecs:RegisterTaskDefinition': { params: ['taskRoleArn', 'executionRoleArn'], service: 'ecs-tasks.amazonaws.com' },
  'ecs:RunTask': {
    params: ['overrides.taskRoleArn', 'overrides.executionRoleArn'],
    service: 'ecs-tasks.amazonaws.com',
  },
  'ecs:StartTask': {
    params: ['overrides.taskRoleArn', 'overrides.executionRoleArn'],
    service: 'ecs-tasks.amazonaws.com',
  },
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
  // "Some services, such as AWS CodeBuild ..., do not support this condition key" (IAM User Guide).
  'codebuild:CreateProject': { params: ['serviceRole'], service: null },
  'codebuild:UpdateProject': { params: ['serviceRole'], service: null },
  // A target's role, which EventBridge assumes to reach the target (AmazonEventBridgeFullAccess).
  'events:PutTargets': { params: ['targets[].roleArn'], service: 'events.amazonaws.com' },
  // EventBridge Scheduler's own principal, not EventBridge's (AmazonEventBridgeSchedulerFullAccess).
  'scheduler:CreateSchedule': { params: ['target.roleArn'], service: 'scheduler.amazonaws.com' },
  'scheduler:UpdateSchedule': { params: ['target.roleArn'], service: 'scheduler.amazonaws.com' },
  // The cluster's role and a node group's node role: both checked as passed to EKS (the Step Functions Developer
  // Guide's policies for its EKS integration), although the node role trusts EC2; EKS passes it on with its own role.
  'eks:CreateCluster': { params: ['roleArn'], service: 'eks.amazonaws.com' },
  'eks:CreateNodegroup': { params: ['nodeRole'], service: 'eks.amazonaws.com' },
  // SageMaker's execution roles (the Step Functions Developer Guide's SageMaker policies; AmazonSageMakerFullAccess).
  'sagemaker:CreateTrainingJob': { params: ['roleArn'], service: 'sagemaker.amazonaws.com' },
  'sagemaker:CreateTransformJob': { params: ['roleArn'], service: 'sagemaker.amazonaws.com' },
  'sagemaker:CreateProcessingJob': { params: ['roleArn'], service: 'sagemaker.amazonaws.com' },
  'sagemaker:CreateNotebookInstance': { params: ['roleArn'], service: 'sagemaker.amazonaws.com' },
  'sagemaker:CreateModel': { params: ['executionRoleArn'], service: 'sagemaker.amazonaws.com' },
  // The pipeline's own role, not its actions' (AWSCodePipeline_FullAccess).
  'codepipeline:CreatePipeline': { params: ['pipeline.roleArn'], service: 'codepipeline.amazonaws.com' },
  'codepipeline:UpdatePipeline': { params: ['pipeline.roleArn'], service: 'codepipeline.amazonaws.com' },
};

/**
 * The service principal `call` (`lambda:UpdateFunctionConfiguration`) hands the role of the parameter `via`
 * (`requestParameters.role`, as implied.ts writes it; an instance profile's with what follows it) to, where its guide
 * says; null where its guide says the request carries no such key; undefined otherwise.
 */
export function passedToService(call: string, via: string): string | null | undefined {
  const entry = PASSED_TO[call];
  const m = /^requestParameters\.([\w.[\]]+)/.exec(via);
  const param = m?.[1]!.replace(/\[\d+\]/g, '[]');
  return entry && param && entry.params.includes(param) ? entry.service : undefined;
}

/**
 * `passedToService` of one need of a call: undefined for any need but an `iam:PassRole` whose service is known (or
 * known to send no key, null), and for a call outside the `aws` partition: AWS's own policies for China's regions also
 * allow `.amazonaws.com.cn` principals, and which one a service sends there is not written down.
 */
export function passedToOf(
  call: { eventSource: string; eventName: string; region?: string },
  need: { action: string; implied?: string },
): string | null | undefined {
  if (need.action !== 'iam:PassRole' || !need.implied) return undefined;
  if (!call.region || partitionOfRegion(call.region) !== 'aws') return undefined;
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
