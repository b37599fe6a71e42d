// Seeded fuzz test of `generate all` against hostile names, namespaces, types and paths in otherwise valid records
// of every source (the acceptance test of the hostile-input issue). Each run writes demo records with mutations into
// a sandbox, runs the CLI in-process with default options and checks: exit code 0, 1 or 2; no stack trace or internal
// error on stderr; nothing created, changed or removed outside -o and no symlink under it; every output file parses;
// no wildcard that is not a listed widening; no grant from a request the log does not show as allowed.
// FUZZ_SEED=n tries another seed, FUZZ_RUN=i repeats one run, FUZZ_RUNS=n sets the number of runs, and
// FUZZ_KEEP_GOING=1 runs them all and sums up every failure class instead of stopping at the first failing run.
// The second test feeds deep, huge and wildcard-heavy input to `generate all` and `verify`, each case in a child
// process killed at its time limit (FUZZ_HUGE_CASES=n cases, FUZZ_CASE_MS the limit of each run).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { loadAll } from 'js-yaml';
import { describe, it } from 'vitest';
import { run } from '../src/cli/run.js';
import { ROOT, rng } from './helpers/cli.js';
import { capture } from './helpers/inProcess.js';
import {
  asText,
  BIG,
  checkIam,
  checkNetpol,
  checkRbac,
  DELETE,
  diffSnapshots,
  entries,
  fmtMutation,
  getPath,
  HOSTILE,
  isObj,
  jsonText,
  makeSandbox,
  nestedText,
  RAW,
  rawControls,
  hugeString,
  setPath,
  snapshot,
  withRawText,
} from './helpers/fuzz.js';
import { cliTimed } from './helpers/timed.js';
import { toOcsf } from './helpers/ocsf.js';
import type { Fail, Key, Mutation, Obj, Sandbox } from './helpers/fuzz.js';

const env = process.env;
const SEED = Number(env['FUZZ_SEED'] ?? 20261109) >>> 0;
const RUNS = Number(env['FUZZ_RUNS'] ?? 150);
const ONLY = env['FUZZ_RUN'] === undefined ? undefined : Number(env['FUZZ_RUN']);
const KEEP_GOING = env['FUZZ_KEEP_GOING'] === '1';
const DEMO = join(ROOT, 'fixtures/demo');
const DECISION = 'authorization.k8s.io/decision';

type Rand = () => number;
interface Target {
  path: Key[];
  extra?: readonly unknown[];
}
type Change = [Key[], unknown];
interface Failure {
  cls: string;
  file: string;
  detail: string;
}
interface RunResult {
  failures: Failure[];
  mutations: Mutation[];
  sandbox: Sandbox;
}

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const demo = (p: string): string => readFileSync(join(DEMO, p), 'utf8');
const jsonLines = (text: string): Obj[] =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Obj);
const at = (o: Obj, ...path: Key[]): unknown => getPath(o, path);

/** The first record of each distinct key: a deterministic handful of every kind of record. */
function firstPerKey(xs: Obj[], key: (x: Obj) => unknown[], keep: (x: Obj) => boolean = () => true): Obj[] {
  const seen = new Set<string>();
  return xs.filter((x) => keep(x) && !seen.has(JSON.stringify(key(x))) && !!seen.add(JSON.stringify(key(x))));
}

// ---- seeds: real records of the demo ----------------------------------------------------------------------------
const k8sAll = [
  ...jsonLines(demo('k8s-audit/kube-apiserver-audit-2026-11-09.log')),
  ...jsonLines(gunzipSync(readFileSync(join(DEMO, 'k8s-audit/kube-apiserver-audit-2026-11-02.log.gz'))).toString()),
];
const K8S = firstPerKey(
  k8sAll,
  (e) => [
    at(e, 'user', 'username'),
    e['verb'],
    at(e, 'objectRef', 'resource'),
    at(e, 'objectRef', 'subresource'),
    !!at(e, 'objectRef', 'namespace'),
    !!at(e, 'objectRef', 'name'),
    at(e, 'responseStatus', 'code'),
    !!e['impersonatedUser'],
    e['objectRef'] ? '' : e['requestURI'],
  ],
  (e) => e['stage'] === 'ResponseComplete',
);
const inScope = (u: unknown) =>
  typeof u === 'string' && (/^system:serviceaccount:(?!kube-system:)/.test(u) || !/^system:/.test(u));
