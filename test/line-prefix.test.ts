// OpenShift's documented way to read the control plane's audit logs, `oc adm node-logs --role=master
// --path=kube-apiserver/audit.log`, prints every node's file one after the other with the node's name and a space
// before each line (openshift/oc pkg/cli/admin/node/logs.go: the prefix is left out only when one node was named).
// Each line is read as the Event after the name: the profile is the one of the files themselves.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { linePrefixLength } from '../src/ingest/linePrefix.js';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { profileLinesOf } from './helpers/profile.js';

const DEMO = join(ROOT, 'fixtures/demo');
const withoutSources = (file: string): unknown[] =>
  profileLinesOf(file).map((l) => ('sources' in l ? { ...l, sources: [] } : l));

describe('oc adm node-logs over several nodes: the node name before each line', () => {
  const dir = tmp('node-logs-');
  const day = join(DEMO, 'k8s-audit/kube-apiserver-audit-2026-11-03.log.gz');
  const events = gunzipSync(readFileSync(day)).toString('utf8').trimEnd().split('\n');
  const nodes = ['ci-ln-m0wpfjb-f76d1-vnb5x-master-0', 'ip-10-0-140-97.ec2.internal', 'master-2'];
  // Each node's file in turn, as oc prints them without --unify.
  const third = Math.ceil(events.length / 3);
  const output = nodes.flatMap((n, i) => events.slice(i * third, (i + 1) * third).map((e) => `${n} ${e}`));

  it('reads to the profile of the log itself, with one worker or two', () => {
    writeFileSync(join(dir, 'audit.log'), output.join('\n') + '\n');
    const a = cli(['profile', '--k8s-audit', day, '-o', join(dir, 'orig.json'), '-q']);
    expect(a.code, a.stderr).toBe(0);
    for (const workers of ['1', '2']) {
      const out = join(dir, `w${workers}.json`);
      const b = cli(['profile', '--k8s-audit', join(dir, 'audit.log'), '--workers', workers, '-o', out]);
      expect(b.code, b.stderr).toBe(0);
      expect(b.stderr).not.toMatch(/issue|notice|not a log/);
      expect(withoutSources(out)).toEqual(withoutSources(join(dir, 'orig.json')));
    }
    expect(events.length).toBeGreaterThan(500);
  });

  it('a broken line after its node name is an issue at its own number; the rest are read', () => {
    const lines = output.slice(0, 10);
    lines[3] = 'master-2 {"kind":"Event", broken';
    writeFileSync(join(dir, 'bad.log'), lines.join('\n') + '\n');
    const r = cli(['profile', '--k8s-audit', join(dir, 'bad.log'), '-o', join(dir, 'bad.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/bad\.log:4: json\.malformed/);
  });
});

describe("Loki's logcli default output", () => {
  const dir = tmp('logcli-');
  const day = join(DEMO, 'k8s-audit/kube-apiserver-audit-2026-11-03.log.gz');
  const events = gunzipSync(readFileSync(day)).toString('utf8').trimEnd().split('\n').slice(0, 50);

  it('with --no-labels (the time in the local zone, then the line): read as the lines', () => {
    writeFileSync(join(dir, 'nolabels.log'), events.map((e) => `2026-11-03T09:00:00+01:00 ${e}`).join('\n') + '\n');
    writeFileSync(join(dir, 'raw.log'), events.join('\n') + '\n');
    const a = cli(['profile', '--k8s-audit', join(dir, 'raw.log'), '-o', join(dir, 'raw.json'), '-q']);
    const b = cli(['profile', '--k8s-audit', join(dir, 'nolabels.log'), '-o', join(dir, 'nolabels.json')]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).not.toMatch(/issue|notice|not a log/);
    expect(withoutSources(join(dir, 'nolabels.json'))).toEqual(withoutSources(join(dir, 'raw.json')));
  });

  it('with labels (its default): a notice naming the output to use, not an issue per line', () => {
    const lines = events.map((e) => `2026-11-03T08:00:00Z {cluster="staging", job="audit"} ${e}`);
    writeFileSync(join(dir, 'default.log'), lines.join('\n') + '\n');
    const r = cli(['profile', '--k8s-audit', join(dir, 'default.log'), '-o', join(dir, 'default.json')]);
    // The only file given: nothing read, exit 2, the notice saying what to save instead.
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      "not a log: Loki's logcli default output (a time and labels before each line): save the query with --output raw or --output jsonl",
    );
    expect(r.stderr).not.toMatch(/json\.malformed/);
  });
});

describe('what counts as a prefix', () => {
  it.each([
    ['a JSON line', '{"kind":"Event"}', 0],
    ['a node name before JSON', 'master-0 {"kind":"Event"}', 9],
    ['a node name with dots', 'ip-10-0-1-23.ec2.internal [1]', 26],
    ['a CloudWatch export time', '2026-11-02T08:00:00.123Z {"kind":"Event"}', 25],
    ['a time with a zone offset', '2026-11-02T09:00:00+01:00 {"kind":"Event"}', 26],
    ['a time before a VPC record', '2026-11-02T08:00:00.123Z 2 1111 eni-1 a b 1 2 6 1 1 1 2 ACCEPT OK', 25],
    [
      'a VPC record (version, then a digit)',
      '2 111122223333 eni-0a1b 10.0.1.20 10.0.2.30 40112 5432 6 10 3767 1 2 ACCEPT OK',
      0,
    ],
    ['a name in capitals is no node name', 'Master-0 {"kind":"Event"}', 0],
    ['a name before text is not taken', 'master-0 hello', 0],
    ['two words before JSON are not one name', 'my node {"kind":"Event"}', 0],
    ['a name ending in a dash', 'master- {"kind":"Event"}', 0],
    ['blank before JSON', '  {"kind":"Event"}', 0],
  ] as const)('%s', (_what, line, n) => {
    expect(linePrefixLength(line)).toBe(n);
  });
});
