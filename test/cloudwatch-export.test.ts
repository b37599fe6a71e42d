// CloudWatch Logs' export to S3 (CreateExportTask) writes gzip files of lines `<time> <message>`: the event's time in
// RFC 3339 UTC with milliseconds, a space, the message. EKS's control plane audit log lives in CloudWatch Logs only,
// so an export is how it is kept past the log group's retention; a trail and a VPC flow log sent to CloudWatch Logs
// export the same way (a flow log's messages carry no header line). Each is read as its messages alone: the profile
// of the demo's logs rewritten as exports is the profile of the originals, but for the list of sources.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { profileLinesOf } from './helpers/profile.js';

const DEMO = join(ROOT, 'fixtures/demo');
const read = (file: string) => {
  const b = readFileSync(file);
  return (b[0] === 0x1f ? gunzipSync(b) : b).toString('utf8');
};
/** The export's time of a line: any RFC 3339 UTC time with milliseconds (the reader does not use it). */
const stamp = (i: number) => new Date(Date.UTC(2026, 10, 2) + i * 1000).toISOString();
const exported = (messages: string[]) => gzipSync(messages.map((m, i) => `${stamp(i)} ${m}`).join('\n') + '\n');

function withoutSources(file: string): unknown[] {
  return profileLinesOf(file).map((l) => ('sources' in l ? { ...l, sources: [] } : l));
}

describe('CloudWatch Logs exports to S3', () => {
  const dir = tmp('cwexport-');
  const p = (n: string) => join(dir, n);

  it('an EKS audit log exported: the profile of the log itself', () => {
    const day = join(DEMO, 'k8s-audit/kube-apiserver-audit-2026-11-03.log.gz');
    const events = read(day).trimEnd().split('\n');
    const out = p('k8s');
    // The export's layout: <prefix>/<task id>/<log stream>/000000.gz
    mkdirSync(join(out, '4f1c2d3e/kube-apiserver-audit-0a1b2c'), { recursive: true });
    writeFileSync(join(out, '4f1c2d3e/kube-apiserver-audit-0a1b2c/000000.gz'), exported(events));
    const a = cli(['profile', '--k8s-audit', day, '-o', p('k8s-orig.json'), '-q']);
    const b = cli(['profile', '--k8s-audit', out, '-o', p('k8s-exp.json')]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).not.toMatch(/issue|notice|not a log/);
    expect(withoutSources(p('k8s-exp.json'))).toEqual(withoutSources(p('k8s-orig.json')));
    expect(events.length).toBeGreaterThan(500);
  });

  it('plain (not gzip) and with a bad line: the line is an issue at its own number, the rest read', () => {
    const day = join(DEMO, 'k8s-audit/kube-apiserver-audit-2026-11-03.log.gz');
    const events = read(day).trimEnd().split('\n').slice(0, 20);
    events[4] = '{"kind":"Event", broken';
    writeFileSync(p('plain.log'), events.map((m, i) => `${stamp(i)} ${m}`).join('\n') + '\n');
    const r = cli(['profile', '--k8s-audit', p('plain.log'), '-o', p('plain.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/plain\.log:5: json\.malformed/);
  });

  it('a trail sent to CloudWatch Logs and exported: the profile of its records', () => {
    const src = join(DEMO, 'cloudtrail/AWSLogs');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else files.push(join(d, e.name));
      }
    };
    walk(src);
    files.sort();
    const records = files.flatMap((f) => (JSON.parse(read(f)) as { Records: unknown[] }).Records);
    expect(records.length).toBeGreaterThan(50);
    writeFileSync(p('trail-000000.gz'), exported(records.map((r) => JSON.stringify(r))));
    for (const workers of ['1', '2']) {
      const r = cli([
        'profile',
        '--cloudtrail',
        p('trail-000000.gz'),
        '-o',
        p(`ct-exp${workers}.json`),
        '--workers',
        workers,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/issue|notice|not a log/);
    }
    expect(cli(['profile', '--cloudtrail', src, '-o', p('ct-orig.json'), '-q']).code).toBe(0);
    expect(withoutSources(p('ct-exp1.json'))).toEqual(withoutSources(p('ct-orig.json')));
    expect(readFileSync(p('ct-exp2.json'))).toEqual(readFileSync(p('ct-exp1.json')));
  });

  it('a VPC flow log sent to CloudWatch Logs and exported (no header line): the profile of its records', () => {
    const vpcDir = join(DEMO, 'flows/vpc');
    const lines = read(join(vpcDir, readdirSync(vpcDir)[0]!))
      .trimEnd()
      .split('\n');
    expect(lines[0]).toMatch(/^version account-id /);
    writeFileSync(p('flows-000000.gz'), exported(lines.slice(1)));
    const inv = ['--inventory', join(DEMO, 'inventory')];
    const a = cli(['profile', '--flows', vpcDir, ...inv, '-o', p('vpc-orig.json'), '-q']);
    const b = cli(['profile', '--flows', p('flows-000000.gz'), ...inv, '-o', p('vpc-exp.json')]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).not.toMatch(/issue/);
    expect(withoutSources(p('vpc-exp.json'))).toEqual(withoutSources(p('vpc-orig.json')));
  });

  it('a time before text that is no log is still no log', () => {
    writeFileSync(p('app.log.gz'), exported(['GET /healthz 200', 'GET / 200']));
    const r = cli(['profile', '--k8s-audit', p('app.log.gz'), '-o', p('app.json')]);
    // The only file given is no log: nothing read, a wrong path rather than an empty soak.
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: nothing read: ');
    expect(r.stderr).toContain('app.log.gz is not a log: compressed content is not JSON');
  });
});
