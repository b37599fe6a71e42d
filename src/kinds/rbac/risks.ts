import { resourcePath } from '../../model/access.js';
import type { Risk } from '../../model/finding.js';

// ---- the documented catalogue of risky permissions (docs/report.md): Kubernetes ----------------

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

const RBAC_RESOURCES = new Set(['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']);
const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Why one Kubernetes access is risky, with levels; [] when it is not. */
export function k8sRiskList(a: {
  verb: string;
  resource: string;
  subresource: string;
  apiGroup: string;
  nonResourceURL: string;
}): Risk[] {
  const out: Risk[] = [];
  const high = (reason: string) => out.push({ level: 'high', reason });
  const res = resourcePath(a);
  const anyVerb = a.verb === '*';
  if (a.resource === 'secrets' && !a.subresource)
    high(['get', 'list', 'watch'].includes(a.verb) ? 'reads secrets' : 'writes secrets');
  if (['pods/exec', 'pods/attach', 'pods/portforward'].includes(res)) high(`${res}: a shell or a tunnel into pods`);
  if (a.verb === 'create' && WORKLOAD_RESOURCES.has(a.resource) && !a.subresource)
    out.push({
      level: 'medium',
      reason: `creates ${a.resource}: can run any image as any service account of the namespace`,
    });
  if ((a.verb === 'update' || a.verb === 'patch') && WORKLOAD_RESOURCES.has(a.resource) && !a.subresource)
    out.push({ level: 'medium', reason: `changes ${a.resource}: can swap the image or service account` });
  if (['escalate', 'bind', 'impersonate'].includes(a.verb)) high(`${a.verb}: privilege escalation`);
  if (RBAC_RESOURCES.has(a.resource) && (WRITES.has(a.verb) || anyVerb)) high(`writes RBAC (${a.resource})`);
  if (res === 'serviceaccounts/token') high('mints service account tokens');
  if (res === 'nodes/proxy') high('nodes/proxy: the kubelet API');
  if ([a.verb, a.resource, a.apiGroup].includes('*') || a.nonResourceURL === '*') high('a wildcard');
  return out;
}

/** The reasons alone, as the report lists them. */
export const k8sRisks = (a: Parameters<typeof k8sRiskList>[0]): string[] => k8sRiskList(a).map((r) => r.reason);
