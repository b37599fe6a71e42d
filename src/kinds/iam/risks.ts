// ---- the documented list of risky permissions (docs/report.md): AWS ------------------------------

const IAM_WRITE = /^(iam|sts):(?!(Get|List|Generate|Simulate|Decode))/;

export function awsRisks(
  action: string,
  resource: string,
  principalAccount: string,
  bucketsOfPrincipal: number,
): string[] {
  const out: string[] = [];
  if (action === 'iam:PassRole') out.push('iam:PassRole: hands a role to a service');
  else if (action === 'sts:AssumeRole') {
    const acct = /^arn:aws[\w-]*:iam::(\d+):/.exec(resource)?.[1];
    if (acct && acct !== principalAccount) out.push(`cross-account sts:AssumeRole into ${acct}`);
    else out.push('sts:AssumeRole');
  } else if (IAM_WRITE.test(action)) out.push(`${action}: an IAM or STS write`);
  if (action === 'kms:Decrypt') out.push('kms:Decrypt');
  if (action === 'secretsmanager:GetSecretValue') out.push('reads secrets (Secrets Manager)');
  if (action.startsWith('s3:') && bucketsOfPrincipal > 3) out.push(`S3 on ${bucketsOfPrincipal} buckets`);
  if (resource === '*' || action.includes('*')) out.push('a wildcard');
  return out;
}
