import type {
  RbacV1Subject,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ObjectMeta,
  V1Role,
  V1RoleBinding,
} from '@kubernetes/client-node';
import type { Principal } from '../../model/profile.js';
import { subjectFileName, subjectId, subjectKey, type Subject } from '../../model/subject.js';
import { caseDistinct, nameSegment } from '../../util/paths.js';
import { MANAGED_BY, RBAC_API, RBAC_GROUP } from './options.js';
import type { RuleWithEvidence } from './rules.js';

/** Directory for cluster-wide objects: `_` cannot start a namespace name, so it never collides. */
export const CLUSTER_DIR = '_cluster';

/**
 * `audit2policy:serviceaccount:shop:web`. RBAC names may hold any character but `/` and `%`,
 * which are escaped as `~2F` and `~25`.
 */
export function objectName(s: Subject, suffix?: string): string {
  const base = 'audit2policy:' + subjectKey(s).replace(/~/g, '~7E').replace(/\//g, '~2F').replace(/%/g, '~25');
  return suffix ? `${base}:${suffix}` : base;
}

/** `rbac/shop/serviceaccount.shop.web.yaml`: the namespace directory escaped, the file named by `fileStems`. */
export function filePath(root: string, namespace: string, stem: string): string {
  return `${root}/${namespace === '' ? CLUSTER_DIR : nameSegment(namespace)}/${stem}.yaml`;
}

/** Each subject's file stem; stems that differ only in case are told apart (see util/paths.ts). */
export function fileStems(subjects: Subject[]): Map<string, string> {
  const stems = subjects.map((s) => [subjectId(s), subjectFileName(s)] as const);
  const distinct = caseDistinct(stems.map(([, stem]) => stem));
  return new Map(stems.map(([id, stem]) => [id, distinct.get(stem)!]));
}

// Only the client's types are used here (erased at build time): the client itself is slow to load.
function metadata(name: string, namespace: string, p: Principal, widenedBy: string[]): V1ObjectMeta {
  const annotations: Record<string, string> = { 'audit2policy.dev/subject': p.username };
  if (widenedBy.length) annotations['audit2policy.dev/widened-by'] = widenedBy.join(',');
  return namespace
    ? { name, namespace, labels: { ...MANAGED_BY }, annotations }
    : { name, labels: { ...MANAGED_BY }, annotations };
}

export function roleObject(
  kind: 'Role' | 'ClusterRole',
  name: string,
  namespace: string,
  rules: RuleWithEvidence[],
  p: Principal,
): V1Role | V1ClusterRole {
  const widened = [...new Set(rules.flatMap((r) => r.widenedBy))].sort();
  return {
    apiVersion: RBAC_API,
    kind,
    metadata: metadata(name, namespace, p, widened),
    rules: rules.map((r) => ({ ...r.rule })),
  };
}

export function bindingObject(
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  namespace: string,
  roleKind: 'Role' | 'ClusterRole',
  p: Principal,
): V1RoleBinding | V1ClusterRoleBinding {
  return {
    apiVersion: RBAC_API,
    kind,
    metadata: metadata(name, namespace, p, []),
    roleRef: { apiGroup: RBAC_GROUP, kind: roleKind, name },
    subjects: [bindingSubject(p.subject)],
  };
}

function bindingSubject(s: Subject): RbacV1Subject {
  if (s.kind === 'ServiceAccount') return { kind: 'ServiceAccount', name: s.name, namespace: s.namespace ?? '' };
  return { kind: s.kind, apiGroup: RBAC_GROUP, name: s.name };
}