const K8S_PROBES = K8S.filter((e) => inScope(at(e, 'user', 'username')) && e['objectRef']);
const CT = firstPerKey(jsonLines(demo('cloudtrail/lake-export-2026-11-09.jsonl')), (e) => [
  e['eventSource'],
  e['eventName'],
  at(e, 'userIdentity', 'type'),
  e['errorCode'],
]);
const CT_PROBES = CT.filter(
  (e) =>
    e['eventSource'] === 's3.amazonaws.com' &&
    !e['errorCode'] &&
    /^(Get|Put)Object$/.test(String(e['eventName'])) &&
    at(e, 'userIdentity', 'type') === 'AssumedRole',
);
const HUBBLE = firstPerKey(jsonLines(demo('flows/hubble/hubble-2026-11-09.json')), (f) => [
  f['verdict'],
  f['Type'],
  at(f, 'source', 'namespace'),
  at(f, 'source', 'pod_name'),
  at(f, 'destination', 'namespace'),
  at(f, 'destination', 'pod_name'),
  Object.keys(at(f, 'l4') as Obj),
  f['is_reply'],
  !!f['destination_names'],
]);
const [VPC_HEADER = '', ...vpcRest] = demo('flows/vpc/eni-0a1b2c3d4e5f60718-2026-11-07T15.log').split('\n');
const VPC = vpcRest.filter((l) => l.trim()).slice(0, 16);
const INVENTORY = JSON.parse(demo('inventory/acme-staging.json')) as { items: Obj[] };

// ---- what is mutated, and with what besides HOSTILE -------------------------------------------------------------
const CODES = ['403', '200', null, {}, [], 403.5, -1, 401, 403, 200, BIG];
const BAD_IPS = [
  '10.0.0.1/8',
  '0.0.0.0',
  '0.0.0.0/0',
  '::',
  '::/0',
  '999.1.1.1',
  '10.0.0.1\n',
  'fe80::1%eth0',
  '10.0.0',
];
const PORTS = ['8080', -1, 70000, BIG, 0, 1.5, '1-65535', '*'];
const ARNS = [
  'arn:aws:iam::111122223333:role/*',
  'arn:aws:iam::*:role/x',
  'arn:aws:sts::111122223333:assumed-role/*/x',
  'arn:aws:iam::111122223333:user/${aws:username}',
  'arn:aws:iam::111122223333:role/../../x',
];
const K8S_TARGETS: Target[] = [
  ...['name', 'namespace', 'subresource', 'apiGroup'].map((k) => ({ path: ['objectRef', k] })),
  { path: ['objectRef', 'resource'], extra: ['pods', 'secrets', '*/scale'] },
  { path: ['objectRef'] },
  { path: ['user', 'username'] },
  { path: ['user', 'groups'], extra: [['system:masters'], [0, null, '*']] },
  { path: ['user', 'groups', 0] },
  { path: ['impersonatedUser'] },
  { path: ['impersonatedUser', 'username'] },
  { path: ['verb'], extra: ['get', 'list', 'create', 'escalate', 'impersonate', 'GET'] },
  { path: ['requestURI'] },
  { path: ['responseStatus', 'code'], extra: CODES },
  { path: ['responseStatus'] },
  { path: ['stage'], extra: ['RequestReceived', 'ResponseStarted', 'Panic', 'responsecomplete'] },
  { path: ['annotations', DECISION], extra: ['allow', 'forbid', 'deny', DELETE] },
  { path: ['auditID'] },
  { path: ['requestReceivedTimestamp'], extra: ['2026-11-09T00:00:00Z', '2026-13-45T99:99:99Z', '0'] },
];
const CT_TARGETS: Target[] = [
  { path: ['userIdentity', 'arn'], extra: ARNS },
  { path: ['userIdentity', 'accountId'] },
  { path: ['userIdentity', 'type'], extra: ['AssumedRole', 'IAMUser', 'Root', 'FederatedUser', 'WebIdentityUser'] },
  { path: ['userIdentity', 'sessionContext', 'sessionIssuer', 'arn'], extra: ARNS },
  { path: ['userIdentity', 'userName'], extra: ['system:serviceaccount:../../x:y', 'system:serviceaccount:*:*'] },
  { path: ['eventSource'], extra: ['s3.amazonaws.com', 'iam.amazonaws.com', '*.amazonaws.com'] },
  { path: ['eventName'], extra: ['GetObject', 'DeleteObjects', 'GetRole', '*'] },
  { path: ['awsRegion'] },
  { path: ['recipientAccountId'] },
  { path: ['errorCode'], extra: ['AccessDenied', 'NoSuchKey', 403, {}] },
  { path: ['eventTime'] },
  { path: ['resources', 0, 'ARN'], extra: ARNS },
  ...[
    'bucketName',
    'key',
    'tableName',
    'queueUrl',
    'functionName',
    'secretId',
    'logGroupName',
    'logStreamName',
    'roleArn',
  ].map((k) => ({ path: ['requestParameters', k], extra: k === 'roleArn' ? ARNS : [] })),
];
const HUBBLE_TARGETS: Target[] = [
  ...['source', 'destination'].flatMap((s): Target[] => [
    { path: [s, 'pod_name'] },
    { path: [s, 'namespace'] },
    { path: [s, 'labels'] },
    { path: [s, 'workloads'] },
    { path: [s, 'workloads', 0, 'name'] },
    { path: [s, 'workloads', 0, 'kind'], extra: ['Deployment', 'Pod', 'CronJob'] },
  ]),
  { path: ['IP', 'source'], extra: BAD_IPS },
  { path: ['IP', 'destination'], extra: BAD_IPS },
  { path: ['l4', 'TCP', 'destination_port'], extra: PORTS },
  { path: ['l4', 'TCP', 'source_port'], extra: PORTS },
  { path: ['l4', 'UDP', 'destination_port'], extra: PORTS },
  { path: ['destination_names'], extra: [['*'], ['*.example']] },
  { path: ['l7', 'dns', 'query'], extra: ['*.', '*.example.com.'] },
  { path: ['l7', 'dns', 'ips'], extra: [BAD_IPS] },
];
const VPC_EXTRA = ['0.0.0.0/0', '*', '-', '::', '10.0.0.1/8', 'NODATA', 'REJECT', 'ACCEPT', '-1', '70000'];

