// Seeded metamorphic property test of docs/formats.md's promise for envelopes (ADR 0014): the same records, delivered
// in any of the envelopes and time forms managed services and SIEMs use, give the same profile as the plain records,
// byte for byte but for the header's `sources`; and a record broken inside an envelope is an issue naming the file,
// the line and (where the tool gives one) the element, never a silently smaller or larger profile.
// Each run takes a small random sample of the demo environment's records (helpers/envelopePropertyRecords.ts: audit
// Events, CloudTrail records, Hubble flows, VPC flow log records), writes them plain (audit and Hubble as JSON lines,
// CloudTrail as one {"Records": [...]} file, VPC with its header line) and again, cut into files at random points,
// each file in a shape chosen among those the tool documents (helpers/envelopePropertyShapes.ts, each citing the
// provider's page: CloudWatch Logs' CLI output, subscription records delivered by Firehose, Logs Insights, its export
// to S3, AKS's diagnostic records and Log Analytics rows, EventList batches, OpenShift's node-logs, EventBridge,
// LookupEvents, Splunk, Elasticsearch and Elastic's integrations, Loki; GKE's entries read back into the Event they
// stand for), or a record per line each in a shape of its own; gzip now and then (Firehose: one member per record),
// under random names and directories. Envelopes carry their own times, later than the record's (the record's must
// win), and now and then the record's own time moved into them where the tool says a record without a time takes the
// envelope's (an audit Event in any envelope, a Hubble flow in its exporter wrapper, a CloudTrail record or a flow in
// a shipper's @timestamp beside it), written as each writes times (epoch milliseconds, seven digits, Loki's
// nanoseconds in another zone: cut to microseconds, never rounded). `profile` runs on both trees with the same flags
// (the enveloped one with --workers 2 every third run): exit 0, no issue on stderr, the same profile. Every other run
// one record inside an envelope is broken (its JSON text cut short, a number in its place, a field it needs dropped):
// exit 0 under the default --on-error skip, exactly one issue on stderr naming that file, the line and the element,
// `sources` counting it, the records one fewer, and the profile of the other records, byte for byte; under --on-error
// fail (every other such run), exit 2 and nothing written. What the tool should read and does not: KNOWN below.
// Tallies of shapes, corruptions and moved times are asserted at the end, so the test proves it exercised them.
// FUZZ_SEED=n tries another seed, FUZZ_RUNS=n sets the number of runs, FUZZ_RUN=i repeats one run; A2P_KEEP_TMP=1 keeps
// the trees a failure names; ENVPROP_TALLY=1 prints the tallies.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, rng, shuffle, tmp } from './helpers/cli.js';
import {
  chance,
  demoRecords,
  int,
  pick,
  sampleRecords,
  type Json,
  type Rand,
} from './helpers/envelopePropertyRecords.js';
import {
  AUDIT_SHAPES,
  GKE_SHAPES,
  HUBBLE_SHAPES,
  instantOf,
  TRAIL_SHAPES,
  vpcShapes,
  type Corruption,
  type Ctx,
  type Instant,
  type Item,
  type Kind,
  type Precision,
  type Shape,
} from './helpers/envelopePropertyShapes.js';

const env = process.env;
const SEED = Number(env['FUZZ_SEED'] ?? 20261214) >>> 0;
const RUNS = Number(env['FUZZ_RUNS'] ?? 12);
const ONLY = env['FUZZ_RUN'] === undefined ? undefined : Number(env['FUZZ_RUN']);

/**
 * Bugs of the tool this test found, each with a minimal repro under /tmp/envprop-repro-N/ (README.md: the command,
 * what it prints, what it should print, the diagnosis). `true` skips the combination that hits it.
 */
