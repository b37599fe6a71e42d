// AKS's cheaper diagnostic category, kube-audit-admin (Log Analytics table AKSAuditAdmin), leaves get and list out
// ("excluding events with the get and list verbs": Azure Monitor's table reference), GKE writes reads only to Data
// Access logs a project must enable, and any audit policy at level None for reads does the same. RBAC made from such
// logs grants no reads; a backtest on the same logs cannot see it. The generate summary, the report and backtest say
// so; logs with reads say nothing. AKS's records name their category: `profile` says it once, from that, whatever the
// count, unless kube-audit records (every request) were read beside them.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

const AUDIT = 'fixtures/demo/k8s-audit';
const RID =
  '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/SHOP/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/STAGING';

/** The demo's API server log files, each line one Event (the webhook batches in the directory beside them left out). */
function demoEventLines(): string[] {
  const out: string[] = [];
  for (const f of readdirSync(AUDIT)
    .sort()
    .filter((f) => statSync(join(AUDIT, f)).isFile())) {
    const bytes = readFileSync(join(AUDIT, f));
    const text = (f.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
    for (const line of text.split('\n')) if (line.trim()) out.push(line);
  }
  return out;
}

/** An AKS diagnostic record of a category, as a diagnostic setting writes it to a storage account (PT1H.json). */
const diagnosticRecord = (line: string, category: string) => ({
  time: (JSON.parse(line) as { stageTimestamp: string }).stageTimestamp,
  resourceId: RID,
  category,
  operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
  properties: { log: line, stream: 'stdout', pod: 'kube-apiserver-6b4f8f9d8c-x2klq' },
});
const isRead = (line: string) => /"verb":"(get|list)"/.test(line);

/** The demo's audit log as AKS's diagnostic setting writes kube-audit-admin to a storage account: no get, no list. */
function adminOnly(): string {
  const records = demoEventLines()
    .filter((l) => !isRead(l))
    .map((l) => diagnosticRecord(l, 'kube-audit-admin'));
  const file = join(tmp('reads-'), 'PT1H.json');
  writeFileSync(file, JSON.stringify({ records }));
  return file;
}

/**
 * A week of a deployer's writes as GKE's Admin Activity audit log holds them (Cloud Logging entries of service k8s.io,
 * `cloudaudit.googleapis.com%2Factivity`, one per line as a log sink writes them): its reads would be Data Access
 * entries, which the project never enabled.
 */
function gkeAdminActivity(): string {
  const lines: string[] = [];
  const writes = [
    ['io.k8s.apps.v1.deployments.patch', 'apps/v1/namespaces/shop/deployments/web'],
    ['io.k8s.core.v1.configmaps.update', 'core/v1/namespaces/shop/configmaps/web-config'],
    ['io.k8s.core.v1.secrets.create', 'core/v1/namespaces/shop/secrets'],
  ];
  for (let i = 0; i < 24; i++) {
    const [method, resourceName] = writes[i % writes.length]!;
    const t = `2026-11-0${2 + (i % 7)}T0${i % 10}:00:00.123456Z`;
    lines.push(
      JSON.stringify({
        protoPayload: {
          '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
          authenticationInfo: { principalEmail: 'system:serviceaccount:ci:deployer' },
          authorizationInfo: [{ permission: method, granted: true, resource: resourceName }],
          methodName: method,
          requestMetadata: { callerIp: '10.0.0.17', callerSuppliedUserAgent: 'kubectl/v1.34.1 (linux/amd64)' },
          resourceName,
          serviceName: 'k8s.io',
          status: {},
        },
        insertId: `gke-${i}`,
        resource: {
          type: 'k8s_cluster',
          labels: { cluster_name: 'shop-staging', location: 'europe-west1', project_id: 'shop-staging-1234' },
        },
        timestamp: t,
        severity: 'NOTICE',
        logName: 'projects/shop-staging-1234/logs/cloudaudit.googleapis.com%2Factivity',
        operation: { id: `op-${i}`, producer: 'k8s.io', first: true, last: true },
        receiveTimestamp: t,
      }),
    );
  }
  const file = join(tmp('reads-gke-'), 'activity.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const SAID = /the audit logs hold no get or list request among [\d,]+ others: their audit policy left reads out/;

describe('audit logs that left reads out', () => {
  it('generate and the report say so for kube-audit-admin; the same soak with its reads says nothing', () => {
    const admin = adminOnly();
    const g = cli(['generate', 'rbac', '--k8s-audit', admin, '-o', tmp('reads-out-')]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toMatch(SAID);
    expect(g.stderr).toContain("AKS's kube-audit-admin category and AKSAuditAdmin table do");
    expect(g.stderr).toContain('GKE: enable Data Access audit logs for Kubernetes Engine');
    const md = join(tmp('reads-report-'), 'report.md');
    expect(cli(['report', '--k8s-audit', admin, '-o', md]).code).toBe(0);
    expect(readFileSync(md, 'utf8')).toMatch(SAID);

    const full = cli(['generate', 'rbac', '--k8s-audit', AUDIT, '-o', tmp('reads-out-')]);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stderr).not.toMatch(/hold no get or list/);
    const fullMd = join(tmp('reads-report-'), 'report.md');
    expect(cli(['report', '--k8s-audit', AUDIT, '-o', fullMd]).code).toBe(0);
    expect(readFileSync(fullMd, 'utf8')).not.toMatch(/hold no get or list/);
  });

  it("profile says it once from the records' category, naming kube-audit, over hourly PT1H.json files", () => {
    // A storage account's layout: a container per category, a PT1H.json per hour, one record per line. A few records,
    // far fewer than the count the policy's own check needs: the category says it.
    const events = demoEventLines();
    const writes = events.filter((l) => !isRead(l)).slice(0, 12);
    const root = tmp('reads-aks-');
    const hour = (category: string, h: number, lines: string[]) => {
      const dir = join(
        root,
        `insights-logs-${category}`,
        `resourceId=${RID}`,
        'y=2026',
        'm=11',
        'd=09',
        `h=0${h}`,
        'm=00',
      );
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'PT1H.json'),
        lines.map((l) => JSON.stringify(diagnosticRecord(l, category))).join('\n') + '\n',
      );
    };
    for (let h = 0; h < 3; h++) hour('kube-audit-admin', h, writes.slice(h * 4, h * 4 + 4));
    const admin = join(root, 'insights-logs-kube-audit-admin');
    const r = cli(['profile', '--k8s-audit', admin, '-o', join(tmp('reads-p-'), 'p.json')]);
    expect(r.code, r.stderr).toBe(0);
    const said = r.stderr.split('\n').filter((l) => l.includes('kube-audit-admin category'));
    expect(said).toEqual([
      expect.stringMatching(
        /^notice: the AKS audit records read are all of the kube-audit-admin category \(12, the first at .*h=00\/m=00\/PT1H\.json:1\), which leaves out every get and list request: .* enable the kube-audit category/,
      ),
    ]);
    // The same with the kube-audit container beside it (every request, reads among them): nothing to say.
    hour('kube-audit', 0, events.slice(0, 30));
    const both = cli(['profile', '--k8s-audit', root, '-o', join(tmp('reads-p-'), 'p.json')]);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stderr).not.toContain('kube-audit-admin category');
  });

  it('Log Analytics rows of AKSAuditAdmin, or AzureDiagnostics rows of Category kube-audit-admin, say it too', () => {
    const writes = demoEventLines()
      .filter((l) => !isRead(l))
      .slice(0, 5);
    const dir = tmp('reads-la-');
    // `az monitor log-analytics query` prints the rows as a JSON array of objects, one key per column.
    const auditAdmin = writes.map((line) => {
      const e = JSON.parse(line) as Record<string, unknown>;
      const d = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));
      return {
        TimeGenerated: e['stageTimestamp'],
        Level: e['level'],
        AuditId: e['auditID'],
        Stage: e['stage'],
        RequestUri: e['requestURI'],
        Verb: e['verb'],
        User: d(e['user']),
        UserAgent: e['userAgent'] ?? '',
        SourceIps: d(e['sourceIPs']),
        ObjectRef: d(e['objectRef']),
        ResponseStatus: d(e['responseStatus']),
        RequestReceivedTime: e['requestReceivedTimestamp'],
        StageReceivedTime: e['stageTimestamp'],
        Annotations: d(e['annotations']),
        PodName: 'kube-apiserver-6b4f8f9d8c-x2klq',
        Type: 'AKSAuditAdmin',
        _ResourceId: RID.toLowerCase(),
      };
    });
    const diagnostics = writes.map((line) => ({
      TimeGenerated: (JSON.parse(line) as { stageTimestamp: string }).stageTimestamp,
      ResourceId: RID,
      Category: 'kube-audit-admin',
      log_s: line,
      pod_s: 'kube-apiserver-6b4f8f9d8c-x2klq',
      Type: 'AzureDiagnostics',
    }));
    for (const [name, rows] of [
      ['aksauditadmin.json', auditAdmin],
      ['azurediagnostics.json', diagnostics],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify(rows, null, 2) + '\n');
      const r = cli(['profile', '--k8s-audit', file, '-o', join(dir, `${name}.profile`)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr, name).toContain('read 1 file');
      expect(r.stderr, name).toMatch(
        new RegExp(
          `notice: the AKS audit records read are all of the kube-audit-admin category \\(5, the first at .*${name}:1\\)`,
        ),
      );
    }
  });

  it("GKE's Admin Activity log alone (Data Access logs not enabled) says so too", () => {
    const g = cli(['generate', 'rbac', '--k8s-audit', gkeAdminActivity(), '-o', tmp('reads-out-')]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toContain('read 1 file');
    expect(g.stderr).toMatch(/the audit logs hold no get or list request among 24 others/);
  });

  it('backtest puts it beside its figure, which such logs cannot move', () => {
    const split = ['--split', '2026-11-08T00:00:00Z'];
    const admin = adminOnly();
    const text = cli(['backtest', '--k8s-audit', admin, ...split]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/breakage 0\.0%\)\ntrain .*\nby kind: .*\ncaveat: the audit logs hold no get or list/);
    const json = JSON.parse(cli(['backtest', '--k8s-audit', admin, ...split, '--format', 'json']).stdout) as {
      caveats?: string[];
    };
    expect(json.caveats).toEqual([expect.stringMatching(SAID)]);
    expect(cli(['backtest', '--k8s-audit', admin, ...split, '--format', 'markdown']).stdout).toMatch(
      /> ⚠️ the audit logs hold no get or list/,
    );
    const full = JSON.parse(cli(['backtest', '--k8s-audit', AUDIT, ...split, '--format', 'json']).stdout) as object;
    expect(full).not.toHaveProperty('caveats');
  });
});
