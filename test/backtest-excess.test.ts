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
    it('names the pairs of workloads that never talked and may', () => {
      const flows = join(CORPUS, 'flows/cilium__hubble-otel/testdata');
      const r = cli(['backtest', '--flows', flows, '--holdout', '10m', '-q']);
      expect(r.code, r.stderr).toBe(0);
      // The workloads of either window (istio-system's and kube-system's talked in training only): the pairs open are
      // those between namespaces without a default deny (istio-system holds a workload without stable labels,
      // kube-system is a system namespace, jaeger had no traffic in training), named, not only counted.
      expect(r.stdout).toContain(
        '  netpol: 12 of 224 workload pairs that never talked allowed (5.4%)\n' +
          '    e.g. istio-system/jaeger → jaeger/jaeger-default\n',
      );
      const j = JSON.parse(cli(['backtest', '--flows', flows, '--holdout', '10m', '-q', '--format', 'json']).stdout);
      expect(j.excess.netpol).toMatchObject({ samples: 224, allowed: 12, share: 5.36 });
      expect(j.excess.netpol.examples).toContain('jaeger/jaeger-default → kube-system/otelcol-hubble');
    });
  },
);

/**
 * Network excess counts the pairs that never talked in either window, as RBAC and IAM take other principals' accesses
 * from either window: web → cache talked in training only, so the policies' rule for it is no excess. Measured on the
 * held-out day alone, it was "a pair that never talked" and allowed: 1 of 4.
 */
describe('backtest netpol excess over both windows', () => {
  const pod = (name: string, app: string) => ({
    namespace: 'shop',
    pod_name: `${name}-6c8d9f7b45-hzmb6`,
    labels: [`k8s:app=${app}`, 'k8s:io.kubernetes.pod.namespace=shop'],
    workloads: [{ name, kind: 'Deployment' }],
  });
  const flow = (day: number, from: string, to: string, port: number) =>
    JSON.stringify({
      flow: {
        time: `2026-12-0${day}T01:00:00.000000000Z`,
        verdict: 'FORWARDED',
        IP: { source: '10.20.1.10', destination: '10.20.1.11', ipVersion: 'IPv4' },
        l4: { TCP: { source_port: 40000 + port, destination_port: port, flags: { SYN: true } } },
        source: pod(from, from),
        destination: pod(to, to),
        Type: 'L3_L4',
        is_reply: false,
        traffic_direction: 'EGRESS',
      },
    });

  it('a pair that talked in training only is no sample', () => {
    const lines: string[] = [];
    for (let d = 1; d <= 4; d++) {
      lines.push(flow(d, 'web', 'api', 8080), flow(d, 'api', 'cache', 6379));
      if (d < 4) lines.push(flow(d, 'web', 'cache', 6379));
    }
    const file = join(tmp(), 'hubble.json');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = cli(['backtest', '--flows', file, '--split', '2026-12-04T00:00:00Z', '--format', 'json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const bt = JSON.parse(r.stdout);
    expect(bt.byKind.netpol).toMatchObject({ observed: 2, allowed: 2 });
    // web, api, cache: 6 ordered pairs, 3 of which talked (web → cache in training only).
    expect(bt.excess.netpol).toEqual({ samples: 3, allowed: 0, share: 0 });
  });
});
