// DNS names for external egress where no Hubble runs: Amazon Route 53 Resolver query logs, in the shape of the Route 53
// developer guide's example ("Route 53 VPC Resolver query log example": query_name with its final dot,
// query_timestamp, answers of Rdata/Type/Class, srcids, firewall_rule_action), and as Amazon Security Lake keeps them
// (OCSF DNS Activity of Route 53: query.hostname, answers[].rdata/type, time in milliseconds, the OCSF project's
// mapping). An A/AAAA answer names its address, so the payments pod's VPC flow to the address is written with the
// name it was resolved from (src/ingest/flows/dns.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { ocsfDnsParquet } from './helpers/ocsf.js';

const INVENTORY = join(ROOT, 'fixtures/demo/inventory');
/** payments/payments-api's pod in the demo inventory. */
const POD = '10.0.2.110';
const STRIPE = '203.0.113.10';

const VPC = [
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags',
  `5 111122223333 eni-0a1b2c3d4e5f60718 ${POD} ${STRIPE} 41234 443 6 10 900 1794063600 1794063660 ACCEPT OK 2`,
].join('\n');

function resolverRecord(more: Record<string, unknown> = {}) {
  return {
    version: '1.100000',
    account_id: '111122223333',
    region: 'eu-west-1',
    vpc_id: 'vpc-0example',
    query_timestamp: '2026-11-07T15:00:00Z',
    query_name: 'api.stripe.com.',
    query_type: 'A',
    query_class: 'IN',
    rcode: 'NOERROR',
    answers: [
      { Rdata: 'stripe.map.fastly.net.', Type: 'CNAME', Class: 'IN' },
      { Rdata: STRIPE, Type: 'A', Class: 'IN' },
    ],
    srcaddr: POD,
    srcport: '53124',
    transport: 'UDP',
    srcids: { instance: 'i-0d15cd0d3example' },
    ...more,
  };
}

/** The same record as Security Lake keeps it (OCSF 1.1 DNS Activity). */
function lakeRecord(r: ReturnType<typeof resolverRecord>) {
  return {
    class_uid: 4003,
    class_name: 'DNS Activity',
    metadata: { version: '1.1.0', product: { name: 'Route 53', vendor_name: 'AWS', version: r.version } },
    cloud: { provider: 'AWS', region: r.region, account: { uid: r.account_id } },
    time: Date.parse(r.query_timestamp),
    query: { hostname: r.query_name, type: r.query_type, class: r.query_class },
    answers: r.answers.map((a) => ({ rdata: a.Rdata, type: a.Type, class: a.Class })),
    rcode: r.rcode,
    src_endpoint: { ip: r.srcaddr, port: Number(r.srcport), vpc_uid: r.vpc_id, instance_uid: r.srcids.instance },
    connection_info: { protocol_name: r.transport },
    disposition: 'Allowed',
  };
}

