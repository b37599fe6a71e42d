/**
 * "Now" for relative windows (`--since 1d`): the newest *plausible* record. One record from a node with
 * a wrong clock (dated 9999-12-31) must not move the window past every real record, so records are
 * counted per day in the pre-pass and the newest days are dropped while they stand apart from the
 * bulk: more than `toleranceMs` after the next older day that has records, and holding under 1% of
 * them. The records set aside stay in the profile; they only do not decide "now".
 */

/** Records per UTC day (`YYYY-MM-DD`) and the newest time among them. */
export type DayCounts = Record<string, { n: number; max: string }>;

export function countDay(days: DayCounts, time: string): void {
  if (!time) return;
  const day = time.slice(0, 10);
  const d = (days[day] ??= { n: 0, max: '' });
  d.n++;
  if (time > d.max) d.max = time;
}

export function mergeDays(into: DayCounts, from: DayCounts | undefined): void {
  for (const [day, c] of Object.entries(from ?? {})) {
    const d = (into[day] ??= { n: 0, max: '' });
    d.n += c.n;
    if (c.max > d.max) d.max = c.max;
  }
}

export interface Anchor {
  /** The newest plausible record's time ('' when there are no records). */
  time: string;
  /** Records newer than it, set aside as implausible, and the newest of them. */
  outliers: number;
  newestOutlier: string;
}

const DAY_MS = 86_400_000;
const dayMs = (day: string) => Date.parse(day + 'T00:00:00Z');

export function plausibleNewest(days: DayCounts, toleranceMs = DAY_MS): Anchor {
  const sorted = Object.keys(days).sort();
  const total = sorted.reduce((n, d) => n + days[d]!.n, 0);
  let outliers = 0;
  let newestOutlier = '';
  let i = sorted.length - 1;
  while (i > 0) {
    const day = sorted[i]!;
    const gap = dayMs(day) - dayMs(sorted[i - 1]!) - DAY_MS;
    const few = (outliers + days[day]!.n) * 100 < total;
    if (!(gap > toleranceMs && few)) break;
    outliers += days[day]!.n;
    if (!newestOutlier) newestOutlier = days[day]!.max;
    i--;
  }
  return { time: i >= 0 ? days[sorted[i]!]!.max : '', outliers, newestOutlier };
}
