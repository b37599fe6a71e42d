import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

// Where diff and check put a NetworkPolicy finding: at the rule that grants it on its own side (new access on HEAD,
// removed access on BASE), and a would-be denial at the policy selecting the endpoint in the direction that denies it,
// where the missing rule goes. Real files, the CLI as a user runs it, from the policy tree's parent directory.

interface Loc {
  file: string;
  line: number;
}
interface Finding {
  summary: string;
  locations: Loc[];
}
interface Report {
  newAccess: Finding[];
  removedAccess: Finding[];
  wouldDeny: Finding[];
  unused: Finding[];
  undetermined: Finding[];
}

const DEFAULT_DENY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`;

/** web: egress to api on 8080 (and on 9000 with `more`), ingress from anywhere on 443; api in a second document. */
const web = (more: boolean) => `# the web front end
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes:
  - Ingress
  - Egress
  egress:
  - to:
    - podSelector:
        matchLabels:
          app: api
    ports:
    - port: 8080
${
  more
    ? `  - to:   # the new rule
    - podSelector:
        matchLabels:
          app: api
    ports:
    - port: 9000
`
    : ''
}  ingress:
  - from:
    - ipBlock:
        cidr: 0.0.0.0/0
    ports:
    - port: 443
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
      ports:
        - port: 8080
    - from:
        - podSelector: {}
      ports:
        - port: 9000
