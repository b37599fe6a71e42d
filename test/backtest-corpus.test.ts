import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, CORPUS, HAS_CORPUS } from './helpers/cli.js';

/**
 * The backtest on the real logs in ../shared/corpus, at the splits docs/backtest-corpus.md gives (about 65% into each
 * set's time range): the figures that page reports, and that every held-out access the policy would deny is new
 * behaviour (a verb, resource, URL, namespace, call or principal training never saw), not a made-up name or a misread
 * record. When the generator changes one of these figures, the page changes with it.
 */

interface Run {
  observed: number;
  allowed: number;
  wouldDeny: { kind: string; subject: string; reason: string; access: Record<string, unknown> }[];
  excess?: Record<string, { samples: number; allowed: number }>;
}

function backtest(args: string[]): Run {
  const r = cli(['backtest', '-q', '--format', 'json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Run;
}

const excess = (r: Run) =>
  Object.fromEntries(Object.entries(r.excess ?? {}).map(([k, v]) => [k, [v.allowed, v.samples]]));
const reasons = (r: Run) => r.wouldDeny.map((d) => `${d.subject}: ${d.reason}`);

const A2R = join(CORPUS, 'k8s-audit/liggitt__audit2rbac');
const FALCO = join(CORPUS, 'k8s-audit/falcosecurity__falco/test/trace_files/k8s_audit');
const OTRF = join(
  CORPUS,
  'cloudtrail/OTRF__Security-Datasets/datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration_2020-09-14011940.json',
);
const HUBBLE = join(CORPUS, 'flows/cilium__hubble-otel/testdata');

describe.skipIf(!HAS_CORPUS)('backtest on ../shared/corpus (docs/backtest-corpus.md)', () => {
  it("audit2rbac (2017, 34 minutes): bob's new discovery URLs are the cluster's default grants, not breakage", () => {
    for (const log of ['testdata/demo.log', 'at-501d132ac21d46da9d9baa9d8f971cf55cdf8ef4/testdata/demo.log']) {
      const r = backtest(['--k8s-audit', join(A2R, log), '--split', '2017-09-11T20:17:00Z']);
      expect([r.observed, r.allowed, r.wouldDeny.length]).toEqual([24, 24, 0]);
      expect(excess(r)).toEqual({ rbac: [0, 3] });
      // A cluster that removed the default bindings: kubectl's discovery at 20:27:42 is what would break.
      const hard = backtest(['--k8s-audit', join(A2R, log), '--split', '2017-09-11T20:17:00Z', '--no-default-grants']);
      expect([hard.observed, hard.allowed]).toEqual([24, 1]);
      expect(excess(hard)).toEqual({ rbac: [0, 49] });
      expect(hard.wouldDeny).toHaveLength(23);
      for (const d of hard.wouldDeny) {
        expect(d.subject).toBe('bob');
        expect(d.reason).toMatch(/^a new URL \/apis?(\/|$)/);
      }
    }
  });

  it('falco (2018 session): every denial is a verb, resource or namespace minikube-user had not used', () => {
    const files = readdirSync(FALCO)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(FALCO, f))
      .filter((f) => readFileSync(f, 'utf8').includes('"2018-'));
    expect(files).toHaveLength(42);
    const r = backtest(['--k8s-audit', ...files, '--split', '2018-10-26T13:00:00Z']);
    expect([r.observed, r.allowed]).toEqual([20, 2]);
    expect(excess(r)).toEqual({ rbac: [0, 38] });
    expect(r.wouldDeny).toHaveLength(18);
    for (const why of reasons(r))
      expect(why).toMatch(
        /^minikube-user: a new (cluster-wide access|verb \w+ on \w+|resource [\w/]+|namespace [\w-]+)$/,
      );
  });

  it('OTRF CloudTrail (2020, 29 minutes): the instance-profile session is its role, its held-out calls allowed', () => {
    const r = backtest(['--cloudtrail', OTRF, '--split', '2020-09-14T01:03:11Z']);
    expect([r.observed, r.allowed, r.wouldDeny.length]).toEqual([2, 2, 0]);
    expect(excess(r)).toEqual({ iam: [0, 26] });
    // Split inside pedro's console session: new calls and another instance, and the role first seen after the split.
    const p = backtest(['--cloudtrail', OTRF, '--split', '2020-09-14T00:53:00Z']);
    expect([p.observed, p.allowed]).toEqual([24, 16]);
    expect(excess(p)).toEqual({ iam: [0, 26] });
    const role = 'arn:aws:iam::123456789123:role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0';
    const pedro = 'arn:aws:iam::123456789123:user/pedro';
    const call = (a: string) => `${pedro}: a new call ec2.amazonaws.com ${a} (action ec2:${a})`;
    expect(reasons(p).sort()).toEqual([
      ...Array<string>(3).fill(`${role}: a new principal: not seen in training`),
      ...['DescribeClassicLinkInstances', 'DescribeKeyPairs', 'DescribePlacementGroups', 'DescribeSecurityGroups'].map(
        call,
      ),
      `${pedro}: a new resource arn:aws:ec2:us-east-1:123456789123:instance/i-0317f6c6b66ae9c40` +
        ' for ec2:DescribeInstanceAttribute',
    ]);
  });

  it('Hubble (GKE, 2021-10-04): pods fold into workloads; only a source training never saw is denied', () => {
    const gke = (files: string[], split: string) =>
      backtest(['--flows', ...files.map((f) => join(HUBBLE, f)), '--split', split]);
    const r = gke(['basic-sample-330-dns-flows.json', 'basic-sample-348-http-flows.json'], '2021-10-04T13:25:00Z');
    expect([r.observed, r.allowed]).toEqual([12, 10]);
    // Pairs that never talked in either window (one talked in training only: no sample).
    expect(excess(r)).toEqual({ netpol: [26, 49] });
    expect(r.wouldDeny.map((d) => [d.access['from'], d.access['to'], d.access['port'], d.reason])).toEqual([
      ['istio-system/prometheus', 'kube-system/kube-dns', 10054, expect.stringMatching(/^a new source /)],
      ['istio-system/prometheus', 'kube-system/node-local-dns', 9253, expect.stringMatching(/^a new source /)],
    ]);
    const http = gke(['basic-sample-348-http-flows.json'], '2021-10-04T14:30:14Z');
    expect([http.observed, http.allowed, http.wouldDeny.length]).toEqual([12, 12, 0]);
    expect(excess(http)).toEqual({ netpol: [12, 50] });
  });

  it('Hubble (kind, 2021-11-10): every held-out connection allowed', () => {
    const files = ['tcp', 'udp', 'l7-redirected'].map((k) => join(HUBBLE, `basic-sample-400-${k}-flows.json`));
    const r = backtest(['--flows', ...files, '--split', '2021-11-10T10:41:19Z']);
    expect([r.observed, r.allowed, r.wouldDeny.length]).toEqual([7, 7, 0]);
    // Over both windows: the pair allowed on the held-out window alone talked in training; the workloads training saw
    // are samples too.
    expect(excess(r)).toEqual({ netpol: [0, 63] });
  });
});
