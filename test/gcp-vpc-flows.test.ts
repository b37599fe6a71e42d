// Google Cloud VPC Flow Logs as `--flows` input: records in the shape of Google Cloud's "About VPC Flow Logs records"
// (a Cloud Logging LogEntry whose jsonPayload holds `connection`, `reporter`, `start_time`, `disposition` and the GKE
// metadata `src_gke_details`/`dest_gke_details` with `pod` {pod_name, pod_namespace, pod_workload}), one LogEntry per
// line as a sink to Cloud Storage writes them, or a JSON array as `gcloud logging read --format=json` prints them.
// The demo's Hubble flows are rewritten as the records VPC Flow Logs would have made of the same packets: the policies
// made from them must be the ones made from Hubble, and they must hold on the held-out days.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadAll } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, readTree, tmp } from './helpers/cli.js';

const D = 'fixtures/demo';
const INVENTORY = ['--inventory', `${D}/inventory`];
type Obj = Record<string, unknown>;

const TYPES: Record<string, string> = {
  Deployment: 'DEPLOYMENT',
  StatefulSet: 'STATEFUL_SET',
  DaemonSet: 'DAEMON_SET',
  CronJob: 'CRON_JOB',
  Job: 'JOB',
};
const CLUSTER = { cluster_name: 'acme-staging', cluster_location: 'us-central1' };

/** A Hubble endpoint as VPC Flow Logs' metadata names it: a GKE pod, a node (a VM of the cluster), or nothing. */
function side(ep: Obj, ip: string): Obj {
  const labels = (ep['labels'] as string[] | undefined) ?? [];
  const wl = (ep['workloads'] as { name: string; kind: string }[] | undefined)?.[0];
  if (typeof ep['pod_name'] === 'string' && typeof ep['namespace'] === 'string')
    return {
      gke: {
        cluster: CLUSTER,
        pod: {
          pod_name: ep['pod_name'],
          pod_namespace: ep['namespace'],
          ...(wl ? { pod_workload: { workload_name: wl.name, workload_type: TYPES[wl.kind] ?? 'DEPLOYMENT' } } : {}),
        },
      },
    };
  if (labels.includes('reserved:host') || labels.includes('reserved:remote-node'))
    return {
      gke: { cluster: CLUSTER },
      instance: { project_id: 'acme-staging', vm_name: `node-${ip}`, zone: 'us-central1-a', region: 'us-central1' },
    };
  return { location: { continent: 'America', country: 'usa', asn: 15169 } };
}

/** One Hubble flow → the VPC Flow Logs LogEntry of the same packets (L7 records repeat an L4 one: none). */
function toGcp(line: string, n: number): Obj | undefined {
  const v = JSON.parse(line) as Obj;
  const f = (v['flow'] ?? v) as Obj;
  if (f['Type'] === 'L7') return undefined;
  // Between a pod and reserved:host (in the demo, the kubelet probing web from its own node, and the answers): the
  // packets never leave the node, and VPC Flow Logs see none of them.
  const host = (e: unknown) => ((e as Obj | undefined)?.['labels'] as string[] | undefined)?.includes('reserved:host');
  const pod = (e: unknown) => typeof (e as Obj | undefined)?.['pod_name'] === 'string';
  if ((host(f['source']) && pod(f['destination'])) || (pod(f['source']) && host(f['destination']))) return undefined;
  const ip = f['IP'] as Obj;
  const l4 = f['l4'] as Obj;
  const [proto, ports] = l4['TCP'] ? [6, l4['TCP'] as Obj] : l4['UDP'] ? [17, l4['UDP'] as Obj] : [1, {}];
  const src = side((f['source'] ?? {}) as Obj, ip['source'] as string);
  const dst = side((f['destination'] ?? {}) as Obj, ip['destination'] as string);
  const payload: Obj = {
    connection: {
      src_ip: ip['source'],
      dest_ip: ip['destination'],
      protocol: proto,
      ...(proto === 1 ? {} : { src_port: ports['source_port'], dest_port: ports['destination_port'] }),
    },
    reporter: n % 2 ? 'DEST' : 'SRC',
    start_time: f['time'],
    end_time: f['time'],
    bytes_sent: '1460',
    packets_sent: '1',
    ...(f['verdict'] === 'DROPPED' ? { disposition: 'DROPPED' } : n % 3 ? {} : { disposition: 'ALLOWED' }),
    ...(src['gke'] ? { src_gke_details: src['gke'] } : {}),
    ...(src['instance'] ? { src_instance: src['instance'] } : {}),
    ...(src['location'] ? { src_location: src['location'] } : {}),
    ...(dst['gke'] ? { dest_gke_details: dst['gke'] } : {}),
    ...(dst['instance'] ? { dest_instance: dst['instance'] } : {}),
    ...(dst['location'] ? { dest_location: dst['location'] } : {}),
  };
  return {
    insertId: `1x${n.toString(36)}`,
    jsonPayload: payload,
    logName: 'projects/acme-staging/logs/compute.googleapis.com%2Fvpc_flows',
    resource: { type: 'gce_subnetwork', labels: { project_id: 'acme-staging', subnetwork_name: 'gke-nodes' } },
    timestamp: f['time'],
  };
}