/** A hostile value for a field: from HOSTILE or the field's own list, sometimes spliced into the old value. */
function hostile(r: Rand, t?: Target, old?: unknown): unknown {
  const v = t?.extra?.length && r() < 0.3 ? pick(r, t.extra) : pick(r, HOSTILE);
  if (typeof v !== 'string' || typeof old !== 'string' || v === BIG || v === DELETE || r() >= 0.3) return v;
  const cut = Math.max(old.lastIndexOf('/'), old.lastIndexOf(':'));
  return cut < 0 ? old + v : old.slice(0, cut + 1) + v;
}
const field = (r: Rand, targets: Target[], rec: Obj): Change[] => {
  const t = pick(r, targets);
  return [[t.path, hostile(r, t, getPath(rec, t.path))]];
};
const saName = (r: Rand): string => `system:serviceaccount:${asText(hostile(r))}:${asText(hostile(r))}`;

function k8sChange(r: Rand, rec: Obj): Change[] {
  const u = r();
  if (u < 0.12) return [[[pick(r, ['user', 'impersonatedUser']), 'username'], saName(r)]];
  if (u < 0.2)
    return [
      [['objectRef'], DELETE],
      [['requestURI'], hostile(r)],
    ];
  return field(r, K8S_TARGETS, rec);
}
const ctChange = (r: Rand, rec: Obj): Change[] =>
  r() < 0.08 ? [[['userIdentity', 'userName'], saName(r)]] : field(r, CT_TARGETS, rec);