const KNOWN = {
  /**
   * Fixed (test/first-line-broken.test.ts holds it). envprop-repro-1:
   * a JSON lines file whose first record is cut short loses every record of the file, with one
   * `json.malformed` issue (at the line its parse stopped, line 2 at times, a good record). src/ingest/jsonLines.ts,
   * `JsonLineDecoder.line()`: a first line that does not parse and opens a value without closing it
   * (`opensDocument`) switches the file to document mode; `end()` parses the whole file as one pretty-printed
   * document, fails, and drops every value in it. The same after a line's prefix (CloudWatch Logs' export to S3,
   * `oc adm node-logs`). Skipped: a record cut short first in a JSON lines file holding others (`firstLine: 'json'`).
   */
  firstLineCutShort: false,
  /**
   * Fixed (test/first-line-broken.test.ts holds it). envprop-repro-2:
   * a VPC flow log without a header line (CloudWatch Logs' export to S3) whose first record is broken
   * is skipped whole, "not a log: text that is not JSON", a notice: the broken record is no issue and the good ones
   * after it are lost. src/ingest/inputs.ts, `looksLikeVpcFlowLog()` (the `acceptText` of `--flows`,
   * src/ingest/index.ts) judges a text file by its first line alone, and `classify()` skips any text file it refuses.
   * Skipped: a broken record first in a headerless VPC text file (`firstLine: 'vpc'`).
   */
  vpcFirstRecordBroken: false,
  /**
   * Fixed (test/first-line-broken.test.ts holds it). envprop-repro-3:
   * a JSON lines file whose first line is JSON but no object or array (a number), or no JSON (the tail
   * of a record cut at a byte offset), is skipped whole, "not a log: text that is not JSON", a notice: the bad line is
   * no issue and every good record after it is lost; with or without a line prefix, for every reader.
   * src/ingest/inputs.ts, `sniff()`: a file is JSON only when its first non-blank byte (or its first message after
   * `afterLinePrefix()`) is `{` or `[`; `classify()` skips any other (a gzip file: src/ingest/task.ts, `runTask()`, the
   * same test of its first chunk). Skipped: a number in place of the first record of a JSON lines file
   * (`firstLine: 'json'`, and the first line of a file of records each in a shape of its own).
   */
  firstValueNotObject: false,
};

/** Whether breaking the first record of a file of this shape so hits a KNOWN bug (the file's first line decides). */
function firstIsKnown(shape: Shape, how: Corruption): boolean {
  return (
    (KNOWN.firstLineCutShort && how === 'truncate' && shape.firstLine === 'json') ||
    (KNOWN.firstValueNotObject && how === 'number' && shape.firstLine === 'json') ||
    (KNOWN.vpcFirstRecordBroken && shape.firstLine === 'vpc')
  );
}

const KINDS: Kind[] = ['audit', 'trail', 'hubble', 'vpc'];
const CORRUPTIONS: Corruption[] = ['truncate', 'number', 'drop'];
const INVENTORY = join(ROOT, 'fixtures/demo/inventory');

/** A record per line, each line in one of the kind's shapes whose records are lines of their own. */
function mixedLines(kind: Kind, shapes: Shape[]): Shape {
  const each = shapes.filter((s) => s.line);
  return {
    name: `${kind}: a record per line, each in a shape of its own`,
    kind,
    corrupt: ['number', 'drop'],
    write: (items, c) => {
      const out: string[] = [];
      for (const it of items) {
        // The broken record, first in the file: not in a shape where that hits a KNOWN bug.
        const known = (x: Shape) => out.length === 0 && it.broken !== undefined && firstIsKnown(x, it.broken);
        const s = pick(
          c.r,
          each.filter((x) => x.corrupt.includes(it.broken ?? 'drop') && !known(x)),
        );
        const l = s.line!(it, c);
        out.push(l.line);
        c.at(it, out.length, l.where);
        c.count(`mixed: ${s.name}`);
      }
      return { text: out.map((l) => l + '\n').join('') };
    },
  };
}

const SHAPES: Record<Kind, Shape[]> = (() => {
  const vpc = vpcShapes(demoRecords().vpcHeader);
  const all: Record<Kind, Shape[]> = {
    audit: [...AUDIT_SHAPES, ...GKE_SHAPES],
    trail: TRAIL_SHAPES,
    hubble: HUBBLE_SHAPES,
    vpc,
  };
  for (const k of KINDS) all[k] = [...all[k], mixedLines(k, all[k])];
  return all;
})();

