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

/** The separator in map keys: it cannot occur in any Kubernetes name. */
const SEP = '\u0000';

export function accessKey(a: K8sAccess): string {
  return a.namespace + SEP + a.apiGroup + SEP + a.resource + SEP + a.subresource + SEP + a.name + SEP + a.nonResourceURL + SEP + a.verb;
}

export function accessFromKey(key: string): K8sAccess {
  const [namespace = '', apiGroup = '', resource = '', subresource = '', name = '', nonResourceURL = '', verb = ''] = key.split(SEP);
  return { verb, apiGroup, resource, subresource, namespace, name, nonResourceURL };
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
