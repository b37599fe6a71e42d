import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { ACCOUNT, record } from './helpers/cloudtrailRecords.js';
import { escapeControls, escapeStrings, escapeText } from '../src/util/escape.js';

const DEMO = join(ROOT, 'fixtures/demo');
const CHROMIUM = '/usr/bin/chromium';

/** The report's Markdown of some sources. */
function reportMd(args: string[]): string {
  const out = join(tmp(), 'report.md');
  const r = cli(['report', ...args, '-o', out, '-q']);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(out, 'utf8');
}

/** A principal's section of the Markdown report, from its summary to its end. */
function section(md: string, name: string): string {
  const start = md.indexOf(`<details><summary>${name} (`);
  expect(start, name).toBeGreaterThan(-1);
  return md.slice(start, md.indexOf('</details>', start));
}

describe("the report's Kubernetes principals", () => {
  it('list the widenings generate rbac makes for them, and a risky request under a widened rule says what the rule grants', () => {
    const src = ['--k8s-audit', join(DEMO, 'k8s-audit')];
    const g = cli(['generate', 'rbac', ...src, '-o', join(tmp(), 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    // `  (made-up names; --exact keeps them) user:alice@acme.example in shop: create pods/exec: ...` per widening.
    const subjects = new Set(
      [...g.stderr.matchAll(/^ {2}\(made-up names; --exact keeps them\) (\S+?):? /gm)].map((m) => m[1]!),
    );
    expect(subjects.size).toBeGreaterThan(3);
    const md = reportMd(src);
    for (const s of subjects) {
      const [kind, ...rest] = s.split(':');
      const name = kind === 'serviceaccount' ? `system:serviceaccount:${rest.join(':')}` : rest.join(':');
      const part = section(md, `<code>${name}</code>`);
      expect(part, s).toContain('Widenings in the generated policy: \\(made-up names; --exact keeps them\\)');
    }
    expect(section(md, '<code>alice@acme.example</code>')).toMatch(/in shop: create pods\/exec: 1 made-up name/);
    // The policy lets alice exec into every pod of shop: the risky list says so, not only the one pod she used.
    const risky = md.split('\n').filter((l) => l.startsWith('| high | ` alice@acme.example ` |'));
    expect(risky).toHaveLength(1);
    expect(risky[0]).toContain(
      'create pods/exec \\(any name\\) in shop: widened \\(made-up names; --exact keeps them\\); seen: create pods/exec ` web-7c9d8f6b5d-x2klq ` in shop',
    );
  });
});

describe("the report's AWS principals", () => {
  it('a denied call is said as the permission IAM refused, on what it named (the resource was left out)', () => {
    const denied = { errorCode: 'AccessDenied', errorMessage: 'Access Denied' };
    const s3 = (key: string) =>
      record(
        's3.amazonaws.com',
        'PutObject',
        { bucketName: 'acme-data', Host: 'acme-data.s3.eu-west-1.amazonaws.com', key },
        {
          ...denied,
          managementEvent: false,
          eventCategory: 'Data',
          readOnly: false,
          resources: [
            { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::acme-data/${key}` },
            { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-data' },
          ],
        },
      );
    const records = [
      s3('in/a.json'),
      s3('in/b.json'),
      s3('in/b.json'),
      record('lambda.amazonaws.com', 'DeleteFunction20150331', { functionName: 'thumbnailer-old' }, denied),
    ];
    const dir = tmp();
    writeFileSync(join(dir, 'ct.json'), JSON.stringify({ Records: records }));
    const rows = reportMd(['--cloudtrail', join(dir, 'ct.json')])
      .split('\n')
      .filter((l) => l.includes('(denied)'));
    expect(rows.map((l) => l.split(' | ').slice(0, 2).join(' | '))).toEqual([
      `| lambda:DeleteFunction on \` arn:aws:lambda:eu-west-1:${ACCOUNT}:function:thumbnailer-old \` (denied) | 1`,
      '| s3:PutObject on ` arn:aws:s3:::acme-data/in/a.json ` (denied) | 1',
      '| s3:PutObject on ` arn:aws:s3:::acme-data/in/b.json ` (denied) | 2',
    ]);
  });
});

describe("the report's graph", () => {
  /** A call by role NAME of ACCOUNT (an assumed-role session, as CloudTrail logs it). */
  function by(account: string, role: string, rec: Record<string, unknown>): Record<string, unknown> {
    const arn = `arn:aws:iam::${account}:role/${role}`;
    return {
      ...rec,
      recipientAccountId: account,
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROA${account}:s`,
        arn: `arn:aws:sts::${account}:assumed-role/${role}/s`,
        accountId: account,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: `AROA${account}`, arn, accountId: account, userName: role },
        },
      },
    };
  }
  const get = (bucket: string) =>
    record(
      's3.amazonaws.com',
      'GetObject',
      { bucketName: bucket, Host: `${bucket}.s3.eu-west-1.amazonaws.com`, key: 'config.json' },
      {
        managementEvent: false,
        eventCategory: 'Data',
        readOnly: true,
        resources: [
          { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/config.json` },
          { type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
        ],
      },
    );

  it("keeps names that end like a secret's random suffix, and tells two accounts' same-named roles apart", () => {
    const OTHER = '444455556666';
    const secret = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:db-password-Q7xLm2`;
    const records = [
      by(ACCOUNT, 'app', get('bucket-a')),
      by(OTHER, 'app', get('bucket-b')),
      by(OTHER, 'reader', get('bucket-b-reader')),
      by(ACCOUNT, 'analyst', get('bucket-athena')),
      by(ACCOUNT, 'app', record('secretsmanager.amazonaws.com', 'GetSecretValue', { secretId: secret })),
    ];
    const dir = tmp();
    writeFileSync(join(dir, 'ct.json'), JSON.stringify({ Records: records }));
    const md = reportMd(['--cloudtrail', join(dir, 'ct.json')]);
    const mermaid = md.slice(md.indexOf('```mermaid'), md.indexOf('```', md.indexOf('```mermaid') + 3));
    const ids = new Map([...mermaid.matchAll(/^ {4}(n\d+)\["([^"]*)"\]$/gm)].map((m) => [m[2]!, m[1]!]));
    expect([...ids.keys()].sort()).toEqual([
      `${ACCOUNT}:role/analyst`,
      `${ACCOUNT}:role/app`,
      `${OTHER}:role/app`,
      `${OTHER}:role/reader`,
      's3 bucket-a',
      's3 bucket-athena',
      's3 bucket-b',
      's3 bucket-b-reader',
      // The one name whose last six characters AWS made up.
      'secretsmanager db-password',
    ]);
    const edge = (from: string, to: string) => `  ${ids.get(from)} -->|GetObject| ${ids.get(to)}`;
    const edges = mermaid.split('\n').filter((l) => l.includes('-->'));
    expect(edges).toContain(edge(`${OTHER}:role/reader`, 's3 bucket-b-reader'));
    expect(edges).toContain(edge(`${OTHER}:role/app`, 's3 bucket-b'));
    expect(edges).toContain(edge(`${ACCOUNT}:role/app`, 's3 bucket-a'));
    expect(edges).toContain(edge(`${ACCOUNT}:role/analyst`, 's3 bucket-athena'));
    expect(edges).toHaveLength(5);
  });
});

/** One Kubernetes audit event (audit.k8s.io/v1, ResponseComplete), as the API server logs it. */
function auditEvent(user: string, verb: string, resource: string, name: string, i: number, allow = true): string {
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `e-${i}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/shop/${resource}/${name}`,
    verb,
    user: { username: user, groups: ['system:authenticated'] },
    objectRef: { resource, namespace: 'shop', name, apiVersion: 'v1' },
    responseStatus: { code: allow ? 200 : 403 },
    requestReceivedTimestamp: `2026-11-02T0${i}:00:00.000000Z`,
    stageTimestamp: `2026-11-02T0${i}:00:00.100000Z`,
    annotations: { 'authorization.k8s.io/decision': allow ? 'allow' : 'forbid' },
  });
}

const LONG_USER = `u${'x'.repeat(599)}`;
const LONG_CONFIGMAP = `c${'y'.repeat(249)}`;

/** A log with a 600-character user reading a 250-character configmap once, and one denied read. */
function longNames(): string {
  const dir = tmp();
  writeFileSync(
    join(dir, 'audit.log'),
    [
      auditEvent(LONG_USER, 'get', 'configmaps', LONG_CONFIGMAP, 1),
      auditEvent('system:serviceaccount:shop:web', 'get', 'secrets', 'web-tls', 2),
      auditEvent('system:serviceaccount:shop:web', 'update', 'secrets', 'web-tls', 3),
      auditEvent('system:serviceaccount:shop:web', 'patch', 'pods', 'web-0', 4),
      auditEvent('system:serviceaccount:shop:web', 'get', 'secrets', 'db', 5, false),
    ].join('\n') + '\n',
  );
  return join(dir, 'audit.log');
}

describe('the risky table and the sections', () => {
  it('the risky table has a level column, riskiest first; one permission, event or denial is said in the singular', () => {
    const demo = reportMd(['--k8s-audit', join(DEMO, 'k8s-audit'), '--cloudtrail', join(DEMO, 'cloudtrail')]);
    const table = demo.slice(demo.indexOf('## Risky permissions'), demo.indexOf('## Coverage warnings')).split('\n');
    expect(table).toContain('| level | principal or workload | permission | why |');
    const levels = table.filter((l) => /^\| (high|medium|low) \|/.test(l)).map((l) => l.split(' | ')[0]!.slice(2));
    expect(levels.length).toBeGreaterThan(10);
    const rank = { high: 0, medium: 1, low: 2 } as Record<string, number>;
    expect(levels.map((l) => rank[l])).toEqual(levels.map((l) => rank[l]).sort());
    expect(new Set(levels)).toEqual(new Set(['high', 'medium']));

    const md = reportMd(['--k8s-audit', longNames()]);
    expect(md).toContain(`<details><summary>${LONG_USER} (User, 1 permission, 1 event)</summary>`);
    expect(md).toContain('- 1 access was denied in the logs');
    expect(md).not.toMatch(/\b1 (permissions|events|accesses)\b/);
    // Within a level, in the order the kinds list them; reasons highest level first.
    const rows = md.split('\n').filter((l) => l.startsWith('| high |') || l.startsWith('| medium |'));
    expect(rows.map((l) => l.split(' | ').slice(0, 3).join(' | '))).toEqual([
      '| high | ` system:serviceaccount:shop:web ` | get secrets web-tls in shop',
      '| high | ` system:serviceaccount:shop:web ` | update secrets web-tls in shop',
      '| medium | ` system:serviceaccount:shop:web ` | patch pods web-0 in shop',
    ]);
  });

  it('the stylesheet wraps long names anywhere in cells and summaries, and its hash in the Content-Security-Policy is its own', () => {
    const out = join(tmp(), 'report.html');
    expect(cli(['report', '--k8s-audit', longNames(), '-o', out, '-q']).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    const css = html.match(/<style>([\s\S]*?)<\/style>/)![1]!;
    expect(css).toMatch(/td,summary[^{]*\{overflow-wrap:anywhere\}/);
    const hash = createHash('sha256').update(css).digest('base64');
    expect(html).toContain(`style-src &#39;sha256-${hash}&#39;`);
    expect(html).toContain('<th>level</th><th>principal or workload</th>');
    expect(html).toContain(`${LONG_USER}</span> <span class="muted">User · 1 permission · 1 event</span>`);
  });
});

describe.skipIf(!existsSync(CHROMIUM))('the HTML report in headless Chromium: long names', () => {
  it('a 600-character user and a 250-character configmap make no table wider than the page', async () => {
    const out = join(tmp(), 'report.html');
    expect(cli(['report', '--k8s-audit', longNames(), '-o', out, '-q']).code).toBe(0);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`file://${out}`);
      await page.locator('details').evaluateAll((ds) => ds.forEach((d) => d.setAttribute('open', '')));
      const widths = await page.evaluate(() => ({
        page: document.documentElement.clientWidth,
        scroll: document.documentElement.scrollWidth,
        tables: [...document.querySelectorAll('table')].map((t) => t.getBoundingClientRect().right),
        text: document.body.innerText,
      }));
      expect(widths.text.replace(/\s/g, '')).toContain(LONG_CONFIGMAP);
      expect(widths.scroll).toBeLessThanOrEqual(widths.page);
      for (const right of widths.tables) expect(right).toBeLessThanOrEqual(widths.page);
    } finally {
      await browser.close();
    }
  });
});

describe('look-alike names: a backslash typed out is not an escape', () => {
  const TYPED = 'pay\\u202egnp'; // a backslash, then `u202e`
  const BIDI = 'pay\u202egnp'; // the right-to-left override itself

  it('escapeText writes a literal backslash as two; escapeStrings leaves JSON-quoted issue messages as they are', () => {
    expect(escapeText(BIDI)).toBe('pay\\u202egnp');
    expect(escapeText(TYPED)).toBe('pay\\\\u202egnp');
    expect(escapeText('a\\\\b\n')).toBe('a\\\\\\\\b\\n');
    // escapeControls (the formatters' second pass) changes nothing more.
    expect(escapeControls(escapeText(TYPED))).toBe(escapeText(TYPED));
    const message = `objectRef.name ${JSON.stringify('\0' + TYPED + BIDI)}`;
    expect(escapeStrings({ user: TYPED, issues: [{ message }] }, new Set(['message']))).toEqual({
      user: 'pay\\\\u202egnp',
      issues: [{ message: 'objectRef.name "\\u0000pay\\\\u202egnppay\\u202egnp"' }],
    });
  });

  it('the report (Markdown and HTML) and check (text) print the two users apart', () => {
    const dir = tmp();
    const log = join(dir, 'audit.log');
    writeFileSync(
      log,
      [auditEvent(TYPED, 'get', 'configmaps', 'c', 1), auditEvent(BIDI, 'get', 'configmaps', 'c', 2)].join('\n') + '\n',
    );
    const md = reportMd(['--k8s-audit', log]);
    // In an HTML block of Markdown, a backslash is the entity &#92;.
    expect(md).toContain('<details><summary>pay&#92;&#92;u202egnp (User, 1 permission, 1 event)</summary>');
    expect(md).toContain('<details><summary>pay&#92;u202egnp (User, 1 permission, 1 event)</summary>');
    const html = join(dir, 'report.html');
    expect(cli(['report', '--k8s-audit', log, '-o', html, '-q']).code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<summary><span class="mono">pay\\\\u202egnp</span>');
    expect(page).toContain('<summary><span class="mono">pay\\u202egnp</span>');
    // Policies for someone else: both users' reads would be denied, each named as it is.
    const bob = join(dir, 'bob.log');
    writeFileSync(bob, auditEvent('bob', 'get', 'configmaps', 'c', 1) + '\n');
    expect(cli(['generate', 'rbac', '--k8s-audit', bob, '-o', join(dir, 'policy'), '-q']).code).toBe(0);
    const check = cli(['check', '--k8s-audit', log, '--policies', join(dir, 'policy', 'rbac'), '--format', 'text']);
    const lines = check.stdout.split('\n').filter((l) => l.includes('pay'));
    expect(lines).toContain('  rbac pay\\\\u202egnp');
    expect(lines).toContain('  rbac pay\\u202egnp');
  });
});
