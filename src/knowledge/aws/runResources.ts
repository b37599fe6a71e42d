import { parseArn } from './arn.js';
import { firstVariablePart } from './variableSegments.js';

/**
 * Resources AWS makes one of per run, named by the run: the next run is another ARN under the same parent. Only the
 * types listed here; tables, queues, buckets, functions and the like are created once and keep their names (a
 * DynamoDB table or SQS queue named with a date is still the one the principal uses tomorrow).
 *
 * - ECS `task/<cluster>/<task id>`: the task id is AWS's (32 hex digits, a UUID in the old ARN format), one per task.
 * - Step Functions `execution:<state machine>:<name>` (and `express:`): a name "must be unique for your account,
 *   Region, and state machine for 90 days", a UUID when StartExecution gives none (StartExecution, API reference).
 * - Revisions AWS numbers itself, one more at every registration or publish, so the next deploy is the next number
 *   (and production's numbers are not staging's): an ECS task definition `task-definition/<family>:<revision>` (the
 *   first registration of a family is revision 1, each later one the next: ECS API reference, TaskDefinition); an
 *   AWS Batch job definition `job-definition/<name>:<revision>` (the same: Batch API reference,
 *   RegisterJobDefinition); a Lambda function's published version `function:<name>:<number>` (each publish the next
 *   number; an alias, a name, stays). They become `<family>:*`, which also covers the family's other revisions (and,
 *   for Lambda, its aliases): listed.
 * - SageMaker jobs `training-job/<name>` (processing, transform, tuning, compilation, AutoML): a job's name is unique
 *   in its account and region, so each run names another; the SageMaker Python SDK names them `<base>-<UTC time to
 *   the millisecond>` (`name_from_base`, `sagemaker_timestamp`). Kept up to the first variable part of the name
 *   (`training-job/churn-*`, variableSegments.ts); a name with none stays as it is.
 * - Snapshots and backups a job takes at every run: RDS DB and cluster snapshots (`snapshot:<name>`; the automated ones
 *   AWS names `rds:<db>-<date>-<time>`), Redshift snapshots (`snapshot:<cluster>/<name>`), ElastiCache snapshots
 *   (`snapshot:<name>`): the name a backup script gives carries its night (`nightly-20261102`, `pre-deploy-<sha>`), and
 *   is kept up to its first variable part (`snapshot:nightly-*`); a name without one (`final`) stays. DynamoDB's
 *   on-demand backups and exports (`table/<table>/backup/<id>`, `…/export/<id>`) get an id from AWS at each.
 *
 * Not here, as their runs are not resources a policy names: CodeBuild builds (`project:<uuid>`; BatchGetBuilds and
 * StopBuild are authorized on the project), Glue job runs (GetJobRun, on the job), SSM command ids
 * (GetCommandInvocation takes no resource type; SendCommand is on the document and the instances), KMS grants (on
 * the key): the catalogue's resource types of each.
 */
/** `name`: the run's own part is a name whose stable start is kept (variableSegments.ts), not the whole part. */
const RUNS: { service: string; re: RegExp; why: string; name?: true }[] = [
  { service: 'ecs', re: /^(task\/(?:[^/]+\/)?)[^/]+$/, why: 'an ECS task id' },
  { service: 'states', re: /^((?:execution|express):[^:]+:).+$/, why: "an execution's name" },
  { service: 'ecs', re: /^(task-definition\/[^:/]+:)\d+$/, why: "a task definition's revision" },
  { service: 'batch', re: /^(job-definition\/[^:/]+:)\d+$/, why: "a job definition's revision" },
  { service: 'lambda', re: /^(function:[^:]+:)\d+$/, why: "a function's published version" },
  { service: 'rds', re: /^((?:cluster-)?snapshot:)(.+)$/, why: "a snapshot's name", name: true },
  { service: 'redshift', re: /^(snapshot:[^/]+\/)(.+)$/, why: "a snapshot's name", name: true },
  { service: 'elasticache', re: /^(snapshot:)(.+)$/, why: "a snapshot's name", name: true },
  { service: 'dynamodb', re: /^(table\/[^/]+\/(?:backup|export)\/)[^/]+$/, why: "a backup's or export's id" },
  {
    service: 'sagemaker',
    re: /^((?:training|processing|transform|hyper-parameter-tuning|compilation|auto-ml)-job\/)([^/]+)$/,
    why: "a job's name",
    name: true,
  },
];

/** `arn:...:task/jobs/0b1c...` → the ARN up to the run's own part (`...:task/jobs/`) and why; undefined for others. */
export function perRunResource(arn: string): { prefix: string; why: string } | undefined {
  const a = parseArn(arn);
  if (!a) return undefined;
  for (const r of RUNS) {
    const m = a.service === r.service ? r.re.exec(a.resource) : null;
    if (!m) continue;
    const parent = arn.slice(0, arn.length - a.resource.length) + m[1];
    if (!r.name) return { prefix: parent, why: r.why };
    const v = firstVariablePart([m[2]!]);
    return v ? { prefix: parent + m[2]!.slice(0, v.at), why: `${r.why} with ${v.why} in it` } : undefined;
  }
  return undefined;
}