function hubbleChange(r: Rand, rec: Obj): Change[] {
  if (r() >= 0.25) return field(r, HUBBLE_TARGETS, rec);
  const side = pick(r, ['source', 'destination']);
  const labels = getPath(rec, [side, 'labels']);
  const h = hostile(r);
  const label = pick(r, [`k8s:${asText(h)}=x`, `k8s:app=${asText(h)}`, `k8s:${asText(h)}`, h]);
  return [[[side, 'labels', int(r, 0, Array.isArray(labels) ? labels.length : 0)], label]];
}
function inventoryChange(r: Rand): Change[] {
  const i = int(r, 0, INVENTORY.items.length - 1);
  const item = INVENTORY.items[i]!;
  const keys = Object.keys((getPath(item, ['metadata', 'labels']) as Obj | undefined) ?? { app: 1 });
  const t: Target = pick(r, [
    { path: ['metadata', 'name'] },
    { path: ['metadata', 'namespace'] },
    { path: ['metadata', 'labels', pick(r, keys)] },
    { path: ['metadata', 'labels', asText(hostile(r))] },
    { path: ['spec', 'selector', 'matchLabels', pick(r, keys)] },
    { path: ['metadata', 'ownerReferences', 0, 'name'] },
    { path: ['status', 'podIP'], extra: BAD_IPS },
    { path: ['metadata', 'labels'] },
  ]);
  return [[['items', i, ...t.path], hostile(r, t, getPath(item, t.path))]];
}

/** Append a copy of seed with the changes to lines (a JSON-lines file), logging each change. */
function addRecord(lines: string[], file: string, seed: Obj, changes: Change[], log: Mutation[]): void {
  const rec = structuredClone(seed);
  for (const [path, value] of changes) {
    setPath(rec, path, value);
    log.push({ file, line: lines.length + 1, path, value });
  }
  lines.push(jsonText(rec));
}

/** Three valid seed records, then 4-10 seed records with 1-3 changes each. */
function mutatedLines(r: Rand, file: string, seeds: Obj[], change: (r: Rand, rec: Obj) => Change[], log: Mutation[]) {
  const lines = Array.from({ length: 3 }, () => jsonText(pick(r, seeds)));
  for (let n = int(r, 4, 10); n > 0; n--) {
    const rec = pick(r, seeds);
    const changes: Change[] = [];
    for (let k = r() < 0.6 ? 1 : r() < 0.6 ? 2 : 3; k > 0; k--) changes.push(...change(r, rec));
    addRecord(lines, file, rec, changes, log);
  }
  return lines;
}

/**
 * Requests the log does not show as allowed (a refused or malformed status without an `allow` decision; a denied
 * or malformed CloudTrail errorCode), each naming a resource of its own that must then appear in no policy.
 */
function probes(r: Rand, runNo: number, k8s: string[], ct: string[], log: Mutation[]): string[] {
  const tokens = [`fzprobe${runNo}k8s`, `fzprobe${runNo}ct`];
  addRecord(
    k8s,
    'in/k8s.log',
    pick(r, K8S_PROBES),
    [
      [['objectRef', 'resource'], tokens[0]],
      [['stage'], 'ResponseComplete'],
      [['annotations', DECISION], pick(r, [DELETE, 'forbid', '', 'Allow', null, true])],
      [['responseStatus', 'code'], pick(r, ['403', '401', 403, 401, {}, [], true, 403.5, -1, BIG, ' 403', '4O3'])],
    ],
    log,
  );
  addRecord(
    ct,
    'in/cloudtrail.jsonl',
    pick(r, CT_PROBES),
    [
      [['requestParameters', 'key'], tokens[1]],
      [['errorCode'], pick(r, ['AccessDenied', 'Client.UnauthorizedOperation', 403, true, {}, ['AccessDenied']])],
    ],
    log,
  );
  return tokens;
}

