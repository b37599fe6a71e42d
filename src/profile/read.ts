import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { compareAccess } from '../model/access.js';
import { InputError } from '../model/issue.js';
import { fsProblem } from '../util/fsError.js';
import { PROFILE_API_VERSION, type AwsEdge, type Principal } from '../model/profile.js';
import type { Evidence } from '../model/evidence.js';
import type { NetEdge } from '../model/network.js';
import { edgeOfWire, type WireEdge } from '../model/apiServer.js';
import { principalId } from '../model/subject.js';
import { LineSplitter, MAX_LINE_BYTES } from '../ingest/lines.js';
import {
  awsEdgeOf,
  k8sEdgeOf,
  principalOf,
  TAIL_SECTIONS,
  tailCounts,
  type EndCounts,
  type ProfileHead,
  type ProfileTail,
} from './lines.js';
import type { LineKind } from './lineSchema.js';
import {
  countProblem,
  flowProblem,
  impliedProblem,
  lineFits,
  lineKind,
  principalListsProblem,
  schemaChecks,
  stagesProblem,
  strictlySorted,
  TAIL_ORDER,
  windowProblem,
} from './checks.js';
import { awsEdgeNameProblem, k8sEdgeNameProblem, principalNameProblem, tailNameProblem } from './names.js';
import { compareAwsCalls, comparePrincipals } from './order.js';
import { compareSamlAssumptions, compareServiceAssumptions, compareWebIdentityAssumptions } from './assumptions.js';
import { oldLeftOut } from './identities.js';
import { canonicalFilters } from './filters.js';

/**
 * The v1alpha2 reader: a profile file line by line, gzip or not (by its first bytes), each line checked on its own
 * (schema, names, order) and a bad one reported as `file:line`. Memory is one principal at a time, plus the header and
 * the trailing sections (left-out identities, the network part), which are small beside the principals.
 */

/** A profile being read: its header, then its principals one at a time, then what follows them. */
export interface ProfileStream {
  head: ProfileHead;
  /** Each principal with its accesses, in the profile's order. Iterate once. */
  principals: AsyncIterable<Principal>;
  /** The trailing sections; valid once `principals` is exhausted (the end line checked). */
  tail(): ProfileTail;
}

/** A line of a file and its number (1-based). */
export interface Line {
  text: string;
  line: number;
}

/**
 * The lines of a file, gunzipped when it starts with gzip's magic bytes, a chunk's lines at a time (never an empty
 * batch): one await per chunk read, not per line (a profile is millions of lines, and the promises of an async
 * generator yielding each one were a third of reading it).
 */