`;

/** db, in JSON as `kubectl get -o json` writes it: ingress from api on 5432 (and from web with `fromWeb`). */
const db = (fromWeb: boolean) =>
  JSON.stringify(
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'db', namespace: 'shop' },
      spec: {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] },
          ...(fromWeb ? [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }] : []),
        ],
      },
    },
    null,
    2,
  ) + '\n';

const POD_IPS: Record<string, string> = { web: '10.0.1.10', api: '10.0.1.20', db: '10.0.1.30' };
const INVENTORY = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    ...Object.entries(POD_IPS).map(([app, ip]) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: app, namespace: 'shop', labels: { app } },
      spec: { containers: [{ name: 'c' }] },
      status: { podIP: ip },
    })),
  ],
};

/** A Hubble flow a → b on a TCP port, the n-th of the file. */
const flow = (a: string, b: string, port: number, n: number) => ({
  flow: {
    time: `2026-11-02T00:02:5${n}.000000000Z`,
    verdict: 'FORWARDED',
    IP: { source: POD_IPS[a], destination: POD_IPS[b], ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 40000 + n, destination_port: port, flags: { SYN: true } } },
    source: { ID: 1, identity: 1, namespace: 'shop', labels: [`k8s:app=${a}`], pod_name: a },
    destination: { ID: 2, identity: 2, namespace: 'shop', labels: [`k8s:app=${b}`], pod_name: b },
    Type: 'L3_L4',
    node_name: 'n1',
    is_reply: false,
    traffic_direction: 'EGRESS',
  },
  node_name: 'n1',
  time: `2026-11-02T00:02:5${n}.000Z`,
});

function write(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** The 1-based line of the `nth` line of a file holding `needle` (or matching it). */
function lineOf(dir: string, file: string, needle: string | RegExp, nth = 1): number {
  let seen = 0;
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  const has = (l: string) => (typeof needle === 'string' ? l.includes(needle) : needle.test(l));
  const i = lines.findIndex((l) => has(l) && ++seen === nth);
  if (i < 0) throw new Error(`${file}: no ${needle} (${nth})`);
  return i + 1;
}

let dir = '';
const run = (args: string[]) => cli([...args, '-q'], { cwd: dir });
const json = (args: string[]): Report => {
  const r = run([...args, '--format', 'json', '--fail-on', 'none']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Report;
};
const diff = (base: string, head: string, ...more: string[]) =>
  json(['diff', base, head, '--inventory', 'inv.json', '--kind', 'netpol', ...more]);

beforeAll(() => {
  dir = tmp('a2p-netloc-');
  write(dir, {
    'inv.json': JSON.stringify(INVENTORY),
    'flows.json': [flow('web', 'api', 8080, 1), flow('web', 'db', 5432, 2)].map((f) => JSON.stringify(f)).join('\n'),
    'base/netpol/shop/_default-deny.yaml': DEFAULT_DENY,
    'base/netpol/shop/web.yaml': web(false),
    'base/netpol/shop/db.json': db(false),
    'head/netpol/shop/_default-deny.yaml': DEFAULT_DENY,
    'head/netpol/shop/web.yaml': web(true),
    'head/netpol/shop/db.json': db(false),
  });
  expect(run(['profile', '--flows', 'flows.json', '--inventory', 'inv.json', '-o', 'p.json']).code).toBe(0);
});

describe('diff: a NetworkPolicy change points at the rule that makes it', () => {
  it("new access: HEAD's new egress rule, not the namespace's first file", () => {
    const r = diff('base/', 'head/');
    expect(r.newAccess.map((f) => f.summary)).toEqual(['shop/web → shop/api TCP/9000']);
    // The api side already let every pod of the namespace in on 9000: the egress rule alone is the change.
    expect(r.newAccess[0]!.locations).toEqual([
      { file: 'head/netpol/shop/web.yaml', line: lineOf(dir, 'head/netpol/shop/web.yaml', '- to:   # the new rule') },
    ]);
    expect(r.removedAccess).toEqual([]);
  });

  it('github annotations and SARIF carry the same file and line', () => {
    const line = lineOf(dir, 'head/netpol/shop/web.yaml', '- to:   # the new rule');
    const gh = run(['diff', 'base/', 'head/', '--inventory', 'inv.json', '--kind', 'netpol', '--format', 'github']);
    expect(gh.code).toBe(1);
    expect(gh.stdout.split('\n').filter((l) => l.startsWith('::'))).toEqual([
      `::error file=head/netpol/shop/web.yaml,line=${line},title=new access%3A netpol shop/web::shop/web → shop/api TCP/9000`,
    ]);
    const sarif = run(['diff', 'base/', 'head/', '--inventory', 'inv.json', '--kind', 'netpol', '--format', 'sarif']);
    const result = (
      JSON.parse(sarif.stdout) as {
        runs: {
          results: {
            locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
          }[];
        }[];
      }
    ).runs[0]!.results[0]!.locations[0]!.physicalLocation;
    expect([result.artifactLocation.uri, result.region.startLine]).toEqual(['head/netpol/shop/web.yaml', line]);
    const text = run(['diff', 'base/', 'head/', '--inventory', 'inv.json', '--kind', 'netpol']);
    expect(text.stdout).toContain(`shop/web → shop/api TCP/9000  (head/netpol/shop/web.yaml:${line})`);
  });

  it("removed access: BASE's rule that HEAD dropped (the diff the other way round)", () => {
    const r = diff('head/', 'base/');
    expect(r.removedAccess.map((f) => [f.summary, f.locations])).toEqual([
      [
        'shop/web → shop/api TCP/9000',
        [
          {
            file: 'head/netpol/shop/web.yaml',
            line: lineOf(dir, 'head/netpol/shop/web.yaml', '- to:   # the new rule'),
            // diff's BASE here is head/: its file is where review formats annotate (src/diff/locations.ts).
            side: 'base',
            head: 'base/netpol/shop/web.yaml',
          },
        ],
      ],
    ]);
  });

  it('both directions new: the egress rule first, then the ingress rule, in a JSON file too', () => {
    write(dir, {
      'both/netpol/shop/_default-deny.yaml': DEFAULT_DENY,
      'both/netpol/shop/web.yaml': web(false).replace(
        '  ingress:\n  - from:\n    - ipBlock:',
        '  - to:   # to db\n    - podSelector:\n        matchLabels:\n          app: db\n  ingress:\n  - from:\n    - ipBlock:',
      ),
      'both/netpol/shop/db.json': db(true),
    });
    const r = diff('base/', 'both/');
    expect(r.newAccess.map((f) => f.summary)).toEqual(['shop/web → shop/db TCP/5432']);
    expect(r.newAccess[0]!.locations).toEqual([
      { file: 'both/netpol/shop/web.yaml', line: lineOf(dir, 'both/netpol/shop/web.yaml', '- to:   # to db') },
      // The second item of db's ingress list: the line that opens it.
      { file: 'both/netpol/shop/db.json', line: lineOf(dir, 'both/netpol/shop/db.json', /^ {6}\{$/, 2) },
    ]);
    expect(
      readFileSync(join(dir, 'both/netpol/shop/db.json'), 'utf8').split('\n')[r.newAccess[0]!.locations[1]!.line],
    ).toContain('"from"');
  });

  it('the same location whatever the files are called: the default deny sorted last changes nothing', () => {
    const before = run(['diff', 'base/', 'head/', '--inventory', 'inv.json', '--format', 'json', '--fail-on', 'none']);
    const again = run(['diff', 'base/', 'head/', '--inventory', 'inv.json', '--format', 'json', '--fail-on', 'none']);
    expect(again.stdout).toBe(before.stdout);
    write(dir, {
      'renamed/netpol/shop/web.yaml': web(true),
      'renamed/netpol/shop/db.json': db(false),
      'renamed/netpol/shop/zz-default-deny.yaml': DEFAULT_DENY,
    });
    const r = diff('base/', 'renamed/');
    expect(r.newAccess[0]!.locations).toEqual([
      {
        file: 'renamed/netpol/shop/web.yaml',
        line: lineOf(dir, 'head/netpol/shop/web.yaml', '- to:   # the new rule'),
      },
    ]);
  });

  it("access new because HEAD drops the default deny: no HEAD rule grants it, so BASE's default deny", () => {
    write(dir, { 'open/netpol/shop/web.yaml': web(false), 'open/netpol/shop/db.json': db(false) });
    const r = diff('base/', 'open/');
    // web's own policy still isolates its egress on HEAD: web → db stays closed...
    expect(r.newAccess.find((f) => f.summary.startsWith('shop/web → shop/db'))).toBeUndefined();
    // ...but db's egress, which only the default deny isolated, is open: HEAD has no rule to point at.
    const fromDb = r.newAccess.find((f) => f.summary === 'shop/db → shop/api TCP/9000')!;
    expect(fromDb.locations).toEqual([
      {
        file: 'base/netpol/shop/_default-deny.yaml',
        line: lineOf(dir, 'base/netpol/shop/_default-deny.yaml', 'name:'),
        // A file HEAD dropped: no HEAD file to annotate.
        side: 'base',
      },
    ]);
  });
});

describe('check: would-be denials at the policy where the missing rule goes, unused grants at their rule', () => {
  const check = (policies: string) =>
    json(['check', '--policies', policies, '--profile', 'p.json', '--kind', 'netpol']);

  it("a denied connection: web's own policy's egress list, then the default deny isolating db's ingress", () => {
    const r = check('base/');
    expect(r.wouldDeny.map((f) => [f.summary, f.locations])).toEqual([
      [
        'shop/web → shop/db TCP/5432',
        [
          { file: 'base/netpol/shop/web.yaml', line: lineOf(dir, 'base/netpol/shop/web.yaml', 'egress:') },
          { file: 'base/netpol/shop/db.json', line: lineOf(dir, 'base/netpol/shop/db.json', '"ingress"') },
        ],
      ],
    ]);
    // The github annotation is the first: where web's egress rule to db goes.
    const gh = run(['check', '--policies', 'base/', '--profile', 'p.json', '--kind', 'netpol', '--format', 'github']);
    expect(gh.code).toBe(1);
    expect(gh.stdout).toContain(
      `::error file=base/netpol/shop/web.yaml,line=${lineOf(dir, 'base/netpol/shop/web.yaml', 'egress:')},title=would be denied`,
    );
  });

  it('only the default deny isolates it: its name line', () => {
    write(dir, { 'nodb/netpol/shop/_default-deny.yaml': DEFAULT_DENY, 'nodb/netpol/shop/web.yaml': web(false) });
    const r = check('nodb/');
    const denied = r.wouldDeny.find((f) => f.summary === 'shop/web → shop/db TCP/5432')!;
    expect(denied.locations).toEqual([
      { file: 'nodb/netpol/shop/web.yaml', line: lineOf(dir, 'nodb/netpol/shop/web.yaml', 'egress:') },
      {
        file: 'nodb/netpol/shop/_default-deny.yaml',
        line: lineOf(dir, 'nodb/netpol/shop/_default-deny.yaml', 'name:'),
      },
    ]);
  });

  it('an unused grant: the rule that grants it (the ingress from anywhere on 443)', () => {
    const r = check('base/');
    const open = r.unused.find((f) => f.summary === '0.0.0.0/0 → shop/web TCP/443')!;
    expect(open.locations).toEqual([
      { file: 'base/netpol/shop/web.yaml', line: lineOf(dir, 'base/netpol/shop/web.yaml', '- from:') },
    ]);
  });

  it("a Cilium deny rule that stops an observed connection: the rule's line", () => {
    write(dir, {
      'cilium/shop.yaml': `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  endpointSelector:
    matchLabels:
      app: web
  egress:
  - toEndpoints:
    - {}
  egressDeny:
  - toEndpoints:
    - matchLabels:
        app: api
  - toEndpoints:   # no db
    - matchLabels:
        app: db
