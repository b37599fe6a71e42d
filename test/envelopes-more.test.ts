import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import type { Profile } from '../src/model/profile.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';
import { runInProcess } from './helpers/inproc.js';
import { profileOfText } from './helpers/profile.js';

/**
 * More shapes managed services deliver records in, each built from the provider's documented shape and read to the
 * same profile bytes as the same records in the plain format (apart from `sources`):
 *
 * - VPC flow logs of a custom format published to CloudWatch Logs (no header line: `--vpc-format` names the fields);
 * - AKS audit logs from Log Analytics' query API (`tables[].columns[]` and `tables[].rows[]`);
 * - GKE audit logs routed to BigQuery by a log sink and exported as JSON (`protopayload_auditlog`).
 *
 * What cannot be read is one issue naming the file and the line.
 */

type Flag = 'k8sAudit' | 'flows';

const everyone = () =>
  new Scope({ ...defaultScope(), includeSystem: true, subjectKinds: ['ServiceAccount', 'User', 'Group'] });

async function read(flag: Flag, path: string, vpcFields?: string[]) {
  return ingest({
    k8sAudit: flag === 'k8sAudit' ? [path] : [],
    ...(flag === 'flows' ? { flows: [path] } : {}),
    ...(vpcFields ? { vpcFields } : {}),
    scope: everyone(),
    workers: 1,
    cwd: ROOT,
  });
}

const withoutSources = (p: Profile) => serializeProfile({ ...p, sources: [] });

/** Writes the plain and the enveloped form in a directory of their own; returns both paths. */
function pair(dir: string, name: string, plain: string, content: string | Buffer): [string, string] {
  const sub = join(dir, name.replace(/\W/g, '_'));
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'plain'), plain);
  writeFileSync(join(sub, name), content);
  return [join(sub, 'plain'), join(sub, name)];
}

// ---- VPC flow logs of a custom format (Amazon VPC user guide, "Flow log records": custom format, available fields).
// The flow log's LogFormat, as given to `aws ec2 create-flow-logs --log-format`.
const LOG_FORMAT =
  '${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${action} ' +
  '${log-status} ${vpc-id} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${flow-direction}';
const VPC_FIELDS = LOG_FORMAT.replace(/\$\{([^}]+)\}/g, '$1').split(' ');
/** The header line S3 delivery writes first: the field names, in the format's order. */
const VPC_HEADER = VPC_FIELDS.join(' ');
// A client's SYN (tcp-flags 3: SYN and FIN in one window) and the server's SYN-ACK (19), a pod behind its node's
// interface (pkt-srcaddr differs from srcaddr, as for EKS pods), a rejected connection, and a window without data.
const VPC = [
  '5 eni-0a1b2c3d4e5f60718 10.0.1.20 10.0.2.30 40112 5432 6 1794063600 1794063660 ACCEPT OK vpc-0abc 3 10.0.1.20 10.0.2.30 egress',
  '5 eni-0a1b2c3d4e5f60718 10.0.2.30 10.0.1.20 5432 40112 6 1794063600 1794063660 ACCEPT OK vpc-0abc 19 10.0.2.30 10.0.1.20 ingress',
  '5 eni-0b1b2c3d4e5f60719 10.0.1.5 10.0.2.31 40113 443 6 1794063601 1794063660 ACCEPT OK vpc-0abc 3 10.0.1.77 10.0.2.31 egress',
  '5 eni-0b1b2c3d4e5f60719 10.0.1.5 10.0.2.32 40114 6379 6 1794063602 1794063660 REJECT OK vpc-0abc 2 10.0.1.77 10.0.2.32 egress',
  '5 eni-0c1b2c3d4e5f60710 - - - - - 1794063600 1794063660 - NODATA - - - - -',
];
const VPC_PLAIN = [VPC_HEADER, ...VPC].join('\n') + '\n';
const VPC_EVENTS = VPC.map((m, i) => ({ timestamp: 1794063660000 + i, message: m }));

