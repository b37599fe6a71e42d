import { resourcePath } from '../model/access.js';
import { parseArn } from '../knowledge/aws/arn.js';
import type { NetEdge } from '../model/network.js';
import { isPrivateAddress } from '../knowledge/network/cidr.js';

// ---- the documented list of risky permissions (docs/report.md) -------------------------------

const WORKLOAD_RESOURCES = new Set([
  'pods',
  'deployments',
  'daemonsets',
  'statefulsets',
  'replicasets',
  'jobs',
  'cronjobs',
  'replicationcontrollers',
]);

export function k8sRisks(a: {
  verb: string;
  resource: string;
  subresource: string;
  apiGroup: string;
  nonResourceURL: string;
}): string[] {
  const out: string[] = [];
  const res = resourcePath(a);
  if (a.resource === 'secrets' && !a.subresource)
    out.push(['get', 'list', 'watch'].includes(a.verb) ? 'reads secrets' : 'writes secrets');
  if (['pods/exec', 'pods/attach', 'pods/portforward'].includes(res)) out.push(`${res}: a shell or a tunnel into pods`);
  if (a.verb === 'create' && WORKLOAD_RESOURCES.has(a.resource) && !a.subresource)
    out.push(`creates ${a.resource}: can run any image as any service account of the namespace`);
  if (['escalate', 'bind', 'impersonate'].includes(a.verb)) out.push(`${a.verb}: privilege escalation`);
  if (res === 'serviceaccounts/token') out.push('mints service account tokens');
  if (res === 'nodes/proxy') out.push('nodes/proxy: the kubelet API');
  if ([a.verb, a.resource, a.apiGroup].includes('*') || a.nonResourceURL === '*') out.push('a wildcard');
  return out;
}

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
    const arn = parseArn(resource);
    const acct = arn?.service === 'iam' ? arn.account : undefined;
    if (acct && acct !== principalAccount) out.push(`cross-account sts:AssumeRole into ${acct}`);
    else out.push('sts:AssumeRole');
  } else if (IAM_WRITE.test(action)) out.push(`${action}: an IAM or STS write`);
  if (action === 'kms:Decrypt') out.push('kms:Decrypt');
  if (action === 'secretsmanager:GetSecretValue') out.push('reads secrets (Secrets Manager)');
  if (action.startsWith('s3:') && bucketsOfPrincipal > 3) out.push(`S3 on ${bucketsOfPrincipal} buckets`);
  if (resource === '*' || action.includes('*')) out.push('a wildcard');
  return out;
}

const isPrivate = isPrivateAddress;

export function netRisks(e: NetEdge, self: 'from' | 'to'): string[] {
  const peer = self === 'from' ? e.to : e.from;
  const out: string[] = [];
  if (peer.kind === 'ip' && self === 'from' && !isPrivate(peer.ip)) out.push('egress to the internet');
  if (peer.kind === 'ip' && self === 'to') out.push('ingress from outside the cluster');
  if (peer.kind === 'node') out.push('a node or host-network peer');
  return out;
}
