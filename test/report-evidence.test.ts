// The report's permissions carry their evidence: count, first and last seen, and the ids of the sample records the
// profile keeps (at most 3), on the row of the grant they justify, in HTML and Markdown, escaped.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';

const DEMO = join(ROOT, 'fixtures/demo');

/**
 * The permission rows of one principal's section: Markdown from its <details> to the next </details> (a name GitHub
 * would make a link or an emoji of is in <code>).
 */
function mdSection(md: string, name: string): string[] {
  const start = Math.max(
    md.indexOf(`<details><summary>${name} (`),
    md.indexOf(`<details><summary><code>${name}</code> (`),
  );
  expect(start, name).toBeGreaterThan(0);
  return md
    .slice(start, md.indexOf('</details>', start))
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| permission |'));
}

/** The HTML rows of one principal's section. */
function htmlSection(html: string, name: string): string[] {
  const start = html.indexOf(`<summary><span class="mono">${name}</span>`);
  expect(start, name).toBeGreaterThan(0);
  return html.slice(start, html.indexOf('</details>', start)).split(/(?=<tr>)/);
}

interface AuditRecord {
  auditID: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; name?: string };
}

/** The demo's audit records: the log files (some gzipped) and the webhook's batches (EventLists). */
function demoAuditRecords(): AuditRecord[] {
  const dir = join(DEMO, 'k8s-audit');
  const out: AuditRecord[] = [];
  for (const f of readdirSync(dir).filter((x) => /\.log(\.gz)?$/.test(x))) {
    const raw = readFileSync(join(dir, f));
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    for (const l of text.split('\n')) if (l.trim()) out.push(JSON.parse(l) as AuditRecord);
  }
  for (const f of readdirSync(join(dir, 'webhook')))
    out.push(...(JSON.parse(readFileSync(join(dir, 'webhook', f), 'utf8')) as { items: AuditRecord[] }).items);
  return out;
}

/** The one row whose first cell is `text`. */
function rowOf(rows: string[], first: string): string {
  const found = rows.filter((l) => l.startsWith(first));
  expect(found, first).toHaveLength(1);
  return found[0]!;
}

/** The sample cell of an HTML row: the ids, one a line. */
function htmlIds(row: string): string[] {
  const m = /<td class="mono ids">(.*?)<\/td>/.exec(row);
  expect(m, row).not.toBeNull();
  return m![1]!.split('<br>');
}

/** The sample cell of a Markdown row (the fifth), code spans unwrapped. */
function mdIds(row: string): string[] {
  const cells = row.split(' | ');
  expect(cells, row).toHaveLength(6);
  return cells[4]!.split('<br>').map((c) => c.replace(/^` (.*) `$/, '$1'));
}

describe('each permission of the report names the records behind it', () => {
  const dir = tmp();
  const src = [
    '--k8s-audit',
    join(DEMO, 'k8s-audit'),
    '--flows',
    join(DEMO, 'flows'),
    '--inventory',
    join(DEMO, 'inventory'),
  ];
  const run = (args: string[]) => {
    const r = cli(args);
    expect(r.code, r.stderr).toBe(0);
  };

  it('Kubernetes: a request\u2019s row holds the audit IDs generate\u2019s evidence gives it, each one of that request', () => {
    run(['report', ...src, '-o', join(dir, 'r.md'), '-q']);
    run(['report', ...src, '-o', join(dir, 'r.html'), '-q']);
    run(['generate', 'rbac', '--k8s-audit', join(DEMO, 'k8s-audit'), '-o', join(dir, 'rbac'), '-q']);
    const ev = load(readFileSync(join(dir, 'rbac/evidence/rbac/shop/serviceaccount.shop.web.yaml'), 'utf8')) as {
      policies: { rules: { because: { verb: string; resource: string; name?: string; samples: string[] }[] }[] }[];
    };
    const because = ev.policies
      .flatMap((p) => p.rules.flatMap((r) => r.because))
      .find((b) => b.verb === 'get' && b.resource === 'secrets' && b.name === 'web-tls')!;
    expect(because.samples).toHaveLength(3);
    const md = rowOf(
      mdSection(readFileSync(join(dir, 'r.md'), 'utf8'), 'system:serviceaccount:shop:web'),
      '| get secrets web-tls in shop |',
    );
    expect(mdIds(md)).toEqual(because.samples);
    const html = rowOf(
      htmlSection(readFileSync(join(dir, 'r.html'), 'utf8'), 'system:serviceaccount:shop:web'),
      '<tr><td class="mono">get secrets web-tls in shop</td>',
    );
    expect(htmlIds(html)).toEqual(because.samples);
    // Each id is a record of that very request in the logs.
    const records = demoAuditRecords();
    for (const id of because.samples) {
      const r = records.find((x) => x.auditID === id)!;
      expect(r, id).toBeDefined();
      expect([r.user.username, r.verb, r.objectRef?.resource, r.objectRef?.name]).toEqual([
        'system:serviceaccount:shop:web',
        'get',
        'secrets',
        'web-tls',
      ]);
    }
    // Another request of the same principal holds its own records, not these.
    const other = rowOf(
      mdSection(readFileSync(join(dir, 'r.md'), 'utf8'), 'system:serviceaccount:shop:web'),
      '| list configmaps in shop |',
    );
    for (const id of because.samples) expect(other).not.toContain(id);
  });

  it('network: a connection\u2019s row holds its sample flows (time and addresses), as the evidence file does', () => {
    run([
      'generate',
      'netpol',
      '--flows',
      join(DEMO, 'flows'),
      '--inventory',
      join(DEMO, 'inventory'),
      '-o',
      join(dir, 'np'),
      '-q',
    ]);
    const ev = load(readFileSync(join(dir, 'np/evidence/netpol/ci/job-runner.yaml'), 'utf8')) as {
      egress: { peer: string; ports: string[]; samples: string[] }[];
    };
    // The API server (Hubble's reserved:kube-apiserver), at the address the flows saw it at.
    const rule = ev.egress.find((e) => e.peer === 'API server 10.0.0.20')!;
    expect(rule.ports).toEqual(['TCP/443']);
    const md = rowOf(
      mdSection(readFileSync(join(dir, 'r.md'), 'utf8'), 'ci/job-runner'),
      '| → API server 10.0.0.20 TCP/443 |',
    );
    expect(mdIds(md)).toEqual(rule.samples.map((s) => s.replace(/>/g, '&gt;')));
    const html = rowOf(
      htmlSection(readFileSync(join(dir, 'r.html'), 'utf8'), 'ci/job-runner'),
      '<tr><td class="mono">→ API server 10.0.0.20 TCP/443</td>',
    );
    expect(htmlIds(html)).toEqual(rule.samples.map((s) => s.replace(/>/g, '&gt;')));
    // A denied connection names its record too.
    const denied = rowOf(
      mdSection(readFileSync(join(dir, 'r.md'), 'utf8'), 'ci/job-runner'),
      '| → payments/payments-api TCP/8443 (denied) |',
    );
    expect(mdIds(denied)).toEqual(['2026-11-05T14:07:00.000348Z 10.0.2.130:45714&gt;10.0.2.110:8443']);
  });
});

