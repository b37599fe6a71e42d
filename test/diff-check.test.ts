import { cpSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Ajv04Module from 'ajv-draft-04';
import { dump, loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { CiReport } from '../src/diff/index.js';
import { API_VERSION } from '../src/model/profile.js';
import { ghData, ghProperty, render } from '../src/report/ci/index.js';
import { cli, ROOT, tmp } from './helpers/cli.js';

const DEMO = join(ROOT, 'fixtures/demo');
const GOLDEN = join(ROOT, 'test/golden');
const require = createRequire(import.meta.url);

/** A golden file's content; `UPDATE_GOLDEN=1` rewrites it from `actual` first (review the diff). */
function golden(name: string, actual: string): string {
  if (process.env['UPDATE_GOLDEN']) writeFileSync(join(GOLDEN, name), actual);
  return readFileSync(join(GOLDEN, name), 'utf8');
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

/** The demo's generated policies and profile, once. */
const base = tmp();
const profile = join(base, 'profile.json');
const gen = (() => {
  const p = cli([
    'profile',
    '--k8s-audit',
    join(DEMO, 'k8s-audit'),
    '--cloudtrail',
    join(DEMO, 'cloudtrail'),
    '--flows',
    join(DEMO, 'flows'),
    '--inventory',
    join(DEMO, 'inventory'),
    '-o',
    profile,
    '-q',
  ]);
  const g = cli(['generate', 'all', '--profile', profile, '-o', join(base, 'policy'), '-q']);
  return { code: p.code + g.code, stderr: p.stderr + g.stderr };
})();
const POLICY = join(base, 'policy');
const copyPolicy = () => {
  const d = join(tmp(), 'policy');
  for (const sub of ['rbac', 'iam', 'netpol']) cpSync(join(POLICY, sub), join(d, sub), { recursive: true });
  return d;
};
const edit = (f: string, from: string | RegExp, to: string) => {
  const text = readFileSync(f, 'utf8');
  const next = text.replace(from, to);
  expect(next, `${f} should change`).not.toBe(text);
  writeFileSync(f, next);
};
const json = (args: string[]) => {
  const r = cli(args);
  return { ...r, out: r.stdout ? JSON.parse(r.stdout) : undefined };
};

describe('diff (acceptance on the demo environment)', () => {
  it('the generated policy against itself: nothing, exit 0', () => {
    expect(gen.code, gen.stderr).toBe(0);
    const r = json(['diff', POLICY, POLICY, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toEqual({ apiVersion: API_VERSION, newAccess: [], removedAccess: [], undetermined: [] });
  });

  it('one RBAC verb, one NetworkPolicy port and one IAM action removed: exactly those three removed, with their evidence', () => {
    const copy = copyPolicy();
    edit(join(copy, 'rbac/shop/serviceaccount.shop.web.yaml'), / {6}- list\n {6}- watch\n/, '      - list\n');
    edit(join(copy, 'netpol/shop/web.yaml'), / {8}- protocol: TCP\n {10}port: dns-tcp\n/, '');
    edit(join(copy, 'iam/111122223333/role/shop-cart.json'), /,\n\s*"dynamodb:UpdateItem"/, '');
    const r = json(['diff', POLICY, copy, '--format', 'json', '--profile', profile]);
    expect(r.code).toBe(1);
    expect(r.out.newAccess).toEqual([]);
    expect(r.out.undetermined).toEqual([]);
    expect(
      r.out.removedAccess
        .map((f: { kind: string; principal: string; summary: string }) => [f.kind, f.principal, f.summary])
        .sort(),
    ).toEqual([
      [
        'iam',
        'arn:aws:iam::111122223333:role/shop-cart',
        'dynamodb:UpdateItem on arn:aws:dynamodb:eu-west-1:111122223333:table/carts',
      ],
      ['netpol', 'shop/web', 'shop/web → kube-system/coredns TCP/53'],
      ['rbac', 'system:serviceaccount:shop:web', 'watch configmaps in shop'],
    ]);
    // Each removed access says whether the soak used it, and points at the base's file.
    for (const f of r.out.removedAccess) {
      expect(f.evidence.used).toBe(true);
      expect(f.evidence.count).toBeGreaterThan(0);
      expect(f.locations[0].file).toContain(POLICY);
    }
    const rbac = r.out.removedAccess.find((f: { kind: string }) => f.kind === 'rbac');
    expect(rbac.locations[0].line).toBeGreaterThan(1);
  });

  it('one access added: reported as new access, never used', () => {
    const copy = copyPolicy();
    edit(
      join(copy, 'rbac/shop/serviceaccount.shop.web.yaml'),
      / {6}- list\n {6}- watch\n/,
      '      - list\n      - watch\n      - delete\n',
    );
    const r = json(['diff', POLICY, copy, '--format', 'json', '--profile', profile, '--fail-on', 'removed-access']);
    expect(r.code).toBe(0);
    expect(r.out.removedAccess).toEqual([]);
    expect(r.out.newAccess).toMatchObject([
      {
        kind: 'rbac',
        principal: 'system:serviceaccount:shop:web',
        summary: 'delete configmaps in shop',
        evidence: { used: false },
      },
    ]);
    expect(cli(['diff', POLICY, copy, '-q']).code).toBe(1);
  });

  // The committed policy beside the generated one: web's Role also grants every verb on secrets (its get of web-tls
  // stays), shop-cart's policy also s3:* on * (its GetObject and PutObject on the cart keys stay), web may also send
  // to every pod of shop and cart receive from every pod of shop (their rules for web → cart TCP/api stay).
  const broadened = (dir: string) => {
    edit(
      join(dir, 'rbac/shop/serviceaccount.shop.web.yaml'),
      /^rules:\n/m,
      "rules:\n  - apiGroups: ['']\n    resources: ['secrets']\n    verbs: ['*']\n",
    );
    const pol = join(dir, 'iam/111122223333/role/shop-cart.json');
    const doc = JSON.parse(readFileSync(pol, 'utf8'));
    doc.Statement.push({ Sid: 'Broad', Effect: 'Allow', Action: 's3:*', Resource: '*' });
    writeFileSync(pol, JSON.stringify(doc, null, 2) + '\n');
    edit(join(dir, 'netpol/shop/web.yaml'), /^ {2}egress:\n/m, '  egress:\n    - to:\n        - podSelector: {}\n');
    edit(
      join(dir, 'netpol/shop/cart.yaml'),
      /^ {2}ingress:\n/m,
      '  ingress:\n    - from:\n        - podSelector: {}\n',
    );
    return dir;
  };
  type Found = { kind: string; principal: string; summary: string; evidence: { used: boolean; count: number } };
  const bySummary = (list: Found[], kind: string, summary: RegExp) => {
    const f = list.filter((x) => x.kind === kind && summary.test(x.summary));
    expect(f, `${kind} ${summary} in ${JSON.stringify(list.map((x) => x.summary))}`).toHaveLength(1);
    return f[0]!;
  };

  it('a broad grant removed (or added) beside the narrow ones that stay: never used, whatever the narrow ones allowed', () => {
    const committed = broadened(copyPolicy());
    // docs/cli.md: removed access is "what the repository grants that the soak never needed"; the soak's calls the
    // narrow grants allow are no use of the broad ones (they were 768 s3 calls and 32 gets of web-tls).
    for (const [from, to, list] of [
      [committed, POLICY, 'removedAccess'],
      [POLICY, committed, 'newAccess'],
    ] as const) {
      const r = json(['diff', from, to, '--format', 'json', '--profile', profile]);
      expect(r.code, r.stderr).toBe(1);
      const found: Found[] = r.out[list];
      expect(found.length).toBeGreaterThan(3);
      expect(found.filter((f) => f.evidence.used)).toEqual([]);
      expect(bySummary(found, 'iam', /^s3:\* on \*/).evidence).toEqual({
        used: false,
        count: 0,
        firstSeen: '',
        lastSeen: '',
        samples: [],
      });
      bySummary(found, 'rbac', /^\* secrets in shop$/);
      bySummary(found, 'netpol', /^shop\/web → shop\/cart TCP\//);
    }
    const text = cli(['diff', committed, POLICY, '--profile', profile]).stdout;
    expect(text).toMatch(/s3:\* on \*.*\n.*\n {6}never used\n/);
  });

  it('a broad grant removed with a narrow one: its uses are the calls the other side no longer allows', () => {
    const committed = broadened(copyPolicy());
    const head = copyPolicy();
    edit(
      join(head, 'rbac/shop/serviceaccount.shop.web.yaml'),
      / {2}- apiGroups:\n(.*\n){4} {6}- web-tls\n(.*\n){2}/,
      '',
    );
    edit(join(head, 'iam/111122223333/role/shop-cart.json'), /"s3:GetObject",\n\s*/, '');
    const r = json(['diff', committed, head, '--format', 'json', '--profile', profile, '--kind', 'rbac,iam']);
    expect(r.code, r.stderr).toBe(1);
    const removed: Found[] = r.out.removedAccess;
    // Each broad grant carries exactly the uses of the narrow grant removed with it, not those of what stays.
    const web = bySummary(removed, 'rbac', /^get secrets web-tls in shop$/).evidence;
    expect(web.count).toBeGreaterThan(0);
    expect(bySummary(removed, 'rbac', /^\* secrets in shop$/).evidence).toEqual(web);
    const gets = bySummary(removed, 'iam', /^s3:GetObject on /).evidence;
    expect(gets.count).toBeGreaterThan(0);
    const broad = bySummary(removed, 'iam', /^s3:\* on \*/).evidence;
    expect(broad).toEqual(gets);
    expect(r.out.newAccess).toEqual([]);
  });

  it('reformatting, reordering, renaming rules and splitting files changes nothing', () => {
    const copy = join(tmp(), 'policy');
    mkdirSync(join(copy, 'k8s'), { recursive: true });
    // Every Kubernetes document, reversed, as JSON in one file and as YAML in another.
    const docs = files(join(POLICY, 'rbac'))
      .concat(files(join(POLICY, 'netpol')))
      .flatMap((f) => loadAll(readFileSync(f, 'utf8')) as Record<string, unknown>[]);
    const half = Math.floor(docs.length / 2);
    writeFileSync(
      join(copy, 'k8s/all.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs.slice(0, half).reverse() }),
    );
    writeFileSync(
      join(copy, 'k8s/rest.yaml'),
      docs
        .slice(half)
        .reverse()
        .map((d) => dump(d, { sortKeys: true, indent: 4 }))
        .join('---\n'),
    );
    // IAM: statements reversed, renamed and split one action per statement.
    for (const f of files(join(POLICY, 'iam')).filter((x) => !x.endsWith('index.json'))) {
      if (f.endsWith('.trust.json')) {
        // A trust: its statements reordered, its keys re-indented; the same trust.
        const trust = JSON.parse(readFileSync(f, 'utf8')) as { Statement: unknown[] };
        const rel = f.slice(join(POLICY, 'iam').length + 1);
        mkdirSync(join(copy, 'iam', rel, '..'), { recursive: true });
        writeFileSync(
          join(copy, 'iam', rel),
          JSON.stringify({ ...trust, Statement: [...trust.Statement].reverse() }, null, 8),
        );
        continue;
      }
      const doc = JSON.parse(readFileSync(f, 'utf8')) as {
        Version: string;
        Statement: { Action: string[]; Resource: unknown; Condition?: unknown }[];
      };
      // Each keeps its Condition (a role passed to Lambda only), keys reordered.
      const split = doc.Statement.flatMap((s) =>
        s.Action.map((a, i) => ({
          ...(s.Condition ? { Condition: s.Condition } : {}),
          Sid: `X${i}${a.replace(/\W/g, '')}`,
          Resource: s.Resource,
          Action: a.toUpperCase().replace(/^([A-Z0-9-]+):/, (m) => m.toLowerCase()),
          Effect: 'Allow',
        })),
      ).reverse();
      const rel = f.slice(join(POLICY, 'iam').length + 1);
      mkdirSync(join(copy, 'iam', rel, '..'), { recursive: true });
      writeFileSync(join(copy, 'iam', rel), JSON.stringify({ Statement: split, Version: doc.Version }, null, 8));
    }
    const r = json(['diff', POLICY, copy, '--format', 'json', '--profile', profile]);
    expect(r.code, JSON.stringify(r.out).slice(0, 2000)).toBe(0);
    expect(r.out).toEqual({ apiVersion: API_VERSION, newAccess: [], removedAccess: [], undetermined: [] });
  });

  it('a change review: s3:* on * and reading secrets are two risky new-access findings on the lines that changed', () => {
    const copy = copyPolicy();
    const role = join(copy, 'rbac/shop/serviceaccount.shop.web.yaml');
    edit(
      role,
      /^rules:\n/m,
      "rules:\n  - apiGroups:\n      - ''\n    resources:\n      - secrets\n    verbs:\n      - get\n      - list\n",
    );
    const pol = join(copy, 'iam/111122223333/role/shop-cart.json');
    const doc = JSON.parse(readFileSync(pol, 'utf8'));
    doc.Statement.push(
      { Sid: 'Everything', Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Sid: 'Inventory', Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' },
    );
    writeFileSync(pol, JSON.stringify(doc, null, 2) + '\n');
    const r = json(['diff', POLICY, copy, '--format', 'json', '--fail-on', 'risky']);
    expect(r.code).toBe(1);
    expect(r.out.removedAccess).toEqual([]);
    const [first, second, third] = r.out.newAccess;
    expect(r.out.newAccess).toHaveLength(3);
    // Riskiest first; the read-only wildcard AWS requires (ec2:Describe* on *) is new but not risky.
    expect([first.risk?.level, second.risk?.level, third.risk]).toEqual(['high', 'high', undefined]);
    const s3 = r.out.newAccess.find((f: { kind: string; risk?: unknown }) => f.kind === 'iam' && f.risk);
    expect(s3.summary).toMatch(/^s3:\* on \*: \d{3} actions, including /);
    expect(s3.access.actions.length).toBeGreaterThan(100);
    expect(s3.locations).toEqual([
      {
        file: pol,
        line:
          readFileSync(pol, 'utf8')
            .split('\n')
            .findIndex((l) => l.includes('"Everything"')) + 1,
      },
    ]);
    const secrets = r.out.newAccess.find((f: { kind: string }) => f.kind === 'rbac');
    expect(secrets).toMatchObject({
      principal: 'system:serviceaccount:shop:web',
      summary: 'get, list secrets in shop',
      access: { verbs: ['get', 'list'], resource: 'secrets', resourceNames: [] },
      risk: { level: 'high', reasons: ['reads secrets'] },
      locations: [{ file: role, line: 11 }],
    });
    expect(third.summary).toMatch(/^ec2:Describe\* on \*: \d+ actions/);
    // --fail-on new-access fails on the harmless one too; none never fails.
    expect(cli(['diff', POLICY, copy, '--fail-on', 'none', '-q']).code).toBe(0);
    // Annotations: one per finding and a summary line, the risky ones as errors.
    const gh = cli(['diff', POLICY, copy, '--format', 'github', '--fail-on', 'risky', '-q']).stdout.trim().split('\n');
    expect(gh.filter((l) => l.startsWith('::error'))).toHaveLength(2);
    expect(gh.filter((l) => l.startsWith('::warning'))).toHaveLength(1);
    expect(gh.at(-1)).toMatch(/^audit2policy diff: 3 new access \(2 risky\), 0 removed access, 0 undetermined$/);
    // Markdown leads with the risky new access.
    const md = cli(['diff', POLICY, copy, '--format', 'markdown', '-q']).stdout;
    expect(md.split('\n')[2]).toBe('#### ⚠️ risky new access (2)');
  });

  it('hand-written wildcards, Deny statements and Conditions: judged by meaning, conditions undetermined', () => {
    const copy = copyPolicy();
    const f = join(copy, 'iam/111122223333/role/payments-api.json');
    const doc = JSON.parse(readFileSync(f, 'utf8'));
    doc.Statement.push(
      { Sid: 'KmsAll', Effect: 'Allow', Action: 'kms:*', Resource: '*' },
      { Sid: 'NoDelete', Effect: 'Deny', Action: 'kms:ScheduleKeyDeletion', Resource: '*' },
      {
        Sid: 'Tagged',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: '*',
        Condition: { StringEquals: { 'aws:ResourceTag/team': 'payments' } },
      },
    );
    writeFileSync(f, JSON.stringify(doc, null, 2));
    const r = json(['diff', POLICY, copy, '--format', 'json', '--kind', 'iam']);
    expect(r.code).toBe(1);
    // kms:* on * is one finding: its expansion, minus what the base allowed and the Deny takes away.
    expect(r.out.newAccess).toHaveLength(2);
    const kms = r.out.newAccess.find((x: { access: { action: string } }) => x.access.action === 'kms:*');
    expect(kms.access.action).toBe('kms:*');
    expect(kms.access.actions).toContain('kms:Encrypt');
    expect(kms.access.actions).toContain('kms:CreateGrant');
    // Decrypt was allowed on one key; on every key (*) it is new.
    expect(kms.access.actions).toContain('kms:Decrypt');
    expect(kms.access.actions).not.toContain('kms:ScheduleKeyDeletion');
    expect(kms.access.resources).toEqual(['*']);
    expect(kms.summary).toMatch(/^kms:\* on \*: \d+ actions, including /);
    expect(kms.risk.level).toBe('high');
    // The conditional Allow the base does not have: what the base does not grant is new, under its Condition.
    const tagged = r.out.newAccess.find((x: { access: { action: string } }) => x.access.action === 's3:GetObject');
    expect(tagged.summary).toBe('s3:GetObject on *, under a Condition');
    expect(tagged.risk.level).toBe('medium');
    expect(r.out.undetermined).toEqual([]);
  });
});

describe('check (acceptance on the demo environment)', () => {
  it('the generated policies against the soak that made them: nothing would be denied', () => {
    const r = json([
      'check',
      '--policies',
      POLICY,
      '--k8s-audit',
      join(DEMO, 'k8s-audit'),
      '--cloudtrail',
      join(DEMO, 'cloudtrail'),
      '--flows',
      join(DEMO, 'flows'),
      '--inventory',
      join(DEMO, 'inventory'),
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.out.wouldDeny).toEqual([]);
    expect(r.out.undetermined).toEqual([]);
    // Nothing unused: what the logs did not use is what generate widened on purpose and listed in the evidence beside
    // the policy, kept: any identity of the mobile app's Cognito pool (Cognito makes up an identity id per shopper),
    // the release tags' pattern of role/ci/github-release's trust (the tags seen, v1.4.0 and v1.5.0, are in; any other
    // v* would be), and the cluster-DNS widening (UDP and TCP 53, on the client's egress and the DNS server's ingress),
    // for the clients seen on UDP alone. Read as "unused", a CI user would remove them.
    const dnsOverTcp = ['ci/deploy', 'ops/backup', 'ops/report', 'payments/payments-api', 'shop/cart'];
    expect(r.out.unused).toEqual([]);
    expect(r.out.keptWidenings.map((u: { summary: string }) => u.summary)).toEqual([
      'sts:AssumeRoleWithWebIdentity by any identity of Cognito identity pool ' +
        'eu-west-1:7d3c1e52-8a4b-4f6e-9c21-5b0a9e3f4d18: statement CognitoIdentityPools sets no condition on the ' +
        'identity (cognito-identity.amazonaws.com:sub); assumed in the logs by 19 identities',
      'sts:AssumeRoleWithWebIdentity by repo:acme/shop:ref:refs/tags/v*: statement WebIdentityReleaseTags lets in ' +
        'every subject the pattern matches; assumed in the logs by repo:acme/shop:ref:refs/tags/v1.4.0, ' +
        'repo:acme/shop:ref:refs/tags/v1.5.0',
      ...dnsOverTcp.map((c) => `${c} → kube-system/coredns TCP/53`),
    ]);
    for (const [who, share] of Object.entries(r.out.unusedShare)) expect(share, who).toBe(0);
  });

  it('a day on which the app starts a new call: exactly that call would be denied, exit 1', () => {
    const r = json(['check', '--policies', POLICY, '--k8s-audit', join(DEMO, 'drift'), '--format', 'json']);
    expect(r.code).toBe(1);
    expect(r.out.wouldDeny).toMatchObject([
      {
        type: 'would-deny',
        kind: 'rbac',
        principal: 'system:serviceaccount:shop:web',
        summary: 'get configmaps feature-flags-v2 in shop',
        evidence: {
          count: 1,
          firstSeen: '2026-11-10T09:15:02.120000Z',
          samples: ['d1f2e3a4-0000-4000-8000-000000000010'],
        },
      },
    ]);
    // It points at the policy file of its principal, for annotations and code scanning.
    expect(r.out.wouldDeny[0].locations[0].file).toMatch(/rbac\/shop\/serviceaccount\.shop\.web\.yaml$/);
    // What a day does not use shows as unused, with the share per principal.
    expect(r.out.unusedShare['alice@acme.example']).toBe(1);
    expect(r.out.unused.length).toBeGreaterThan(0);
    expect(
      cli(['check', '--policies', POLICY, '--k8s-audit', join(DEMO, 'drift'), '--fail-on', 'none', '-q']).code,
    ).toBe(0);
  });

  it('a CI gate does not pass on input it could not read', () => {
    const bad = tmp();
    writeFileSync(join(bad, 'broken.yaml'), 'kind: Role\n  rules: [\n');
    const r = cli(['check', '--policies', bad, '--k8s-audit', join(DEMO, 'drift'), '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml:\d+: policy\.unparseable/);
  });
});

describe('CI formats', () => {
  const hostile: CiReport = {
    command: 'diff',
    kinds: ['rbac', 'iam'],
    newAccess: [
      {
        type: 'new-access',
        kind: 'rbac',
        principal: 'system:serviceaccount:shop:web|<script>',
        access: {},
        summary: 'get configmaps `x` in shop\n| injected | row |',
        evidence: { used: false, count: 0, firstSeen: '', lastSeen: '', samples: [] },
        risk: { level: 'high', reasons: ['reads secrets\n::error::injected'] },
        locations: [{ file: 'policy/rbac/shop/a,b:c.yaml', line: 12 }],
      },
    ],
    removedAccess: [
      {
        type: 'removed-access',
        kind: 'iam',
        principal: 'arn:aws:iam::111122223333:role/shop-cart',
        access: {},
        summary: 's3:GetObject on arn:aws:s3:::b/100%',
        evidence: {
          used: true,
          count: 3,
          firstSeen: '2026-11-02T00:00:00.000000Z',
          lastSeen: '2026-11-03T00:00:00.000000Z',
          samples: ['e-1'],
        },
        locations: [{ file: 'policy/iam/111122223333/role/shop-cart.json', line: 4 }],
      },
    ],
    undetermined: [],
    wouldDeny: [],
    unused: [],
    unusedShare: {},
  };

  it('github annotations escape data and properties (golden)', () => {
    // Line breaks and ESC become visible escapes (src/util/escape.ts): no value starts a workflow command.
    expect(ghData('a%b\r\nc\u001b[2J')).toBe('a%25b\\r\\nc\\x1b[2J');
    expect(ghProperty('a,b:c')).toBe('a%2Cb%3Ac');
    expect(render(hostile, 'github', 'any')).toBe(golden('diff.github.txt', render(hostile, 'github', 'any')));
  });

  it('markdown is a compact comment whose cells carry no markup (golden)', () => {
    expect(render(hostile, 'markdown', 'any')).toBe(golden('diff.markdown.md', render(hostile, 'markdown', 'any')));
  });

  it('markdown collapses past 50 rows', () => {
    const many: CiReport = {
      ...hostile,
      newAccess: Array.from({ length: 60 }, (_, i) => ({
        ...hostile.newAccess[0]!,
        risk: undefined,
        summary: `get configmaps c${i}`,
      })),
    };
    const md = render(many, 'markdown', 'any');
    expect(md).toMatch(/<details><summary>10 more<\/summary>/);
    expect(md.split('\n').filter((l) => l.startsWith('| rbac')).length).toBe(60);
  });

  it('SARIF validates against the SARIF 2.1.0 schema, one result per finding, with file and line', () => {
    const schema = JSON.parse(
      readFileSync(
        join(require.resolve('@microsoft/jest-sarif/package.json'), '../lib/schemas/sarif-2.1.0-rtm.5.json'),
        'utf8',
      ),
    );
    // The SARIF 2.1.0 schema (as @microsoft/jest-sarif ships it) is JSON Schema draft-04.
    // A CommonJS module whose `module.exports` is the class, with the class again as `default`.
    const ajv = new Ajv04Module.default({
      strict: false,
      allErrors: true,
      validateFormats: false,
      unicodeRegExp: false,
    });
    const validate = ajv.compile(schema);
    // The validator is real: a run without its tool is refused.
    expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).toBe(false);
    const copy = copyPolicy();
    edit(join(copy, 'rbac/shop/serviceaccount.shop.web.yaml'), / {6}- list\n {6}- watch\n/, '      - list\n');
    for (const [name, sarif] of [
      ['unit', render(hostile, 'sarif', 'any')],
      ['diff', cli(['diff', POLICY, copy, '--format', 'sarif']).stdout],
      [
        'check',
        cli(['check', '--policies', POLICY, '--k8s-audit', join(DEMO, 'drift'), '--format', 'sarif', '-q']).stdout,
      ],
    ] as const) {
      const log = JSON.parse(sarif);
      expect(validate(log), `${name}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
      expect(log.version).toBe('2.1.0');
    }
    const log = JSON.parse(render(hostile, 'sarif', 'removed-access'));
    expect(log.runs[0].results).toHaveLength(2);
    expect(log.runs[0].results[0]).toMatchObject({
      ruleId: 'audit2policy/new-access',
      level: 'warning',
      properties: { risk: 'high' },
      locations: [
        { physicalLocation: { artifactLocation: { uri: 'policy/rbac/shop/a,b:c.yaml' }, region: { startLine: 12 } } },
      ],
    });
    expect(log.runs[0].results[1]).toMatchObject({ ruleId: 'audit2policy/removed-access', level: 'error' });
    // Fingerprints are stable (reruns do not duplicate alerts) and tell findings apart.
    const again = JSON.parse(render(hostile, 'sarif', 'any'));
    const prints = (l: typeof log) =>
      l.runs[0].results.map((x: { partialFingerprints: Record<string, string> }) => x.partialFingerprints);
    expect(prints(again)).toEqual(prints(log));
    expect(new Set(prints(log).map((p: Record<string, string>) => p['audit2policy/v1'])).size).toBe(2);
  });

  it('ndjson: one finding per line', () => {
    const lines = render(hostile, 'ndjson', 'any').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['new-access', 'removed-access']);
  });
});