interface Tally {
  runs: number;
  shapes: Record<string, number>;
  corruptions: Record<string, number>;
  moved: Record<string, number>;
  other: Record<string, number>;
}

const bump = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);

// ---- Writing the trees ----------------------------------------------------------------------------------------------

/** The record's own time as an instant (VPC: the end of its window). */
function ownTime(it: Item): Instant {
  const rec = it.rec as Json;
  if (it.kind === 'audit') return instantOf(String(rec['requestReceivedTimestamp']));
  if (it.kind === 'trail') return instantOf(String(rec['eventTime']));
  if (it.kind === 'hubble') return instantOf(String(rec['time']));
  return { ms: Number(String(it.rec).split(' ')[11]) * 1000, us: 0, ns: '' };
}

const TIME_FIELDS: Record<Kind, string[]> = {
  audit: ['requestReceivedTimestamp', 'stageTimestamp'],
  trail: ['eventTime'],
  hubble: ['time'],
  vpc: [],
};

/**
 * The fields whose loss makes a record none (docs/error-handling.md: an Event without verb or user, a CloudTrail record
 * without eventSource, eventName or userIdentity, a JSON value with neither IP nor l4: no Hubble flow). A VPC record
 * loses one of its values instead.
 */
const REQUIRED: Record<Kind, string[]> = {
  audit: ['verb', 'user'],
  trail: ['eventSource', 'eventName', 'userIdentity'],
  hubble: ['IP,l4'],
  vpc: [],
};

function makeCtx(r: Rand, tally: Tally): Ctx {
  const decided = new Map<Item, Instant>();
  const rendered = new Set<Item>();
  const record = (it: Item): Json => {
    const rec = { ...(it.rec as Json) };
    if (it.moved) for (const f of TIME_FIELDS[it.kind]) delete rec[f];
    if (it.broken === 'drop') for (const f of it.dropped!.split(',')) delete rec[f];
    return rec;
  };
  // JSON text cut short is never JSON: an object's text ends with its `}`.
  const cut = (text: string) => text.slice(0, int(r, 1, text.length - 2));
  return {
    r,
    cut,
    time(it, precision: Precision, moves = it.kind === 'audit') {
      const known = decided.get(it);
      if (known) return known;
      if (rendered.has(it)) throw new Error(`a shape asked for ${it.kind} record's envelope time after its text`);
      const own = ownTime(it);
      const exact = precision === 'ns' || (Number(own.ns) === 0 && (precision === 'us' || own.us === 0));
      let t: Instant;
      if (moves && exact && !it.broken && chance(r, 0.5)) {
        const f = TIME_FIELDS[it.kind][0]!;
        it.moved = String((it.rec as Json)[f]);
        // Digits past the record's own (Loki's nanoseconds, Azure's 100 ns ticks) are cut, never rounded.
        t = { ...own, ns: own.ns || String(int(r, 0, 999)).padStart(3, '0') };
        bump(tally.moved, `${it.kind} (${precision})`);
      } else {
        const ms = own.ms + int(r, 1, 120_000);
        t = { ms, us: precision === 'ms' ? 0 : int(r, 0, 999), ns: precision === 'ns' ? String(int(r, 100, 999)) : '' };
      }
      decided.set(it, t);
      return t;
    },
    text(it) {
      rendered.add(it);
      let text: string;
      if (it.kind === 'vpc') {
        // A VPC record loses a value, or is cut short after one of them (a value cut short is a value still).
        const fields = String(it.rec).split(' ');
        if (it.broken === 'drop') fields.splice(int(r, 0, fields.length - 1), 1);
        if (it.broken === 'truncate') fields.splice(int(r, 1, fields.length - 1));
        text = fields.join(' ');
      } else text = JSON.stringify(record(it));
      if (it.broken === 'number') return String(int(r, 1, 99));
      if (it.broken === 'truncate' && it.kind !== 'vpc') return cut(text);
      return text;
    },
    value(it) {
      rendered.add(it);
      if (it.broken === 'truncate') throw new Error('a shape of values cannot hold a record cut short');
      if (it.broken === 'number') return int(r, 1, 99);
      return record(it);
    },
    at(it, line, where) {
      it.loc = { file: '', line, where };
    },
    count: (what) => bump(tally.other, what),
  };
}

