import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlowDecoder } from '../src/ingest/flows/decode.js';
import { ingest } from '../src/ingest/index.js';
import { emptyInventory, Resolver } from '../src/inventory/inventory.js';
import type { InputIssue } from '../src/model/issue.js';
import type { FlowObservation } from '../src/model/network.js';
import type { Profile } from '../src/model/profile.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { cli, tmp } from './helpers/cli.js';
import { profileLinesOf } from './helpers/profile.js';

// AWS VPC flow log files delivered to S3 start with a header line naming the fields (the default format or a custom
// one). Files joined with `cat`, or cut and rejoined by a shipper, carry a header line in the middle, possibly of
// another format: from the line after it the records are in its fields. A line that tries to be a header but is no
// format (a field named twice, one the reader needs missing) leaves the records after it unreadable: they are issues,
// never read with the format before it. Records are as AWS writes them (values separated by spaces, in the order of
// the header); the addresses are documentation and private ranges.

type Obj = Record<string, unknown>;
const DEFAULT =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
/** A custom format: other fields, another order (ports before addresses, destination first). */
const CUSTOM = 'version interface-id dstport srcport dstaddr srcaddr protocol start end action log-status tcp-flags';

/** A client's record in the default format (TCP). */
const rec = (src: string, dst: string, sport: number, dport: number) =>
  `2 111122223333 eni-0a1b2c3d4e5f60718 ${src} ${dst} ${sport} ${dport} 6 10 840 1793606400 1793606460 ACCEPT OK`;
/** The same record in CUSTOM's order (SYN set: a client's). */
const custom = (src: string, dst: string, sport: number, dport: number) =>
  `2 eni-0b1b2c3d4e5f60719 ${dport} ${sport} ${dst} ${src} 6 1793606400 1793606460 ACCEPT OK 2`;

const FILE_A = [DEFAULT, rec('10.1.0.10', '10.1.0.20', 40000, 5432), rec('10.1.0.11', '10.1.0.20', 40001, 5432)];
const FILE_B = [DEFAULT, rec('10.1.0.12', '10.1.0.30', 40002, 6379)];
const FILE_C = [CUSTOM, custom('10.1.0.13', '10.1.0.40', 40003, 8443), custom('10.1.0.14', '10.1.0.41', 40004, 9090)];
const text = (...files: string[][]) => files.flat().join('\n') + '\n';

