// On OpenShift with OVN-Kubernetes, traffic from the host network (a node, a host-network pod) is selected in a
// NetworkPolicy by the namespace label `policy-group.network.openshift.io/host-network` (OpenShift 4.6 release notes;
// "About network policy"), which a replaced node keeps; by address, the next node is denied. An inventory holding
// OVN-Kubernetes' namespace says the cluster uses it. Node 10.0.2.41 of the demo reaches shop/web, which runs on
// 10.0.1.23 (whose own probes of it need no rule).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

const D = 'fixtures/demo';

/** A node reaching web's http port: another node than web's own (Hubble's `reserved:remote-node`), seen at web. */
const fromNode = (time: string, ip: string, port: number) => ({
  flow: {
    time,
    verdict: 'FORWARDED',
    IP: { source: ip, destination: '10.0.1.101', ipVersion: 'IPv4' },
    l4: { TCP: { source_port: port, destination_port: 8080, flags: { SYN: true } } },
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
});

/**
 * OVN-Kubernetes' namespace; in the soak, node 10.0.2.41 reaching web (`soak`, beside the demo's flows); after it, a
 * node that replaced it (another address).
 */
function openShiftBits(dir: string): { inventory: string; flows: string; soak: string } {
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
  writeFileSync(flows, JSON.stringify(fromNode('2026-11-10T08:00:00.000000000Z', '10.0.3.99', 40100)) + '\n');
  const soak = join(dir, 'soak.json');
  writeFileSync(soak, JSON.stringify(fromNode('2026-11-03T08:00:00.000000000Z', '10.0.2.41', 40200)) + '\n');
  return { inventory, flows, soak };
}

const webPolicy = (out: string) => readFileSync(join(out, 'netpol/shop/web.yaml'), 'utf8');

describe('nodes as sources on OpenShift with OVN-Kubernetes', () => {
  it('are the host-network policy group, listed; a replaced node is allowed; --exact keeps the addresses', () => {
    const dir = tmp('ovn-');
    const os = openShiftBits(dir);
    const inv = ['--inventory', `${D}/inventory`, os.inventory];
    const out = join(dir, 'out');
    const flows = ['--flows', `${D}/flows`, os.soak];
    const g = cli(['generate', 'netpol', ...flows, ...inv, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    expect(webPolicy(out)).toContain('policy-group.network.openshift.io/host-network');
    expect(webPolicy(out)).not.toContain('10.0.2.41/32');
    expect(g.stderr).toMatch(
      /\(host network; --exact keeps node addresses\) shop\/web: ingress from node 10\.0\.2\.41 allowed from OpenShift's host-network policy group/,
    );
    expect(g.stderr).not.toMatch(/node or host-network peers.*shop\/web ingress/);
    const v = cli(['verify', '--policies', out, ...flows, os.flows, ...inv, '--format', 'json']);
    expect(v.code, v.stdout + v.stderr).toBe(0);

    const exact = join(dir, 'exact');
    expect(cli(['generate', 'netpol', ...flows, ...inv, '--exact', '-o', exact]).code).toBe(0);
    expect(webPolicy(exact)).toContain('10.0.2.41/32');
    const ve = cli(['verify', '--policies', exact, ...flows, os.flows, ...inv, '--format', 'json']);
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

  it('elsewhere (no OVN-Kubernetes namespace) nodes stay addresses', () => {
    const dir = tmp('ovn-');
    const out = join(dir, 'out');
    const flows = ['--flows', `${D}/flows`, openShiftBits(dir).soak];
    const g = cli(['generate', 'netpol', ...flows, '--inventory', `${D}/inventory`, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    expect(webPolicy(out)).toContain('10.0.2.41/32');
    expect(webPolicy(out)).not.toContain('10.0.1.23/32');
    expect(webPolicy(out)).not.toContain('policy-group');
  });
});
