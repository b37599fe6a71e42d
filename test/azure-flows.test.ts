// Azure flow logs as `--flows` input (AKS with Azure CNI): the documents Network Watcher writes to a storage account,
// in the shapes of Microsoft's "Virtual network flow logs" (records[].flowRecords.flows[].flowGroups[].flowTuples,
// `ms,src,dst,sport,dport,protocol number,I|O,B|C|E|D,encryption,counters`) and "Network security group flow logs"
// version 1 and 2 (records[].properties.flows[].flows[].flowTuples, `s,src,dst,sport,dport,T|U,I|O,A|D[,state,...]`).
// Addresses are the demo inventory's pods.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

const INVENTORY = ['--inventory', 'fixtures/demo/inventory'];
const [CART, DB, WEB, PAY] = ['10.0.1.102', '10.0.1.160', '10.0.1.105', '10.0.2.110'];
const day = (d: number) => Date.UTC(2026, 10, d, 10, 0, 0);

/** A virtual network flow log document: one record, one flow group per rule. */
function vnet(groups: Record<string, string[]>): string {
  return JSON.stringify({
    records: [
      {
        time: '2026-11-03T10:00:52.5625085Z',
        flowLogVersion: 4,
        flowLogGUID: '66aa66aa-bb77-cc88-dd99-00ee00ee00ee',
        macAddress: '00224871C205',
        category: 'FlowLogFlowEvent',
        flowLogResourceID:
          '/SUBSCRIPTIONS/00000000/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/FLOWLOGS/AKS-VNET',
        targetResourceID:
          '/subscriptions/00000000/resourceGroups/aks/providers/Microsoft.Network/virtualNetworks/aks-vnet',
        operationName: 'FlowLogFlowEvent',
        flowRecords: {
          flows: [
            {
              aclID: '00000000-1234-abcd-ef00-c1c2c3c4c5c6',
              flowGroups: Object.entries(groups).map(([rule, flowTuples]) => ({ rule, flowTuples })),
            },
          ],
        },
      },
    ],
  });
}

/** A network security group flow log document (version 1 or 2). */
function nsg(version: number, rule: string, flowTuples: string[]): string {
  return JSON.stringify({
    records: [
      {
        time: '2026-11-03T10:00:00.0000000Z',
        systemId: 'aa0d07f1-f15d-4df8-b816-de17ab7ffcf6',
        macAddress: '000D3A6D2E0E',
        category: 'NetworkSecurityGroupFlowEvent',
        resourceId:
          '/SUBSCRIPTIONS/00000000/RESOURCEGROUPS/AKS/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/AKS-NSG',
        operationName: 'NetworkSecurityGroupFlowEvents',
        properties: { Version: version, flows: [{ rule, flows: [{ mac: '000D3A6D2E0E', flowTuples }] }] },
      },
    ],
  });
}

/** `from → to protocol/port` of a profile's allowed and denied edges. */
function edges(profile: string): { allowed: string[]; denied: string[]; end: Record<string, number> } {
  const lines = readFileSync(profile, 'utf8').trim().split('\n');
  const net = lines.filter((l) => l.startsWith('{"network":')).map((l) => JSON.parse(l).network);
  const peer = (p: { kind: string; ip?: string; namespace?: string; name?: string }) =>
    p.kind === 'workload' ? `${p.namespace}/${p.name}` : `${p.kind}:${p.ip}`;
  const text = (e: { from: never; to: never; protocol: string; port: number }) =>
    `${peer(e.from)} → ${peer(e.to)} ${e.protocol}/${e.port}`;
  return {
    allowed: net.filter((e) => e.allowed).map(text),
    denied: net.filter((e) => e.denied).map(text),
    end: JSON.parse(lines.at(-1)!).end,
  };
}