/** `profile` of the files named (relative to `dir`), written to dir/p.json. */
function profile(dir: string, flows: string[], extra: string[] = []) {
  const r = cli(['profile', '--flows', ...flows, '-o', 'p.json', '--on-error', 'skip', ...extra], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  const lines = profileLinesOf(join(dir, 'p.json'));
  const paths = lines
    .filter((l) => 'network' in l)
    .map((l) => l['network'] as { from: Obj; to: Obj; port: number })
    .map((n) => `${String(n.from['ip'])} > ${String(n.to['ip'])}:${n.port}`);
  const sources = lines[0]!['sources'] as Obj[];
  return { r, lines, paths, sources, bytes: readFileSync(join(dir, 'p.json'), 'utf8') };
}

describe('VPC flow logs: a header line in the middle of a file', () => {
  it('files joined with the same header: every record read, one per-file notice naming the line of the header', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.log'), text(FILE_A));
    writeFileSync(join(dir, 'b.log'), text(FILE_B));
    writeFileSync(join(dir, 'joined.log'), text(FILE_A, FILE_B, FILE_B));
    const apart = profile(dir, ['a.log', 'b.log']);
    const joined = profile(dir, ['joined.log']);
    expect(joined.paths).toEqual(apart.paths);
    expect(joined.paths).toEqual([
      '10.1.0.10 > 10.1.0.20:5432',
      '10.1.0.11 > 10.1.0.20:5432',
      '10.1.0.12 > 10.1.0.30:6379',
    ]);
    expect(joined.sources[0]!['records']).toBe(4);
    // Two headers after the first (lines 4 and 6): one notice with their count, at the first of them.
    expect(joined.r.stderr).toMatch(
      /notice: joined\.log:4: flow\.vpc-header-repeated: 2 records in this file like this one \(the first\): a header line in the middle of the file .*the same 14 fields/,
    );
    expect(joined.sources[0]!['notices']).toBe(1);
    expect(joined.sources[0]!['issues']).toBe(0);
  });

  it('a header of another field order: the records after it are read in its order (ports and addresses in place)', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.log'), text(FILE_A));
    writeFileSync(join(dir, 'c.log'), text(FILE_C));
    writeFileSync(join(dir, 'joined.log'), text(FILE_A, FILE_C));
    const apart = profile(dir, ['a.log', 'c.log']);
    const joined = profile(dir, ['joined.log']);
    expect(joined.paths).toEqual([
      '10.1.0.10 > 10.1.0.20:5432',
      '10.1.0.11 > 10.1.0.20:5432',
      '10.1.0.13 > 10.1.0.40:8443',
      '10.1.0.14 > 10.1.0.41:9090',
    ]);
    expect(joined.paths).toEqual(apart.paths);
    expect(joined.r.stderr).toMatch(
      /notice: joined\.log:4: flow\.vpc-header-changed: .*12 fields \(version interface-id dstport srcport dstaddr srcaddr .*\), not the 14 fields \(version account-id/,
    );
    expect(joined.sources[0]!['issues']).toBe(0);
  });

  it('headerless records (the default format) and then a header: the notice says the format changed', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'joined.log'), text(FILE_A.slice(1), FILE_C));
    const joined = profile(dir, ['joined.log']);
    expect(joined.paths).toHaveLength(4);
    expect(joined.r.stderr).toMatch(/notice: joined\.log:3: flow\.vpc-header-changed: /);
  });

  it("a header after nothing but blank lines is the file's own: no notice (the decoder, as stdin or _raw lines reach it)", () => {
    const decode = (lines: string[]) => {
      const out: (FlowObservation | InputIssue | { kind: string })[] = [];
      const d = new FlowDecoder('f.log', new Resolver(emptyInventory()), (x) => out.push(x));
      lines.forEach((l, i) => d.text(l, i + 1));
      const issues = out.filter((o): o is InputIssue => o.kind === 'issue');
      return { flows: out.filter((o) => o.kind === 'flow').length, issues: issues.map((i) => [i.line, i.code]) };
    };
    expect(decode(['', '  ', ...FILE_C])).toEqual({ flows: 2, issues: [] });
    // Not vacuous: a record before the header makes it one in the middle.
    expect(decode(['', FILE_A[1]!, ...FILE_C])).toEqual({ flows: 3, issues: [[3, 'flow.vpc-header-changed']] });
  });

  it.each([
    ['a field named twice', CUSTOM.replace('srcport', 'dstport'), 'dstport is named twice'],
    ['a field the reader needs misspelt', CUSTOM.replace('srcaddr', 'srcadr'), 'lacks srcaddr'],
    [
      'a header and a record on one line',
      `${CUSTOM} ${custom('10.1.0.9', '10.1.0.8', 40009, 22)}`,
      '"2" is no field name',
    ],
  ])(
    'a broken header (%s): an issue naming file and line; the records up to the next valid header are issues, not read',
    (_name, broken, problem) => {
      const dir = tmp();
      const content = text(FILE_A, [broken, custom('10.1.0.13', '10.1.0.40', 40003, 8443), ''], FILE_B);
      writeFileSync(join(dir, 'joined.log'), content);
      const joined = profile(dir, ['joined.log']);
      // The records after the broken header (line 4) are not read with the format before it: 10.1.0.40:40003 (the
      // ports the wrong order gives) is no path, and neither is 10.1.0.40:8443.
      expect(joined.paths).toEqual([
        '10.1.0.10 > 10.1.0.20:5432',
        '10.1.0.11 > 10.1.0.20:5432',
        '10.1.0.12 > 10.1.0.30:6379',
      ]);
      const bad = joined.r.stderr.split('\n').find((l) => l.includes('joined.log:4: flow.vpc-bad-header'));
      expect(bad).toContain(problem);
      expect(joined.r.stderr).toMatch(/joined\.log:5: flow\.vpc-after-bad-header: .*line 4/);
      // The broken header and the one record after it: two issues; the header at line 7 reads the rest again.
      expect(joined.sources[0]!['issues']).toBe(2);
      expect(joined.sources[0]!['records']).toBe(3);
      expect(joined.r.stderr).toMatch(/notice: joined\.log:7: flow\.vpc-header-/);
      // Under --on-error fail the run stops: a file whose records were not read is no soak to write policies from.
      const strict = cli(['profile', '--flows', 'joined.log', '-o', 'q.json', '--on-error', 'fail'], { cwd: dir });
      expect(strict.code).toBe(2);
    },
  );

  it('a header naming a field newer than this reader (a name of its shape): a format, the fields around it in place', () => {
    const dir = tmp();
    const later = `${CUSTOM} ecs-future-field`;
    const content = text(FILE_A, [later, `${custom('10.1.0.13', '10.1.0.40', 40003, 8443)} x-1`]);
    writeFileSync(join(dir, 'joined.log'), content);
    const joined = profile(dir, ['joined.log']);
    expect(joined.paths).toContain('10.1.0.13 > 10.1.0.40:8443');
    expect(joined.sources[0]!['issues']).toBe(0);
    expect(joined.r.stderr).toMatch(/joined\.log:4: flow\.vpc-header-changed: .*13 fields \(.* ecs-future-field\)/);
  });

  it('a broken header as the first line: nothing is read with the default format', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'first.log'), text([CUSTOM.replace('srcport ', ''), FILE_C[1]!]));
    const r = profile(dir, ['first.log']);
    expect(r.paths).toEqual([]);
    expect(r.r.stderr).toContain('first.log:1: flow.vpc-bad-header');
    expect(r.r.stderr).toContain('first.log:2: flow.vpc-after-bad-header');
    expect(r.sources[0]!['issues']).toBe(2);
  });
});

