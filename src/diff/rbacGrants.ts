import type { RbacRequest } from '../verify/rbac/types.js';
import { dedupe, escapeRe, locate, type PolicySide, type RbacGrant, type Undetermined } from './grants.js';

export function rbacGrants(
  side: PolicySide,
  texts: Map<string, string>,
): { grants: RbacGrant[]; undetermined: Undetermined[] } {
  const grants: RbacGrant[] = [];
  const undetermined: Undetermined[] = [];
  for (const g of side.rbac.grants()) {
    const b = g.binding;
    const at = locate(b.file, texts.get(b.file), 0, new RegExp(`name:\\s*['"]?${escapeRe(b.bindingName)}['"]?\\s*$`));
    const subject = b.subjectName;
    if (!g.rules) {
      undetermined.push({
        kind: 'rbac',
        subject,
        detail: `${b.bindingKind} ${b.bindingNamespace ? b.bindingNamespace + '/' : ''}${b.bindingName}: ${g.unknown}`,
        at,
      });
      continue;
    }
    const namespace = b.bindingKind === 'RoleBinding' ? b.bindingNamespace : '';
    for (const r of g.rules) {
      for (const verb of r.verbs) {
        for (const url of r.nonResourceURLs) {
          if (b.bindingKind === 'ClusterRoleBinding')
            grants.push({
              kind: 'rbac',
              subject,
              subjectKind: b.subjectKind,
              namespace: '',
              apiGroup: '',
              resource: '',
              subresource: '',
              name: '',
              verb,
              nonResourceURL: url,
              at,
            });
        }
        for (const group of r.apiGroups) {
          for (const res of r.resources) {
            const slash = res.indexOf('/');
            const resource = slash < 0 ? res : res.slice(0, slash);
            const subresource = slash < 0 ? '' : res.slice(slash + 1);
            const names = r.resourceNames.length ? r.resourceNames : ['*'];
            for (const name of names)
              grants.push({
                kind: 'rbac',
                subject,
                subjectKind: b.subjectKind,
                namespace,
                apiGroup: group,
                resource,
                subresource,
                name,
                verb,
                nonResourceURL: '',
                at,
              });
          }
        }
      }
    }
  }
  return { grants: dedupe(grants, rbacKey), undetermined };
}

export const rbacKey = (g: RbacGrant) =>
  JSON.stringify([g.subject, g.namespace, g.apiGroup, g.resource, g.subresource, g.nonResourceURL, g.verb, g.name]);

function rbacRequest(g: RbacGrant): RbacRequest {
  const isGroup = g.subjectKind === 'Group';
  return {
    username: isGroup ? '' : g.subject,
    groups: isGroup ? [g.subject] : [],
    verb: g.verb,
    apiGroup: g.apiGroup,
    resource: g.resource,
    subresource: g.subresource,
    namespace: g.namespace,
    name: g.name === '*' ? '*' : g.name,
    nonResourceURL: g.nonResourceURL,
  };
}

/** Whether the other side grants at least this (its `*` covers names and verbs; exact names only cover themselves). */
export function rbacCovered(g: RbacGrant, other: PolicySide): 'yes' | 'no' | 'undetermined' {
  const d = other.rbac.authorize(rbacRequest(g));
  return d.result === 'allow' ? 'yes' : d.result === 'deny' ? 'no' : 'undetermined';
}
