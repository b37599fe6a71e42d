import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { load, loadAll } from 'js-yaml';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { FlowDecoder } from '../src/ingest/flows/decode.js';
import { emptyInventory, Resolver, workloadNameFromPod } from '../src/inventory/inventory.js';
import type { InputIssue } from '../src/model/issue.js';
import type { FlowObservation } from '../src/model/network.js';
import { cli, CORPUS, HAS_CORPUS, readTree, ROOT, rng, shuffle, tmp } from './helpers/cli.js';

const DEMO = join(ROOT, 'fixtures/demo');
const FLOWS = join(DEMO, 'flows');
const INV = join(DEMO, 'inventory');
const HUBBLE = join(CORPUS, 'flows/cilium__hubble-otel/testdata');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}
type Doc = {
  kind: string;
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- policy specs of any shape, read by the assertions
  spec: Record<string, any>;
};
const docsOf = (f: string) => loadAll(readFileSync(f, 'utf8')) as Doc[];
const policy = (out: string, ns: string, name: string) => docsOf(join(out, 'netpol', ns, `${name}.yaml`))[0]!;

function decode(lines: string[], resolver = new Resolver(emptyInventory())) {
  const out: (FlowObservation | InputIssue | { kind: string })[] = [];
  const d = new FlowDecoder('f.log', resolver, (x) => out.push(x));
  lines.forEach((l, i) => (l.trim().startsWith('{') ? d.json(JSON.parse(l), i + 1) : d.text(l, i + 1)));
  return out;
}

describe('flow decoding', () => {
  const hubble = (over: Record<string, unknown> = {}) => ({
    flow: {
      time: '2026-11-02T08:00:00.123456789Z',
      verdict: 'FORWARDED',
      IP: { source: '10.0.1.101', destination: '10.0.1.102', ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 51000, destination_port: 8081, flags: { SYN: true } } },
      source: {
        namespace: 'shop',
        pod_name: 'web-7c9d8f6b5d-x2klq',
        labels: [
          'k8s:app=web',
          'k8s:pod-template-hash=7c9d8f6b5d',
          'k8s:io.cilium.k8s.policy.serviceaccount=web',
          'k8s:io.kubernetes.pod.namespace=shop',
          'k8s:io.cilium.k8s.namespace.labels.team=shop',
        ],
      },
      destination: { namespace: 'shop', pod_name: 'cart-5f7b9c8d4-m8wzt', labels: ['k8s:app=cart'] },
      Type: 'L3_L4',
      is_reply: false,
      ...over,
    },
  });

  it('takes a Hubble flow with or without its wrapper; selectors drop Cilium’s labels and the pod-template hash', () => {
    const wrapped = decode([JSON.stringify(hubble())]);
    const bare = decode([JSON.stringify(hubble().flow)]);
    expect(bare).toEqual(wrapped);
    expect(wrapped).toMatchObject([
      {
        kind: 'flow',
        from: { kind: 'workload', namespace: 'shop', name: 'web' },
        to: { kind: 'workload', namespace: 'shop', name: 'cart' },
        protocol: 'TCP',
        port: 8081,
        decision: 'allow',
        starts: true,
        time: '2026-11-02T08:00:00.123456Z',
      },
    ]);
    expect((wrapped[0] as FlowObservation).workloads[0]!.selector).toEqual({ app: 'web' });
  });

  it.each([
    ['a reply', { is_reply: true }, 'reply'],
    [
      'a SYN-ACK',
      { l4: { TCP: { source_port: 8081, destination_port: 51000, flags: { SYN: true, ACK: true } } } },
      'reply',
    ],
    ['an echo reply', { l4: { ICMPv4: { type: 0 } } }, 'reply'],
  ])('skips %s', (_n, over, reason) => {
    expect(decode([JSON.stringify(hubble(over))])).toEqual([{ kind: 'skip', reason }]);
  });

  it('keeps dropped flows as denied, and ICMP echo requests as ICMP', () => {
    expect(decode([JSON.stringify(hubble({ verdict: 'DROPPED' }))])).toMatchObject([{ decision: 'deny' }]);
    expect(decode([JSON.stringify(hubble({ l4: { ICMPv4: { type: 8 } } }))])).toMatchObject([
      { protocol: 'ICMP', port: 0 },
    ]);
  });

  it('reads VPC flow logs in the default format and in a custom one named by its header; replies by port; NODATA skipped', () => {
    const got = decode([
      '2 111122223333 eni-1 10.0.1.101 10.0.1.102 51000 8081 6 10 840 1793606400 1793606460 ACCEPT OK',
      '2 111122223333 eni-1 10.0.1.102 10.0.1.101 8081 51000 6 10 840 1793606400 1793606460 ACCEPT OK',
      '2 111122223333 eni-1 - - - - - - - 1793606400 1793606460 - NODATA',
      'version srcaddr dstaddr srcport dstport protocol start action log-status pkt-srcaddr pkt-dstaddr',
      '5 10.0.1.5 10.0.9.9 44000 443 6 1793606500 REJECT OK 10.0.1.101 10.0.9.9',
      '5 10.0.1.5 10.0.9.9 oops',
    ]);
    expect(got).toMatchObject([
      {
        kind: 'flow',
        from: { kind: 'ip', ip: '10.0.1.101' },
        to: { kind: 'ip', ip: '10.0.1.102' },
        port: 8081,
        time: '2026-11-02T08:00:00.000000Z',
        starts: true,
      },
      { kind: 'skip', reason: 'reply' },
      { kind: 'skip', reason: 'no-data' },
      // A header after records: the format changes from the next line on, with a notice (vpc-header-midfile.test.ts).
      { kind: 'issue', level: 'notice', code: 'flow.vpc-header-changed', line: 4 },
      { kind: 'flow', from: { kind: 'ip', ip: '10.0.1.101' }, decision: 'deny', port: 443 },
      { kind: 'issue', code: 'flow.vpc-fields', file: 'f.log', line: 6 },
    ]);
  });

  it.each([
    ['productpage-v1-6b746f74dc-9rcxx', {}, 'productpage-v1', 'Deployment'],
    ['node-local-dns-88zrp', { 'controller-revision-hash': 'x' }, 'node-local-dns', 'DaemonSet'],
    ['db-2', { 'statefulset.kubernetes.io/pod-name': 'db-2' }, 'db', 'StatefulSet'],
    ['backup-29364480-r7d2s', { 'batch.kubernetes.io/job-name': 'backup-29364480' }, 'backup', 'CronJob'],
    ['migrate-x7k2p', { 'job-name': 'migrate' }, 'migrate', 'Job'],
    ['standalone', {}, 'standalone', 'Pod'],
  ])('workload of pod %s', (pod, labels, name, kind) => {
    expect(workloadNameFromPod(pod, labels)).toEqual({ name, kind });
  });
});