describe('Azure flow logs', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmp('azure-flows-');
  });

  it('virtual network flow logs: the source opened the flow; a denied flow is evidence, never allowed', () => {
    const f = join(dir, 'PT1H.json');
    writeFileSync(
      f,
      vnet({
        DefaultRule_AllowVnetOutBound: [
          // cart → db, seen leaving cart's interface (O) and reaching db's (I): one connection, counted where it left.
          `${day(3)},${CART},${DB},41000,5432,6,O,B,NX,0,0,0,0`,
          `${day(3) + 40},${CART},${DB},41000,5432,6,O,E,NX,9,1200,8,4000`,
          `${day(3)},${CART},${DB},41000,5432,6,I,B,NX,0,0,0,0`,
          `${day(3) + 90},${WEB},192.0.2.180,23956,443,6,O,B,NX,0,0,0,0`,
        ],
        UserRule_DenySsh: [`${day(3) + 120},203.0.113.9,${WEB},51234,22,6,I,D,NX,0,0,0,0`],
      }),
    );
    const p = join(dir, 'vnet.profile.json');
    const r = cli(['profile', '--flows', f, ...INVENTORY, '-o', p]);
    expect(r.code, r.stderr).toBe(0);
    const e = edges(p);
    expect(e.allowed.sort()).toEqual(['shop/cart → shop/db TCP/5432', 'shop/web → ip:192.0.2.180 TCP/443']);
    expect(e.denied).toEqual(['ip:203.0.113.9 → shop/web TCP/22']);
    const cartDb = readFileSync(p, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('{"network":') && l.includes('"port":5432'))!;
    expect(JSON.parse(cartDb).network.allowed).toMatchObject({
      connections: 1,
      records: 3,
      firstSeen: '2026-11-03T10:00:00.000000Z',
    });
  });

  it('network security group flow logs, version 1 and 2', () => {
    const v1 = join(dir, 'nsg-v1.json');
    const v2 = join(dir, 'nsg-v2.json');
    writeFileSync(v1, nsg(1, 'DefaultRule_AllowVnetInBound', [`${day(3) / 1000},${WEB},${PAY},37560,8443,T,O,A`]));
    writeFileSync(
      v2,
      nsg(2, 'DefaultRule_AllowVnetInBound', [
        `${day(4) / 1000},${WEB},${PAY},37562,8443,T,I,A,B,,,,`,
        `${day(4) / 1000 + 5},${WEB},${PAY},37562,8443,T,I,A,E,12,2000,10,9000`,
        `${day(4) / 1000 + 9},${CART},10.0.1.10,50000,53,U,O,A,B,,,,`,
        `${day(4) / 1000 + 9},198.51.100.7,${DB},44000,5432,T,I,D,B,,,,`,
      ]),
    );
    const p = join(dir, 'nsg.profile.json');
    const r = cli(['profile', '--flows', v1, v2, ...INVENTORY, '-o', p]);
    expect(r.code, r.stderr).toBe(0);
    const e = edges(p);
    expect(e.allowed.sort()).toEqual([
      'shop/cart → kube-system/coredns UDP/53',
      'shop/web → payments/payments-api TCP/8443',
    ]);
    expect(e.denied).toEqual(['ip:198.51.100.7 → shop/db TCP/5432']);
  });

  it('policies from one day hold on the next (other client ports), and a new pair is denied', () => {
    const train = join(dir, 'train.json');
    const next = join(dir, 'next.json');
    writeFileSync(
      train,
      vnet({
        r: [
          `${day(3)},${CART},${DB},41000,5432,6,O,B,NX,0,0,0,0`,
          `${day(3)},${WEB},${PAY},42000,8443,6,O,B,NX,0,0,0,0`,
        ],
      }),
    );
    writeFileSync(
      next,
      vnet({
        r: [
          `${day(4)},${CART},${DB},51515,5432,6,O,B,NX,0,0,0,0`,
          `${day(4)},${WEB},${PAY},33333,8443,6,O,B,NX,0,0,0,0`,
          `${day(4)},${WEB},${DB},40404,5432,6,O,B,NX,0,0,0,0`,
        ],
      }),
    );
    const out = join(dir, 'policy');
    expect(cli(['generate', 'netpol', '--flows', train, ...INVENTORY, '-o', out]).code).toBe(0);
    const v = cli(['verify', '--policies', out, '--flows', next, ...INVENTORY, '--format', 'json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout);
    expect([report.observed, report.allowed]).toEqual([3, 2]);
    expect(report.notAllowed.map((x: { access: { from: string; to: string } }) => x.access)).toEqual([
      expect.objectContaining({ from: 'shop/web', to: 'shop/db', port: 5432 }),
    ]);
  });

  it('a tuple that cannot be read is an issue naming file, record and tuple, and allows nothing', () => {
    const f = join(dir, 'bad.json');
    writeFileSync(
      f,
      vnet({
        r: [
          `${day(3)},${CART},${DB},41000,5432,6,O,B`,
          `${day(3)},${CART},${DB},41000,5432,6,X,B,NX,0,0,0,0`,
          `${day(3)},${CART},${DB},41000,5432,6,O,Q,NX,0,0,0,0`,
          `${day(3)},${CART},not-an-ip,41000,5432,6,O,B,NX,0,0,0,0`,
        ],
      }),
    );
    const p = join(dir, 'bad.profile.json');
    const r = cli(['profile', '--flows', f, ...INVENTORY, '-o', p, '--on-error', 'skip']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `${f}:1: flow.azure-bad-tuple: records[0] tuple 1: expected 13 comma-separated fields, got 8`,
    );
    expect(r.stderr).toContain(`${f}:1: flow.azure-bad-tuple: records[0] tuple 2: direction "X" is neither I nor O`);
    expect(r.stderr).toContain(`${f}:1: flow.azure-bad-tuple: records[0] tuple 3: flow state "Q" is not B, C, E or D`);
    expect(r.stderr).toContain(`${f}:1: flow.azure-bad-tuple: records[0] tuple 4: cannot read addresses or ports`);
    expect(edges(p).end.network).toBe(0);
  });
});
