// Kinds besides NetworkPolicy that decide pod traffic (Kubernetes' AdminNetworkPolicy tiers, Calico's and Antrea's
// own policies, OVN-Kubernetes' and OpenShift SDN's egress firewalls) are not evaluated. A network finding that
// left one out unsaid could call allowed what the cluster denies: each is an issue naming its file, which stops
// `verify` by default (`--on-error fail`) and is counted under `--on-error skip`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNetworkPolicies } from '../src/verify/netpol.js';
import { cli, tmp } from './helpers/cli.js';

const D = 'fixtures/demo';
const doc = (object: unknown, index = 0) => ({ file: 'policies.yaml', index, object });

const OTHERS = [
  ['policy.networking.k8s.io/v1alpha1', 'AdminNetworkPolicy', { name: 'deny-egress' }],
  ['policy.networking.k8s.io/v1alpha1', 'BaselineAdminNetworkPolicy', { name: 'default' }],
  ['projectcalico.org/v3', 'NetworkPolicy', { name: 'allow-web', namespace: 'shop' }],
  ['projectcalico.org/v3', 'GlobalNetworkPolicy', { name: 'deny-all' }],
  ['projectcalico.org/v3', 'StagedNetworkPolicy', { name: 'allow-web', namespace: 'shop' }],
  ['projectcalico.org/v3', 'StagedGlobalNetworkPolicy', { name: 'deny-all' }],
  ['crd.antrea.io/v1beta1', 'ClusterNetworkPolicy', { name: 'isolate' }],
  ['k8s.ovn.org/v1', 'EgressFirewall', { name: 'default', namespace: 'shop' }],
  ['network.openshift.io/v1', 'EgressNetworkPolicy', { name: 'default', namespace: 'shop' }],
] as const;

describe('other kinds that decide pod traffic', () => {
  it.each(OTHERS)('%s %s is an issue, never read as a NetworkPolicy', (apiVersion, kind, metadata) => {
    const { policies, issues } = readNetworkPolicies([
      doc({ apiVersion, kind, metadata, spec: { selector: 'all()' } }),
    ]);
    expect(policies).toEqual([]);
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'policy.netpol-not-evaluated',
        file: 'policies.yaml',
        message: expect.stringMatching(
          new RegExp(`^${kind} ".*${metadata.name}" \\(${apiVersion.replace('.', '\\.')}`),
        ),
      }),
    ]);
  });

  it("Kubernetes' NetworkPolicy (with or without its apiVersion) is still read", () => {
    const np = { metadata: { name: 'web', namespace: 'shop' }, spec: { podSelector: {} } };
    for (const apiVersion of ['networking.k8s.io/v1', undefined]) {
      const { policies, issues } = readNetworkPolicies([doc({ kind: 'NetworkPolicy', apiVersion, ...np })]);
      expect(issues).toEqual([]);
      expect(policies.map((p) => p.name)).toEqual(['web']);
    }
  });

  it('verify stops on one by default, and under --on-error skip judges the NetworkPolicies, the issue counted', () => {
    const dir = tmp('other-kinds-');
    const policies = join(dir, 'out');
    expect(
      cli(['generate', 'netpol', '--flows', `${D}/flows`, '--inventory', `${D}/inventory`, '-o', policies]).code,
    ).toBe(0);
    const anp = join(dir, 'anp.yaml');
    writeFileSync(
      anp,
      [
        'apiVersion: policy.networking.k8s.io/v1alpha1',
        'kind: AdminNetworkPolicy',
        'metadata: {name: deny-shop-egress}',
        'spec: {priority: 10, subject: {namespaces: {}}, egress: [{name: deny, action: Deny, to: [{namespaces: {}}]}]}',
        '',
      ].join('\n'),
    );
    const args = ['verify', '--policies', policies, anp, '--flows', `${D}/flows`, '--inventory', `${D}/inventory`];
    const stopped = cli(args);
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toContain(`${anp}:1: policy.netpol-not-evaluated: AdminNetworkPolicy "deny-shop-egress"`);
    const skipped = cli([...args, '--on-error', 'skip']);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toContain('policy.netpol-not-evaluated');
    expect(skipped.stdout).toMatch(/OK: \d+ of \d+ observed accesses allowed/);
  });
});
