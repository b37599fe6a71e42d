import { mergeEvidence, type Evidence } from '../model/evidence.js';
import type { CiEvidence, Location } from '../model/finding.js';
import { cmp } from '../model/issue.js';

/** Helpers the kinds' comparisons share: grouping, locations, evidence as CI findings carry it. */

export const noEvidence = (): CiEvidence => ({ used: false, count: 0, firstSeen: '', lastSeen: '', samples: [] });

export function fromEvidence(ev: Evidence | undefined): CiEvidence {
  return ev
    ? {
        used: true,
        count: ev.count,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        samples: ev.samples.map((s) => s.id),
      }
    : noEvidence();
}

/** Evidence merged over a list (undefined when empty). */
export function mergeAll(list: Evidence[]): Evidence | undefined {
  let ev: Evidence | undefined;
  for (const x of list) ev = ev ? mergeEvidence(ev, x) : x;
  return ev;
}

/** Each value once, by key, in key order. */
export function dedupe<T>(xs: T[], key: (x: T) => string): T[] {
  const m = new Map<string, T>();
  for (const x of xs) if (!m.has(key(x))) m.set(key(x), x);
  return [...m.keys()].sort(cmp).map((k) => m.get(k)!);
}

export function uniqueLocations(ls: Location[]): Location[] {
  const m = new Map(ls.map((l) => [`${l.file}:${l.line}`, l]));
  return [...m.keys()].sort(cmp).map((k) => m.get(k)!);
}
