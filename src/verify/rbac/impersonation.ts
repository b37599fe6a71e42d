import type { K8sAccess } from '../../model/access.js';

/**
 * The impersonate checks of a request made as another identity, written from the API server's
 * documented semantics (kubernetes.io/docs/reference/access-authn-authz/user-impersonation/), apart from
 * ingest's reading of audit records: the impersonator needs `impersonate` on the user (`users`, name = the
 * username; a service account `system:serviceaccount:NS:N` as `serviceaccounts` N in namespace NS), on each
 * group it asks for (`groups`), on the uid (`uids`, authentication.k8s.io) and on each extra value
 * (`userextras/<key>`, authentication.k8s.io, name = the value).
 *
 * Groups the API server adds on its own need no check: `system:authenticated` (for `system:anonymous`,
 * `system:unauthenticated`), and a service account's `system:serviceaccounts` and `system:serviceaccounts:NS`
 * when the identity holds exactly those.
 */
export function impersonationChecks(who: {
  username: string;
  groups: readonly string[];
  uid?: string;
  extra?: Readonly<Record<string, readonly string[]>>;
}): K8sAccess[] {
  const check = (apiGroup: string, resource: string, namespace: string, name: string, subresource = ''): K8sAccess => ({
    verb: 'impersonate',
    apiGroup,
    resource,
    subresource,
    namespace,
    name,
    nonResourceURL: '',
  });
  const out: K8sAccess[] = [];
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(who.username);
  out.push(sa ? check('', 'serviceaccounts', sa[1]!, sa[2]!) : check('', 'users', '', who.username));
  const automatic = who.username === 'system:anonymous' ? 'system:unauthenticated' : 'system:authenticated';
  const asked = new Set(who.groups.filter((g) => g !== automatic));
  const saGroups = sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`] : [];
  const onlyOwn = sa !== null && asked.size === 2 && saGroups.every((g) => asked.has(g));
  if (!onlyOwn) for (const g of [...asked].sort()) out.push(check('', 'groups', '', g));
  if (who.uid) out.push(check('authentication.k8s.io', 'uids', '', who.uid));
  for (const key of Object.keys(who.extra ?? {}).sort())
    for (const v of [...new Set(who.extra![key])].sort())
      out.push(check('authentication.k8s.io', 'userextras', '', v, key));
  return out;
}