async function checkRun(s: Sandbox, code: number, stderr: string, before: Map<string, string>, tokens: string[]) {
  const failures: Failure[] = [];
  const failIn =
    (file: string): Fail =>
    (cls, detail) =>
      void failures.push({ cls, file, detail });
  if (![0, 1, 2].includes(code)) failIn('(exit code)')('exit code not 0, 1 or 2', String(code));
  const trace = /^[ \t]+at\s.*$/m.exec(stderr);
  if (trace) failIn('(stderr)')('stack trace on stderr', trace[0].trim());
  const raw = rawControls(stderr);
  if (raw.length) failIn('(stderr)')('raw control character on stderr', raw.join(' '));
  if (/internal error/i.test(stderr)) {
    failIn('(stderr)')(
      'internal error',
      stderr
        .split('\n')
        .filter((l) => /^error/.test(l))
        .join(' | ')
        .slice(0, 300),
    );
  }
  for (const d of diffSnapshots(before, snapshot(s.top, s.out))) failIn('(sandbox)')('written outside -o', d);
  for (const e of entries(s.out)) {
    const fail = failIn(`out/${e.rel}`);
    if (e.kind === 'symlink') fail('symlink under -o', e.rel);
    if (e.kind !== 'file') continue;
    const text = readFileSync(join(s.out, e.rel), 'utf8');
    let docs: unknown[] = [];
    try {
      if (e.rel.endsWith('.yaml')) docs = loadAll(text);
      else if (e.rel.endsWith('.json')) docs = [JSON.parse(text)];
      else fail('unexpected output file', JSON.stringify(e.rel));
    } catch (err) {
      fail('output does not parse', (err as Error).message.split('\n')[0]!);
      continue;
    }
    const tree = e.rel.split('/')[0];
    for (const doc of docs) {
      if (tree === 'rbac' && isObj(doc)) checkRbac(doc, fail);
      if (tree === 'netpol' && isObj(doc)) checkNetpol(doc, stderr, fail);
      if (tree === 'iam') await checkIam(s.out, e.rel, doc, fail);
    }
    for (const t of tree === 'evidence' ? [] : tokens) {
      if (text.includes(t)) fail('grant from a request not shown as allowed', `probe ${t}`);
    }
  }
  return failures;
}

/** A record's line as the OCSF record Security Lake makes of it; a line that is no object stays as it is. */
function asOcsf(line: string, jsonText: boolean): string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return line;
  }
  return v && typeof v === 'object' && !Array.isArray(v) ? JSON.stringify(toOcsf(v as Obj, { jsonText })) : line;
}

// ---- one run ------------------------------------------------------------------------------------------------------
async function fuzzRun(runNo: number): Promise<RunResult> {
  const r = rng((SEED ^ Math.imul(runNo + 1, 0x9e3779b1)) >>> 0);
  const s = makeSandbox();
  const log: Mutation[] = [];
  const k8s = mutatedLines(r, 'in/k8s.log', K8S, k8sChange, log);
  const ct = mutatedLines(r, 'in/cloudtrail.jsonl', CT, ctChange, log);
  const tokens = probes(r, runNo, k8s, ct, log);
  // Some CloudTrail records (mutated, probes too) as Security Lake keeps them: the same checks through ocsf.ts.
  for (let i = 0; i < ct.length; i++) if (r() < 0.3) ct[i] = asOcsf(ct[i]!, r() < 0.5);
  const hubble = mutatedLines(r, 'in/hubble.json', HUBBLE, hubbleChange, log);
  const vpc = [VPC_HEADER, ...Array.from({ length: 3 }, () => pick(r, VPC))];
  for (let n = r() < 0.4 ? int(r, 1, 4) : 0; n > 0; n--) {
    const fields = pick(r, VPC).split(' ');
    const i = int(r, 0, fields.length - 1);
    const value = r() < 0.3 ? pick(r, VPC_EXTRA) : hostile(r);
    fields[i] = asText(value);
    log.push({ file: 'in/vpc.log', line: vpc.length + 1, path: [VPC_HEADER.split(' ')[i] ?? i], value });
    vpc.push(fields.join(' '));
  }
  const args = [
    'generate',
    'all',
    '--workers',
    '1',
    '-o',
    s.out,
    '--k8s-audit',
    'k8s.log',
    '--cloudtrail',
    'cloudtrail.jsonl',
    '--flows',
    'hubble.json',
    'vpc.log',
  ];
  if (r() < 0.75) {
    const inv = structuredClone(INVENTORY) as Obj;
    for (let n = r() < 0.4 ? int(r, 1, 3) : 0; n > 0; n--) {
      for (const [path, value] of inventoryChange(r)) {
        setPath(inv, path, value);
        log.push({ file: 'in/inventory.json', line: 0, path, value });
      }
    }
    writeFileSync(join(s.inDir, 'inventory.json'), jsonText(inv));
    args.push('--inventory', 'inventory.json');
  }
  const files = { 'k8s.log': k8s, 'cloudtrail.jsonl': ct, 'hubble.json': hubble, 'vpc.log': vpc };
  for (const [name, lines] of Object.entries(files)) writeFileSync(join(s.inDir, name), lines.join('\n') + '\n');
  const before = snapshot(s.top, s.out);
  const err = capture();
  let code: number;
  try {
    const io = { stdout: capture().stream, stderr: err.stream, stdin: new PassThrough(), env: { NO_COLOR: '1' } };
    code = await run(args, { ...io, stderrIsTTY: false, cwd: s.inDir });
  } catch (e) {
    code = -1;
    err.stream.write(`run() threw: ${(e as Error).stack ?? String(e)}\n`);
  }
  return { failures: await checkRun(s, code, err.text(), before, tokens), mutations: log, sandbox: s };
}

