import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

// A Flux Kustomization (kustomize.toolkit.fluxcd.io) applies the manifests of its path after its own patches, target
// namespace, name prefix, common labels and variable substitution: a patch there can add a verb or bind a subject the
// files never show. Like a kustomize overlay, it is an issue that stops the gate, not an object read as nothing.

const ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: reader, namespace: shop }
rules:
  - { apiGroups: [''], resources: [configmaps], verbs: [get] }
`;
const flux = (spec: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: policy, namespace: flux-system }
spec:
  interval: 10m
  path: ./policy/rbac
  prune: true
  sourceRef: { kind: GitRepository, name: repo }
${spec}`;

function side(extra?: string): string {
  const dir = join(tmp(), 'policy');
  mkdirSync(join(dir, 'rbac'), { recursive: true });
  writeFileSync(join(dir, 'rbac/reader.yaml'), ROLE);
  if (extra) writeFileSync(join(dir, 'flux.yaml'), extra);
  return dir;
}

describe('a Flux Kustomization among the policy files', () => {
  it.each([
    [
      'patches',
      '  patches:\n    - patch: |\n        - op: add\n          path: /rules/0/verbs/-\n          value: list\n      target: { kind: Role, name: reader }\n',
    ],
    ['targetNamespace', '  targetNamespace: prod\n'],
    ['postBuild', '  postBuild:\n    substitute: { verb: delete }\n'],
  ])('with spec.%s stops the gate (exit 2) naming the field', (field, spec) => {
    const r = cli(['diff', side(), side(flux(spec)), '--kind', 'rbac', '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`policy\\.kustomize-transform: a Flux Kustomization with spec\\.${field}`));
  });

  it('without transforms it is one more document no kind reads', () => {
    const r = cli(['diff', side(), side(flux('')), '--kind', 'rbac', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/kustomize/);
  });
});
