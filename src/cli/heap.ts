import { setFlagsFromString } from 'node:v8';

/** How far V8's old generation may grow past its live size before a full collection: 1 + this / 100. */
export const HEAP_GROWING_PERCENT = 40;

/** The flags given to node, as tuneHeap was told them: a setting of ours never overrides one of them. */
let givenFlags = '';

/**
 * The CLI's V8 setting (bin/audit2policy.js; the benchmark's child applies it too, to measure what users run).
 * By default V8 lets the old generation grow up to 4× its live size before a full collection; a profile being built
 * or written is hundreds of MB live, so the garbage of writing it out doubled the peak (1M distinct accesses: 1,020 MB
 * at the default, ~520 MB at 40%, no slower; docs/performance.md, ADR 0010). V8 reads it at each collection, so
 * setting it before any work is enough, and it holds for the worker threads. A value given to node is kept.
 */
export function tuneHeap(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  givenFlags = [...execArgv, nodeOptions ?? ''].join(' ');
  const given = (s: string) => /heap[-_]growing[-_]percent/.test(s);
  if (execArgv.some(given) || given(nodeOptions ?? '')) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}

/**
 * For a command that reads a profile file a principal at a time and keeps nothing of what it read (`verify
 * --profile`): V8's allocation-site pretenuring off. A principal's accesses live until it is replayed, so at a
 * scavenge during a principal every object its reader's allocation sites made is alive, and V8 makes them in the
 * old generation from then on, where they die a principal later: a full collection every few dozen principals under
 * HEAP_GROWING_PERCENT (1M distinct accesses: 44 full collections and 2.1 s of GC in a 6 s verify; off, 3 and
 * 0.5 s, and a lower peak). V8 reads the flag at each collection, so it may be set when the command starts. Kept
 * when given to node.
 */
export function principalsDieYoung(): boolean {
  if (/allocation[-_]site[-_]pretenuring/.test(givenFlags)) return false;
  setFlagsFromString('--no-allocation-site-pretenuring');
  return true;
}