describe.skipIf(!HAS_CORPUS)('generate netpol on ../shared/corpus Hubble flows (acceptance)', () => {
  const out = tmp();
  // Run once the block is not skipped (describe bodies run even when their tests skip).
  let g: ReturnType<typeof cli>;
  beforeAll(() => {
    g = cli(['generate', 'netpol', '--flows', HUBBLE, '-o', out]);
  });

  it('succeeds without an inventory; policies validate, select on workload labels only and read back as the same data', () => {
    expect(g.code, g.stderr).toBe(0);
    const all = files(join(out, 'netpol'));
    expect(all.length).toBeGreaterThan(10);
    for (const f of all) {
      const text = readFileSync(f, 'utf8');
      for (const d of docsOf(f)) {
        expect(() => new NetworkPolicy(d as never).validate()).not.toThrow();
        const sel = JSON.stringify(d.spec);
        expect(sel).not.toMatch(/pod-template-hash|controller-revision-hash|io\.cilium|io\.kubernetes\.pod\.namespace/);
      }
      // What js-yaml wrote reads back as the same objects.
      expect(loadAll(text)).toEqual(docsOf(f));
    }
    const pp = policy(out, 'bookinfo', 'productpage-v1');
    expect(pp.spec['podSelector']).toEqual({ matchLabels: { app: 'productpage', version: 'v1' } });
    expect(g.stderr).toMatch(/no policy for istio-system\/jaeger: no stable labels/);
  });

  it('verify allows every observed connection and reports the workload pairs that never talked', () => {
    const v = cli(['verify', '--policies', out, '--flows', HUBBLE, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    const r = JSON.parse(v.stdout);
    expect(r.byKind.netpol.observed).toBeGreaterThan(30);
    expect(r.byKind.netpol.allowed).toBe(r.byKind.netpol.observed);
    expect(r.notAllowed).toEqual([]);
    expect(r.byKind.netpol.unobservedPairs).toBeGreaterThan(200);
    // Only the two workloads without any label (no policy can select them, so their namespaces get no
    // default deny) stay open to each other: every other pair that never talked is denied.
    expect(r.byKind.netpol.unobservedAllowed).toBe(2);
    expect(r.byKind.netpol.unobservedAllowedExamples).toEqual([
      'istio-system/jaeger → kube-system/clickhouse-operator',
      'kube-system/clickhouse-operator → istio-system/jaeger',
    ]);
  });
});

describe('generate netpol on the demo environment', () => {
  const out = tmp();
  const g = cli(['generate', 'netpol', '--flows', FLOWS, '--inventory', INV, '-o', out]);

  it('selects on each workload’s own selector, uses named ports, resolves Service ClusterIPs to backends, and covers namespaces with a default deny', () => {
    expect(g.code, g.stderr).toBe(0);
    const web = policy(out, 'shop', 'web');
    expect(web.spec['podSelector']).toEqual({ matchLabels: { app: 'web', tier: 'frontend' } });
    // The load balancer's addresses; the kubelet's probes from web's own node get no rule (Kubernetes allows them).
    expect(web.spec['ingress']).toContainEqual({
      from: [{ ipBlock: { cidr: '10.0.0.50/32' } }, { ipBlock: { cidr: '10.0.0.51/32' } }],
      ports: [{ protocol: 'TCP', port: 'http' }],
    });
    expect(JSON.stringify(web.spec)).not.toContain('10.0.1.23');
    expect(g.stderr).toContain("traffic with a pod's own node (kubelet probes, node agents)");
    expect(g.stderr).toContain('shop/web: own node 10.0.1.23 → shop/web TCP/8080');
    expect(web.spec['ingress']).toContainEqual({
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
          podSelector: { matchLabels: { app: 'prometheus' } },
        },
      ],
      ports: [{ protocol: 'TCP', port: 'metrics' }],
    });
    expect(web.spec['egress']).toContainEqual({
      to: [{ podSelector: { matchLabels: { app: 'cart', tier: 'backend' } } }],
      ports: [{ protocol: 'TCP', port: 'api' }],
    });
    const pay = policy(out, 'payments', 'payments-api');
    expect(pay.metadata.annotations!['audit2policy.dev/dns-names']).toBe(
      '54.187.174.169=api.stripe.com 54.187.216.72=api.stripe.com',
    );
    // The CronJob's pods carry a per-run job name: the selector is the template's stable labels.
    expect(policy(out, 'ops', 'backup').spec['podSelector']).toEqual({ matchLabels: { app: 'backup' } });
    expect(docsOf(join(out, 'netpol/shop/_default-deny.yaml'))[0]!.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    expect(g.stderr).not.toContain('node or host-network peers');
    expect(g.stderr).toMatch(/dropped flows seen: 2 records/);
    const ev = load(readFileSync(join(out, 'evidence/netpol/shop/cart.yaml'), 'utf8')) as {
      ingress: { peer: string; ports: string[]; connections: number }[];
    };
    // The VPC flow log reached the cart through its Service's ClusterIP (port 80 → targetPort 8081).
    expect(ev.ingress.find((x) => x.peer === 'shop/web')).toMatchObject({ ports: ['TCP/api'] });
  });

  it('verify: every connection allowed, and no pair of workloads that never talked can', () => {
    const v = cli(['verify', '--policies', out, '--flows', FLOWS, '--inventory', INV, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    const r = JSON.parse(v.stdout);
    expect(r.byKind.netpol).toMatchObject({ observed: 39, allowed: 39, unobservedAllowed: 0 });
    expect(r.byKind.netpol.unobservedPairs).toBeGreaterThan(50);
    expect(
      r.denied.map((d: { access: { to: string; port: number } }) => `${d.access.to}:${d.access.port}`).sort(),
    ).toEqual(['payments/payments-api:8443', 'shop/web:22']);
  });

  it('verify fails when a rule is missing, naming the connection', () => {
    const cut = tmp();
    mkdirSync(join(cut, 'shop'), { recursive: true });
    for (const f of files(join(out, 'netpol'))) {
      const rel = f.slice(join(out, 'netpol').length + 1);
      mkdirSync(join(cut, rel, '..'), { recursive: true });
      let text = readFileSync(f, 'utf8');
      if (rel === 'shop/cart.yaml') text = text.replace(/port: api/g, 'port: 9999');
      writeFileSync(join(cut, rel), text);
    }
    const v = cli(['verify', '--policies', cut, '--flows', FLOWS, '--inventory', INV, '--format', 'json']);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).notAllowed).toMatchObject([
      { kind: 'netpol', access: { from: 'shop/web', to: 'shop/cart', protocol: 'TCP', port: 8081 } },
    ]);
  });

  it('--flavor cilium writes CiliumNetworkPolicies with toFQDNs for named external peers, and they verify', () => {
    const c = tmp();
    expect(
      cli(['generate', 'netpol', '--flows', FLOWS, '--inventory', INV, '-o', c, '--flavor', 'cilium', '-q']).code,
    ).toBe(0);
    const pay = policy(c, 'payments', 'payments-api');
    expect(pay.kind).toBe('CiliumNetworkPolicy');
    expect(pay.spec['egress']).toContainEqual({
      toFQDNs: [{ matchName: 'api.stripe.com' }],
      toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }],
    });
    const v = cli(['verify', '--policies', c, '--flows', FLOWS, '--inventory', INV, '--format', 'json']);
    expect(v.code, v.stdout).toBe(0);
    expect(JSON.parse(v.stdout).byKind.netpol).toMatchObject({ observed: 39, allowed: 39 });
  });

  it('widens only when asked, and lists it', () => {
    const w = tmp();
    const r = cli([
      'generate',
      'netpol',
      '--flows',
      FLOWS,
      '--inventory',
      INV,
      '-o',
      w,
      '--aggregate-cidr',
      '16',
      '--widen-ports',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /--aggregate-cidr payments\/payments-api: 54\.187\.174\.169, 54\.187\.216\.72 → 54\.187\.0\.0\/16/,
    );
    expect(r.stderr).toMatch(/--widen-ports shop\/web: all ports with shop\/cart/);
    expect(JSON.stringify(policy(w, 'payments', 'payments-api').spec['egress'])).toContain('54.187.0.0/16');
    expect(cli(['verify', '--policies', w, '--flows', FLOWS, '--inventory', INV, '-q']).code).toBe(0);
    expect(cli(['generate', 'netpol', '--flows', FLOWS, '--aggregate-cidr', '4', '-q']).code).toBe(2);
  });

  it('gives the same bytes for shuffled records re-split across plain and gzip files, with any worker count', () => {
    const lines: string[] = [];
    for (const f of files(join(FLOWS, 'hubble'))) {
      const raw = readFileSync(f);
      lines.push(...(f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').split('\n').filter(Boolean));
    }
    const mixed = shuffle(lines, rng(3));
    const dir = tmp();
    const q = Math.floor(mixed.length / 3);
    writeFileSync(join(dir, 'a.json'), mixed.slice(0, q).join('\n') + '\n');
    writeFileSync(join(dir, 'b.json.gz'), gzipSync(mixed.slice(q, 2 * q).join('\r\n')));
    writeFileSync(join(dir, 'c.json'), mixed.slice(2 * q).join('\n'));
    mkdirSync(join(dir, 'vpc'));
    writeFileSync(join(dir, 'vpc/x.log'), readFileSync(join(FLOWS, 'vpc/eni-0a1b2c3d4e5f60718-2026-11-07T15.log')));
    for (const workers of ['1', '3']) {
      const o = tmp();
      expect(
        cli(['generate', 'netpol', '--flows', dir, '--inventory', INV, '-o', o, '-q', '--workers', workers]).code,
      ).toBe(0);
      expect(readTree(o)).toEqual(readTree(out));
    }
  });
});

describe('inventory', () => {
  it('an object without kind is an issue naming its file, never a guess', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'pods.yaml'), 'metadata:\n  name: web-1\n  namespace: shop\nspec: {}\n');
    const r = cli(['profile', '--flows', FLOWS, '--inventory', dir, '-q', '--on-error', 'fail']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pods\.yaml:1: inventory\.no-kind: object "web-1" has no kind/);
  });

  it('a directory of object files (YAML) gives the same profile as the kubectl List', () => {
    const list = JSON.parse(readFileSync(join(INV, 'acme-staging.json'), 'utf8')) as {
      items: Record<string, unknown>[];
    };
    const dir = tmp();
    list.items.forEach((o, i) =>
      writeFileSync(join(dir, `${String(i).padStart(3, '0')}.yaml`), `# exported\n${JSON.stringify(o)}\n`),
    );
    const a = tmp();
    expect(cli(['profile', '--flows', FLOWS, '--inventory', INV, '-o', join(a, 'a.json'), '-q']).code).toBe(0);
    expect(cli(['profile', '--flows', FLOWS, '--inventory', dir, '-o', join(a, 'b.json'), '-q']).code).toBe(0);
    expect(readFileSync(join(a, 'b.json'), 'utf8')).toBe(readFileSync(join(a, 'a.json'), 'utf8'));
  });
});

