import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, tmp } from './helpers/cli.js';
import { CLIENT_DB_FLOW, clientDbInventory, daemonSet, shopPod } from './helpers/clientDb.js';

// A profile keeps the workloads of the inventory it was made with, but not its Services (CiliumNetworkPolicy
// toServices), its pods' addresses or its network plugin (an ipBlock covering pods). verify and check take
// --inventory/--cluster beside --profile for those alone, as they take it beside logs; the workloads judged stay the
// profile's. A Hubble flow client → db, profiled with an inventory; policies that need the facts to decide.

const DB_SERVICE = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'db', namespace: 'shop', labels: { tier: 'data' } },
  spec: { selector: { app: 'db' }, clusterIP: '10.96.0.10', ports: [{ port: 5432 }] },
};
const inventory = (...more: unknown[]) => clientDbInventory(DB_SERVICE, ...more);

/** client may reach the Services labelled tier=data: only the inventory's Services say db is one. */
const TO_SERVICES = {
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name: 'client', namespace: 'shop' },
  spec: {
    endpointSelector: { matchLabels: { app: 'client' } },
    egress: [{ toServices: [{ k8sServiceSelector: { selector: { matchLabels: { tier: 'data' } } } }] }],
  },
};
/** db lets 10.0.0.0/8 in: whether that holds the client pod is the plugin's choice, and needs its address. */
const IP_BLOCK = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'db', namespace: 'shop' },
  spec: {
    podSelector: { matchLabels: { app: 'db' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 5432 }] }],
  },
};

interface Verify {
  observed: number;
  allowed: number;
  notAllowed: { detail: string }[];
  undetermined: { detail: string }[];
  byKind: { netpol: { unobservedPairs: number } };
}
interface Check {
  wouldDeny: { summary: string }[];
  undetermined: { summary: string }[];
  unused: { summary: string }[];
}

