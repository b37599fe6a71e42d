import { actionDetails, actionExists } from '../../knowledge/aws/catalogue.js';
import { parseArn } from '../../knowledge/aws/arn.js';
import type { Risk } from '../../model/finding.js';

// ---- the documented catalogue of risky permissions (docs/report.md): AWS ------------------------

const IAM_WRITE = /^(iam|sts):(?!(Get|List|Generate|Simulate|Decode))/;

/** What the catalogue says of an action: its access level, and whether it can be scoped to resources. */
export interface ActionFacts {
  /** `List`, `Read`, `Write`, `Permissions management`, `Tagging`; '' when not in the catalogue. */
  accessLevel: string;
  /** True when the action takes no resource (AWS requires `*`). */
  wildcardOnly: boolean;
}

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
      return { accessLevel: d.accessLevel, wildcardOnly: d.isWildcardOnly || d.resourceTypes.length === 0 };
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
  return f.accessLevel === 'Read' && !/:(Describe|List)/.test(action);
}

/**
 * Why one AWS permission is risky, with levels. `*` as the resource is flagged only where the action
 * could name resources: `ec2:DescribeInstances` on `*` is what AWS requires.
 */
export function awsRiskList(
  action: string,
  resource: string,
  principalAccount: string,
  bucketsOfPrincipal: number,
  f: ActionFacts,
): Risk[] {
  const out: Risk[] = [];
  const add = (level: Risk['level'], reason: string) => out.push({ level, reason });
  if (action === 'iam:PassRole') add('high', 'iam:PassRole: hands a role to a service');
  else if (action === 'sts:AssumeRole') {
    const arn = parseArn(resource);
    const acct = arn?.service === 'iam' ? arn.account : undefined;
    if (acct && acct !== principalAccount) add('high', `cross-account sts:AssumeRole into ${acct}`);
    else add('medium', 'sts:AssumeRole');
  } else if (IAM_WRITE.test(action)) out.push({ level: 'high', reason: 'an IAM or STS write', about: action });
  else if (f.accessLevel.includes('Permissions management'))
    out.push({ level: 'high', reason: 'changes who may do what', about: action });
  if (action === 'kms:Decrypt') add('medium', 'kms:Decrypt');
  if (action === 'secretsmanager:GetSecretValue') add('high', 'reads secrets (Secrets Manager)');
  if (action.startsWith('s3:') && bucketsOfPrincipal > 3) add('low', `S3 on ${bucketsOfPrincipal} buckets`);
  if (action.includes('*')) add('high', 'a wildcard action');
  else if (resource === '*' && !f.wildcardOnly && scopedMatters(action, f))
    add('medium', 'a wildcard resource where the action can name one');
  return out;
}
