import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, CORPUS, HAS_CORPUS, tmp } from './helpers/cli.js';

/**
 * Excess says whose policy is the broad one. Two service accounts in one namespace: `reader` gets three configmaps
 * by name, which `--widen-names 2` turns into "any configmap in shop"; `writer` gets another configmap and lists
 * pods. Given each other's accesses as their own, reader's policy allows writer's configmap (1 of its 2 samples) and
 * writer's allows none of reader's 3: the excess is 1 of 5, all of it reader's.
 */
function soak(): string {
  const lines: string[] = [];
  let i = 0;
  const ev = (sa: string, verb: string, resource: string, name: string, day: number) =>
    JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: `x-${i++}`,
      stage: 'ResponseComplete',
      requestURI: `/api/v1/namespaces/shop/${resource}${name ? `/${name}` : ''}`,
      verb,
      user: { username: `system:serviceaccount:shop:${sa}`, groups: ['system:authenticated'] },
      objectRef: { resource, namespace: 'shop', ...(name ? { name } : {}), apiVersion: 'v1' },
      responseStatus: { code: 200 },
      requestReceivedTimestamp: `2026-11-0${day}T10:00:0${i % 10}.000000Z`,
      annotations: { 'authorization.k8s.io/decision': 'allow' },
    });
  for (let d = 2; d <= 5; d++) {
    for (const n of ['a', 'b', 'c']) lines.push(ev('reader', 'get', 'configmaps', n, d));
    lines.push(ev('writer', 'get', 'configmaps', 'd', d));
    lines.push(ev('writer', 'list', 'pods', '', d));
  }
  return lines.join('\n') + '\n';
}

let log = '';
beforeAll(() => {
  log = join(tmp(), 'audit.log');
  writeFileSync(log, soak());
});

const ARGS = ['backtest', '--split', '2026-11-04T00:00:00Z', '--widen-names', '2', '-q'];

describe('backtest excess per subject', () => {
  it('JSON names the subject whose policy allowed samples, with its samples and allowed count', () => {
    const r = cli([...ARGS, '--k8s-audit', log, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const excess = JSON.parse(r.stdout).excess;
    expect(excess.rbac).toEqual({
      samples: 5,
      allowed: 1,
      share: 20,
      bySubject: { 'system:serviceaccount:shop:reader': { samples: 2, allowed: 1 } },
    });
  });

  it('without the widening nobody’s policy allows another’s access: no subject listed', () => {
    const r = cli([...ARGS.filter((a) => a !== '--widen-names' && a !== '2'), '--k8s-audit', log, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).excess.rbac).toEqual({ samples: 5, allowed: 0, share: 0 });
  });

  it('text and markdown say whose policy it is', () => {
    const t = cli([...ARGS, '--k8s-audit', log]).stdout;
    expect(t).toContain(
      "  rbac: 1 of 5 other principals' accesses allowed (20.0%)\n    most: system:serviceaccount:shop:reader 1 of 2 (50.0%)\n",
    );
    const md = cli([...ARGS, '--k8s-audit', log, '--format', 'markdown']).stdout;
    expect(md).toContain(
      // mdCell: names with colons in code spans (no emoji shortcodes), parentheses escaped.
      "| rbac (other principals' accesses) | 5 | 1 | 20.0% | ` system:serviceaccount:shop:reader ` 1 of 2 \\(50.0%\\) |",
    );
  });
});

describe.skipIf(!HAS_CORPUS)(
  'backtest excess on ../shared/corpus Hubble flows: the pairs a NetworkPolicy allows',
  () => {
    it('names the pair of workloads that never talked and may', () => {
      const flows = join(CORPUS, 'flows/cilium__hubble-otel/testdata');
      const r = cli(['backtest', '--flows', flows, '--holdout', '10m', '-q']);
      expect(r.code, r.stderr).toBe(0);
      // One pair of workloads that never talked is left open by the generated policies: named, not only counted.
      expect(r.stdout).toContain(
        '  netpol: 1 of 63 workload pairs that never talked allowed (1.6%)\n    e.g. jaeger/jaeger-default → kube-system/otelcol-hubble\n',
      );
      const j = JSON.parse(cli(['backtest', '--flows', flows, '--holdout', '10m', '-q', '--format', 'json']).stdout);
      expect(j.excess.netpol).toEqual({
        samples: 63,
        allowed: 1,
        share: 1.59,
        examples: ['jaeger/jaeger-default → kube-system/otelcol-hubble'],
      });
    });
  },
);