/** `aws logs filter-log-events` output (CloudWatch Logs API, FilterLogEvents), as the AWS CLI prints it. */
const filterLogEvents = (stream: string, events: { timestamp: number; message: string }[]) =>
  JSON.stringify(
    {
      events: events.map((e, i) => ({
        logStreamName: stream,
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: e.timestamp + 2000,
        eventId: `3800000000000000000000000000000000000000000000000000000${i}`,
      })),
      searchedLogStreams: [],
    },
    null,
    4,
  ) + '\n';

/** A subscription filter's record as Firehose writes it to S3 (CloudWatch Logs, "Subscription filters"). */
const subscription = (stream: string, events: { timestamp: number; message: string }[]) =>
  JSON.stringify({
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: 'vpc-flow-logs',
    logStream: stream,
    subscriptionFilters: ['to-firehose'],
    logEvents: events.map((e, i) => ({ id: `3800000000000000000000000000000000000000000000000000000${i}`, ...e })),
  });

describe('VPC flow logs of a custom format without a header line: --vpc-format names the fields', () => {
  const dir = tmp();
  it.each([
    ['CloudWatch Logs, saved with aws logs filter-log-events', filterLogEvents('eni-all', VPC_EVENTS)],
    [
      'CloudWatch Logs, a subscription delivered by Firehose to S3 (gzip)',
      gzipSync(subscription('eni-all', VPC_EVENTS)),
    ],
    ['a text file of records without the header line', VPC.join('\n') + '\n'],
  ] as const)('%s: the profile of the file with its header', async (name, content) => {
    const [plainPath, path] = pair(dir, name, VPC_PLAIN, content);
    const plain = await read('flows', plainPath);
    const wrapped = await read('flows', path, VPC_FIELDS);
    expect(plain.issueCount).toBe(0);
    expect(wrapped.issues).toEqual([]);
    expect(wrapped.profile.sources.map((s) => [s.format, s.records])).toEqual([
      ['flows', plain.profile.sources[0]!.records],
    ]);
    // Not vacuous: the pod's own address (pkt-srcaddr), not its node's, is the source of a path.
    expect(withoutSources(plain.profile)).toContain('10.0.1.77');
    expect(withoutSources(plain.profile)).not.toContain('"10.0.1.5"');
    expect(withoutSources(wrapped.profile)).toBe(withoutSources(plain.profile));
  });

  it('a header line in the file wins over --vpc-format for the lines after it', async () => {
    const [plainPath] = pair(dir, 'header-wins', VPC_PLAIN, '');
    const plain = await read('flows', plainPath);
    const other = await read('flows', plainPath, [
      'version',
      'srcaddr',
      'dstaddr',
      'srcport',
      'dstport',
      'protocol',
      'start',
      'action',
    ]);
    expect(other.issues).toEqual([]);
    expect(withoutSources(other.profile)).toBe(withoutSources(plain.profile));
  });

  it('without --vpc-format each record is one issue naming the file, the line and the log event, and the option', async () => {
    const path = join(dir, 'no-format.json');
    writeFileSync(path, filterLogEvents('eni-all', VPC_EVENTS.slice(0, 2)));
    const r = await read('flows', path);
    expect(r.issues.map((i) => [i.file, i.line, i.code])).toEqual([
      [path, 1, 'flow.vpc-fields'],
      [path, 1, 'flow.vpc-fields'],
    ]);
    expect(r.issues[0]!.message).toMatch(
      /^events\[0\]: expected 14 fields \(version account-id .*\), got 16 \(.*--vpc-format/,
    );
    expect(r.issues[1]!.message).toMatch(/^events\[1\]: /);
    expect(r.profile.sources[0]!.records).toBe(0);
  });

  it('a record that does not fit the format given is an issue naming its line; the others are read', async () => {
    const path = join(dir, 'short-line.txt');
    writeFileSync(path, `${VPC[0]}\n${VPC[2]!.split(' ').slice(0, 10).join(' ')}\n${VPC[3]}\n`);
    const r = await read('flows', path, VPC_FIELDS);
    expect(r.issues.map((i) => [i.file, i.line, i.code, i.message])).toEqual([
      [path, 2, 'flow.vpc-fields', expect.stringMatching(/^expected 16 fields \(version interface-id .*\), got 10/)],
    ]);
    expect(r.profile.sources[0]!.records).toBe(2);
  });
});

/** A pod of the inventory (a `kubectl get pods -A -o json` item) at an address the flows name. */
const pod = (name: string, ip: string, port: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', labels: { app: name } },
  spec: { containers: [{ name, image: `${name}:1`, ports: [{ containerPort: port, protocol: 'TCP' }] }] },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
});
const INVENTORY = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    pod('web', '10.0.1.20', 8080),
    pod('db', '10.0.2.30', 5432),
    pod('api', '10.0.2.31', 443),
    pod('worker', '10.0.1.77', 8080),
  ],
});

