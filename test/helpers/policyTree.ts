// A small committed policy tree and the CI gate over it, for the tests of how kubectl reads a tree
// (policy-tree-lists, policy-tree-yaml).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cli, tmp, type CliResult } from './cli.js';
import { parsePolicyText, type PolicyDoc } from '../../src/policy/load.js';
import type { InputIssue } from '../../src/model/issue.js';

export const ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: web
  namespace: shop
rules:
  - apiGroups: ['']
    resources: [configmaps]
    verbs: [get]
`;
export const BINDING = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: web
  namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: web
subjects:
  - kind: ServiceAccount
    name: web
    namespace: shop
`;
export const DENY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
`;
/** An item of a list: a NetworkPolicy letting anything reach the database. */
export const ALLOW_DB = `  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: allow-all-to-db
      namespace: shop
    spec:
      podSelector:
        matchLabels:
          app: db
      ingress:
        - {}
`;

function tree(dir: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const BASE = { 'rbac/shop/web.yaml': `${ROLE}---\n${BINDING}`, 'netpol/shop/deny.yaml': DENY };

/** `diff BASE HEAD --fail-on any`, HEAD being BASE with `files` added or replaced. */
export function gate(files: Record<string, string>, ...flags: string[]): CliResult {
  const dir = tmp('tree-kubectl-');
  const base = tree(join(dir, 'base'), BASE);
  const head = tree(join(dir, 'head'), { ...BASE, ...files });
  return cli(['diff', base, head, '--fail-on', 'any', ...flags]);
}

export const parsed = (text: string, file = 'p.yaml'): { docs: PolicyDoc[]; issues: InputIssue[] } => {
  const docs: PolicyDoc[] = [];
  const issues: InputIssue[] = [];
  parsePolicyText(file, text, docs, issues);
  return { docs, issues };
};