/** The per-kind shapes a run uses first: a turn of a deck the seed shuffles, so that 10 runs use every shape. */
function shapesOfRun(run: number, kind: Kind): Shape[] {
  const deck = shuffle(SHAPES[kind], rng((SEED ^ (KINDS.indexOf(kind) * 0x9e3779b1)) >>> 0));
  const per = Math.ceil(deck.length / 10);
  return Array.from({ length: per }, (_, j) => deck[(run * per + j) % deck.length]!);
}

interface Chunk {
  shape: Shape;
  items: Item[];
}

/** The kind's records cut into chunks, each for one shape (the run's own first, then any). */
function chunksOf(r: Rand, run: number, kind: Kind, items: Item[]): Chunk[] {
  const pool = shuffle(items, r);
  const chunks: Chunk[] = [];
  const take = (shape: Shape, n: number) => {
    const got: Item[] = [];
    for (let i = 0; i < pool.length && got.length < n;)
      if (!shape.takes || shape.takes(pool[i]!.rec)) got.push(...pool.splice(i, 1));
      else i++;
    if (got.length) chunks.push({ shape, items: got });
  };
  for (const shape of shapesOfRun(run, kind)) take(shape, int(r, 1, Math.max(2, Math.ceil(items.length / 3))));
  for (let guard = 0; pool.length && guard < 1000; guard++) take(pick(r, SHAPES[kind]), int(r, 1, pool.length));
  if (pool.length) throw new Error('records no shape takes');
  return chunks;
}

const gz = (s: string) => gzipSync(Buffer.from(s));

function write(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** The plain tree: audit and Hubble as JSON lines, CloudTrail as one {"Records": [...]} file, VPC with its header. */
function writePlain(base: string, items: Item[]): void {
  const of = (k: Kind) => items.filter((it) => it.kind === k).map((it) => it.plain);
  write(
    join(base, 'audit/events.jsonl'),
    of('audit')
      .map((e) => JSON.stringify(e) + '\n')
      .join(''),
  );
  write(join(base, 'trail/records.json'), JSON.stringify({ Records: of('trail') }) + '\n');
  write(
    join(base, 'flows/hubble.jsonl'),
    of('hubble')
      .map((f) => JSON.stringify(f) + '\n')
      .join(''),
  );
  write(join(base, 'flows/vpc.log'), [demoRecords().vpcHeader, ...of('vpc')].map((l) => l + '\n').join(''));
}

const DIR_OF: Record<Kind, string> = { audit: 'audit', trail: 'trail', hubble: 'flows', vpc: 'flows' };

/** A random place under the kind's directory (CloudTrail's now and then as a trail's S3 objects lie). */
function placeOf(r: Rand, chunk: Chunk, n: number, gzip: boolean): string {
  const stem = `${pick(r, ['part', 'export', 'x', 'logs', 'batch'])}-${n}-${Math.floor(r() * 1e6).toString(36)}`;
  const ext = pick(r, ['.json', '.jsonl', '.log', '']) + (gzip ? '.gz' : '');
  const nest = Array.from({ length: int(r, 0, 2) }, () => pick(r, ['a', 'b', '2026', '11', 'node-1', 'q']));
  if (chunk.shape.kind === 'trail' && chance(r, 0.3))
    return join(
      'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11',
      String(int(r, 2, 9)).padStart(2, '0'),
      `111122223333_CloudTrail_eu-west-1_${stem}.json.gz`,
    );
  return join(...nest, stem + ext);
}

// ---- Reading profiles -----------------------------------------------------------------------------------------------

interface Run {
  code: number;
  stderr: string;
  /** The profile's lines, the header without its sources. */
  body: string[];
  sources: Json[];
  written: boolean;
}

function profile(cwd: string, tree: string, out: string, flags: string[]): Run {
  const r = cli(
    [
      'profile',
      '--k8s-audit',
      `${tree}/audit`,
      '--cloudtrail',
      `${tree}/trail`,
      '--flows',
      `${tree}/flows`,
      '--inventory',
      INVENTORY,
      '-o',
      out,
      ...flags,
    ],
    { cwd },
  );
  const path = join(cwd, out);
  const written = existsSync(path);
  const text = written ? readFileSync(path, 'utf8') : '';
  const lines = text.split('\n').filter((l) => l);
  let sources: Json[] = [];
  if (lines.length) {
    const header = JSON.parse(lines[0]!) as Json;
    sources = (header['sources'] as Json[]) ?? [];
    delete header['sources'];
    lines[0] = JSON.stringify(header);
  }
  return { code: r.code, stderr: r.stderr, body: lines, sources, written };
}

/** The issue lines of the summary on stderr (`  file:line: code: message`; notices say `notice:`). */
const issueLines = (stderr: string) =>
  stderr.split('\n').filter((l) => /^ {2}(?!notice: )\S.*:\d+: [a-z0-9-]+\.[a-z0-9-]+: /.test(l));
const total = (sources: Json[], f: string) => sources.reduce((n, s) => n + Number(s[f] ?? 0), 0);

/** Where two profiles first differ, for the failure message. */
function firstDifference(a: string[], b: string[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i])
      return `line ${i + 1} (of ${a.length} and ${b.length}):\n    plain: ${a[i]?.slice(0, 600)}\n    envelopes: ${b[i]?.slice(0, 600)}`;
  return 'none';
}

