#!/usr/bin/env node
// `npm run demo`: the main job on the bundled demo environment (fixtures/demo), end to end:
// profile (Kubernetes audit + CloudTrail + flows with the cluster inventory) → generate RBAC, IAM and
// NetworkPolicies (with evidence) → verify by replay, then a short summary.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../dist/cli/run.js';
import { readProfile } from '../dist/profile/io.js';
import { DEMO_SOURCES } from './lib/demo-sources.js';

const root = join(fileURLToPath(import.meta.url), '../..');
const out = join(root, 'out');
const started = process.hrtime.bigint();

function io(capture) {
  const chunks = [];
  const stdout = capture
    ? new Writable({
        write(c, _e, cb) {
          chunks.push(c);
          cb();
        },
      })
    : process.stdout;
  return {
    io: {
      stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      env: process.env,
      stderrIsTTY: !!process.stderr.isTTY,
      cwd: root,
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

async function step(title, argv, capture = false) {
  process.stderr.write(`\n== ${title}\n$ audit2policy ${argv.join(' ')}\n`);
  const s = io(capture);
  const code = await run(argv, s.io);
  return { code, stdout: s.text() };
}

function files(dir) {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

const p = await step('profile the 8-day soak', ['profile', ...DEMO_SOURCES, '-o', 'out/profile.json']);
if (p.code !== 0) process.exit(p.code);
const g = await step('generate least-privilege RBAC, IAM and NetworkPolicies', [
  'generate',
  'all',
  '--profile',
  'out/profile.json',
  '-o',
  'out',
]);
if (g.code !== 0) process.exit(g.code);
const v = await step(
  'verify: replay every observed request and call',
  ['verify', '--policies', 'out/rbac', 'out/iam', 'out/netpol', '--profile', 'out/profile.json', '--format', 'json'],
  true,
);
if (v.code === 2) process.exit(2);
// The days after the soak: policy from days 1-6, replayed on days 7-8 (what enforcing it would have met).
const b = await step(
  'backtest: generate from days 1-6, replay days 7-8',
  ['backtest', ...DEMO_SOURCES, '--split', '2026-11-08T00:00:00Z', '--format', 'json', '-q'],
  true,
);
if (b.code === 2) process.exit(2);
// The account as it stands (fixtures/demo/iam/account.json, its get-account-authorization-details): what the soak
// used of it, and what adopting the generated IAM would take away.
const today = 'fixtures/demo/iam/account.json';
const c = await step(
  "check: the account's IAM today against the soak",
  ['check', '--policies', today, '--profile', 'out/profile.json', '--format', 'json', '--fail-on', 'none', '-q'],
  true,
);
if (c.code === 2) process.exit(2);
const d = await step(
  "diff: the account's IAM today → the generated IAM",
  [
    'diff',
    today,
    'out/iam',
    '--profile',
    'out/profile.json',
    '--kind',
    'iam',
    '--format',
    'json',
    '--fail-on',
    'none',
    '-q',
  ],
  true,
);
if (d.code === 2) process.exit(2);
for (const name of ['report.html', 'report.md']) {
  const r = await step(`the reviewer's report: out/${name}`, [
    'report',
    '--profile',
    'out/profile.json',
    '--policies',
    'out/rbac',
    'out/iam',
    'out/netpol',
    '--title',
    'acme staging: what the soak saw',
    '-o',
    `out/${name}`,
  ]);
  if (r.code !== 0) process.exit(r.code);
}

const profile = await readProfile(join(out, 'profile.json'));
const report = JSON.parse(v.stdout);
const policyFiles = files(join(out, 'rbac'));
const rules = policyFiles.reduce(
  (n, f) => n + (readFileSync(f, 'utf8').match(/^ {2}- (apiGroups|nonResourceURLs):/gm) ?? []).length,
  0,
);
const widened = policyFiles.filter((f) => readFileSync(f, 'utf8').includes('audit2policy.dev/widened-by')).length;
// Policies only: iam/<account>/index.json says whose each is.
const iamAll = files(join(out, 'iam')).filter((f) => !f.endsWith('index.json'));
const iamFiles = iamAll.filter((f) => !f.endsWith('.trust.json'));
const trustFiles = iamAll.length - iamFiles.length;
const statements = iamFiles.reduce((n, f) => n + JSON.parse(readFileSync(f, 'utf8')).Statement.length, 0);
const chains = profile.principals.flatMap((x) =>
  (x.assumes ?? []).map(
    (l) => `${x.subject.namespace}/${x.subject.name} → ${l.roleArn.replace(/^arn:aws:iam::\d+:/, '')} (${l.via})`,
  ),
);
// Who else became a role: AWS services and web identities (GitHub Actions workflows), for the roles' trusts.
const role = (arn) => arn.replace(/^arn:aws:iam::\d+:/, '');
const outside = [
  ...(profile.serviceAssumptions ?? []).map((a) => `${a.service} → ${role(a.roleArn)} (AWS service)`),
  ...(profile.webIdentityAssumptions ?? [])
    .filter((a) => a.provider !== 'cognito-identity.amazonaws.com')
    .map((a) => `${a.subject} → ${role(a.roleArn)} (web identity)`),
  // A Cognito pool's identities are one per shopper: said as the pool, with how many.
  ...Object.entries(
    (profile.webIdentityAssumptions ?? [])
      .filter((a) => a.provider === 'cognito-identity.amazonaws.com')
      .reduce((m, a) => {
        const k = `${a.audience} → ${role(a.roleArn)}`;
        (m[k] ??= new Set()).add(a.subject);
        return m;
      }, {}),
  ).map(([k, ids]) => `${ids.size} identities of Cognito pool ${k} (web identity)`),
  ...(profile.samlAssumptions ?? []).map((a) => `${a.subject} → ${role(a.roleArn)} (SAML)`),
];
const iamEvidence = files(join(out, 'evidence/iam')).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const iamUnnamed = iamEvidence.reduce(
  (n, e) => n + e.widenings.filter((w) => w.option === 'undetermined-resource').length,
  0,
);
const iamKeys = iamEvidence.reduce((n, e) => n + e.widenings.filter((w) => w.option === 'generated-keys').length, 0);
const bt = JSON.parse(b.stdout);
const day = (t) => Math.round((Date.parse(t.slice(0, 10)) - Date.parse(bt.train.from.slice(0, 10))) / 86_400_000) + 1;
const lastDay = (t) => day(new Date(Date.parse(t.slice(0, 23) + 'Z') - 1).toISOString());
const netFiles = files(join(out, 'netpol'));
const np = report.byKind.netpol ?? { observed: 0, allowed: 0, unobservedPairs: 0, unobservedAllowed: 0 };
const read = profile.sources.filter((s) => s.format !== 'skipped');
const records = read.reduce((n, s) => n + s.records, 0);
const skipped =
  Object.entries(profile.skipped)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';
const ck = JSON.parse(c.stdout);
const df = JSON.parse(d.stdout);
const shares = Object.entries(ck.unusedShare)
  .filter(([, x]) => x > 0)
  .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  .map(([arn, x]) => `${arn.replace(/^arn:aws:iam::\d+:(role|user)\/(?:.*\/)?/, '$1/')} ${Math.round(x * 100)}%`);
const ms = Number(process.hrtime.bigint() - started) / 1e6;

/** The account's trust policies that let service accounts in beyond those the soak shows (check's trust findings). */
function trustWords(unused) {
  const trusts = unused.filter((f) => f.access.action === 'sts:AssumeRoleWithWebIdentity');
  const role = (f) => f.principal.slice(f.principal.indexOf(':role/') + 1);
  const any = trusts.filter((f) => f.risk?.level === 'high').map(role);
  const pattern = trusts.filter((f) => f.risk?.level === 'medium').map(role);
  const pods = unused
    .filter((f) => f.access.action === 'sts:AssumeRole' && f.summary.includes('Pod Identity'))
    .map(role);
  const assumes = unused.filter((f) => f.access.action === 'sts:AssumeRole');
  const accounts = assumes.filter((f) => /^sts:AssumeRole by any (AWS principal|principal of account)/.test(f.summary));
  const by = (f) => f.summary.slice('sts:AssumeRole by '.length, f.summary.indexOf(': statement'));
  const services = assumes.filter((f) => f.summary.includes('lets the service in')).map((f) => `${role(f)} (${by(f)})`);
  const idp = unused
    .filter((f) => f.access.action === 'sts:AssumeRoleWithSAML' && f.summary.includes('by any user of '))
    .map(
      (f) =>
        `${role(f)} (${f.summary.slice('sts:AssumeRoleWithSAML by any user of '.length, f.summary.indexOf(': statement'))})`,
    );
  const pools = trusts
    .filter((f) => f.summary.includes('by any identity of Cognito identity pool'))
    .map((f) => role(f));
  return (
    [
      any.length ? `any service account of the cluster may become ${any.join(', ')} (high)` : '',
      pattern.length ? `a pattern lets in more than the soak used for ${pattern.join(', ')}` : '',
      pods.length ? `any Pod Identity association may hand out ${pods.join(', ')}` : '',
      accounts.length ? `${accounts.map((f) => `${by(f)} may become ${role(f)}`).join(', ')}` : '',
      services.length ? `a service never seen assuming it: ${services.join(', ')}` : '',
      idp.length ? `the identity provider decides who may become ${idp.join(', ')}` : '',
      pools.length ? `the Cognito identity pool decides who may become ${pools.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ') || 'only the service accounts the soak shows'
  );
}

const lines = [
  '',
  '== summary',
  `records read      ${records} from ${read.length} files (${profile.window.start} .. ${profile.window.end})`,
  `left out          ${skipped}`,
  `principals        ${profile.principals.length}`,
  `RBAC              ${policyFiles.length} files in ${relative(root, join(out, 'rbac'))}/, ${rules} rules, ${widened === 0 ? 'no widening' : widened + ' files widened'} (evidence in out/evidence/rbac/)`,
  `IAM               ${iamFiles.length} policies in ${relative(root, join(out, 'iam'))}/, ${statements} statements, ${trustFiles} trust policies, ${iamUnnamed} resource${iamUnnamed === 1 ? '' : 's'} the logs did not name, ${iamKeys} made-up key pattern${iamKeys === 1 ? '' : 's'} generalized (listed above; evidence in out/evidence/iam/)`,
  `NetworkPolicy     ${netFiles.length} files in ${relative(root, join(out, 'netpol'))}/ (${netFiles.filter((f) => f.endsWith('_default-deny.yaml')).length} default-deny) for ${(profile.workloads ?? []).length} workloads; ${(profile.network ?? []).filter((e) => e.allowed).length} observed paths`,
  ...chains.map((c, i) => `${i === 0 ? 'SA → IAM role    ' : '                 '} ${c}`),
  ...outside.map((c, i) => `${i === 0 ? 'other → IAM role ' : '                 '} ${c}`),
  `denied            ${report.denied.length} accesses seen as denied, never granted`,
  `verify            ${report.allowed}/${report.observed} observed accesses allowed (${Object.entries(report.byKind)
    .map(([k, x]) => `${k} ${x.allowed}/${x.observed}`)
    .join(', ')})${report.notAllowed.length ? `, ${report.notAllowed.length} NOT ALLOWED` : ''}`,
  `IAM today         ${today}: ${ck.wouldDeny.length} calls of the soak denied, ${ck.unused.length} grants never used (${shares.slice(0, 3).join(', ')}${shares.length > 3 ? ', …' : ''})`,
  `                  who may assume its roles: ${trustWords(ck.unused)}`,
  `                  adopting out/iam: ${df.removedAccess.length} grants removed (${df.removedAccess.filter((f) => f.risk?.level === 'high').length} high risk), ${df.newAccess.length} added`,
  `report            out/report.html (open it in a browser: no network, no scripts) and out/report.md`,
  `narrowness        ${np.unobservedAllowed} of ${np.unobservedPairs} workload pairs that never talked would be allowed`,
  `backtest  days 1-${lastDay(bt.train.until)} -> ${day(bt.test.from)}-${lastDay(bt.test.until)}: ${bt.allowed}/${bt.observed} allowed (breakage ${bt.breakage.toFixed(1)}%)`,
  `time              ${(ms / 1000).toFixed(2)} s`,
];
process.stdout.write(lines.join('\n') + '\n');
process.exitCode = report.notAllowed.length === 0 && report.observed > 0 ? 0 : 1;
