// A user in system:masters is allowed every request before RBAC is asked (the API server's privileged-group
// authorizer), so the Role made for it restricts nothing while its credential stays in the group: generate and the
// report say so. The rows are AKS's: an AKSAudit row of Log Analytics (as `az monitor log-analytics query` saves it)
// for the admin kubeconfig's `masterclient` (groups system:masters, system:authenticated, as AKS logs it), and a
// plain Event for kubeadm's `kubernetes-admin` certificate.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

const MASTERS = ['system:masters', 'system:authenticated'];

function aksRow(id: string, user: string, groups: string[], verb: string, ns: string) {
  return {
    TimeGenerated: '2026-11-02T10:00:00.4298698Z',
    Level: 'Metadata',
    AuditId: id,
    Stage: 'ResponseComplete',
    RequestUri: `/api/v1/namespaces/${ns}/configmaps?limit=500`,
    Verb: verb,
    User: JSON.stringify({ username: user, groups }),
    SourceIps: '["203.0.113.50","10.244.0.7"]',
    UserAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
    ObjectRef: JSON.stringify({ resource: 'configmaps', apiVersion: 'v1', namespace: ns }),
    ResponseStatus: '{"metadata":{},"code":200}',
    RequestReceivedTime: '2026-11-02T10:00:00.4100000Z',
    StageReceivedTime: '2026-11-02T10:00:00.4298698Z',
    Annotations: '{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}',
    Type: 'AKSAudit',
  };
}

function event(id: string, user: string, groups: string[]) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: id,
    stage: 'ResponseComplete',
    requestURI: '/apis/apps/v1/namespaces/shop/deployments/web',
    verb: 'get',
    user: { username: user, groups },
    sourceIPs: ['10.0.0.5'],
    objectRef: { resource: 'deployments', namespace: 'shop', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2026-11-02T11:00:00.000000Z',
    stageTimestamp: '2026-11-02T11:00:00.010000Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  };
}

function logs(): string {
  const dir = tmp('privileged-');
  const rows = [
    aksRow('43af2d39-6ad2-4266-9196-c144db8cf714', 'masterclient', MASTERS, 'list', 'default'),
    aksRow('0b1c2d3e-0000-4000-8000-000000000001', 'alice@example.com', ['system:authenticated'], 'list', 'default'),
  ];
  writeFileSync(join(dir, 'aksaudit.json'), JSON.stringify(rows));
  writeFileSync(
    join(dir, 'kubeadm.log'),
    JSON.stringify(event('e1', 'kubernetes-admin', ['kubeadm:cluster-admins', ...MASTERS])) + '\n',
  );
  return dir;
}

const WARNING = (u: string) =>
  `${u} is in system:masters: the API server allows its every request before RBAC is asked, so the RBAC made for ` +
  'it restricts nothing until its credential leaves that group';

describe('users in system:masters', () => {
  it('generate makes their RBAC and says it restricts nothing; a user outside the group gets no such line', () => {
    const dir = logs();
    const out = join(tmp('privileged-out-'), 'policy');
    const r = cli(['generate', 'rbac', '--k8s-audit', dir, '-o', out]);
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines).toContain(WARNING('kubernetes-admin'));
    expect(lines).toContain(WARNING('masterclient'));
    // Sorted, once each, and none for alice, who is not in the group.
    expect(lines.filter((l) => l.includes('is in system:masters'))).toEqual([
      WARNING('kubernetes-admin'),
      WARNING('masterclient'),
    ]);
    expect(r.stderr).not.toContain('alice@example.com is in');
    expect(r.stderr).toMatch(/generated \d+ RBAC objects with \d+ rules for 3 subjects/);
  });

  it('the report lists each as a coverage warning', () => {
    const dir = logs();
    const html = join(tmp('privileged-html-'), 'report.html');
    const r = cli(['report', '--k8s-audit', dir, '-o', html]);
    expect(r.code).toBe(0);
    const text = readFileSync(html, 'utf8');
    const warnings = [...text.matchAll(/<li>([^<]*is in system:masters[^<]*)<\/li>/g)].map((m) => m[1]);
    expect(warnings.sort()).toEqual([WARNING('kubernetes-admin'), WARNING('masterclient')]);
    // One request each: said in the singular.
    expect(text).toContain('<li>masterclient made only 1 request: its profile may be incomplete</li>');
  });
});