// ---- A run ----------------------------------------------------------------------------------------------------------

interface RunCtx {
  run: number;
  dir: string;
  what: string;
  failures: string[];
  tally: Tally;
}

function fail(ctx: RunCtx, message: string): void {
  ctx.failures.push(`${ctx.what}: ${message}`);
}

function oneRun(ctx: RunCtx): void {
  const { run, dir, tally } = ctx;
  const r = rng((SEED + run * 7919) >>> 0);
  const sample = sampleRecords(r);
  const items: Item[] = [
    ...sample.audit.map((rec) => ({ kind: 'audit' as const, rec, plain: rec })),
    ...sample.trail.map((rec) => ({ kind: 'trail' as const, rec, plain: rec })),
    ...sample.hubble.map((rec) => ({ kind: 'hubble' as const, rec, plain: rec })),
    ...sample.vpc.map((rec) => ({ kind: 'vpc' as const, rec, plain: rec })),
  ];
  const chunks = KINDS.flatMap((k) =>
    chunksOf(
      r,
      run,
      k,
      items.filter((it) => it.kind === k),
    ),
  );
  for (const ch of chunks)
    for (const it of ch.items) {
      it.shape = ch.shape.name;
      if (ch.shape.plain) it.plain = ch.shape.plain(it.rec as Json);
    }

  // Every other run, one record broken inside its envelope: each corruption and each kind in turn.
  let broken: Item | undefined;
  if (run % 2 === 1) {
    const turn = (run - 1) / 2;
    const how = CORRUPTIONS[turn % CORRUPTIONS.length]!;
    // Where breaking a file's first record hits a KNOWN bug, another record of a file holding others is broken.
    const fits = chunks.filter(
      (c) => c.shape.corrupt.includes(how) && !(firstIsKnown(c.shape, how) && c.items.length < 2),
    );
    let ofKind = fits.filter((c) => c.shape.kind === KINDS[turn % KINDS.length]);
    // Now and then a file whose first line decides what it is (see `firstLine`).
    const decided = ofKind.filter((c) => c.shape.firstLine);
    if (decided.length && chance(r, 0.35)) ofKind = decided;
    const ch = pick(r, ofKind.length ? ofKind : fits);
    // Half the time the first record of its file (the one that decides what the file is), where no KNOWN bug is hit.
    if (firstIsKnown(ch.shape, how)) broken = pick(r, ch.items.slice(1));
    else broken = chance(r, 0.5) ? ch.items[0]! : pick(r, ch.items);
    broken.broken = how;
    if (how === 'drop' && broken.kind !== 'vpc') broken.dropped = pick(r, REQUIRED[broken.kind]);
    bump(tally.corruptions, `${broken.kind}: ${broken.broken}`);
    bump(tally.corruptions, `shape ${ch.shape.name}`);
  }

  const flags: string[] = [];
  if (chance(r, 0.5)) flags.push('--include-system');
  if (chance(r, 0.3)) flags.push('--subject-kind', 'serviceaccount,user,group');
  // Every third run reads the enveloped tree with two workers (the same bytes: docs/formats.md).
  const workers = run % 3 === 2 ? ['--workers', '2'] : [];
  if (workers.length) bump(tally.other, 'workers 2');

  // The enveloped tree.
  const c = makeCtx(r, tally);
  chunks.forEach((ch, n) => {
    const w = ch.shape.write(ch.items, c);
    const gzip = chance(r, 0.35);
    const path = join('env', DIR_OF[ch.shape.kind], placeOf(r, ch, n, gzip || ('members' in w && chance(r, 0.6))));
    let content: string | Buffer;
    if ('members' in w) {
      content = path.endsWith('.gz') ? Buffer.concat(w.members.map(gz)) : w.members.join('');
      if (path.endsWith('.gz')) bump(tally.other, 'gzip: one member per record');
    } else content = path.endsWith('.gz') ? gz(w.text) : w.text;
    if (path.endsWith('.gz')) bump(tally.other, 'gzip');
    write(join(dir, path), content);
    for (const it of ch.items) {
      if (!it.loc) throw new Error(`${ch.shape.name} did not say where a record is`);
      it.loc.file = path;
    }
    bump(tally.shapes, ch.shape.name);
  });
  bump(tally.other, 'files', chunks.length);

  writePlain(join(dir, 'plain'), items);
  const plain = profile(dir, 'plain', 'plain.json', flags);
  if (plain.code !== 0 || issueLines(plain.stderr).length)
    return fail(ctx, `the plain records: exit ${plain.code}\n${plain.stderr}`);
  for (const kind of ['"k8s":', '"aws":', '"network":'])
    if (!plain.body.some((l) => l.startsWith(`{${kind}`))) return fail(ctx, `the plain profile holds no ${kind} line`);

  const wrapped = profile(dir, 'env', 'env.json', [...flags, ...workers]);
  const skipped = wrapped.sources.filter((s) => s['format'] === 'skipped');
  if (skipped.length) fail(ctx, `files skipped: ${JSON.stringify(skipped)}`);

  if (!broken) {
    if (wrapped.code !== 0) fail(ctx, `exit ${wrapped.code} on the enveloped records\n${wrapped.stderr}`);
    const issues = issueLines(wrapped.stderr);
    if (issues.length || /input issue/.test(wrapped.stderr))
      fail(ctx, `issues on the enveloped records:\n${issues.slice(0, 10).join('\n')}`);
    if (total(wrapped.sources, 'records') !== total(plain.sources, 'records'))
      fail(ctx, `${total(wrapped.sources, 'records')} records read, ${total(plain.sources, 'records')} plain`);
    if (wrapped.body.join('\n') !== plain.body.join('\n'))
      fail(ctx, `the profiles differ: ${firstDifference(plain.body, wrapped.body)}`);
    return;
  }

  // A record broken: the issue names it, and the profile is the one of the others.
  const loc = broken.loc!;
  const said = `${broken.broken} of a ${broken.kind} record${broken.dropped ? ` (${broken.dropped} dropped)` : ''} in "${broken.shape}" at ${loc.file}:${loc.line}${loc.where ? ` (${loc.where})` : ''}`;
  writePlain(
    join(dir, 'minus'),
    items.filter((it) => it !== broken),
  );
  const minus = profile(dir, 'minus', 'minus.json', flags);
  if (wrapped.code !== 0) fail(ctx, `${said}: exit ${wrapped.code} under --on-error skip\n${wrapped.stderr}`);
  const issues = issueLines(wrapped.stderr);
  const named = issues.filter((l) => l.startsWith(`  ${loc.file}:${loc.line}: `) && l.includes(loc.where));
  if (issues.length !== 1 || named.length !== 1 || !/\b1 input issue\b/.test(wrapped.stderr))
    fail(ctx, `${said}: expected one issue naming it, stderr says:\n${wrapped.stderr}`);
  const of = wrapped.sources.find((s) => s['path'] === loc.file);
  if (Number(of?.['issues']) !== 1 || total(wrapped.sources, 'issues') !== 1)
    fail(
      ctx,
      `${said}: sources count ${total(wrapped.sources, 'issues')} issues, ${String(of?.['issues'])} in its file`,
    );
  if (total(wrapped.sources, 'records') !== total(minus.sources, 'records'))
    fail(
      ctx,
      `${said}: ${total(wrapped.sources, 'records')} records read, ${total(minus.sources, 'records')} without it`,
    );
  if (wrapped.body.join('\n') !== minus.body.join('\n'))
    fail(ctx, `${said}: not the profile of the other records: ${firstDifference(minus.body, wrapped.body)}`);
  if (run % 4 === 1) {
    const strict = profile(dir, 'env', 'strict.json', [...flags, '--on-error', 'fail']);
    bump(tally.other, '--on-error fail');
    if (strict.code !== 2 || strict.written || !strict.stderr.includes(`${loc.file}:${loc.line}: `))
      fail(
        ctx,
        `${said}: under --on-error fail, exit ${strict.code}, ${strict.written ? '' : 'nothing '}written:\n${strict.stderr}`,
      );
  }
}

