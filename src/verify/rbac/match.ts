import type { Rule } from './objects.js';
import type { RbacRequest } from './types.js';

/**
 * Kubernetes' rule matching (rbac/v1 helpers in k8s.io/component-helpers): written here from the
 * authorizer's semantics, deliberately sharing nothing with the generator.
 */
export function ruleAllows(rule: Rule, req: RbacRequest): boolean {
  if (!has(rule.verbs, req.verb)) return false;
  if (req.nonResourceURL !== '') return nonResourceURLMatches(rule.nonResourceURLs, req.nonResourceURL);
  return (
    has(rule.apiGroups, req.apiGroup) &&
    resourceMatches(rule.resources, req.resource, req.subresource) &&
    resourceNameMatches(rule.resourceNames, req)
  );
}

/**
 * Whether a rule could allow requests of this one's kind on its resource (its group, resource and subresource, or
 * any non-resource URL), whatever their verb and name: ruleAllows is never true where this is false.
 */
export function ruleMayAllow(rule: Rule, req: RbacRequest): boolean {
  if (req.nonResourceURL !== '') return rule.nonResourceURLs.length > 0;
  return has(rule.apiGroups, req.apiGroup) && resourceMatches(rule.resources, req.resource, req.subresource);
}

/** `*` or the exact value. */
function has(list: string[], v: string): boolean {
  for (const x of list) if (x === '*' || x === v) return true;
  return false;
}

/**
 * `*` matches everything, subresources too; `resource/sub` exactly; `*\/sub` any resource's `sub`. `pods/*` is no
 * wildcard.
 */
function resourceMatches(rules: string[], resource: string, sub: string): boolean {
  const combined = sub === '' ? resource : `${resource}/${sub}`;
  for (const r of rules) {
    if (r === '*' || r === combined) return true;
    if (sub !== '' && r === `*/${sub}`) return true;
  }
  return false;
}

/**
 * No names: any object. Names: the request must name one of them, compared as written: `*` is a name like any other,
 * and `""` matches a request without a name (a list, a create), as Kubernetes' ResourceNameMatches compares them. A
 * request standing for every name (`anyName`) is allowed only by a rule without names.
 */
function resourceNameMatches(names: string[], req: RbacRequest): boolean {
  if (names.length === 0) return true;
  return !req.anyName && names.includes(req.name);
}

/** `*`, the exact path, or a prefix ending in `*` (every trailing `*` dropped: `/metrics**` is `/metrics*`). */
function nonResourceURLMatches(urls: string[], path: string): boolean {
  for (const u of urls) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(trimStars(u))) return true;
  }
  return false;
}

/** A URL without its trailing `*`s, by a scan (a regular expression would try every run of `*`s). */
export function trimStars(u: string): string {
  let end = u.length;
  while (end > 0 && u.charCodeAt(end - 1) === 0x2a) end--;
  return u.slice(0, end);
}