describe('AWS: an action on a resource needed by several calls', () => {
  const HOSTILE = '"><script>window.__pwned=1</script><img src=x onerror=alert(1)>|`x`';
  const call = (eventName: string, second: number, eventID: string, errorCode?: string) => ({
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/reader/s',
      accountId: '111122223333',
      sessionContext: {
        sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/reader', accountId: '111122223333' },
      },
    },
    eventTime: `2026-11-02T08:00:0${second}Z`,
    eventSource: 's3.amazonaws.com',
    eventName,
    awsRegion: 'eu-west-1',
    requestParameters: { bucketName: 'acme-data', key: 'in/a.csv' },
    eventID,
    ...(errorCode ? { errorCode, errorMessage: 'Access Denied' } : {}),
  });
  const trail = {
    Records: [
      call('HeadObject', 4, 'h-2'),
      call('GetObject', 3, 'g-2'),
      call('HeadObject', 2, 'h-1'),
      call('GetObject', 1, HOSTILE),
      call('GetObject', 5, 'g-3'),
      call('DeleteObject', 6, '<b>denied</b>', 'AccessDenied'),
    ],
  };
  const dir = tmp();
  writeFileSync(join(dir, 'ct.json'), JSON.stringify(trail));
  const report = (f: string) => {
    const r = cli(['report', '--cloudtrail', join(dir, 'ct.json'), '-o', join(dir, f), '-q']);
    expect(r.code, r.stderr).toBe(0);
    return readFileSync(join(dir, f), 'utf8');
  };
  const ROLE = 'arn:aws:iam::111122223333:role/reader';

  it('HTML: the row holds the earliest records of both calls, the hostile id as text', () => {
    const html = report('r.html');
    expect(html).not.toMatch(/<script|<img|<b>denied/i);
    const rows = htmlSection(html, ROLE);
    const row = rowOf(rows, '<tr><td class="mono">s3:GetObject on arn:aws:s3:::acme-data/in/a.csv</td>');
    expect(row).toContain(
      '<td class="n">5</td><td class="mono t">2026-11-02T08:00:01.000000Z</td><td class="mono t">2026-11-02T08:00:05.000000Z</td>',
    );
    // GetObject's first record, HeadObject's first, GetObject's second: three of five, by time.
    expect(htmlIds(row)).toEqual([
      '&quot;&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;|`x`',
      'h-1',
      'g-2',
    ]);
    const denied = rowOf(rows, '<tr><td class="mono denied">s3:DeleteObject on arn:aws:s3:::acme-data/in/a.csv <span');
    expect(htmlIds(denied)).toEqual(['&lt;b&gt;denied&lt;/b&gt;']);
  });

  it('Markdown: the same ids, escaped in their cell; the table keeps its columns', () => {
    const md = report('r.md');
    expect(md).not.toMatch(/<script|<img|<b>denied/i);
    const rows = mdSection(md, ROLE);
    const row = rowOf(rows, '| s3:GetObject on ');
    const ids = mdIds(row);
    expect(ids.slice(1)).toEqual(['h-1', 'g-2']);
    // The hostile id is text: markup as entities, its pipe escaped (the row has its six cells), its backticks too.
    expect(ids[0]).not.toMatch(/[<>]|(^|[^\\])\|/);
    expect(ids[0]).toContain('&lt;script&gt;');
    expect(row.replace(/\\\|/g, '').split(' | ')).toHaveLength(6);
    expect(rowOf(rows, '| s3:DeleteObject on ')).toContain('&lt;b&gt;denied&lt;/b&gt;');
  });
});
