import { cmp } from './issue.js';
import { tupleKey } from '../util/key.js';

/**
 * One Kubernetes API access as RBAC sees it. Resource requests have `resource` set; non-resource
 * requests (`/healthz`, `/apis`) have `nonResourceURL` set and every resource field empty.
 */
export interface K8sAccess {
  verb: string;
  /** '' for the core group. */
  apiGroup: string;
  resource: string;
  subresource: string;
  /** '' for cluster-scoped resources and requests across all namespaces. */
  namespace: string;
  /** '' when the request named no object; always '' for `create` (RBAC cannot restrict create by name). */
  name: string;
  /** Path without its query string, for non-resource requests; '' otherwise. */
  nonResourceURL: string;
}

/** The identity of an access as a map key: length-prefixed fields, so no value can spill into another. */
export function accessKey(a: K8sAccess): string {
  return tupleKey(a.namespace, a.apiGroup, a.resource, a.subresource, a.name, a.nonResourceURL, a.verb);
}

/** The profile's order of accesses: namespace, group, resource, subresource, name, URL, verb. */
export function compareAccess(a: K8sAccess, b: K8sAccess): number {
  return (
    cmp(a.namespace, b.namespace) ||
    cmp(a.apiGroup, b.apiGroup) ||
    cmp(a.resource, b.resource) ||
    cmp(a.subresource, b.subresource) ||
    cmp(a.name, b.name) ||
    cmp(a.nonResourceURL, b.nonResourceURL) ||
    cmp(a.verb, b.verb)
  );
}

/** `pods/exec` style resource path, as RBAC rules name it. */
export function resourcePath(a: Pick<K8sAccess, 'resource' | 'subresource'>): string {
  return a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
}

/** Human-readable one-line form: `get configmaps/web-config in shop`, `get /healthz`. */
export function describeAccess(a: K8sAccess): string {
  if (a.nonResourceURL) return `${a.verb} ${a.nonResourceURL}`;
  const group = a.apiGroup ? `.${a.apiGroup}` : '';
  const name = a.name ? ` ${a.name}` : '';
  const where = a.namespace ? ` in ${a.namespace}` : ' (cluster-wide)';
  return `${a.verb} ${resourcePath(a)}${group}${name}${where}`;
}
