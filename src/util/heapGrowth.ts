import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** How far V8's old generation may grow past its live size before a full collection, once capped: 1 + this / 100. */
export const HEAP_GROWING_PERCENT = 40;

/** Heap in use (bytes, after a collection) from which the watcher caps the old generation's growth. */
export const LARGE_HEAP_BYTES = 64 * 1024 * 1024;

let watching = false;
let capped = false;

/**
 * The old generation's growth, capped at HEAP_GROWING_PERCENT once the heap is large (docs/performance.md, "The
 * heap's growth"). By default V8 lets the old generation grow to up to 4× its live size before the next full
 * collection. A profile being built or written is hundreds of MB live, and that slack doubled the peak when writing
 * it; at 1M distinct accesses the default peaks at about 510 MB, capped at 426-460 MB. Where the heap stays small the
 * cap saves no memory and costs time: on the 500 MB high-cardinality audit set with one thread, 10 full collections
 * instead of 2, and 3-5% of the run.
 *
 * So the CLI watches its main thread's collections and caps the growth at the first that leaves LARGE_HEAP_BYTES in
 * use (any collection: the first full one may come only when the heap is already large); a pool of workers caps it
 * when it starts (`capGrowthNow`), as several heaps' slack adds up (two workers on the high-cardinality set: 312 MB
 * uncapped, 239 MB capped). V8 reads the flag at each collection, for every thread of the process. Once per process.
 */
export function capGrowthWhenLarge(threshold = LARGE_HEAP_BYTES): void {
  if (watching) return;
  watching = true;
  const obs = new PerformanceObserver(() => {
    if (capped) return obs.disconnect();
    if (getHeapStatistics().used_heap_size >= threshold) capGrowthNow();
  });
  obs.observe({ entryTypes: ['gc'] });
  stop = () => obs.disconnect();
}

let stop = (): void => {};

/** Cap the growth now, if the watcher was set up (the CLI's choice; a library caller's heap is its own). */
export function capGrowthNow(): void {
  if (!watching || capped) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  capped = true;
  stop();
}

/** Whether the growth is capped (by the watcher, or a pool). */
export function growthCapped(): boolean {
  return capped;
}
