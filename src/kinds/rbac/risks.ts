import { resourcePath } from '../../model/access.js';

// ---- the documented list of risky permissions (docs/report.md): Kubernetes ----------------------

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