export async function* fileLineBatches(path: string): AsyncGenerator<Line[]> {
  const fh = await open(path, 'r');
  const magic = Buffer.alloc(2);
  let n: number;
  try {
    n = (await fh.read(magic, 0, 2, 0)).bytesRead;
  } finally {
    await fh.close();
  }
  const raw = createReadStream(path);
  const gzip = n === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  const src: AsyncIterable<Buffer> = gzip ? raw.pipe(createGunzip()) : raw;
  let pending: Line[] = [];
  let tooLong: InputError | undefined;
  const splitter = new LineSplitter((text, line) => pending.push({ text, line }), {
    maxLineBytes: MAX_LINE_BYTES,
    onLineTooLong: (line, bytes) => {
      tooLong ??= new InputError(`${path}:${line}: not a valid profile: a line of ${bytes} bytes, over the limit`);
    },
  });
  try {
    for await (const chunk of src) {
      splitter.push(chunk);
      if (tooLong) throw tooLong;
      if (pending.length) {
        const batch = pending;
        pending = [];
        yield batch;
      }
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${path}: cannot read the profile: ${fsProblem(e)}`);
  } finally {
    raw.destroy();
  }
  splitter.end();
  if (tooLong) throw tooLong;
  if (pending.length) yield pending;
}

/** Whether a first line is the header of a v1alpha2 profile (else the file is read as one document). */
export function isStreamHeader(text: string): boolean {
  if (!text.startsWith('{')) return false;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    return typeof v === 'object' && v !== null && v['apiVersion'] === PROFILE_API_VERSION;
  } catch {
    return false;
  }
}

/** A line parsed, of the kind its first key names, checked against that kind's schema. */
interface ParsedLine {
  kind: LineKind;
  v: Record<string, unknown>;
}

/** `take`: the lines in hand are used up. */
const MORE = Symbol('more');
/** A line that does not fit its kind's schema (which one: `misfit`); why is said by TypeBox, loaded then. */
const MISFIT = Symbol('misfit');

/**
 * A v1alpha2 profile from its lines (the first one, its header, included): `lines`, then the batches `rest` gives.
 * Throws an InputError naming `path:line` for the first line that is not what the format says may come there.
 */
export async function streamOf(
  path: string,
  lines: Line[],
  rest: AsyncIterator<Line[]> = emptyBatches(),
): Promise<ProfileStream> {
  let at = 0;
  const bad = (why: string): never => {
    throw new InputError(`${path}:${at}: not a valid profile: ${why}`);
  };
  let misfit: { kind: LineKind; v: unknown } | undefined;
  /** The line `take` found not to fit its schema, refused with the words of TypeBox's check. */
  const refuseMisfit = async (): Promise<never> => {
    const { kind, v } = misfit!;
    const problem = (await schemaChecks()).lineSchemaProblem(kind, v);
    return bad(`${kind} line: ${problem ?? 'not what its schema says'}`);
  };
  let batch = lines;
  let i = 0;
  /**
   * The next non-empty line of the batch in hand, parsed and checked against its kind's schema; MORE when the batch
   * is used up (read on without a promise per line: `next` awaits only for the next batch); MISFIT for a line that
   * does not fit its schema (`refuseMisfit` says why).
   */
  const take = (): ParsedLine | typeof MORE | typeof MISFIT => {
    while (i < batch.length) {
      const l = batch[i++]!;
      at = l.line;
      if (l.text.trim() === '') continue;
      let v: unknown;
      try {
        v = JSON.parse(l.text);
      } catch (e) {
        return bad(`not JSON: ${(e as Error).message}`);
      }
      const kind = lineKind(v);
      if (!kind) return bad('a line that is no part of a profile (its first key names no section)');
      if (!lineFits(kind, v)) {
        misfit = { kind, v };
        return MISFIT;
      }
      return { kind, v: v as Record<string, unknown> };
    }
    return MORE;
  };
  /** The next non-empty line, parsed and checked; undefined at the end of the file. */
  const next = async (): Promise<ParsedLine | undefined> => {
    for (;;) {
      const got = take();
      if (got === MISFIT) return refuseMisfit();
      if (got !== MORE) return got;
      const r = await rest.next();
      if (r.done) return undefined;
      batch = r.value;
      i = 0;
    }
  };
  const first = await next();
  if (!first || first.kind !== 'header') return bad('the first line is not a profile header');
  const h = first.v as unknown as ProfileHead;
  const badWindow = windowProblem('header: window', h.window);
  if (badWindow) return bad(badWindow);
  const head: ProfileHead = {
    window: h.window,
    sources: h.sources,
    skipped: h.skipped,
    ...(h.filters ? { filters: h.filters.map(canonicalFilters) } : {}),
  };
  let tail: ProfileTail | undefined;
  let pendingLine = await next();

  async function* principals(): AsyncGenerator<Principal> {
    // The last principal's subject, not the principal: its accesses are garbage once it is handed over.
    let prev: Principal['subject'] | undefined;
    let principalCount = 0;
    let accesses = 0;
    while (pendingLine?.kind === 'principal') {
      const p = principalOf((pendingLine.v as { principal: Parameters<typeof principalOf>[0] }).principal);
      if (!p) return bad('assumes: evidence samples are not [id, time] pairs');
      const name =
        principalNameProblem(p, 'principal') ??
        principalListsProblem(p) ??
        (p.assumes ?? [])
          .map((l, j) => countProblem(`principal line: /assumes/${j}/evidence`, l.evidence))
          .find(Boolean);
      if (name) return bad(name);
      if (oldLeftOut(p)) return bad(`principal ${p.subject.name}: no identity policy attaches to it (see leftOut)`);
      if (prev && comparePrincipals(prev, p.subject) >= 0)
        return bad(
          principalId(prev) === principalId(p.subject)
            ? `principal ${p.subject.name} again: one identity is one principal`
            : `principal ${p.subject.name} out of order (principals are sorted: docs/formats.md)`,
        );
      const aws: AwsEdge[] = [];
      for (;;) {
        const got = take();
        pendingLine = got === MORE ? await next() : got === MISFIT ? await refuseMisfit() : got;
        if (pendingLine?.kind === 'k8s') {
          if (aws.length) bad('a k8s line after aws lines (a principal lists its k8s accesses first)');
          const e = k8sEdgeOf(pendingLine.v as Parameters<typeof k8sEdgeOf>[0]);
          if (typeof e === 'string') return bad(`k8s line: ${e}`);
          const problem = k8sEdgeNameProblem(e, 'k8s') ?? stagesProblem('k8s line', e);
          if (problem) bad(problem);
          const last = p.k8s.at(-1);
          if (last && compareAccess(last, e) >= 0) bad('k8s access out of order or repeated');
          p.k8s.push(e);
        } else if (pendingLine?.kind === 'aws') {
          const e = awsEdgeOf(pendingLine.v as Parameters<typeof awsEdgeOf>[0]);
          if (typeof e === 'string') return bad(`aws line: ${e}`);
          const problem =
            awsEdgeNameProblem(e, 'aws') ??
            stagesProblem('aws line', e) ??
            (e.implied.length ? await impliedProblem(e.implied) : undefined);
          if (problem) bad(problem);
          const last = aws.at(-1);
          if (last && compareAwsCalls(last, e) >= 0) bad('aws call out of order or repeated');
          aws.push(e);
        } else break;
      }
      if (aws.length) p.aws = aws;
      principalCount++;
      accesses += p.k8s.length + aws.length;
      prev = p.subject;
      yield p;
    }
    tail = await readTail(principalCount, accesses);
  }

  /** The sections of assumptions: each entry's evidence counted, the entries in order. */
  const ASSUMPTION_ORDER: Partial<Record<string, (a: never, b: never) => number>> = {
    serviceAssumptions: compareServiceAssumptions,
    webIdentityAssumptions: compareWebIdentityAssumptions,
    samlAssumptions: compareSamlAssumptions,
  };

  async function readTail(principalCount: number, accesses: number): Promise<ProfileTail> {
    const t: Record<string, unknown[]> = {};
    let section = 0;
    for (;;) {
      const line = pendingLine;
      if (!line) return bad('the profile ends without its end line: the file is cut short');
      if (line.kind === 'end') break;
      const i = TAIL_SECTIONS.findIndex(([key]) => key === line.kind);
      if (i < 0) return bad(`a ${line.kind} line after the principals' sections`);
      if (i < section) bad(`a ${line.kind} line after the ${TAIL_SECTIONS[section]![0]} lines`);
      section = i;
      const field = TAIL_SECTIONS[i]![1];
      // A connection's peers as the model holds them: the API server is written as an address (model/apiServer.ts).
      const x = field === 'network' ? edgeOfWire(line.v[line.kind] as WireEdge) : line.v[line.kind];
      const assumption = ASSUMPTION_ORDER[field];
      const order = assumption ?? TAIL_ORDER[field];
      const problem =
        tailNameProblem({ [field]: [x] }) ??
        (assumption
          ? countProblem(`${line.kind}: /evidence`, (x as { evidence: Evidence }).evidence)
          : tailEntryProblem(line.kind, x));
      if (problem) bad(problem.replace('[0]', ''));
      const list = (t[field] ??= []);
      if (order && list.length && order(list[list.length - 1] as never, x as never) >= 0)
        bad(`${line.kind}: out of order or repeated (docs/formats.md)`);
      list.push(x);
      pendingLine = await next();
    }
    const end = (pendingLine!.v as { end: EndCounts }).end;
    const endAt = at;
    const after = await next();
    if (after) bad('a line after the end line');
    at = endAt;
    for (const [, field] of TAIL_SECTIONS) if (field !== 'leftOut' && end[field] !== undefined) t[field] ??= [];
    const out = t as ProfileTail;
    const counts = { principals: principalCount, accesses, ...tailCounts(out) };
    for (const k of Object.keys(counts) as (keyof EndCounts)[])
      if (counts[k] !== end[k]) bad(`the end line counts ${end[k] ?? 'no'} ${k}, the file holds ${counts[k]}`);
    for (const k of Object.keys(end))
      if (!Object.hasOwn(counts, k)) bad(`the end line counts ${k}, which the file has none of`);
    // Sections the writer leaves out when empty: one counted 0 is none, as absent (a merge leaves it out too).
    for (const field of LEFT_OUT_WHEN_EMPTY) if (out[field]?.length === 0) delete out[field];
    return out;
  }

  return {
    head,
    principals: principals(),
    tail: () => {
      if (!tail) throw new Error(`${path}: the tail of a profile is read after its principals`);
      return tail;
    },
  };
}

/** Trailing sections written only when they hold an entry (the network part is written whenever flows were read). */
const LEFT_OUT_WHEN_EMPTY = [
  'dnsNames',
  'namespaces',
  'nodeInstances',
  'serviceAssumptions',
  'webIdentityAssumptions',
  'samlAssumptions',
] as const;

/** What is wrong with an entry of a trailing section beyond its names and its place: evidence, inner lists. */
function tailEntryProblem(kind: string, x: unknown): string | undefined {
  if (kind === 'network') return flowProblem(`${kind}: `, x as NetEdge);
  if (kind === 'dnsName' && !strictlySorted((x as { names: string[] }).names))
    return `${kind}: names out of order or repeated`;
  if (kind === 'leftOut' && !strictlySorted((x as { events: string[] }).events))
    return `${kind}: events out of order or repeated`;
  return undefined;
}

async function* emptyBatches(): AsyncGenerator<Line[]> {}