/** The failing run: its failures, then its mutations; `→` marks the records with a value that shows in a failure. */
function report(runNo: number, res: RunResult): string {
  const seen = res.failures.map((f) => `${f.file} ${f.detail}`).join('\n');
  const where = (m: Mutation) => `${m.file}:${m.line}`;
  const suspects = new Set(
    res.mutations
      .filter((m) => {
        const v = asText(m.value);
        return v.length > 1 && (seen.includes(v) || seen.includes(JSON.stringify(v).slice(1, -1)));
      })
      .map(where),
  );
  const shows = (m: Mutation) => suspects.has(where(m));
  return [
    `run ${runNo} (repeat with FUZZ_SEED=${SEED} FUZZ_RUN=${runNo}; sandbox kept in ${res.sandbox.root}):`,
    ...res.failures.slice(0, 12).map((f) => `  [${f.cls}] ${f.file}: ${f.detail}`),
    ...(res.failures.length > 12 ? [`  … and ${res.failures.length - 12} more`] : []),
    `  mutations of this run (file:line path = value):`,
    ...res.mutations.map((m) => `  ${shows(m) ? '→' : ' '} ${fmtMutation(m)}`),
  ].join('\n');
}

describe('generate all on hostile input', () => {
  it('keeps exit codes, stderr, the -o sandbox, parseability and least privilege', { timeout: 180_000 }, async () => {
    const started = Date.now();
    console.log(`fuzz-hostile: FUZZ_SEED=${SEED}${ONLY === undefined ? '' : ` FUZZ_RUN=${ONLY}`}`);
    const runs = ONLY === undefined ? Array.from({ length: RUNS }, (_, i) => i) : [ONLY];
    const classes = new Map<string, { count: number; example: string }>();
    const produced = new Set<string>();
    let mutated = 0;
    let firstFailure: string | undefined;
    for (const runNo of runs) {
      const res = await fuzzRun(runNo);
      mutated += new Set(res.mutations.map((m) => `${m.file}:${m.line}`)).size;
      for (const e of entries(res.sandbox.out)) if (e.kind === 'file') produced.add(e.rel.split('/')[0]!);
      if (!res.failures.length) {
        rmSync(res.sandbox.top, { recursive: true, force: true });
        continue;
      }
      firstFailure ??= report(runNo, res);
      for (const f of res.failures) {
        const c = classes.get(f.cls) ?? { count: 0, example: `run ${runNo}: ${f.file}: ${f.detail}` };
        c.count++;
        classes.set(f.cls, c);
      }
      if (!KEEP_GOING) break;
      console.log(report(runNo, res));
    }
    const ms = Date.now() - started;
    console.log(`fuzz-hostile: FUZZ_SEED=${SEED}, ${runs.length} runs, ${mutated} mutated records, ${ms} ms`);
    const summary = [...classes].map(([cls, c]) => `  ${cls}: ${c.count}× (e.g. ${c.example})`).join('\n');
    if (firstFailure) throw new Error(`${KEEP_GOING ? `failure classes:\n${summary}\nfirst ` : ''}${firstFailure}`);
    // The valid records of every run must still yield policies: a generator that drops everything proves nothing.
    const missing = ONLY === undefined ? ['rbac', 'iam', 'netpol'].filter((t) => !produced.has(t)) : [];
    if (missing.length) throw new Error(`no run wrote anything under ${missing.join(', ')}`);
  });
});