describe('the same records in any envelope give the same profile (seeded runs)', () => {
  it(`envelopes, time forms, files and broken records (seed ${SEED}, ${RUNS} runs)`, () => {
    const root = tmp('a2p-envprop-');
    const failures: string[] = [];
    const tally: Tally = { runs: 0, shapes: {}, corruptions: {}, moved: {}, other: {} };
    const keep = env['A2P_KEEP_TMP'] === '1' ? '' : '; A2P_KEEP_TMP=1 keeps it';
    for (let run = 0; run < RUNS; run++) {
      if (ONLY !== undefined && run !== ONLY) continue;
      const dir = join(root, `run-${run}`);
      mkdirSync(dir, { recursive: true });
      const what = `run ${run} (FUZZ_SEED=${SEED} FUZZ_RUN=${run}, in ${dir}${keep})`;
      oneRun({ run, dir, what, failures, tally });
      tally.runs++;
    }
    if (env['ENVPROP_TALLY']) console.log(JSON.stringify(tally, null, 1));
    expect(failures.join('\n\n')).toBe('');
    if (ONLY !== undefined || RUNS < 10) return;
    for (const k of KINDS)
      for (const s of SHAPES[k]) expect(tally.shapes[s.name] ?? 0, `shape "${s.name}" used`).toBeGreaterThan(0);
    const corrupted = Object.entries(tally.corruptions).filter(([k]) => !k.startsWith('shape '));
    expect(
      corrupted.reduce((n, [, v]) => n + v, 0),
      'records broken',
    ).toBe(Math.floor(RUNS / 2));
    for (const c of CORRUPTIONS)
      expect(
        corrupted.some(([k]) => k.endsWith(`: ${c}`)),
        `a record broken by "${c}"`,
      ).toBe(true);
    for (const m of ['audit (ms)', 'audit (us)', 'audit (ns)', 'trail (ms)', 'hubble (ns)'])
      expect(tally.moved[m] ?? 0, `times moved to the envelope: ${m}`).toBeGreaterThan(0);
    for (const o of ['gzip', 'gzip: one member per record', '--on-error fail', 'workers 2'])
      expect(tally.other[o] ?? 0, o).toBeGreaterThan(0);
  }, 600_000);
});