/** The profile's bytes apart from its sources (the one part that lists the byte ranges read). */
const withoutSources = (p: Profile) => serializeProfile({ ...p, sources: [] });

describe('VPC flow logs with headers in the middle: the same profile whatever the worker count', () => {
  /** Many records in each format, joined: large enough for byte ranges of a few KiB. */
  function bigJoined(dir: string): string {
    const a: string[] = [DEFAULT];
    const c: string[] = [CUSTOM];
    for (let i = 0; i < 400; i++) {
      a.push(rec(`10.2.${i % 50}.${i % 7}`, '10.3.0.1', 40000 + i, 1000 + (i % 40)));
      c.push(custom(`10.4.${i % 50}.${i % 7}`, '10.5.0.1', 41000 + i, 2000 + (i % 40)));
    }
    const path = join(dir, 'big.log');
    writeFileSync(path, text(a, c, a, [CUSTOM.replace('srcport', 'dstport'), c[1]!], c));
    return path;
  }

  it('--workers 1 and --workers 4 write the same bytes (the CLI, a directory of joined files)', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'in'));
    bigJoined(join(dir, 'in'));
    writeFileSync(join(dir, 'in/small.log'), text(FILE_A, FILE_C, FILE_B));
    const one = profile(dir, ['in'], ['--workers', '1']);
    const four = profile(dir, ['in'], ['--workers', '4']);
    expect(four.bytes).toBe(one.bytes);
    expect(four.r.stderr).toBe(one.r.stderr);
    expect(one.r.stderr).toContain('in/big.log:1204: flow.vpc-bad-header');
    expect(one.paths.some((p) => p.endsWith('10.5.0.1:2039'))).toBe(true);
    expect(one.paths.some((p) => p.includes('10.5.0.1:4'))).toBe(false);
  });

  it('a file over the split size is read whole (a range would start without the header in force): same profile', async () => {
    const dir = tmp();
    const path = bigJoined(dir);
    const read = (workers: number) =>
      ingest({ k8sAudit: [], flows: [path], scope: new Scope(defaultScope()), workers, cwd: dir, splitBytes: 4096 });
    const one = await read(1);
    const four = await read(4);
    expect(withoutSources(four.profile)).toBe(withoutSources(one.profile));
    expect(four.profile.sources).toEqual(one.profile.sources);
    expect(four.issues).toEqual(one.issues);
    expect(four.notices).toEqual(one.notices);
    // Not vacuous: the records after each header are read in its order, and the last range has CUSTOM's records.
    const net = one.profile.network ?? [];
    expect(net.filter((n) => n.to.kind === 'ip' && n.to.ip === '10.5.0.1').map((n) => n.port)).toContain(2039);
    expect(net.some((n) => n.to.kind === 'ip' && n.to.ip === '10.5.0.1' && n.port >= 40000)).toBe(false);
    // Headers at lines 402, 803 and 1206 (after the broken one at 1204): one notice with their count.
    expect(one.notices.map((n) => [n.line, n.code])).toEqual([[402, 'flow.vpc-header-changed']]);
    expect(one.notices[0]!.message).toMatch(/^3 records in this file like this one/);
    expect(one.issues.map((n) => [n.line, n.code])).toEqual([
      [1204, 'flow.vpc-bad-header'],
      [1205, 'flow.vpc-after-bad-header'],
    ]);
  });
});
