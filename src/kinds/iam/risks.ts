import { actionDetails, actionExists } from '../../knowledge/aws/catalogue.js';
import { STAR_WHEN_UNNAMED } from '../../knowledge/aws/resourceParameters.js';
import type { Risk } from '../../model/finding.js';
import { own } from '../../util/own.js';

// ---- the documented catalogue of risky permissions (docs/report.md): AWS ------------------------

const IAM_WRITE = /^(iam|sts):(?!(get|list|generate|simulate|decode))/i;

/** What the catalogue says of an action: its access level, and whether it can be scoped to resources. */
export interface ActionFacts {
  /** `List`, `Read`, `Write`, `Permissions management`, `Tagging`; '' when not in the catalogue. */
  accessLevel: string;
  /**
   * True when AWS requires `*`: the action takes no resource, or a call that names none (DescribeStacks without a
   * StackName, GetMetricData of classic metrics) is authorized on `*`. The generator's own knowledge
   * (knowledge/aws/permissions.ts writes `*` for both, listed as `no-resource-type`), so the report never calls its `*`
   * one where the action could name a resource.
   */
  wildcardOnly: boolean;
}

/** The actions AWS authorizes on `*` when the call names no resource, by lower-case name. */
const STAR_WHEN_NONE = new Set(Object.keys(STAR_WHEN_UNNAMED).map((a) => a.toLowerCase()));

const facts = new Map<string, Promise<ActionFacts>>();

/** The catalogue's facts of an action, looked up once. */
export function actionFacts(action: string): Promise<ActionFacts> {
  const key = action.toLowerCase();
  let hit = facts.get(key);
  if (!hit) {
    hit = (async () => {
      const [service, name] = key.split(':');
      if (!service || !name || /[*?]/.test(key) || !(await actionExists(service, name)))
        return { accessLevel: '', wildcardOnly: false };
      const d = await actionDetails(service, name);
      return {
        accessLevel: d.accessLevel,
        wildcardOnly: d.isWildcardOnly || d.resourceTypes.length === 0 || STAR_WHEN_NONE.has(key),
      };
    })();
    facts.set(key, hit);
  }
  return hit;
}

/**
 * Whether `*` as the resource matters: writes and permission changes on every resource, and reads of
 * data (s3:GetObject on every bucket); describing and listing everything is what read-only roles do.
 */
function scopedMatters(action: string, f: ActionFacts): boolean {
  if (/Write|Permissions management|Tagging/.test(f.accessLevel)) return true;
  return f.accessLevel === 'Read' && !/:(describe|list)/i.test(action);
}

// Sources, by title: Rhino Security Labs "AWS IAM Privilege Escalation – Methods and Mitigation" (the IAM writes
// that grant their caller more, iam:PassRole with a service that runs code as the passed role, code and command
// paths into what already runs with a role); AWS KMS "Best practices for IAM policies" (`*` as an IAM policy's
// KMS resource is every key of every account whose key policy lets the account use it); the IAM User Guide's
// "Grammar of the IAM JSON policy language" and "IAM JSON policy elements: Action" (action names are compared
// case-insensitively).

/** IAM writes that give their caller (or someone) more permissions, with what each does. */
const ESCALATIONS: Record<string, string> = {
  'iam:createpolicyversion': 'rewrites a managed policy',
  'iam:setdefaultpolicyversion': 'switches a managed policy to another version',
  'iam:attachuserpolicy': 'attaches a policy to a user',
  'iam:attachgrouppolicy': 'attaches a policy to a group',
  'iam:attachrolepolicy': 'attaches a policy to a role',
  'iam:putuserpolicy': 'writes a user inline policy',
  'iam:putgrouppolicy': 'writes a group inline policy',
  'iam:putrolepolicy': 'writes a role inline policy',
  'iam:createaccesskey': "creates another user's access key",
  'iam:createloginprofile': 'sets a console password for a user',
  'iam:updateloginprofile': "changes a user's console password",
  'iam:updateassumerolepolicy': 'changes who may assume a role',
  'iam:addusertogroup': 'adds a user to a group and its policies',
};

/** Actions that run the caller's code or commands where something already runs with a role. */
const CODE_PATHS: Record<string, string> = {
  'lambda:updatefunctioncode': "runs new code as a function's role",
  'glue:updatedevendpoint': 'puts an SSH key on a Glue dev endpoint (and its role)',
  'ssm:sendcommand': 'runs commands on instances',
  'ssm:startsession': 'opens a shell on instances',
  'ec2-instance-connect:sendsshpublickey': 'pushes an SSH key to instances',
  'ec2-instance-connect:sendserialconsolesshpublickey': "pushes an SSH key to instances' serial console",
};

/**
 * Compute creates that run code as the role iam:PassRole hands them: held with it, a privilege escalation path. The
 * report flags them beside iam:PassRole, and `diff` a principal that gains the combination (kinds/iam/passrole.ts).
 */