`,
    });
    const r = check('cilium/');
    expect(r.wouldDeny.map((f) => [f.summary, f.locations])).toEqual([
      [
        'shop/web → shop/api TCP/8080',
        [{ file: 'cilium/shop.yaml', line: lineOf(dir, 'cilium/shop.yaml', '- toEndpoints:', 2) }],
      ],
      ['shop/web → shop/db TCP/5432', [{ file: 'cilium/shop.yaml', line: lineOf(dir, 'cilium/shop.yaml', '# no db') }]],
    ]);
  });

  it('a policy in a List document: the line inside its item', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'x', namespace: 'shop' },
          spec: { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'] },
        },
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'web', namespace: 'shop' },
          spec: {
            podSelector: { matchLabels: { app: 'web' } },
            policyTypes: ['Egress'],
            egress: [{ ports: [{ port: 8080 }] }],
          },
        },
      ],
    };
    write(dir, { 'list/all.json': JSON.stringify(list, null, 2) });
    const r = check('list/');
    expect(r.wouldDeny.map((f) => [f.summary, f.locations])).toEqual([
      // The api's ingress: its policy x has no ingress list, so its name's line.
      ['shop/web → shop/api TCP/8080', [{ file: 'list/all.json', line: lineOf(dir, 'list/all.json', '"name": "x"') }]],
      ['shop/web → shop/db TCP/5432', [{ file: 'list/all.json', line: lineOf(dir, 'list/all.json', '"egress"') }]],
    ]);
  });

  it('byte-deterministic: the same inputs, the same report', () => {
    const a = run(['check', '--policies', 'base/', '--profile', 'p.json', '--format', 'json', '--fail-on', 'none']);
    const b = run(['check', '--policies', 'base/', '--profile', 'p.json', '--format', 'json', '--fail-on', 'none']);
    expect(a.stdout).toBe(b.stdout);
    renameSync(join(dir, 'p.json'), join(dir, 'p2.json'));
    const c = run(['check', '--policies', 'base/', '--profile', 'p2.json', '--format', 'json', '--fail-on', 'none']);
    renameSync(join(dir, 'p2.json'), join(dir, 'p.json'));
    expect(c.stdout).toBe(a.stdout);
  });
});
