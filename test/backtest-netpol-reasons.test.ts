// Why the backtest says a held-out connection would be denied (src/kinds/netpol/newness.ts). A connection training
// saw on the same port was called "a new port TCP/8080 to shop/orders-api (seen: TCP/8080)" when the cause was that
// the pods at one end had another label than the selector training gave them: that is said, with the labels.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netpolNewness } from '../src/kinds/netpol/newness.js';
import { PROFILE_API_VERSION, type Profile } from '../src/model/profile.js';
import { cli, tmp } from './helpers/cli.js';
import { shopWeb } from './helpers/workload.js';

type Pod = { name: string; labels: Record<string, string>; ip: string };
const endpoint = (p: Pod) => ({
  namespace: 'shop',
  pod_name: p.name,
  labels: [...Object.entries(p.labels).map(([k, v]) => `k8s:${k}=${v}`), 'k8s:io.kubernetes.pod.namespace=shop'],
  workloads: [{ name: p.name.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, ''), kind: 'Deployment' }],
});

/** Hubble flows web → orders-api, three a day on days 1-4, each day's pods and port given by `day`. */
function soak(day: (d: number) => { web: Pod; api: Pod; port: number }): string {
  const lines: string[] = [];
  for (let d = 1; d <= 4; d++) {
    const { web, api, port } = day(d);
    for (let i = 0; i < 3; i++)
      lines.push(
        JSON.stringify({
          flow: {
            time: `2026-12-0${d}T0${i}:10:00.000000000Z`,
            verdict: 'FORWARDED',
            IP: { source: web.ip, destination: api.ip, ipVersion: 'IPv4' },
            l4: { TCP: { source_port: 41000 + i, destination_port: port, flags: { SYN: true } } },
            source: endpoint(web),
            destination: endpoint(api),
            Type: 'L3_L4',
            is_reply: false,
            traffic_direction: 'EGRESS',
          },
        }),
      );
  }
  const file = join(tmp(), 'hubble.json');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const web = (track = 'blue'): Pod => ({
  name: 'web-6c8d9f7b45-hzmb6',
  labels: { app: 'web', track },
  ip: '10.20.1.103',
});
const api = (track = 'blue'): Pod => ({
  name: 'orders-api-5b7c9d8f6-bmtwc',
  labels: { app: 'orders-api', track },
  ip: '10.20.2.105',
});

function reasons(flows: string): string[] {
  const r = cli(['backtest', '--flows', flows, '--split', '2026-12-04T00:00:00Z', '--format', 'json', '-q']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout).wouldDeny as { reason: string }[]).map((f) => f.reason);
}

describe('netpol backtest: why a held-out connection is denied', () => {
  it('the peer relabelled: its pods no longer match the selector, with the label that differs; not a new port', () => {
    const flows = soak((d) => ({ web: web(), api: api(d === 4 ? 'green' : 'blue'), port: 8080 }));
    expect(reasons(flows)).toEqual([
      "shop/orders-api's pods no longer match the selector its policy was written with (track=blue in training, " +
        'track=green now)',
    ]);
  });

  it('the source relabelled and a new port: both said, the selector first', () => {
    const flows = soak((d) => ({ web: web(d === 4 ? 'green' : 'blue'), api: api(), port: d === 4 ? 9090 : 8080 }));
    expect(reasons(flows)).toEqual([
      "shop/web's pods no longer match the selector its policy was written with (track=blue in training, " +
        'track=green now); besides, a new port TCP/9090 to shop/orders-api (seen: TCP/8080)',
    ]);
  });

  it('a label gone from the held-out pods is said gone', () => {
    const flows = soak((d) => ({
      web: web(),
      api: d === 4 ? { ...api(), labels: { app: 'orders-api' } } : api(),
      port: 8080,
    }));
    expect(reasons(flows)).toEqual([
      "shop/orders-api's pods no longer match the selector its policy was written with (track=blue in training, " +
        'not on all of them now)',
    ]);
  });

  it('a new port with the same pods is a new port', () => {
    const flows = soak((d) => ({ web: web(), api: api(), port: d === 4 ? 9090 : 8080 }));
    expect(reasons(flows)).toEqual(['a new port TCP/9090 to shop/orders-api (seen: TCP/8080)']);
  });

  it('a connection training saw as it is, ends unchanged: said not new, with what denies it', () => {
    const ev = { connections: 1, records: 1, firstSeen: 'x', lastSeen: 'x', samples: [] };
    const profile = (): Profile =>
      ({
        apiVersion: PROFILE_API_VERSION,
        kind: 'Profile',
        principals: [],
        workloads: [shopWeb(), shopWeb({ name: 'cart', selector: { app: 'cart' }, labels: { app: 'cart' } })],
        network: [
          {
            from: { kind: 'workload', namespace: 'shop', name: 'web' },
            to: { kind: 'workload', namespace: 'shop', name: 'cart' },
            protocol: 'TCP',
            port: 8080,
            allowed: ev,
          },
        ],
      }) as unknown as Profile;
    const reason = netpolNewness(
      {
        kind: 'netpol',
        subject: 'shop/web',
        subjectKind: 'workload',
        access: { from: 'shop/web', to: 'shop/cart', protocol: 'TCP', port: 8080 },
        evidence: { count: 1, firstSeen: 'x', lastSeen: 'x', samples: [] },
        detail: 'egress of shop pod isolated by shop/p; no rule allows it',
      },
      profile(),
      profile(),
    );
    expect(reason).toBe(
      'not new: shop/web reached shop/cart on TCP/8080 in training, and is denied all the same ' +
        '(egress of shop pod isolated by shop/p; no rule allows it)',
    );
  });
});
