import { BUILTIN_RESOURCES } from './builtinResources.js';

/**
 * Which API group a request was in, when the audit record does not say it itself. The API server writes
 * `objectRef.apiGroup` for every group but the core one (it omits the empty string), so a record without it
 * is core only when nothing else says otherwise: managed-cluster shippers and converters drop or blank the
 * field. The request path says it for sure; failing that, the built-in resources (generated from the
 * Kubernetes client, builtinResources.ts) say which group serves a resource. A resource found nowhere
 * (a custom resource without its group) is undetermined: never taken to be core.
 */

/** A request path taken apart as the API server's request-info resolver does. */
export interface RequestPath {
  /** '' for the core group (`/api/v1/...`). */
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
}

/** Subresources of a namespace that follow its name (`/api/v1/namespaces/NAME/status`). */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * `/apis/apps/v1/namespaces/shop/deployments/web/scale` → apps, v1, shop, deployments, web, scale. Undefined for
 * paths that name no resource (discovery, non-resource URLs). The query string, if any, is ignored.
 */
export function parseRequestPath(uri: string): RequestPath | undefined {
  const cut = uri.search(/[?#]/);
  const segs = (cut < 0 ? uri : uri.slice(0, cut)).split('/').filter((s) => s !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) {
    group = '';
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else return undefined;
  if (rest[0] === 'watch') rest = rest.slice(1);
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    namespace = rest[1]!;
    // /namespaces/NAME is the namespace itself, /namespaces/NAME/status its subresource.
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const resource = rest[0];
  if (resource === undefined) return undefined;
  return { group, version, namespace, resource, name: rest[1] ?? '', subresource: rest.slice(2).join('/') };
}

/** The group a request path names, without taking the whole path apart (the hot path). */
function groupOfUri(uri: string): string | undefined {
  if (uri.startsWith('/api/')) return '';
  if (!uri.startsWith('/apis/')) return undefined;
  const end = uri.indexOf('/', 6);
  // `/apis/GROUP` alone is discovery, not a request on a resource.
  return end > 6 ? uri.slice(6, end) : undefined;
}

export type ApiGroupAnswer = { group: string } | { problem: string };

/**
 * The API group of a request on `resource`: `objectRef.apiGroup` when given (not empty), else the one its
 * request path names, else the built-in resource table (core wins where a resource is in core and elsewhere, as
 * `events` is: an API server omits only the core group). Anything else is a problem, never `''`.
 */
export function apiGroupOf(refGroup: string, resource: string, requestURI: string): ApiGroupAnswer {
  if (refGroup !== '') return { group: refGroup };
  const fromUri = groupOfUri(requestURI);
  if (fromUri !== undefined) return { group: fromUri };
  const groups = Object.hasOwn(BUILTIN_RESOURCES, resource) ? BUILTIN_RESOURCES[resource]! : undefined;
  if (groups === undefined)
    return {
      problem:
        'objectRef.apiGroup is missing, the requestURI names no group and it is no built-in resource (a custom ' +
        'resource?): its API group is undetermined',
    };
  if (groups.includes('') || groups.length === 1) return { group: groups.includes('') ? '' : groups[0]! };
  return {
    problem: `objectRef.apiGroup is missing, the requestURI names no group and the built-in resource is served by several (${groups.join(', ')}): its API group is undetermined`,
  };
}