// ---- deep, huge and wildcard-heavy input ---------------------------------------------------------------------------
const HUGE_CASES = Number(env['FUZZ_HUGE_CASES'] ?? 12);
const CASE_MS = Number(env['FUZZ_CASE_MS'] ?? 60_000);
const WILD_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::*/*/*/*/*/*/*/*/*/*.json' },
    { Effect: 'Allow', Action: '*:*?*?*?*?*Object', Resource: 'arn:aws:s3:::*a*a*a*a*a*a*a*a*b' },
    { Effect: 'Deny', Action: 's3:Delete*', Resource: 'arn:*:s3*:*:*:*?/*?/*?/*?/*?/*?x' },
  ],
};

interface SizeCase {
  what: string;
  files: Record<string, string[]>;
  /** A policy of its own beside the generated ones, for verify (a wildcard-heavy IAM document). */
  wild?: boolean;
  /** Extra arguments of generate (a subject filter of many stars). */
  args?: string[];
  /** The lines of an input the run must report as too deep (`json.too-deep` at file:line). */
  tooDeep?: string;
}

const SIZE_KINDS = ['deep-field', 'deep-line', 'huge', 'wild', 'many', 'long'] as const;

/** Case `c`: every kind in turn, its file, field and size drawn from the seed. */
function sizeCase(r: Rand, c: number): SizeCase {
  const files: Record<string, string[]> = {
    'k8s.log': Array.from({ length: 3 }, () => jsonText(pick(r, K8S))),
    'cloudtrail.jsonl': Array.from({ length: 3 }, () => jsonText(pick(r, CT))),
    'hubble.json': Array.from({ length: 3 }, () => jsonText(pick(r, HUBBLE))),
  };
  const [file, seeds, targets] = pick(r, [
    ['k8s.log', K8S, K8S_TARGETS],
    ['cloudtrail.jsonl', CT, CT_TARGETS],
    ['hubble.json', HUBBLE, HUBBLE_TARGETS],
  ] as const);
  const lines = files[file]!;
  const kind = SIZE_KINDS[c % SIZE_KINDS.length]!;
  if (kind === 'deep-field') {
    const t = pick(r, targets);
    const rec = structuredClone(pick(r, seeds));
    setPath(rec, t.path, RAW);
    const depth = pick(r, [600, 6000, 100_000]);
    lines.push(withRawText(rec, nestedText(depth, pick(r, ['array', 'object', 'mixed'] as const))));
    return {
      what: `${file}:${lines.length} ${t.path.join('.')} nested ${depth} deep`,
      files,
      tooDeep: `${file}:${lines.length}`,
    };
  }
  if (kind === 'deep-line') {
    const d = pick(r, [600, 6000, 100_000]);
    const inner = jsonText(pick(r, seeds));
    const wrappers = [
      nestedText(d, 'array'),
      '['.repeat(d) + inner + ']'.repeat(d),
      file === 'k8s.log'
        ? '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":['.repeat(d) + ']}'.repeat(d)
        : file === 'cloudtrail.jsonl'
          ? '{"Records":['.repeat(d) + inner + ']}'.repeat(d)
          : nestedText(d, 'mixed'),
      file === 'k8s.log'
        ? JSON.stringify({ events: [{ timestamp: 1, message: '['.repeat(d) + inner + ']'.repeat(d) }] })
        : file === 'cloudtrail.jsonl'
          ? '{"detail-type":"AWS API Call via CloudTrail","detail":'.repeat(d) + inner + '}'.repeat(d)
          : nestedText(d, 'object'),
    ];
    lines.push(pick(r, wrappers));
    return { what: `${file}:${lines.length} a whole line nested ${d} deep`, files, tooDeep: `${file}:${lines.length}` };
  }
  if (kind === 'huge') {
    const t = pick(r, targets);
    const rec = structuredClone(pick(r, seeds));
    const size = pick(r, [1_000_000, 8_000_000, 30_000_000]);
    setPath(rec, t.path, hugeString(size, r));
    for (let n = int(r, 1, 3); n > 0; n--) lines.push(jsonText(rec));
    return { what: `${file} ${t.path.join('.')} a string of ${size} characters`, files };
  }
  if (kind === 'wild') {
    // Keys of hundreds of segments (an ARN stays within AWS's 2,048 characters) against wildcard-heavy patterns.
    const ct = files['cloudtrail.jsonl']!;
    for (let n = int(r, 1, 4); n > 0; n--) {
      const rec = structuredClone(pick(r, CT_PROBES));
      const segs = int(r, 100, 900);
      setPath(
        rec,
        ['requestParameters', 'key'],
        Array.from({ length: segs }, () => pick(r, ['a', 'b', '?'])).join('/'),
      );
      setPath(rec, ['errorCode'], DELETE);
      ct.push(jsonText(rec));
    }
    const args = r() < 0.5 ? ['--subject', '*a*a*a*a*a*a*a*a*a*a*a*a*b'] : [];
    return { what: 'S3 keys of hundreds of segments, wildcard-heavy policies and filters', files, wild: true, args };
  }
  if (kind === 'many') {
    const n = int(r, 20_000, 60_000);
    const rec = structuredClone(pick(r, K8S_PROBES));
    setPath(rec, ['annotations', DECISION], 'allow');
    setPath(rec, ['responseStatus', 'code'], 200);
    setPath(rec, ['verb'], 'get');
    const k8s = files['k8s.log']!;
    for (let i = 0; i < n; i++) {
      setPath(rec, ['objectRef', 'name'], `n-${i.toString(36)}`);
      k8s.push(jsonText(rec));
    }
    return { what: `${n} distinct object names for one subject`, files };
  }
  // A valid record on a line of several megabytes (padding after it): read, not dropped.
  const pad = ' '.repeat(int(r, 1, 20) * 1_000_000);
  lines.push(jsonText(pick(r, seeds)) + pad);
  return { what: `${file}:${lines.length} a line of ${pad.length} bytes`, files };
}