function netpol(dir: string, files: Record<string, string>, extra: string[] = []) {
  const paths = Object.entries(files).map(([name, text]) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  });
  const r = cli(['generate', 'netpol', '--flows', ...paths, '--inventory', INVENTORY, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

const lines = (...values: unknown[]) => values.map((v) => JSON.stringify(v)).join('\n') + '\n';

describe('Route 53 Resolver query logs name the addresses VPC flows reach', () => {
  it('without them, the egress is a bare /32; with them, it carries the name (toFQDNs with --flavor cilium)', () => {
    const bare = netpol(tmp(), { 'flows.log': VPC });
    expect(bare.stdout).toContain(`cidr: ${STRIPE}/32`);
    expect(bare.stdout).not.toContain('api.stripe.com');
    // The summary says which public addresses have no name, and what would give one.
    expect(bare.stderr).toContain(
      `addresses reached with no DNS name seen (1): payments/payments-api → ${STRIPE}; a /32 block follows the address`,
    );
    expect(bare.stderr).toContain('Route 53 Resolver query logs given with --flows');

    const d = tmp();
    const named = netpol(d, { 'flows.log': VPC, 'resolver.jsonl': lines(resolverRecord()) });
    expect(named.stdout).toContain(`audit2policy.dev/dns-names: ${STRIPE}=api.stripe.com`);
    expect(named.stdout).toContain(`cidr: ${STRIPE}/32`);
    // The CNAME's target is no address: it names nothing.
    expect(named.stdout).not.toContain('fastly');
    expect(named.stderr).not.toMatch(/issue|no DNS name seen/);

    const cilium = netpol(d, { 'flows.log': VPC, 'resolver.jsonl': lines(resolverRecord()) }, ['--flavor', 'cilium']);
    expect(cilium.stdout).toMatch(/toFQDNs:\n\s+- matchName: api\.stripe\.com/);
  });

  it("Security Lake's DNS Activity records (JSON, Parquet) name the same as the resolver's own", () => {
    const d = tmp();
    const native = netpol(d, { 'flows.log': VPC, 'resolver.jsonl': lines(resolverRecord()) }).stdout;
    expect(netpol(d, { 'flows.log': VPC, 'lake.jsonl': lines(lakeRecord(resolverRecord())) }).stdout).toBe(native);
    const pq = join(d, 'lake-dns.parquet');
    writeFileSync(pq, ocsfDnsParquet([lakeRecord(resolverRecord())]));
    const r = cli(['generate', 'netpol', '--flows', join(d, 'flows.log'), pq, '--inventory', INVENTORY]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(native);
  });

  it("an answer the DNS Firewall wrote names nothing; a name outside DNS's rules is an issue", () => {
    const d = tmp();
    const blocked = resolverRecord({ firewall_rule_action: 'BLOCK' });
    const lakeBlocked = { ...lakeRecord(resolverRecord()), disposition: 'Blocked' };
    const r = netpol(d, { 'flows.log': VPC, 'resolver.jsonl': lines(blocked, lakeBlocked) });
    expect(r.stdout).not.toContain('api.stripe.com');
    // ALERT only logs: the answer is the name's.
    const alert = netpol(d, {
      'flows.log': VPC,
      'resolver.jsonl': lines(resolverRecord({ firewall_rule_action: 'ALERT' })),
    });
    expect(alert.stdout).toContain(`audit2policy.dev/dns-names: ${STRIPE}=api.stripe.com`);
    const bad = netpol(d, { 'flows.log': VPC, 'bad.jsonl': lines(resolverRecord({ query_name: 'api stripe.com.' })) });
    expect(bad.stdout).not.toContain('stripe');
    expect(bad.stderr).toMatch(/bad\.jsonl:1: flow\.bad-name/);
  });

  it('resolver logs are counted as records and named in the summary; given to --cloudtrail they are skipped', () => {
    const d = tmp();
    const f = join(d, 'resolver.jsonl');
    writeFileSync(f, lines(resolverRecord(), resolverRecord({ answers: [], rcode: 'NXDOMAIN' })));
    const p = cli(['profile', '--flows', f, '-o', join(d, 'p.json')]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toContain('2 records');
    expect(p.stderr).toMatch(/dns-answer 2/);
    const ct = cli(['profile', '--cloudtrail', f, '-o', join(d, 'c.json')]);
    expect(ct.stderr).toContain('looks like flow logs: read it with --flows');
  });
});

it('held out: the service moves to another address behind its name; a /32 breaks, toFQDNs holds', () => {
  const d = tmp();
  const later = '203.0.113.99';
  // Day 1 (training) reaches api.stripe.com at STRIPE; day 3 (held out) at another address, resolved the same way.
  writeFileSync(
    join(d, 'flows.log'),
    VPC +
      `\n5 111122223333 eni-0a1b2c3d4e5f60718 ${POD} ${later} 41235 443 6 10 900 1794236400 1794236460 ACCEPT OK 2\n`,
  );
  const moved = resolverRecord({
    query_timestamp: '2026-11-09T15:00:00Z',
    answers: [{ Rdata: later, Type: 'A', Class: 'IN' }],
  });
  writeFileSync(join(d, 'resolver.jsonl'), lines(resolverRecord(), moved));
  const run = (flavor: string[]) => {
    const r = cli([
      'backtest',
      '--flows',
      join(d, 'flows.log'),
      join(d, 'resolver.jsonl'),
      '--inventory',
      INVENTORY,
      '--split',
      '2026-11-08T00:00:00Z',
      '--format',
      'json',
      ...flavor,
    ]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { observed: number; allowed: number; wouldDeny: { reason: string }[] };
  };
  const plain = run([]);
  expect([plain.observed, plain.allowed]).toEqual([1, 0]);
  expect(plain.wouldDeny[0]!.reason).toBe(
    `a new peer ${later}, a new address of api.stripe.com (reached at ${STRIPE} in training): the policy's block ` +
      'names the address, not the name (--flavor cilium allows the name with toFQDNs)',
  );
  const cilium = run(['--flavor', 'cilium']);
  expect([cilium.observed, cilium.allowed]).toEqual([1, 1]);
  // Both addresses of the name, on one port, are one rule by name.
  const g = cli([
    'generate',
    'netpol',
    '--flows',
    join(d, 'flows.log'),
    join(d, 'resolver.jsonl'),
    '--inventory',
    INVENTORY,
    '--flavor',
    'cilium',
  ]);
  expect(g.code, g.stderr).toBe(0);
  expect(g.stdout.match(/toFQDNs/g)).toHaveLength(1);
  expect(g.stdout).toContain(`audit2policy.dev/dns-names: ${STRIPE}=api.stripe.com ${later}=api.stripe.com`);
});

it('resolver records as log stores deliver them: CloudWatch Logs subscription, Splunk _raw, Elasticsearch _source', () => {
  const d = tmp();
  const rec = resolverRecord();
  const text = JSON.stringify(rec);
  const shapes = {
    'cloudwatch.json': {
      messageType: 'DATA_MESSAGE',
      owner: '111122223333',
      logGroup: '/aws/route53/resolver',
      logStream: 'vpc-0example_i-0d15cd0d3example',
      subscriptionFilters: ['to-s3'],
      logEvents: [{ id: '1', timestamp: Date.parse(rec.query_timestamp), message: text }],
    },
    'splunk.json': { preview: false, result: { _raw: text, _time: rec.query_timestamp } },
    'elastic.json': { hits: { hits: [{ _index: 'route53', _id: '1', _source: rec }] } },
  };
  const named = netpol(d, { 'flows.log': VPC, 'resolver.jsonl': lines(rec) }).stdout;
  for (const [name, v] of Object.entries(shapes)) {
    const r = netpol(d, { 'flows.log': VPC, [name]: lines(v) });
    expect(r.stderr, name).not.toMatch(/issue/);
    expect(r.stdout, name).toBe(named);
  }
});

it("the reviewer's report shows an address with its names, and lists the public addresses that have none", () => {
  const d = tmp();
  writeFileSync(join(d, 'flows.log'), VPC + '\n');
  writeFileSync(join(d, 'resolver.jsonl'), lines(resolverRecord()));
  const report = (files: string[]) => {
    const out = join(d, `r${files.length}.md`);
    const r = cli(['report', '--flows', ...files.map((f) => join(d, f)), '--inventory', INVENTORY, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    return readFileSync(out, 'utf8');
  };
  const bare = report(['flows.log']);
  expect(bare).toContain(`1 public address reached with no DNS name seen \\(${STRIPE}\\)`);
  const named = report(['flows.log', 'resolver.jsonl']);
  expect(named).toContain(`→ ${STRIPE} \\(api.stripe.com\\) TCP/443`);
  expect(named).not.toContain('no DNS name seen');
});

it('check: a denied connection to an address says which name the DNS answers gave it', () => {
  const d = tmp();
  const later = '203.0.113.99';
  writeFileSync(join(d, 'day1.log'), VPC + '\n');
  writeFileSync(join(d, 'resolver.jsonl'), lines(resolverRecord()));
  const policy = join(d, 'policy');
  const g = cli([
    'generate',
    'netpol',
    '--flows',
    join(d, 'day1.log'),
    join(d, 'resolver.jsonl'),
    '--inventory',
    INVENTORY,
    '-o',
    policy,
  ]);
  expect(g.code, g.stderr).toBe(0);
  // Day 3: the same service at another address.
  writeFileSync(
    join(d, 'day3.log'),
    VPC.split('\n')[0] +
      `\n5 111122223333 eni-0a1b2c3d4e5f60718 ${POD} ${later} 41235 443 6 10 900 1794236400 1794236460 ACCEPT OK 2\n`,
  );
  const moved = resolverRecord({
    query_timestamp: '2026-11-09T15:00:00Z',
    answers: [{ Rdata: later, Type: 'A', Class: 'IN' }],
  });
  writeFileSync(join(d, 'resolver3.jsonl'), lines(moved));
  const c = cli([
    'check',
    '--policies',
    policy,
    '--flows',
    join(d, 'day3.log'),
    join(d, 'resolver3.jsonl'),
    '--inventory',
    INVENTORY,
  ]);
  expect(c.code).toBe(1);
  expect(c.stdout + c.stderr).toContain(`no rule allows it; ${later} is api.stripe.com (DNS answers)`);
});
