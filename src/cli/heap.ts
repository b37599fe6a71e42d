import { setFlagsFromString } from 'node:v8';

/** How far V8's old generation may grow past its live size before a full collection: 1 + this / 100. */
export const HEAP_GROWING_PERCENT = 40;

/**
 * The CLI's one V8 setting (bin/audit2policy.js; the benchmark's child applies it too, to measure what users run).
 * By default V8 lets the old generation grow up to 4× its live size before a full collection; a profile being built
 * or written is hundreds of MB live, so the garbage of writing it out doubled the peak (1M distinct accesses: 1,020 MB
 * at the default, ~520 MB at 40%, no slower; docs/performance.md, ADR 0010). V8 reads it at each collection, so
 * setting it before any work is enough, and it holds for the worker threads. A value given to node is kept.
 */
export function tuneHeap(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const given = (s: string) => /heap[-_]growing[-_]percent/.test(s);
  if (execArgv.some(given) || given(nodeOptions ?? '')) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
