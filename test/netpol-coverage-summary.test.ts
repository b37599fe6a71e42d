// What `generate netpol` says of what its policies leave open (src/generate/netpol/coverage.ts). It said "workloads in
// the inventory with no observed traffic (9; the default deny covers them)" when it wrote no default deny at all: one
// is written only for a namespace with generated policies. And VPC flow records read with an inventory taken after
// them, whose pods' addresses no pod of it has, made policies of /32 blocks on dead pods' addresses, with a notice
// only.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

const pod = (ns: string, name: string, ip: string, labels: Record<string, string>, port?: [number, string]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: ns,
    labels,
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: name.replace(/-[a-z0-9]{5}$/, ''), controller: true },
    ],
  },
  spec: {
    serviceAccountName: 'default',
    nodeName: 'ip-10-20-1-5',
    containers: [{ name: 'c', image: 'x', ports: port ? [{ containerPort: port[0], protocol: port[1] }] : [] }],
  },
  status: { phase: 'Running', hostIP: '10.20.1.5', podIP: ip, podIPs: [{ ip }] },
});

/** The cluster as a `kubectl get ... -o json` List taken at the end of the soak. */
function inventory(dir: string): string {
  const items = [
    ...['shop', 'data', 'kube-system'].map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    })),
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'ip-10-20-1-5', labels: {} },
      status: { addresses: [{ type: 'InternalIP', address: '10.20.1.5' }] },
    },
    pod('shop', 'web-7c9d8f6b5d-x2klq', '10.20.1.50', { app: 'web' }),
    pod('shop', 'orders-api-5b7c9d8f6-bmtwc', '10.20.1.60', { app: 'orders-api' }, [8080, 'TCP']),
    pod('shop', 'cart-6c8d9f7b45-hzmb6', '10.20.1.65', { app: 'cart' }, [8081, 'TCP']),
    pod('data', 'postgres-7f6c5d8b9-q8wzt', '10.20.1.70', { app: 'postgres' }, [5432, 'TCP']),
    pod('kube-system', 'coredns-5d78c9869d-9ktzw', '10.20.1.10', { 'k8s-app': 'kube-dns' }, [53, 'UDP']),
  ];
  const file = join(dir, 'inventory.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  return file;
}

/** VPC flow log records (version 2, default format): [source, destination, source port, port, protocol]. */
function vpc(dir: string, flows: [string, string, number, number, number][]): string {
  const lines = [
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
  ];
  for (let i = 0; i < 4; i++)
    for (const [src, dst, sport, dport, proto] of flows)
      lines.push(
        `2 210987654321 eni-0b3 ${src} ${dst} ${sport + i} ${dport} ${proto} 10 840 ${1796085240 + i * 600} ${1796085300 + i * 600} ACCEPT OK`,
      );
  const file = join(dir, 'vpc.log');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const generate = (flows: string, inv: string) => cli(['generate', 'netpol', '--flows', flows, '--inventory', inv]);

describe('generate netpol: what the policies leave open, said as it is', () => {
  it('an inventory taken after the flows: quiet workloads said open, the unresolved traffic and the /32s warned of', () => {
    const dir = tmp();
    // The pods of the soak (10.20.1.11-13) were replaced before the inventory was taken: none of its pods has them.
    const r = generate(
      vpc(dir, [
        ['10.20.1.11', '10.20.1.12', 40001, 8080, 6],
        ['10.20.1.12', '10.20.1.13', 41001, 5432, 6],
        ['10.20.1.11', '10.20.1.10', 42001, 53, 17],
      ]),
      inventory(dir),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('generated 1 network policy\n');
    // Counted once a record, whichever of its ends are such addresses (it was once an end: 20 of the 12 records).
    expect(r.stderr).toContain('flow.unknown-address: 12 records in this file like this one');
    expect(r.stderr).not.toContain('the default deny covers them');
    expect(r.stderr).toContain(
      'most of the traffic reached no workload: 8 of 12 connections (66.7%; 2 paths) have no workload at either end, ' +
        "so no policy allows or restricts them; their addresses lie beside the inventory's pods, yet none of its pods " +
        'has them (flow.unknown-address in 1 file): most likely pods that came and went before the inventory was ' +
        'taken. Give inventories taken during the soak (--inventory takes several), or Hubble flows, which name the pods\n',
    );
    expect(r.stderr).toContain(
      'workloads in the inventory with no observed traffic and no default deny over them (4): no policy here ' +
        'restricts them\n' +
        '  data/postgres: no workload of data was seen talking, so no policy and no default deny were written there\n' +
        '  shop/cart, shop/orders-api, shop/web: no workload of shop was seen talking, so no policy and no default ' +
        'deny were written there\n',
    );
    expect(r.stderr).toContain(
      "single-address blocks (/32, /128) of 1 addresses in the cluster's ranges that no pod or node of the " +
        "inventory has: 10.20.1.11 (kube-system/coredns); were one a pod's, gone before the inventory was taken, the " +
        'next pod given its address would inherit the rule: review them\n',
    );
  });

  it('an inventory of the soak: quiet workloads under a default deny said covered, the others open and why', () => {
    const dir = tmp();
    const r = generate(
      vpc(dir, [
        ['10.20.1.50', '10.20.1.60', 40001, 8080, 6],
        ['10.20.1.50', '10.20.1.10', 42001, 53, 17],
      ]),
      inventory(dir),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('generated 3 network policies and 1 default-deny policy');
    expect(r.stderr).toContain(
      "workloads in the inventory with no observed traffic, all of it denied by their namespace's default deny (1): " +
        'shop/cart\n',
    );
    expect(r.stderr).toContain(
      'workloads in the inventory with no observed traffic and no default deny over them (1): no policy here ' +
        'restricts them\n' +
        '  data/postgres: no workload of data was seen talking, so no policy and no default deny were written there\n',
    );
    expect(r.stderr).not.toMatch(/reached no workload|have no workload at either end|single-address blocks/);
  });

  it('--no-default-deny: every quiet workload said open, for that reason', () => {
    const dir = tmp();
    const r = cli([
      'generate',
      'netpol',
      '--flows',
      vpc(dir, [['10.20.1.50', '10.20.1.60', 40001, 8080, 6]]),
      '--inventory',
      inventory(dir),
      '--no-default-deny',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'workloads in the inventory with no observed traffic and no default deny over them (3): no policy here ' +
        'restricts them\n  data/postgres, kube-system/coredns, shop/cart: --no-default-deny\n',
    );
  });

  it('backtest: a caveat when most of the traffic reached no workload (the replay counts it allowed)', () => {
    const dir = tmp();
    const flows = vpc(dir, [
      ['10.20.1.11', '10.20.1.12', 40001, 8080, 6],
      ['10.20.1.12', '10.20.1.13', 41001, 5432, 6],
    ]);
    const r = cli([
      'backtest',
      '--flows',
      flows,
      '--inventory',
      inventory(dir),
      '--holdout',
      '15m',
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).caveats).toEqual([
      'most of the network traffic reached no workload: 8 of 8 connections (100.0%) have no workload at either end; ' +
        'no policy was made from them and the replay counts them allowed (no NetworkPolicy selects an address); ' +
        "their addresses lie beside the inventory's pods, yet none of its pods has them (flow.unknown-address in 1 " +
        'file): most likely pods that came and went before the inventory was taken. Give inventories taken during ' +
        'the soak (--inventory takes several), or Hubble flows, which name the pods',
    ]);
  });
});