/** The demo's Hubble days as VPC Flow Logs exports: even days one LogEntry per line, odd days a JSON array. */
function writeGcp(dir: string): number {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  for (const name of readdirSync(`${D}/flows/hubble`).sort()) {
    const raw = readFileSync(join(`${D}/flows/hubble`, name));
    const text = (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    const entries = text
      .split('\n')
      .filter(Boolean)
      .map((l) => toGcp(l, n++))
      .filter((e): e is Obj => !!e);
    const day = Number(/(\d\d)\.json/.exec(name)![1]);
    const out = join(dir, name.replace(/\.json(\.gz)?$/, '.vpc_flows.json'));
    writeFileSync(out, day % 2 ? JSON.stringify(entries, null, 1) : entries.map((e) => JSON.stringify(e)).join('\n'));
  }
  return n;
}

/** Every NetworkPolicy of a generated tree: path → spec. */
function specs(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, text] of Object.entries(readTree(dir)))
    if (path.startsWith('netpol/')) out[path] = (loadAll(text) as Obj[]).map((o) => o['spec']);
  return out;
}

describe('Google Cloud VPC Flow Logs', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmp('gcp-flows-');
    expect(writeGcp(join(dir, 'gcp'))).toBeGreaterThan(4000);
  });

  it('gives the NetworkPolicies Hubble gives for the same traffic, with the inventory', () => {
    const hubble = cli(['generate', 'netpol', '--flows', `${D}/flows/hubble`, ...INVENTORY, '-o', join(dir, 'h')]);
    const gcp = cli(['generate', 'netpol', '--flows', join(dir, 'gcp'), ...INVENTORY, '-o', join(dir, 'g')]);
    expect(hubble.code, hubble.stderr).toBe(0);
    expect(gcp.code, gcp.stderr).toBe(0);
    const want = specs(join(dir, 'h'));
    expect(Object.keys(want).length).toBeGreaterThan(8);
    expect(specs(join(dir, 'g'))).toEqual(want);
    // Said once per file: what VPC Flow Logs cannot show.
    const files = readdirSync(join(dir, 'gcp')).length;
    expect(gcp.stderr.match(/flow\.gcp-coverage: \d+ records? in this file/g)).toHaveLength(files);
  });

  it('without the inventory, a workload the records name has no labels to select it by: no policy, said', () => {
    const r = cli(['generate', 'netpol', '--flows', join(dir, 'gcp')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('generated 0 network policies');
    expect(r.stderr).toContain(
      'no policy for shop/web: no stable labels to select its pods by (an empty podSelector would select the whole ' +
        'namespace); known only from flows: --inventory or --cluster gives its labels',
    );
  });

  it('verify replays every record, and a backtest on the held-out days denies nothing', () => {
    const v = cli([
      'verify',
      '--policies',
      join(dir, 'g'),
      '--flows',
      join(dir, 'gcp'),
      ...INVENTORY,
      '--format',
      'json',
    ]);
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.byKind.netpol.observed).toBeGreaterThan(20);
    expect(report.allowed).toBe(report.observed);
    // The dropped connection of the demo is in the evidence as denied, never allowed.
    expect(report.denied.length).toBe(1);

    const b = cli([
      'backtest',
      '--flows',
      join(dir, 'gcp'),
      ...INVENTORY,
      '--split',
      '2026-11-08T00:00:00Z',
      '--format',
      'json',
    ]);
    expect(b.code, b.stderr).toBe(0);
    const bt = JSON.parse(b.stdout);
    expect(bt.byKind.netpol.observed).toBeGreaterThan(10);
    expect(bt.byKind.netpol.wouldDeny).toBe(0);
    expect(bt.excess.netpol.allowed).toBe(0);
  });

  it('reads a record alone, skips the answer of a connection, and reads a node by its VM', () => {
    const f = join(dir, 'one.json');
    const rec = (src: string, sport: number, dst: string, dport: number, extra: Obj = {}) => ({
      connection: { src_ip: src, src_port: sport, dest_ip: dst, dest_port: dport, protocol: 6 },
      reporter: 'SRC',
      start_time: '2026-11-03T10:00:00.5Z',
      ...extra,
    });
    writeFileSync(
      f,
      [
        // cart → db on the inventory's ports; the answer; a node's kubelet probing web.
        rec('10.0.1.102', 41000, '10.0.1.160', 5432),
        rec('10.0.1.160', 5432, '10.0.1.102', 41000, { reporter: 'DEST' }),
        rec('10.0.4.9', 52000, '10.0.1.105', 8080, {
          src_gke_details: { cluster: CLUSTER },
          src_instance: { vm_name: 'gke-acme-default-pool-239f5d02-gyn2' },
        }),
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const p = join(dir, 'one.profile.json');
    const r = cli(['profile', '--flows', f, ...INVENTORY, '-o', p]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/reply 1\b/);
    const shown = readFileSync(p, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"network":'))
      .map((l) => (JSON.parse(l) as { network: Obj }).network)
      .map(
        (e) => `${JSON.stringify(e['from'])} ${JSON.stringify(e['to'])} ${String(e['protocol'])}/${String(e['port'])}`,
      )
      .sort();
    expect(shown).toEqual([
      '{"kind":"node","ip":"10.0.4.9"} {"kind":"workload","namespace":"shop","name":"web"} TCP/8080',
      '{"kind":"workload","namespace":"shop","name":"cart"} {"kind":"workload","namespace":"shop","name":"db"} TCP/5432',
    ]);
  });

  it('an unreadable record or disposition is an issue naming file and line, and allows nothing', () => {
    const f = join(dir, 'bad.json');
    const good = { src_ip: '10.0.1.102', src_port: 41000, dest_ip: '10.0.1.160', dest_port: 5432, protocol: 6 };
    writeFileSync(
      f,
      [
        { jsonPayload: { connection: { ...good, src_ip: 'not-an-ip' }, reporter: 'SRC' } },
        { jsonPayload: { connection: good, reporter: 'SRC', disposition: 'MAYBE' } },
        { jsonPayload: { connection: { ...good, dest_port: '5432' }, reporter: 'SRC' } },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const r = cli(['profile', '--flows', f, ...INVENTORY, '-o', join(dir, 'bad.profile.json'), '--on-error', 'skip']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${f}:1: flow.gcp-bad-record: cannot read addresses or ports`);
    expect(r.stderr).toContain(`${f}:2: flow.gcp-bad-record: disposition "MAYBE" is neither ALLOWED nor DROPPED`);
    expect(r.stderr).toContain(`${f}:3: flow.gcp-bad-record`);
    const lines = readFileSync(join(dir, 'bad.profile.json'), 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.startsWith('{"network":'))).toEqual([]);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ end: { network: 0 } });
  });
});
