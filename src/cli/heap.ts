import { setFlagsFromString } from 'node:v8';
import { capGrowthWhenLarge } from '../util/heapGrowth.js';

/** The flags given to node, as tuneHeap was told them: a setting of ours never overrides one of them. */
let givenFlags = '';

/**
 * The CLI's V8 setting (bin/audit2policy.js; the benchmark's child applies it too, to measure what users run): the
 * old generation's growth capped once the heap is large (util/heapGrowth.ts), unless node was given a growth of its
 * own. Returns whether the cap is watched for.
 */
export function tuneHeap(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  givenFlags = [...execArgv, nodeOptions ?? ''].join(' ');
  const given = (s: string) => /heap[-_]growing[-_]percent/.test(s);
  if (execArgv.some(given) || given(nodeOptions ?? '')) return false;
  capGrowthWhenLarge();
  return true;
}

/**
 * For a command that reads a profile file a principal at a time and keeps nothing of what it read (`verify
 * --profile`): V8's allocation-site pretenuring off. A principal's accesses live until it is replayed, so at a
 * scavenge during a principal every object its reader's allocation sites made is alive, and V8 makes them in the
 * old generation from then on, where they die a principal later: a full collection every few dozen principals
 * under the growth cap of util/heapGrowth.ts (1M distinct accesses: 44 full collections and 2.1 s of GC in a 6 s
 * verify; off, 3 and 0.5 s, and a lower peak). V8 reads the flag at each collection, so it may be set when the
 * command starts. Kept when given to node.
 */
export function principalsDieYoung(): boolean {
  if (/allocation[-_]site[-_]pretenuring/.test(givenFlags)) return false;
  setFlagsFromString('--no-allocation-site-pretenuring');
  return true;
}