describe('--vpc-format on the command line', () => {
  const dir = tmp();
  const [plainPath, cwlPath] = pair(dir, 'cwl.json', VPC_PLAIN, filterLogEvents('eni-all', VPC_EVENTS));
  const inventory = join(dir, 'inventory.json');
  writeFileSync(inventory, INVENTORY);

  it('profile and generate netpol read CloudWatch Logs messages as the file with its header', async () => {
    const plain = await runInProcess(['profile', '--flows', plainPath, '-q'], dir);
    const cwl = await runInProcess(['profile', '--flows', cwlPath, '--vpc-format', LOG_FORMAT, '-q'], dir);
    expect(cwl.code, cwl.stderr).toBe(0);
    expect(withoutSources(await profileOfText(cwl.stdout))).toBe(withoutSources(await profileOfText(plain.stdout)));
    // The field names as a header gives them are the same format.
    const netpol = ['generate', 'netpol', '--inventory', inventory, '-q', '--flows'];
    const names = await runInProcess([...netpol, cwlPath, '--vpc-format', VPC_HEADER], dir);
    const fromPlain = await runInProcess([...netpol, plainPath], dir);
    expect(names.code, names.stderr).toBe(0);
    expect(names.stdout).toContain('kind: NetworkPolicy');
    expect(names.stdout).toBe(fromPlain.stdout);
  });

  it('from the config file’s sources', async () => {
    const cwd = join(dir, 'with-config');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, 'audit2policy.yaml'),
      `apiVersion: audit2policy.dev/v1alpha1\nkind: Config\nsources:\n  flows: ${JSON.stringify(cwlPath)}\n  vpcFormat: ${JSON.stringify(LOG_FORMAT)}\n`,
    );
    const plain = await runInProcess(['profile', '--flows', plainPath, '-q'], dir);
    const r = await runInProcess(['profile', '-q'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(withoutSources(await profileOfText(r.stdout))).toBe(withoutSources(await profileOfText(plain.stdout)));
  });

  it.each([
    [
      'an unknown field',
      '${version} ${srcaddr} ${dstaddr} ${bogus-field}',
      /^error: --vpc-format: unknown field "\$\{bogus-field\}"/,
    ],
    ['a field named twice', `${LOG_FORMAT} \${srcaddr}`, /^error: --vpc-format: srcaddr is named twice/],
    [
      'no action',
      '${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start}',
      /^error: --vpc-format: the format lacks action/,
    ],
    ['a token of neither form', '${srcaddr ${dstaddr}', /^error: --vpc-format: "\$\{srcaddr" is neither/],
    ['nothing', ' ', /^error: --vpc-format: no field given/],
  ])('%s is a usage error naming the option (exit 2), before anything is read', async (_name, format, message) => {
    const r = await runInProcess(['profile', '--flows', cwlPath, '--vpc-format', format, '-q'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('without --flows it is a usage error', async () => {
    const r = await runInProcess(['profile', '--k8s-audit', plainPath, '--vpc-format', LOG_FORMAT, '-q'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--vpc-format goes with --flows/);
  });
});
