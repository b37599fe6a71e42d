// An object holding `items` is a list to kubectl whatever its kind (R1 hostile review): apimachinery's unstructured
// decoding makes an UnstructuredList of any object with the key `items`, and cli-runtime's FlattenListVisitor applies
// its items, never the object's own fields. The RBAC reader flattened only kinds ending in `List`, the NetworkPolicy
// readers only `kind: List`: a ClusterRoleBinding of cluster-admin in a ClusterRole's items, or a NetworkPolicyList,
// was applied by kubectl and passed `diff --fail-on any`.
import { describe, expect, it } from 'vitest';
import { ALLOW_DB, DENY, gate, parsed } from './helpers/policyTree.js';
import { eachObject } from '../src/policy/listItems.js';
import { readRbacObjects } from '../src/verify/rbac/objects.js';
import { readNetworkPolicies } from '../src/verify/netpol.js';

describe('an object holding items is a list to kubectl, whatever its kind', () => {
  const objects = (doc: unknown) => {
    const out: [unknown, readonly number[]][] = [];
    eachObject(doc, (o, path) => out.push([o, path]));
    return out;
  };

  it('eachObject: the items of any object with items, never the object; bare items take the list’s type', () => {
    const crb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x' } };
    expect(objects({ kind: 'ClusterRole', rules: [], items: [crb] })).toEqual([[crb, [0]]]);
    // decodeToList: an item with neither kind nor apiVersion is the list's kind without `List`.
    expect(
      objects({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleList', items: [{ metadata: {} }] }),
    ).toEqual([[{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {} }, [0]]]);
    // `items: null` is an empty list (kubectl: "no objects passed to apply"); `items: {}` kubectl refuses.
    expect(objects({ kind: 'ClusterRole', rules: [], items: null })).toEqual([]);
    expect(objects({ kind: 'ClusterRole', rules: [], items: {} })).toEqual([]);
    // An item is a list only when its items is an array (Unstructured.IsList); else it is that item.
    const inner = { ...crb, items: null };
    expect(objects({ kind: 'List', items: [{ kind: 'List', items: [crb] }, inner] })).toEqual([
      [crb, [0, 0]],
      [inner, [1]],
    ]);
    expect(objects(crb)).toEqual([[crb, []]]);
  });

  it('the RBAC reader reads a ClusterRole’s items (a ClusterRoleBinding) and not its rules', () => {
    const text = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: audit2policy-notes
rules: []
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata:
    name: items-extra
  roleRef:
    apiGroup: rbac.authorization.k8s.io
    kind: ClusterRole
    name: cluster-admin
  subjects:
  - kind: ServiceAccount
    name: web
    namespace: shop
`;
    const r = readRbacObjects(parsed(text).docs);
    expect(r.roles).toEqual([]);
    expect(r.bindings.map((b) => [b.kind, b.name, b.roleName])).toEqual([
      ['ClusterRoleBinding', 'items-extra', 'cluster-admin'],
    ]);
  });

  it('the NetworkPolicy reader reads a NetworkPolicyList, and a NetworkPolicy’s items without its own spec', () => {
    const list = `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n${ALLOW_DB}`;
    expect(readNetworkPolicies(parsed(list).docs).policies.map((p) => p.name)).toEqual(['allow-all-to-db']);
    const both = `${DENY.replace('default-deny', 'extra-deny')}items:\n${ALLOW_DB}`;
    expect(readNetworkPolicies(parsed(both).docs).policies.map((p) => p.name)).toEqual(['allow-all-to-db']);
  });

  it('diff --fail-on any fails on a ClusterRoleBinding inside a ClusterRole’s items', () => {
    const r = gate({
      'rbac/shop/notes.yaml': `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: audit2policy-notes
rules: []
items:
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata:
      name: items-extra
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: cluster-admin
    subjects:
      - kind: ServiceAccount
        name: web
        namespace: shop
`,
    });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^FAIL: 1 new access \(1 risky\)/);
    expect(r.stdout).toMatch(/ClusterRoleBinding items-extra binds ClusterRole cluster-admin cluster-wide/);
  });

  it('diff --fail-on any fails on a NetworkPolicyList, and on a NetworkPolicy’s items, at the item’s rule', () => {
    for (const head of [
      `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n${ALLOW_DB}`,
      `${DENY.replace('default-deny', 'extra-deny')}items:\n${ALLOW_DB}`,
    ]) {
      const r = gate({ 'netpol/shop/allow.yaml': head });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toMatch(/NetworkPolicy shop\/allow-all-to-db ingress\[0\]: from any source/);
      // The rule's line inside the item (`- {}` under the item's ingress), not the document's.
      const line = head.split('\n').indexOf('        - {}') + 1;
      expect(r.stdout).toContain(`netpol/shop/allow.yaml:${line})`);
      expect(r.stdout).not.toMatch(/extra-deny/);
    }
  });
});