describe('generate all and verify on deep, huge and wildcard-heavy input', () => {
  it(
    'finishes each case within its limit: exit 0, 1 or 2, no overflow, deep records reported',
    { timeout: 900_000 },
    () => {
      const r = rng((SEED ^ 0x5eed17) >>> 0);
      const failures: string[] = [];
      for (let c = 0; c < HUGE_CASES; c++) {
        const k = sizeCase(r, c);
        const s = makeSandbox();
        for (const [name, lines] of Object.entries(k.files))
          writeFileSync(join(s.inDir, name), lines.join('\n') + '\n');
        const sources = ['--k8s-audit', 'k8s.log', '--cloudtrail', 'cloudtrail.jsonl', '--flows', 'hubble.json'];
        const gen = cliTimed(
          ['generate', 'all', '--workers', '1', '-o', s.out, ...sources, ...(k.args ?? [])],
          CASE_MS,
          s.inDir,
        );
        const policies = [s.out];
        if (k.wild) {
          const dir = join(s.root, 'wild', '111122223333');
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, 'shop-cart.json'), JSON.stringify(WILD_POLICY));
          policies.push(join(s.root, 'wild'));
        }
        const ver = cliTimed(['verify', '--policies', ...policies, ...sources, '--on-error', 'skip'], CASE_MS, s.inDir);
        const fail = (what: string) => failures.push(`case ${c} (${k.what}): ${what}`);
        for (const [name, t] of [
          ['generate all', gen],
          ['verify', ver],
        ] as const) {
          if (t.timedOut) fail(`${name} still running after ${t.ms} ms`);
          else if (![0, 1, 2].includes(t.code)) fail(`${name} exit ${t.code}`);
          const bad = /Maximum call stack|Invalid string length|internal error|^\s+at\s/m.exec(t.stderr);
          if (bad) fail(`${name}: ${bad[0]} on stderr`);
          const raw = rawControls(t.stderr);
          if (raw.length) fail(`${name}: raw control characters on stderr: ${raw.join(' ')}`);
        }
        if (k.tooDeep && !gen.timedOut && !gen.stderr.includes(`${k.tooDeep}: json.too-deep`))
          fail(`generate all did not report ${k.tooDeep} as json.too-deep`);
        console.log(`fuzz-hostile sizes: case ${c} (${k.what}): generate ${gen.ms} ms, verify ${ver.ms} ms`);
        if (!failures.length) rmSync(s.top, { recursive: true, force: true });
        else if (!KEEP_GOING) break;
      }
      if (failures.length) throw new Error(`FUZZ_SEED=${SEED}\n${failures.join('\n')}`);
    },
  );
});