describe('the widenings netpol lists', () => {
  // A peer without labels (tools/jaeger: its namespace gets no default deny either), the cluster DNS, kube-system.
  const flow = (src: object, dst: object, l4: object, ip: [string, string], time: string) =>
    JSON.stringify({
      flow: {
        time,
        verdict: 'FORWARDED',
        IP: { source: ip[0], destination: ip[1], ipVersion: 'IPv4' },
        l4,
        source: src,
        destination: dst,
        Type: 'L3_L4',
        is_reply: false,
      },
    });
  const web = { namespace: 'shop', pod_name: 'web-7c9d8f6b5d-x2klq', labels: ['k8s:app=web'] };
  const grafana = { namespace: 'tools', pod_name: 'grafana-6b746f74dc-9rcxx', labels: ['k8s:app=grafana'] };
  const jaeger = { namespace: 'tools', pod_name: 'jaeger', labels: [] };
  const dns = { namespace: 'kube-system', pod_name: 'coredns-5d78c9869d-abcde', labels: ['k8s:k8s-app=kube-dns'] };
  const flows = () => {
    const f = join(tmp(), 'flows.json');
    const tcp = { TCP: { source_port: 51000, destination_port: 16686 } };
    const udp = { UDP: { source_port: 51000, destination_port: 53 } };
    writeFileSync(
      f,
      [
        flow(grafana, jaeger, tcp, ['10.0.1.1', '10.0.1.2'], '2026-11-02T08:00:00.1Z'),
        flow(web, dns, udp, ['10.0.1.4', '10.0.1.3'], '2026-11-02T08:00:01.1Z'),
      ].join('\n') + '\n',
    );
    return f;
  };

  it('names a flag only when the user passed a real one; the defaults in words (a made-up --unselectable-peer, and --no-default-deny the user never passed)', () => {
    const f = flows();
    const r = cli(['generate', 'netpol', '--flows', f, '-o', tmp()]);
    expect(r.code, r.stderr).toBe(0);
    const widenings = r.stderr.split('\n').filter((l) => /^ {2}\(|^ {2}--/.test(l));
    expect(widenings).toEqual([
      '  (cluster DNS) kube-system/coredns: DNS from shop/web on UDP and TCP 53 (seen: UDP/53)',
      '  (cluster DNS) shop/web: DNS to kube-system/coredns on UDP and TCP 53 (seen: UDP/53)',
      '  (peer without stable labels) tools/grafana: tools/jaeger has no stable labels: the rule admits every pod of namespace tools',
      expect.stringMatching(/^ {2}\(no default deny: system namespace\) kube-system: no default deny in kube-system: /),
      '  (no default deny: a workload without a policy) tools: no default deny in tools: tools/jaeger could not be given a policy',
    ]);
    // With the widening flags: each label that looks like a flag is one the user passed and --help lists.
    const w = cli(['generate', 'netpol', '--flows', f, '-o', tmp(), '--widen-ports', '--aggregate-cidr', '24']);
    expect(w.code, w.stderr).toBe(0);
    const help = cli(['generate', 'netpol', '--help']).stdout;
    const flags = w.stderr.split('\n').flatMap((l) => /^ {2}(--[a-z-]+) /.exec(l)?.[1] ?? []);
    expect(flags).toContain('--widen-ports');
    for (const x of flags) {
      expect(['--widen-ports', '--aggregate-cidr']).toContain(x);
      expect(help).toContain(`  ${x} `);
    }
  });
});
