// The API server asks its authorizers in turn, and the record's `authorization.k8s.io/reason` is the reason of the one
// that allowed the request: RBAC's starts `RBAC: ` ("RBAC: allowed by RoleBinding ..."). A principal whose requests
// another authorizer allowed (a webhook: EKS access policies, GKE IAM, AKS Azure RBAC) is not restricted by the RBAC
// made for it: the profile counts those requests with the smallest reason, merges them as it merges evidence, and
// generate and the report say so. The webhook reasons below are made up (free text, whatever the webhook answers):
// the rule is RBAC's prefix, not any provider's wording.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';
import { profileLinesOf } from './helpers/profile.js';
import { outsideRbacReason } from '../src/knowledge/kubernetes/outsideRbac.js';

const WEBHOOK = 'allowed by access policy "ClusterEdit" associated with the principal';
const WEBHOOK_B = 'access granted by cloud IAM role "developer"';
const RBAC = 'RBAC: allowed by RoleBinding "web/shop" of Role "web" to ServiceAccount "web/shop"';

function event(id: string, user: string, verb: string, decision: string, reason: string | undefined, t: number) {
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: id,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/shop/configmaps`,
    verb,
    user: { username: user, groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.5'],
    objectRef: { resource: 'configmaps', namespace: 'shop', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: decision === 'allow' ? 200 : 403 },
    requestReceivedTimestamp: new Date(Date.UTC(2026, 10, 2, 10, 0, t)).toISOString(),
    stageTimestamp: new Date(Date.UTC(2026, 10, 2, 10, 0, t)).toISOString(),
    annotations: {
      'authorization.k8s.io/decision': decision,
      ...(reason === undefined ? {} : { 'authorization.k8s.io/reason': reason }),
    },
  });
}

const LINES = [
  event('a1', 'dev@example.com', 'list', 'allow', WEBHOOK, 1),
  event('a2', 'dev@example.com', 'get', 'allow', WEBHOOK_B, 2),
  event('a3', 'dev@example.com', 'watch', 'allow', RBAC, 3),
  // Refused, or no reason: not counted.
  event('a4', 'dev@example.com', 'delete', 'forbid', 'denied by webhook', 4),
  event('a5', 'dev@example.com', 'create', 'allow', '', 5),
  event('b1', 'system:serviceaccount:shop:web', 'list', 'allow', RBAC, 6),
];

type PrincipalLine = { principal: { username: string; outsideRbac?: { count: number; reason: string } } };
const principals = (file: string) =>
  profileLinesOf(file)
    .filter((l): l is PrincipalLine => 'principal' in l)
    .map((l) => l.principal);

describe('requests allowed by another authorizer than RBAC', () => {
  const dir = tmp('outside-rbac-');
  const p = (n: string) => join(dir, n);
  writeFileSync(p('all.log'), LINES.join('\n') + '\n');
  writeFileSync(p('a.log'), [LINES[1], LINES[3]].join('\n') + '\n');
  writeFileSync(p('b.log'), [LINES[0], LINES[2], LINES[4], LINES[5]].join('\n') + '\n');

  it('the profile counts them per principal with the smallest reason; RBAC, refused and empty reasons do not count', () => {
    expect(cli(['profile', '--k8s-audit', p('all.log'), '-o', p('all.json'), '-q']).code).toBe(0);
    const all = principals(p('all.json'));
    expect(all.map((x) => x.username)).toEqual(['system:serviceaccount:shop:web', 'dev@example.com']);
    const [web, dev] = all;
    expect(dev!.outsideRbac).toEqual({ count: 2, reason: WEBHOOK_B });
    expect(web).not.toHaveProperty('outsideRbac');
  });

  it('merged from shards in either order: the profile of the whole', () => {
    for (const s of ['a', 'b'])
      expect(cli(['profile', '--k8s-audit', p(`${s}.log`), '-o', p(`${s}.json`), '-q']).code).toBe(0);
    expect(cli(['merge', p('a.json'), p('b.json'), '-o', p('ab.json'), '-q']).code).toBe(0);
    expect(cli(['merge', p('b.json'), p('a.json'), '-o', p('ba.json'), '-q']).code).toBe(0);
    expect(readFileSync(p('ab.json'))).toEqual(readFileSync(p('ba.json')));
    expect(principals(p('ab.json'))).toEqual(principals(p('all.json')));
  });

  it('generate and the report say that the RBAC made for it does not restrict what that authorizer grants', () => {
    const warning =
      `dev@example.com: 2 requests were allowed by another authorizer than RBAC (e.g. "${WEBHOOK_B}"): the RBAC ` +
      'made for it does not restrict what that authorizer grants; narrow it there';
    const g = cli(['generate', 'rbac', '--k8s-audit', p('all.log'), '-o', p('policy')]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr.split('\n')).toContain(warning);
    expect(g.stderr).not.toMatch(/shop:web: \d+ requests? w/);
    expect(cli(['report', '--profile', p('all.json'), '-o', p('r.html'), '-q']).code).toBe(0);
    expect(readFileSync(p('r.html'), 'utf8')).toContain(`<li>${warning.replace(/"/g, '&quot;')}</li>`);
  });

  it('GKE: the reason label of a Cloud Logging entry (and of its BigQuery row) counts as the annotation does', () => {
    const entry = (id: string, reason: string) => ({
      insertId: id,
      logName: 'projects/acme/logs/cloudaudit.googleapis.com%2Fdata_access',
      labels: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': reason },
      operation: { id, producer: 'k8s.io', first: true, last: true },
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        authenticationInfo: { principalEmail: 'dev@acme.example' },
        methodName: 'io.k8s.core.v1.configmaps.list',
        resourceName: 'core/v1/namespaces/shop/configmaps',
        serviceName: 'k8s.io',
      },
      timestamp: '2026-11-02T10:00:00.000000Z',
    });
    writeFileSync(p('gke.json'), JSON.stringify([entry('g1', WEBHOOK_B), entry('g2', RBAC)]));
    const row = {
      insertId: 'g3',
      timestamp: '2026-11-02 10:00:01.000000 UTC',
      labels: { authorization_k8s_io_decision: 'allow', authorization_k8s_io_reason: WEBHOOK },
      operation: { id: 'g3' },
      protopayload_auditlog: {
        authenticationInfo: { principalEmail: 'dev@acme.example' },
        methodName: 'io.k8s.core.v1.configmaps.get',
        resourceName: 'core/v1/namespaces/shop/configmaps/app',
        serviceName: 'k8s.io',
      },
    };
    writeFileSync(p('gke-bq.json'), JSON.stringify(row) + '\n');
    const r = cli(['profile', '--k8s-audit', p('gke.json'), p('gke-bq.json'), '-o', p('gke-profile.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3 records/);
    expect(principals(p('gke-profile.json'))).toEqual([
      expect.objectContaining({ username: 'dev@acme.example', outsideRbac: { count: 2, reason: WEBHOOK_B } }),
    ]);
  });

  it('check: an RBAC denial of such a principal says that another authorizer allowed its requests in those logs', () => {
    writeFileSync(p('soak.log'), LINES[2] + '\n');
    expect(cli(['generate', 'rbac', '--k8s-audit', p('soak.log'), '-o', p('soak-policy'), '-q']).code).toBe(0);
    const r = cli(['check', '--policies', p('soak-policy/rbac'), '--k8s-audit', p('all.log')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `      in these logs another authorizer than RBAC allowed 2 of its requests (e.g. "${WEBHOOK_B}"): RBAC alone ` +
        'would deny this, the cluster may not while that grant stays\n',
    );
    // dev's three denials carry it; the service account's (its requests were RBAC's) does not.
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.includes('another authorizer'))).toHaveLength(3);
    const web = lines.indexOf('  rbac system:serviceaccount:shop:web');
    expect(web).toBeGreaterThan(0);
    expect(lines[web + 1]).toMatch(/^ {4}list configmaps in shop /);
    expect(lines[web + 2] ?? '').not.toContain('another authorizer');
  });

  it('a reason is made safe: control characters and line breaks as spaces, bounded, RBAC by its exact prefix', () => {
    expect(outsideRbacReason({ 'authorization.k8s.io/reason': 'a\nb\u001b[31mc\u2028d' })).toBe('a b [31mc d');
    expect(outsideRbacReason({ 'authorization.k8s.io/reason': 'x'.repeat(500) })).toBe('x'.repeat(200) + '…');
    expect(outsideRbacReason({ 'authorization.k8s.io/reason': RBAC })).toBeUndefined();
    // Another authorizer's reason that only mentions RBAC is still another authorizer's.
    expect(outsideRbacReason({ 'authorization.k8s.io/reason': 'RBACish: allowed' })).toBe('RBACish: allowed');
    for (const none of [undefined, null, '', ' \n ', 42, ['x']])
      expect(outsideRbacReason({ 'authorization.k8s.io/reason': none })).toBeUndefined();
    expect(outsideRbacReason(undefined)).toBeUndefined();
  });
});
