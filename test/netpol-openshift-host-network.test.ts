// On OpenShift with OVN-Kubernetes, traffic from the host network (a node, a host-network pod) is selected in a
// NetworkPolicy by the namespace label `policy-group.network.openshift.io/host-network` (OpenShift 4.6 release notes;
// "About network policy"), which a replaced node keeps; by address, the next node is denied. An inventory holding
// OVN-Kubernetes' namespace says the cluster uses it. The demo's node 10.0.1.23 talks to shop/web.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

const D = 'fixtures/demo';

/** OVN-Kubernetes' namespace, and a node that replaced one after the soak (another address). */
function openShiftBits(dir: string): { inventory: string; flows: string } {
  const inventory = join(dir, 'openshift.json');
  writeFileSync(
    inventory,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'openshift-ovn-kubernetes' } },
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'ip-10-0-3-99.ec2.internal', labels: {} },
          status: { addresses: [{ type: 'InternalIP', address: '10.0.3.99' }] },
        },
      ],
    }),
  );
  const flows = join(dir, 'after.json');
  const flow = {
    flow: {
      time: '2026-11-10T08:00:00.000000000Z',
      verdict: 'FORWARDED',
      IP: { source: '10.0.3.99', destination: '10.0.1.101', ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 40100, destination_port: 8080, flags: { SYN: true } } },
      // Another node (a replaced one): `reserved:host` would be web's own node, which is always allowed.
      source: { identity: 6, labels: ['reserved:remote-node'] },
      destination: {
        namespace: 'shop',
        labels: ['k8s:app=web', 'k8s:io.kubernetes.pod.namespace=shop', 'k8s:tier=frontend'],
        pod_name: 'web-7d4b9c6f5-x2kq9',
      },
      Type: 'L3_L4',
      is_reply: false,
      traffic_direction: 'INGRESS',
    },
  };
  writeFileSync(flows, JSON.stringify(flow) + '\n');
  return { inventory, flows };
}

const webPolicy = (out: string) => readFileSync(join(out, 'netpol/shop/web.yaml'), 'utf8');

describe('nodes as sources on OpenShift with OVN-Kubernetes', () => {
  it('are the host-network policy group, listed; a replaced node is allowed; --exact keeps the addresses', () => {
    const dir = tmp('ovn-');
    const os = openShiftBits(dir);
    const inv = ['--inventory', `${D}/inventory`, os.inventory];
    const out = join(dir, 'out');
    const g = cli(['generate', 'netpol', '--flows', `${D}/flows`, ...inv, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    expect(webPolicy(out)).toContain('policy-group.network.openshift.io/host-network');
    expect(webPolicy(out)).not.toContain('10.0.1.23/32');
    expect(g.stderr).toMatch(
      /\(host network; --exact keeps node addresses\) shop\/web: ingress from node 10\.0\.1\.23 allowed from OpenShift's host-network policy group/,
    );
    expect(g.stderr).not.toMatch(/node or host-network peers.*shop\/web ingress/);
    const v = cli(['verify', '--policies', out, '--flows', `${D}/flows`, os.flows, ...inv, '--format', 'json']);
    expect(v.code, v.stdout + v.stderr).toBe(0);

    const exact = join(dir, 'exact');
    expect(cli(['generate', 'netpol', '--flows', `${D}/flows`, ...inv, '--exact', '-o', exact]).code).toBe(0);
    expect(webPolicy(exact)).toContain('10.0.1.23/32');
    const ve = cli(['verify', '--policies', exact, '--flows', `${D}/flows`, os.flows, ...inv, '--format', 'json']);
    expect(ve.code).toBe(1);
    const denied = (JSON.parse(ve.stdout) as { notAllowed: { access: { from: string; to: string } }[] }).notAllowed;
    expect(denied.map((f) => [f.access.from, f.access.to])).toEqual([['node 10.0.3.99', 'shop/web']]);

    // diff, BASE by address and HEAD by the group: HEAD lets every node of the inventory in, a node's low risk.
    const d = cli(['diff', join(exact, 'netpol'), join(out, 'netpol'), ...inv, '--format', 'json']);
    expect(d.code).toBe(1);
    const found = JSON.parse(d.stdout) as { added: { risk?: string; reasons?: string[]; text?: string }[] };
    expect(JSON.stringify(found)).toContain('10.0.3.99');
    expect(JSON.stringify(found)).toContain('a node or host-network peer');
    expect(JSON.stringify(found)).not.toContain('ingress from outside the cluster');
  });

  it('elsewhere (no OVN-Kubernetes namespace) nodes stay addresses, as the demo has them', () => {
    const out = join(tmp('ovn-'), 'out');
    const g = cli(['generate', 'netpol', '--flows', `${D}/flows`, '--inventory', `${D}/inventory`, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    expect(webPolicy(out)).toContain('10.0.1.23/32');
    expect(webPolicy(out)).not.toContain('policy-group');
  });
});