let dir = '';
const run = (args: string[]) => cli(args, { cwd: dir });
const verify = (...args: string[]) => {
  const r = run(['verify', '--profile', 'p.json', '--format', 'json', '-q', ...args]);
  expect([0, 1], r.stderr).toContain(r.code);
  return { code: r.code, out: JSON.parse(r.stdout) as Verify, stdout: r.stdout };
};
const check = (...args: string[]) => {
  const r = run(['check', '--profile', 'p.json', '--format', 'json', '--fail-on', 'none', '-q', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Check;
};

beforeAll(() => {
  dir = tmp('a2p-pinv-');
  writeFileSync(join(dir, 'flows.json'), JSON.stringify(CLIENT_DB_FLOW) + '\n');
  writeFileSync(join(dir, 'inv.json'), JSON.stringify(inventory()));
  writeFileSync(join(dir, 'inv-cilium.json'), JSON.stringify(inventory(daemonSet('kube-system', 'cilium'))));
  // The same cluster a day later: one more workload, which a profile of the day before never saw.
  writeFileSync(join(dir, 'inv-later.json'), JSON.stringify(inventory(shopPod('extra', '10.0.1.30'))));
  writeFileSync(join(dir, 'to-services.json'), JSON.stringify(TO_SERVICES));
  writeFileSync(join(dir, 'ip-block.json'), JSON.stringify(IP_BLOCK));
  const made = run(['profile', '--flows', 'flows.json', '--inventory', 'inv.json', '-o', 'p.json', '-q']);
  expect(made.code, made.stderr).toBe(0);
});

describe('verify and check --profile with --inventory', () => {
  it("toServices: the inventory's Services decide it, as with logs; without it, undetermined", () => {
    const without = verify('--policies', 'to-services.json');
    expect(without.out.allowed).toBe(0);
    expect(without.out.undetermined.map((f) => f.detail)).toEqual([
      expect.stringMatching(/toServices: no Services are known \(--inventory or --cluster gives them/),
    ]);
    const withInv = verify('--policies', 'to-services.json', '--inventory', 'inv.json');
    expect(withInv.out).toMatchObject({ observed: 1, allowed: 1, notAllowed: [], undetermined: [] });
    // The same report as the logs read with the inventory.
    const logs = run(['verify', '--flows', 'flows.json', '--inventory', 'inv.json', '--policies', 'to-services.json']);
    expect(
      run(['verify', '--profile', 'p.json', '--inventory', 'inv.json', '--policies', 'to-services.json']).stdout,
    ).toBe(logs.stdout);

    expect(check('--policies', 'to-services.json').undetermined.map((f) => f.summary)).toEqual([
      'shop/client → shop/db TCP/5432',
    ]);
    const checked = check('--policies', 'to-services.json', '--inventory', 'inv.json');
    expect(checked.wouldDeny).toEqual([]);
    expect(checked.undetermined).toEqual([]);
  });

  it("the network plugin the inventory shows, and its pods' addresses", () => {
    // Unknown plugin: an ipBlock that may hold the client pod is undetermined.
    expect(verify('--policies', 'ip-block.json').out.undetermined).toHaveLength(1);
    // Cilium's agent in the inventory: an ipBlock never holds a pod, so denied, in verify and check.
    const cilium = verify('--policies', 'ip-block.json', '--inventory', 'inv-cilium.json');
    expect(cilium.code).toBe(1);
    expect(cilium.out.notAllowed.map((f) => f.detail)).toEqual([
      'ingress of shop pod isolated by shop/db; no rule allows it',
    ]);
    expect(
      check('--policies', 'ip-block.json', '--inventory', 'inv-cilium.json').wouldDeny.map((f) => f.summary),
    ).toEqual(['shop/client → shop/db TCP/5432']);
    // --network-plugin overrides what the inventory shows.
    expect(
      verify('--policies', 'ip-block.json', '--inventory', 'inv-cilium.json', '--network-plugin', 'unknown').out
        .undetermined,
    ).toHaveLength(1);
    // Calico matches by address: the client's address, which only the inventory gives, is in the block.
    expect(verify('--policies', 'ip-block.json', '--network-plugin', 'calico').out.allowed).toBe(0);
    const calico = verify('--policies', 'ip-block.json', '--network-plugin', 'calico', '--inventory', 'inv.json');
    expect(calico.out).toMatchObject({ allowed: 1, notAllowed: [], undetermined: [] });
  });

  it("the workloads judged stay the profile's: a later inventory's new workload is not among them", () => {
    const mine = verify('--policies', 'to-services.json', '--inventory', 'inv.json');
    const later = verify('--policies', 'to-services.json', '--inventory', 'inv-later.json');
    expect(later.stdout).toBe(mine.stdout);
    expect(later.out.byKind.netpol.unobservedPairs).toBe(1);
    // Logs read with that inventory take its workloads: the pairs count the new one.
    const logs = run([
      'verify',
      '--flows',
      'flows.json',
      '--inventory',
      'inv-later.json',
      '--policies',
      'to-services.json',
      '--format',
      'json',
      '-q',
    ]);
    expect((JSON.parse(logs.stdout) as Verify).byKind.netpol.unobservedPairs).toBe(5);
    const unused = check('--policies', 'ip-block.json', '--inventory', 'inv-later.json').unused.map((f) => f.summary);
    expect(unused.length).toBeGreaterThan(0);
    expect(unused.some((s) => s.includes('shop/extra'))).toBe(false);
  });

  it('--cluster beside --profile is taken as --inventory is; both at once are refused', async () => {
    // A local API server serving the lists of the inventory with Cilium's agent (the client library as with logs).
    const items = inventory(daemonSet('kube-system', 'cilium')).items as { kind: string; apiVersion: string }[];
    const server = createServer((req, res) => {
      const kind = /\/(\w+?)s$/.exec(new URL(req.url ?? '/', 'http://x').pathname)?.[1] ?? '';
      const list = items.filter((x) => x.kind.toLowerCase() === kind).map(({ kind: _k, apiVersion: _a, ...o }) => o);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: list }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      writeFileSync(
        join(dir, 'kubeconfig'),
        `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:${port}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n`,
      );
      const live = await cliAsync([
        'verify',
        '--profile',
        'p.json',
        '--policies',
        'ip-block.json',
        '--cluster',
        '--kubeconfig',
        'kubeconfig',
        '--format',
        'json',
      ]);
      expect(live.stderr).toMatch(/^inventory: 1 namespaces, 2 pods, 1 controllers, 1 services, 0 nodes \(live\)$/m);
      expect(live.code, live.stderr).toBe(1);
      expect(live.stdout).toBe(verify('--policies', 'ip-block.json', '--inventory', 'inv-cilium.json').stdout);
    } finally {
      server.close();
    }
    const both = run([
      'verify',
      '--profile',
      'p.json',
      '--policies',
      'ip-block.json',
      '--inventory',
      'inv.json',
      '--cluster',
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^error: give either --inventory or --cluster, not both$/m);
    // --context goes with --cluster, beside a profile as beside logs.
    const ctx = run(['check', '--profile', 'p.json', '--policies', 'ip-block.json', '--context', 'x']);
    expect(ctx.code).toBe(2);
    expect(ctx.stderr).toMatch(/^error: --context and --kubeconfig go with --cluster$/m);
  });

  it('the inventory summary is said on stderr, and its issues count under --on-error fail', () => {
    const r = run(['verify', '--profile', 'p.json', '--policies', 'ip-block.json', '--inventory', 'inv.json']);
    expect(r.stderr).toMatch(/^inventory: 1 namespaces, 2 pods, 0 controllers, 1 services, 0 nodes$/m);
    writeFileSync(join(dir, 'bad-inv.json'), '{"apiVersion": "v1", "kind": "List", "items": [');
    const bad = run(['verify', '--profile', 'p.json', '--policies', 'ip-block.json', '--inventory', 'bad-inv.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad-inv.json');
  });
});

// Finding 11: under `profile` an inventory's issues were every one a bare line, with no count and no cap, and an
// inventory that gave nothing at all (objects without kind) was never said.
describe("an inventory's issues under profile: the input issues' summary, and a warning when it gave nothing", () => {
  it('12 objects without kind: a header with the count, the first ten, the rest counted; a warning; exit 0', () => {
    const inv = join(dir, 'kindless');
    mkdirSync(inv, { recursive: true });
    for (let i = 0; i < 12; i++)
      writeFileSync(
        join(inv, `pod-${String(i).padStart(2, '0')}.json`),
        JSON.stringify({ metadata: { name: `p${i}`, namespace: 'shop' } }),
      );
    const r = run(['profile', '--flows', 'flows.json', '--inventory', 'kindless', '-o', 'kindless.json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const at = lines.indexOf('12 inventory issues: those objects were left out');
    expect(at, r.stderr).toBeGreaterThan(-1);
    expect(
      lines.slice(at + 1, at + 11).every((l) => /^ {2}kindless\/pod-\d\d\.json:1: inventory\.no-kind: /.test(l)),
    ).toBe(true);
    expect(lines[at + 11]).toBe('  ... and 2 more');
    expect(r.stderr).toContain(
      "warning: the inventory gave no objects: pods and workloads are known only from what the logs say (workloads guessed from the flows' pod names and labels, as without --inventory)",
    );
    // An inventory that gives objects is no warning; its issues are counted the same way.
    writeFileSync(
      join(inv, 'ns.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }),
    );
    const some = run(['profile', '--flows', 'flows.json', '--inventory', 'kindless', '-o', 'kindless.json', '-q']);
    expect(some.code, some.stderr).toBe(0);
    expect(some.stderr).toMatch(/^12 inventory issues: those objects were left out$/m);
    expect(some.stderr).not.toMatch(/warning/);
  });
});

describe('where an inventory beside --profile has no use, the refusal says what a profile keeps', () => {
  const REFUSAL =
    'error: a profile keeps the workloads of the inventory it was made with: give --inventory/--cluster when profiling (verify, check and report --policies take one beside --profile, for its Services, pod addresses and network plugin)';

  it('generate, and report without --policies', () => {
    for (const args of [
      ['generate', 'netpol', '--profile', 'p.json', '--inventory', 'inv.json'],
      ['generate', 'all', '--profile', 'p.json', '--cluster', '-o', 'out'],
      ['report', '--profile', 'p.json', '--inventory', 'inv.json', '-o', 'r.md'],
    ]) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(REFUSAL);
    }
  });

  it("report --policies: the check view takes the inventory's facts", () => {
    const without = run(['report', '--profile', 'p.json', '--policies', 'ip-block.json', '-o', 'a.md', '-q']);
    expect(without.code, without.stderr).toBe(0);
    const withInv = run([
      'report',
      '--profile',
      'p.json',
      '--policies',
      'ip-block.json',
      '--inventory',
      'inv-cilium.json',
      '-o',
      'b.md',
      '-q',
    ]);
    expect(withInv.code, withInv.stderr).toBe(0);
    const a = readFileSync(join(dir, 'a.md'), 'utf8');
    const b = readFileSync(join(dir, 'b.md'), 'utf8');
    // Cilium's agent: the ipBlock holds no pod, so the observed connection would be denied; unknown, it is not.
    expect(b).not.toBe(a);
    expect(b).toMatch(/would be denied[^]*shop\/client → shop\/db TCP\/5432/i);
  });
});

describe('help', () => {
  it('verify and check say what --inventory gives beside --profile; generate does not', () => {
    for (const cmd of ['verify', 'check']) {
      const help = run([cmd, '--help']).stdout.replace(/\s+/g, ' ');
      expect(help).toContain(
        "beside --profile, only what a profile does not keep: Services (Cilium toServices), pod addresses, nodes and their labels (host policies) and the network plugin (the workloads judged stay the profile's)",
      );
      expect(help).toContain(`${cmd} --policies policy/ --profile week.json --inventory inventory.json`);
    }
    expect(run(['report', '--help']).stdout.replace(/\s+/g, ' ')).toContain('beside --profile (with --policies), only');
    expect(run(['generate', 'netpol', '--help']).stdout).not.toContain('beside --profile');
  });
});

describe('networkPlugin in the config file', () => {
  const HEAD = 'apiVersion: audit2policy.dev/v1alpha1\nkind: Config\n';

  it('filters.networkPlugin decides as --network-plugin does, beside a --profile given on the command line', () => {
    const conf = join(dir, 'cilium.yaml');
    writeFileSync(conf, `${HEAD}sources:\n  flows: flows.json\nfilters:\n  networkPlugin: cilium\n`);
    const byFile = run(['verify', '--config', 'cilium.yaml', '--profile', 'p.json', '--policies', 'ip-block.json']);
    const byFlag = run(['verify', '--profile', 'p.json', '--policies', 'ip-block.json', '--network-plugin', 'cilium']);
    expect(byFile.code).toBe(1);
    expect(byFile.stdout).toBe(byFlag.stdout);
    // The flag overrides it, key by key.
    const flag = run([
      'check',
      '--config',
      'cilium.yaml',
      '--profile',
      'p.json',
      '--policies',
      'ip-block.json',
      '--network-plugin',
      'unknown',
      '--format',
      'json',
    ]);
    expect((JSON.parse(flag.stdout) as Check).wouldDeny).toEqual([]);
    // A command that takes no --network-plugin does not use it.
    expect(run(['generate', 'netpol', '--config', 'cilium.yaml', '--profile', 'p.json']).code).toBe(0);
  });

  it('a name no plugin has is an error naming the file, the line and the key', () => {
    writeFileSync(join(dir, 'bad.yaml'), `${HEAD}filters:\n  networkPlugin: flannel\n`);
    const r = run(['verify', '--config', 'bad.yaml', '--profile', 'p.json', '--policies', 'ip-block.json']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: bad.yaml:4: filters.networkPlugin: expected one of antrea, aws-vpc-cni, calico, cilium, gke-dataplane-v2, unknown, got "flannel"',
    );
  });
});

/** Run the CLI without blocking this process (the test's API server must keep answering). */
function cliAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
}