export const PASSROLE_TARGETS: readonly string[] = [
  'lambda:CreateFunction',
  'ec2:RunInstances',
  'ecs:RunTask',
  'ecs:StartTask',
  'ecs:RegisterTaskDefinition',
  'glue:CreateDevEndpoint',
  'glue:CreateJob',
  'cloudformation:CreateStack',
  'cloudformation:UpdateStack',
  'sagemaker:CreateNotebookInstance',
  'sagemaker:CreateTrainingJob',
  'sagemaker:CreateProcessingJob',
  'datapipeline:CreatePipeline',
  'codebuild:CreateProject',
  // Calls that hand an existing resource a role to run as, with the same effect (each takes a role parameter AWS
  // checks iam:PassRole on): a function's or a project's role changed, an instance profile attached to a running
  // instance, a service run from a task definition, a state machine, a batch job definition, an EMR cluster.
  'lambda:UpdateFunctionConfiguration',
  'ec2:AssociateIamInstanceProfile',
  'ec2:ReplaceIamInstanceProfileAssociation',
  'ecs:CreateService',
  'ecs:UpdateService',
  'glue:UpdateJob',
  'glue:UpdateDevEndpoint',
  'codebuild:UpdateProject',
  'states:CreateStateMachine',
  'states:UpdateStateMachine',
  'batch:RegisterJobDefinition',
  'elasticmapreduce:RunJobFlow',
  'apprunner:CreateService',
];
const PASSROLE_TARGET_SET = new Set(PASSROLE_TARGETS.map((a) => a.toLowerCase()));

/** Whether an action is one of the compute creates of the iam:PassRole combination (case-insensitive). */
export const isPassRoleTarget = (action: string): boolean => PASSROLE_TARGET_SET.has(action.toLowerCase());

/** `*`, or an ARN naming every resource of its kind anywhere: `arn:aws:s3:::*\/*`, `arn:aws:iam::*:role/*`. */
function anyResource(resource: string): boolean {
  if (resource === '*') return true;
  const parts = resource.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return false;
  const account = parts[4]!;
  const name = parts.slice(5).join(':');
  // `bucket/*` is one bucket's objects, `hostedzone/*` an account's zones: only a wildcard account widens a type.
  if (account === '' || account === '*') if (/^[*/]+$/.test(name)) return true;
  return account === '*' && /^[a-z-]+[/:][*/]+$/i.test(name);
}

/** What else the principal holds, for risks of a combination; absent where it is not known. */
export interface PrincipalContext {
  /** The principal may pass roles (iam:PassRole). */
  passesRole?: boolean;
  /** The compute creates of the combination (PASSROLE_TARGETS) the principal holds, as named in the catalogue. */
  computeCreates?: readonly string[];
}

/**
 * Why one AWS permission is risky, with levels. `*` as the resource is flagged only where the action
 * could name resources: `ec2:DescribeInstances` on `*` is what AWS requires. Action names are read
 * case-insensitively, as AWS reads them.
 */
export function awsRiskList(
  action: string,
  resource: string,
  principalAccount: string,
  bucketsOfPrincipal: number,
  f: ActionFacts,
  principal: PrincipalContext = {},
): Risk[] {
  const out: Risk[] = [];
  const add = (level: Risk['level'], reason: string) => out.push({ level, reason });
  const act = action.toLowerCase();
  const every = anyResource(resource);
  if (act === 'iam:passrole') {
    add('high', 'iam:PassRole: hands a role to a service');
    if (every) add('high', 'iam:PassRole on any role');
    if (principal.computeCreates?.length)
      out.push({
        level: 'high',
        reason: `with ${principal.computeCreates.join(', ')}: runs code as a passed role`,
        about: action,
      });
  } else if (act === 'sts:assumerole') {
    const parts = resource.split(':');
    const acct = parts[0] === 'arn' && parts[2]?.toLowerCase() === 'iam' ? parts[4] : undefined;
    if (every || acct === '*' || /^role\/\*$/.test(parts.slice(5).join(':')))
      add('high', 'sts:AssumeRole on any role that trusts the account');
    else if (acct && acct !== principalAccount) add('high', `cross-account sts:AssumeRole into ${acct}`);
    else add('medium', 'sts:AssumeRole');
  } else if (own(ESCALATIONS, act))
    out.push({ level: 'high', reason: `privilege escalation: ${own(ESCALATIONS, act)}`, about: action });
  else if (IAM_WRITE.test(act)) out.push({ level: 'high', reason: 'an IAM or STS write', about: action });
  else if (f.accessLevel.includes('Permissions management'))
    out.push({ level: 'high', reason: 'changes who may do what', about: action });
  const code = own(CODE_PATHS, act);
  if (code) out.push({ level: 'high', reason: `runs code with a role: ${code}`, about: action });
  if (PASSROLE_TARGET_SET.has(act) && principal.passesRole)
    out.push({ level: 'high', reason: 'with iam:PassRole: runs code as a passed role', about: action });
  if (act === 'kms:decrypt') {
    if (every) add('high', 'kms:Decrypt with any key');
    else add('medium', 'kms:Decrypt');
  }
  if (act === 'secretsmanager:getsecretvalue') add('high', 'reads secrets (Secrets Manager)');
  if (act.startsWith('s3:') && bucketsOfPrincipal > 3) add('low', `S3 on ${bucketsOfPrincipal} buckets`);
  if (act.includes('*')) add('high', 'a wildcard action');
  else if (every && !f.wildcardOnly && scopedMatters(act, f))
    add('medium', 'a wildcard resource where the action can name one');
  return out;
}
