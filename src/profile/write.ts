import { Readable, type Writable } from 'node:stream';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { Principal, Profile } from '../model/profile.js';
import { canonicalForLines, canonicalHead, canonicalTail } from './canonical.js';
import { edgeCount, linesOf } from './lazyEdges.js';
import {
  endLine,
  headerLine,
  principalLines,
  tailCounts,
  tailLines,
  type ProfileHead,
  type ProfileTail,
} from './lines.js';

/**
 * The v1alpha2 writer: a profile as lines, one principal at a time, never one string of the whole (docs/formats.md,
 * ADR 0010). Written from a profile in memory, from the builder's or a merge's principals as they come.
 */

/** A profile in parts: the header, the principals in the profile's order, and what follows them. */
export interface ProfileParts {
  head: ProfileHead;
  principals: Iterable<Principal> | AsyncIterable<Principal>;
  /** Called once the principals are exhausted. */
  tail: () => ProfileTail;
}

/** The profile's lines, each with its newline, canonical (key order, principals' parts), in file order. */
export async function* profileLines(parts: ProfileParts): AsyncGenerator<string> {
  yield headerLine(canonicalHead(parts.head)) + '\n';
  let principals = 0;
  let accesses = 0;
  for await (const p of parts.principals) {
    principals++;
    accesses += accessCount(p);
    // A principal's lines go out joined into pieces of about 1 MB as they are made: one write per piece, never one
    // string of a huge principal.
    for (const piece of chunks(principalText(p))) yield piece;
  }
  const tail = canonicalTail(parts.tail());
  for (const line of tailLines(tail)) yield line + '\n';
  yield endLine({ principals, accesses, ...tailCounts(tail) }) + '\n';
}

/** A principal's lines; a builder's gives its edges' lines made from its columns (lazyEdges.ts). */
function principalText(p: Principal): Iterable<string> {
  const k8s = linesOf(p, 'k8s');
  const aws = linesOf(p, 'aws');
  return principalLines(canonicalForLines(p, !k8s, !aws), k8s, aws);
}

/** A principal's accesses, counted without making them. */
const accessCount = (p: Principal): number => edgeCount(p, 'k8s') + edgeCount(p, 'aws');

/** Lines joined, each with its newline, into pieces of about `size` characters (a huge principal is many). */
function* chunks(lines: Iterable<string>, size = 1 << 20): Generator<string> {
  let buf: string[] = [];
  let n = 0;
  for (const l of lines) {
    buf.push(l);
    n += l.length + 1;
    if (n >= size) {
      yield buf.join('\n') + '\n';
      buf = [];
      n = 0;
    }
  }
  if (buf.length) yield buf.join('\n') + '\n';
}

/** The same lines, for a profile in memory. */
export function* profileLinesSync(p: Profile): Generator<string> {
  yield headerLine(canonicalHead(p)) + '\n';
  let accesses = 0;
  for (const pr of p.principals) {
    accesses += accessCount(pr);
    for (const line of principalText(pr)) yield line + '\n';
  }
  const tail = canonicalTail(p);
  for (const line of tailLines(tail)) yield line + '\n';
  yield endLine({ principals: p.principals.length, accesses, ...tailCounts(tail) }) + '\n';
}

/** Lines joined into pieces of about `size` characters: one write per piece, not per line. */
export async function* batched(lines: AsyncIterable<string>, size = 1 << 16): AsyncGenerator<string> {
  let buf = '';
  for await (const l of lines) {
    buf += l;
    if (buf.length >= size) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/** The bytes of a file named `*.gz` are gzip (deterministic: zlib's defaults, no name, no time in the header). */
export function gzipped(text: AsyncIterable<string>): AsyncIterable<Buffer> {
  return Readable.from(text).pipe(createGzip());
}

/** Write pieces to a stream, waiting when it asks to (stdout). */
export async function writeAll(out: Writable, pieces: AsyncIterable<string | Uint8Array>): Promise<void> {
  for await (const piece of pieces) if (!out.write(piece)) await once(out, 'drain');
}
