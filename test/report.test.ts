import { PROFILE_API_VERSION } from '../src/model/profile.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mermaidLabel } from '../src/report/render.js';
import { cli, CORPUS, HAS_CORPUS, ROOT, tmp } from './helpers/cli.js';

const DEMO = join(ROOT, 'fixtures/demo');
const CHROMIUM = '/usr/bin/chromium';
const hasBrowser = existsSync(CHROMIUM);
if (!hasBrowser) {
  // Visible in every run without a browser: CI installs Debian's chromium (.ci/run), so it never skips there.
  console.warn(
    `NOTICE: ${CHROMIUM} not found: the browser tests of the HTML report are SKIPPED (apt-get install -y chromium runs them)`,
  );
}

// Strings an attacker can put in logs: names, user agents, resource names.
const XSS = [
  '<script>window.__pwned=1</script>',
  '"><img src=x onerror="window.__pwned=2">',
  'javascript:window.__pwned=3',
  '<svg onload="window.__pwned=4">',
  '</title><script>window.__pwned=5</script>',
];
const MD = [
  '| injected | cell |',
  '[click](javascript:alert(1))',
  '```\nend\nclick n1 callback "alert"\n```',
  'a"]; click n1 href "javascript:alert(1)"; x["',
];

function hostileAudit(): string {
  const lines: string[] = [];
  const names = [...XSS, ...MD];
  names.forEach((n, i) => {
    lines.push(
      JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        auditID: `a-${i}-${n}`,
        stage: 'ResponseComplete',
        requestURI: `/api/v1/namespaces/shop/secrets/x`,
        verb: i % 2 ? 'get' : 'create',
        user: { username: `user-${n}`, groups: ['system:authenticated'] },
        userAgent: n,
        // Object names are held to Kubernetes' rules (a name with / or a blank is an input issue, whose
        // message quotes it: another path into the report); user names and agents may hold anything.
        objectRef: {
          resource: i % 3 ? 'secrets' : 'pods',
          subresource: i % 3 ? undefined : 'exec',
          namespace: 'shop',
          name: `obj-${i}`,
        },
        responseStatus: { code: 200 },
        requestReceivedTimestamp: `2026-11-02T08:00:0${i % 10}.000000Z`,
        stageTimestamp: `2026-11-02T08:00:0${i % 10}.100000Z`,
        annotations: { 'authorization.k8s.io/decision': 'allow' },
      }),
    );
  });
  // A name Kubernetes would refuse (it holds / and blanks) is an input issue; the report quotes it.
  const refused = JSON.parse(lines[1]!) as { objectRef: { name: string } };
  refused.objectRef.name = `obj-${XSS[1]}`;
  lines.push(JSON.stringify(refused));
  return lines.join('\n') + '\n';
}

