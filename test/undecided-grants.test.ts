// An access whose only records are RequestReceived (no response code, no decision annotation) becomes a rule: the
// audit policy may log that stage alone (design.md, "Undecided records"). Such a request may have been refused, so
// the generate summary says how many rules rest on such records alone, with the first few; an access also seen
// allowed, or seen denied (its RequestReceived record is the denied request's first stage), is not one of them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, removeTmp, tmp } from './helpers/cli.js';

afterAll(removeTmp);

let n = 0;
const ids = new Map<string, number>();
const idOf = (request: string): number => ids.get(request) ?? ids.set(request, ids.size + 1).get(request)!;
function event(user: string, verb: string, resource: string, name: string, stage: string, code?: number): string {
  n++;
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    // The stages of one request share its id.
    auditID: `00000000-0000-4000-8000-${String(idOf(`${user} ${verb} ${resource} ${name}`)).padStart(12, '0')}`,
    stage,
    requestURI: `/api/v1/namespaces/app/${resource}/${name}`,
    verb,
    user: { username: user, groups: ['system:serviceaccounts', 'system:authenticated'] },
    objectRef: { resource, namespace: 'app', name, apiVersion: 'v1' },
    ...(code === undefined ? {} : { responseStatus: { metadata: {}, code } }),
    requestReceivedTimestamp: `2026-11-03T09:00:${String(n).padStart(2, '0')}.000000Z`,
    stageTimestamp: `2026-11-03T09:00:${String(n).padStart(2, '0')}.000000Z`,
  });
}

describe('rules from records with no decision are said in the summary', () => {
  it('counts the accesses with undecided records alone, with examples, and nothing else', () => {
    const ctl = 'system:serviceaccount:app:ctl';
    const api = 'system:serviceaccount:app:api';
    const lines = [
      // Undecided alone: two accesses of ctl, one of api.
      event(ctl, 'get', 'secrets', 'db-root', 'RequestReceived'),
      event(ctl, 'get', 'configmaps', 'flags', 'RequestReceived'),
      event(api, 'get', 'secrets', 'api-key', 'RequestReceived'),
      // Allowed (both stages logged): a rule, not undecided.
      event(ctl, 'get', 'configmaps', 'settings', 'RequestReceived'),
      event(ctl, 'get', 'configmaps', 'settings', 'ResponseComplete', 200),
      // Denied: its RequestReceived is the refused request's first stage, no rule.
      event(api, 'delete', 'pods', 'web-0', 'RequestReceived'),
      event(api, 'delete', 'pods', 'web-0', 'ResponseComplete', 403),
    ];
    const file = join(tmp(), 'audit.log');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = cli(['generate', 'rbac', '--k8s-audit', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('db-root');
    expect(r.stdout).not.toContain('web-0');
    expect(r.stderr).toContain(
      '3 accesses are granted from records with no decision (2 subjects; e.g. ' +
        'system:serviceaccount:app:api get secrets api-key in app; ' +
        'system:serviceaccount:app:ctl get configmaps flags in app; ' +
        'system:serviceaccount:app:ctl get secrets db-root in app): only their RequestReceived stage was logged',
    );
  });

  it('the demo, whose audit policy logs every stage, says nothing of it', () => {
    const r = cli(['generate', 'rbac', '--k8s-audit', 'fixtures/demo/k8s-audit', '-o', tmp()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('generated ');
    expect(r.stderr).not.toContain('no decision');
  });
});
