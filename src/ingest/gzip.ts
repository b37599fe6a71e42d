import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import type { Observation } from '../model/observation.js';
import type { Progress, TaskStats } from './task.js';

/**
 * gzip checks its data only at the end of each member (CRC-32 and length), after zlib has handed on every byte before
 * it. A flipped bit in a stored block, or in a literal of a compressed one, decodes without complaint to another name:
 * a role, a bucket, a namespace that was never seen, which the policy would then grant. So a gzip file's observations
 * are held until its data is known to pass the check, and a file that fails gives none.
 *
 * - A file over SMALL_GZIP bytes is also decompressed to nowhere by a thread of its own (the checker, below), at
 *   once and beside the reading, only to check it: decompressing alone is several times faster than reading records.
 *   The observations read meanwhile are held, and taken in when it passes; past WAIT_AT of them the reading waits for
 *   it, so memory holds a bounded few, not the file's.
 * - A smaller file is held whole and checked by its own reading.
 * - stdin is read once: it is held up to STDIN_HOLD observations, then taken in as it comes; a failure after that
 *   says how many records were taken in already.
 */
export const SMALL_GZIP = 1 << 20;
export const STDIN_HOLD = 500_000;
/** Observations a file's reading holds before it waits for its check: memory stays bounded if the check is slow. */
export const WAIT_AT = 16_384;

/** What checking a gzip file by itself found: it passes (or is cut short: the reading reports it), or it fails. */
export type GzipVerdict = { corrupt: false } | { corrupt: true; line: number; message: string };

export class GzipHold {
  private items: Observation[] = [];
  private state: 'holding' | 'open' | 'dropped' = 'holding';
  /** Records taken in when the hold opened (0 while it holds them all). */
  private released = 0;

  constructor(
    private readonly cap: number,
    private readonly records: () => number,
    private readonly take: (o: Observation) => void,
  ) {}

  get dropped(): boolean {
    return this.state === 'dropped';
  }

  /** Whether the reading should wait for the check before going on (it holds WAIT_AT observations). */
  get full(): boolean {
    return this.items.length >= WAIT_AT;
  }

  /** Whether an observation is the hold's (kept until the check, or discarded after a failure): else take it now. */
  held(o: Observation): boolean {
    if (this.state === 'open') return false;
    if (this.state === 'dropped') return true;
    this.items.push(o);
    if (this.items.length >= this.cap) this.release();
    return true;
  }

  /** The data passes (or was only cut short): every observation held is taken in, and later ones as they come. */
  release(): void {
    if (this.state !== 'holding') return;
    this.state = 'open';
    this.released = this.records();
    const items = this.items;
    this.items = [];
    for (const o of items) this.take(o);
  }

  /** The check failed: what is held is dropped, and so is what comes after. Records left out, and taken in before. */
  drop(): { records: number; released: number } {
    const released = this.state === 'holding' ? 0 : this.released;
    this.state = 'dropped';
    this.items = [];
    return { records: this.records() - released, released };
  }
}

/** A file's check, beside its reading; undefined for stdin and small files (held whole, checked by the reading). */
export async function checkBeside(abs: string): Promise<{ verdict: Promise<GzipVerdict> } | undefined> {
  if (abs === '-') return undefined;
  const size = await stat(abs).then(
    (s) => s.size,
    () => 0,
  );
  return size > SMALL_GZIP ? { verdict: verify(abs) } : undefined;
}

/**
 * The checker: one thread per process, made at the first large gzip file. It decompresses to nowhere on its own event
 * loop, so the reading's work between chunks does not pace it (in the same thread, each took a turn at a time and it
 * finished barely ahead of the reading).
 */
const CHECKER = `
const { parentPort } = require('node:worker_threads');
const { createReadStream } = require('node:fs');
const { createGunzip } = require('node:zlib');
parentPort.on('message', async ({ id, path }) => {
  let lines = 0;
  try {
    const unzip = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 20 }));
    for await (const c of unzip) for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) lines++;
    parentPort.postMessage({ id, corrupt: false });
  } catch (e) {
    // Cut short, or unreadable: the reading says which.
    const corrupt = e.code === 'Z_DATA_ERROR';
    parentPort.postMessage(corrupt ? { id, corrupt, line: lines, message: e.message } : { id, corrupt });
  }
});
`;

let checker: Worker | undefined;
const waiting = new Map<number, (v: GzipVerdict) => void>();
let nextId = 0;

function verify(abs: string): Promise<GzipVerdict> {
  if (!checker) {
    const w = (checker = new Worker(CHECKER, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 64 } }));
    w.on('message', (m: GzipVerdict & { id: number }) => {
      const { id, ...v } = m;
      waiting.get(id)?.(v);
      waiting.delete(id);
      if (!waiting.size) w.unref();
    });
    // A checker that fails leaves the files unchecked, as they were read before it existed.
    w.on('error', () => settleAll(w));
    w.on('exit', () => settleAll(w));
  }
  const id = nextId++;
  checker.ref();
  checker.postMessage({ id, path: abs });
  return new Promise((done) => waiting.set(id, done));
}

function settleAll(w: Worker): void {
  if (checker === w) checker = undefined;
  for (const done of waiting.values()) done({ corrupt: false });
  waiting.clear();
}

/** The end of a gzip.corrupt issue's message: what became of the records decoded before the failure. */
export function corruptTail(dropped: { records: number; released: number }): string {
  const n = (k: number) => `${k.toLocaleString('en-US')} record${k === 1 ? '' : 's'}`;
  const left = `${n(dropped.records)} decoded before the check failed, which may hold names never seen`;
  if (!dropped.released) return `the file is left out whole: its ${left}`;
  return `left out: the ${left}; the ${n(dropped.released)} before them were taken in already (stdin is read once, and a gzip over ${STDIN_HOLD.toLocaleString('en-US')} observations is not held back): read the file by its path`;
}

/**
 * Decompress, counting compressed bytes as they are read. A file stream is piped directly (fast); stdin goes through an
 * adapter.
 */
export function gunzip(source: AsyncIterable<Buffer>, stats: TaskStats, onProgress: Progress): Readable {
  const unzip = createGunzip({ chunkSize: 1 << 20 });
  if (source instanceof Readable) {
    source.on('data', (c: Buffer) => {
      stats.bytes += c.length;
      onProgress(c.length, 0);
    });
    source.on('error', (e) => unzip.destroy(e));
    return source.pipe(unzip);
  }
  return countBytes(source, stats, onProgress).pipe(unzip);
}

/** Count compressed bytes as they are read, then hand them on. */
function countBytes(source: AsyncIterable<Buffer>, stats: TaskStats, onProgress: Progress): Readable {
  async function* counted() {
    for await (const chunk of source) {
      stats.bytes += chunk.length;
      onProgress(chunk.length, 0);
      yield chunk;
    }
  }
  return Readable.from(counted(), { objectMode: false });
}