function hostileCloudTrail(): string {
  return JSON.stringify({
    Records: XSS.map((n, i) => ({
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::111122223333:assumed-role/r${i}/s`,
        accountId: '111122223333',
        sessionContext: {
          sessionIssuer: { type: 'Role', arn: `arn:aws:iam::111122223333:role/r${i}`, accountId: '111122223333' },
        },
      },
      eventTime: '2026-11-02T08:00:00Z',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      awsRegion: 'eu-west-1',
      requestParameters: { bucketName: 'b', key: n },
      eventID: `e-${i}`,
      userAgent: n,
    })),
  });
}

/** Whether a PNG shows anything: more than a handful of distinct byte values in its pixel rows. */
function pngHasContent(png: Buffer): boolean {
  let off = 8;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('ascii', off + 4, off + 8);
    if (type === 'IDAT') idat.push(png.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const seen = new Set<number>();
  for (let i = 0; i < raw.length; i += 97) seen.add(raw[i]!);
  return seen.size > 20;
}

describe.skipIf(!hasBrowser)('the HTML report in headless Chromium', () => {
  // Loaded only here: playwright-core is a devDependency for this test.
  let browser: import('playwright-core').Browser;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking'],
    });
  });
  afterAll(async () => browser?.close());

  it('hostile names, user agents and resource names never execute, and show as text', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'audit.log'), hostileAudit());
    writeFileSync(join(dir, 'ct.json'), hostileCloudTrail());
    const out = join(dir, 'report.html');
    const r = cli([
      'report',
      '--k8s-audit',
      join(dir, 'audit.log'),
      '--cloudtrail',
      join(dir, 'ct.json'),
      '-o',
      out,
      '--title',
      '<script>window.__pwned=9</script>',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script|<img|<svg onload/i);
    const page = await browser.newPage();
    const dialogs: string[] = [];
    const requests: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(`file://${out}`);
    const state = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
      scripts: document.querySelectorAll('script').length,
      images: document.querySelectorAll('img').length,
      handlers: [...document.querySelectorAll('*')].filter((e) =>
        [...e.attributes].some((a) => a.name.startsWith('on')),
      ).length,
      links: document.querySelectorAll('a[href]').length,
      title: document.title,
      text: document.body.innerText,
    }));
    expect(state.pwned).toBeNull();
    expect(dialogs).toEqual([]);
    expect(state.scripts + state.images + state.handlers + state.links).toBe(0);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(state.title).toBe('<script>window.__pwned=9</script>');
    await page.locator('details').evaluateAll((ds) => ds.forEach((d) => d.setAttribute('open', '')));
    const opened = await page.evaluate(() => document.body.innerText);
    for (const x of XSS) expect(opened).toContain(`user-${x}`);
    // Their audit IDs too, each the sample record of its request's row.
    XSS.forEach((x, i) => expect(opened).toContain(`a-${i}-${x}`));
    await page.close();
  });

  it('the demo report renders: not blank, the graph drawn, principals and flags listed', async () => {
    const dir = tmp();
    const out = join(dir, 'report.html');
    const r = cli([
      'report',
      '--k8s-audit',
      join(DEMO, 'k8s-audit'),
      '--cloudtrail',
      join(DEMO, 'cloudtrail'),
      '--flows',
      join(DEMO, 'flows'),
      '--inventory',
      join(DEMO, 'inventory'),
      '-o',
      out,
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    await page.goto(`file://${out}`);
    const graph = await page.evaluate(() => {
      const svg = document.querySelector('#graph');
      const box = svg?.getBoundingClientRect();
      return {
        nodes: document.querySelectorAll('#graph .node').length,
        edges: document.querySelectorAll('#graph path.edge').length,
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        styled: getComputedStyle(document.body).fontFamily,
      };
    });
    expect(graph.nodes).toBeGreaterThan(25);
    expect(graph.edges).toBeGreaterThan(25);
    expect(graph.width).toBeGreaterThan(800);
    // The stylesheet passed the Content-Security-Policy (its hash is in it).
    expect(graph.styled).toMatch(/system-ui/);
    const shot = await page.screenshot({ path: join(dir, 'demo-report.png') });
    expect(pngHasContent(shot)).toBe(true);
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toMatch(/system:serviceaccount:shop:web/);
    expect(text).toMatch(/reads secrets/);
    expect(text).toMatch(/iam:PassRole/);
    expect(text).toMatch(/egress to the internet/);
    // The widenings the generated policy applies by default, by principal: the backup's DeleteObjects.
    await page.locator('details').evaluateAll((ds) => ds.forEach((d) => d.setAttribute('open', '')));
    expect(await page.evaluate(() => document.body.innerText)).toMatch(
      /\(resource not in the event\): s3:DeleteObject: CloudTrail does not log the object keys/,
    );
    await page.close();
  });
});

describe('the report without a browser', () => {
  it('a denied access says so once, whatever its kind (an IAM call said it twice)', () => {
    const out = join(tmp(), 'report.md');
    const src = ['--k8s-audit', join(DEMO, 'k8s-audit'), '--cloudtrail', join(DEMO, 'cloudtrail')];
    expect(cli(['report', ...src, '-o', out, '-q']).code).toBe(0);
    const rows = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => l.includes('(denied)'));
    // Kubernetes requests and AWS calls both (the demo's denied DeleteFunction and PutSecretValue).
    expect(rows.some((l) => l.includes('DeleteFunction'))).toBe(true);
    expect(rows.some((l) => /secrets .* in shop/.test(l))).toBe(true);
    for (const l of rows) expect(l.match(/\(denied\)/g), l).toHaveLength(1);
  });

  it('a denied connection counts once, also when it comes from outside the cluster (an ingress from an address was not counted)', () => {
    const dir = tmp();
    // A workload-to-workload drop (listed on both workloads) and a drop from a public address (listed on the receiver).
    const src = ['--flows', join(DEMO, 'flows'), '--inventory', join(DEMO, 'inventory')];
    for (const f of ['report.md', 'report.html'])
      expect(cli(['report', ...src, '-o', join(dir, f), '-q']).code).toBe(0);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    const rows = md.split('\n').filter((l) => l.includes('(denied)'));
    expect(rows.some((l) => l.includes('← 185.220.101.45 TCP/22 (denied)'))).toBe(true);
    expect(rows.some((l) => l.includes('→ payments/payments-api TCP/8443 (denied)'))).toBe(true);
    expect(rows.some((l) => l.includes('← ci/job-runner TCP/8443 (denied)'))).toBe(true);
    expect(rows).toHaveLength(3);
    expect(md).toContain('**2** denied accesses');
    expect(md).toContain('- 2 accesses were denied in the logs');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<div class="card"><b>2</b>denied accesses</div>');
  });

  it("a `*` generate wrote because no narrower resource exists is not risky 'where the action can name one' (GetMetricData was)", () => {
    const dir = tmp();
    const src = ['--cloudtrail', join(DEMO, 'cloudtrail')];
    const g = cli(['generate', 'iam', ...src, '-o', join(dir, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    // `(no narrower resource exists) <principal>: <action>: ...` on generate's stderr.
    const stars = [...g.stderr.matchAll(/\(no narrower resource exists\) (\S+): ([\w-]+:\w+): /g)].map((m) => [
      m[1]!,
      m[2]!,
    ]);
    expect(stars).toContainEqual(['arn:aws:iam::111122223333:role/ops/oncall', 'cloudwatch:GetMetricData']);
    expect(cli(['report', ...src, '-o', join(dir, 'report.md'), '-q']).code).toBe(0);
    const md = readFileSync(join(dir, 'report.md'), 'utf8').split('\n');
    for (const [, action] of stars) {
      const rows = md.filter((l) => l.includes(`${action} on \\*`));
      expect(rows.length, action).toBeGreaterThan(0);
      for (const l of rows) expect(l, action).not.toContain('where the action can name one');
    }
  });

  it('Markdown: log strings cannot break tables, add links or inject Mermaid', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'audit.log'), hostileAudit());
    const out = join(dir, 'report.md');
    expect(cli(['report', '--k8s-audit', join(dir, 'audit.log'), '-o', out, '-q']).code).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).not.toMatch(/<script|<img|\]\(javascript/i);
    const mermaid = md.slice(md.indexOf('```mermaid'), md.indexOf('```', md.indexOf('```mermaid') + 3) + 3);
    expect(mermaid).not.toMatch(/click|href|javascript:|"\]|;/);
    for (const line of md.split('\n').filter((l) => l.startsWith('| ') && l.includes('user-'))) {
      // Every table row keeps its column count: no unescaped pipe from a log.
      expect(line.replace(/\\\|/g, '').split('|').length).toBeGreaterThanOrEqual(4);
    }
    expect(mermaidLabel('a"]; click n1 href "javascript:alert(1)"; x["')).toBe(
      'a___ click n1 href _javascript:alert(1)__ x__',
    );
  });

  it.skipIf(!HAS_CORPUS)(
    'a report of all of ../shared/corpus renders, lists dropped inputs with reasons, flags pods/exec and secrets',
    () => {
      const dir = tmp();
      const out = join(dir, 'corpus.md');
      const r = cli([
        'report',
        '--k8s-audit',
        join(CORPUS, 'k8s-audit'),
        '--cloudtrail',
        join(CORPUS, 'cloudtrail'),
        '--flows',
        join(CORPUS, 'flows'),
        '--include-system',
        '-o',
        out,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const md = readFileSync(out, 'utf8');
      expect(md).toMatch(/\| malformed input \| \d+ \|/);
      expect(md).toMatch(/\| k8s\.wrong-kind \| 1 \| .*fal\\_01\\_003\.json:1: kind 0 is not an audit Event/);
      expect(md).toMatch(/skipped \(not a log: zip archive\)/);
      expect(md).toMatch(/\| aws-service \| 8 \| AWS services acting on their own/);
      expect(md).toMatch(/\| reply \| \d+ \| the answering side of connections/);
      expect(md).toMatch(/pods\/exec: a shell or a tunnel into pods/);
      // The corpus writes secrets (its one list of secrets was denied): flagged either way.
      expect(md).toMatch(/\| [^|]*secrets[^|]* \| writes secrets/);
      const html = join(dir, 'corpus.html');
      expect(
        cli([
          'report',
          '--k8s-audit',
          join(CORPUS, 'k8s-audit'),
          '--cloudtrail',
          join(CORPUS, 'cloudtrail'),
          '--flows',
          join(CORPUS, 'flows'),
          '-o',
          html,
          '-q',
        ]).code,
      ).toBe(0);
      expect(readFileSync(html, 'utf8')).toMatch(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" id="graph"/);
    },
  );

  it('refuses an output that is neither .html nor .md', () => {
    expect(cli(['report', '--k8s-audit', join(DEMO, 'drift'), '-o', join(tmp(), 'r.pdf')]).code).toBe(2);
  });
});

describe('the graph at scale', () => {
  it('300 workloads in 10 namespaces: namespaces collapse, the picture stays small', async () => {
    const { buildReport } = await import('../src/report/model.js');
    const { renderHtml } = await import('../src/report/render.js');
    const workloads = Array.from({ length: 300 }, (_, i) => ({
      namespace: `team-${i % 10}`,
      name: `svc-${i}`,
      kind: 'Deployment',
      selector: { app: `svc-${i}` },
      labels: { app: `svc-${i}` },
      ports: [],
      hostNetwork: false,
      source: 'inventory' as const,
    }));
    const network = workloads.slice(0, 200).map((w, i) => ({
      from: { kind: 'workload' as const, namespace: w.namespace, name: w.name },
      to: {
        kind: 'workload' as const,
        namespace: workloads[(i + 7) % 300]!.namespace,
        name: workloads[(i + 7) % 300]!.name,
      },
      protocol: 'TCP' as const,
      port: 8080,
      allowed: { connections: 1, records: 1, firstSeen: '', lastSeen: '', samples: [] },
    }));
    const profile = {
      apiVersion: PROFILE_API_VERSION as typeof PROFILE_API_VERSION,
      kind: 'Profile' as const,
      window: { start: '', end: '' },
      sources: [],
      skipped: {},
      principals: [],
      workloads,
      network,
    };
    const m = await buildReport(profile);
    expect(m.graph.collapsed).toHaveLength(10);
    expect(m.graph.nodes.filter((n) => n.column === 0)).toHaveLength(10);
    expect(m.graph.edges.length).toBeLessThanOrEqual(100);
    expect(renderHtml(m)).toMatch(/team-3 \(30 workloads\)/);
  });
});
