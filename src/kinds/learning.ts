import { microsToTime, timeToMicros } from '../util/time.js';
import { cmp } from '../model/issue.js';
import type { AccessClass } from './types.js';

const DAY_US = 86_400_000_000;

/**
 * Subjects whose newest access class (a rule, permission or peer of the generated policy) was first
 * seen on the soak's last day: the soak may have been too short for them. From the profile alone.
 */
export function stillLearning(
  classes: AccessClass[],
  windowStart: string,
  windowEnd: string,
): { subject: string; label: string; firstSeen: string }[] {
  if (!windowEnd || !windowStart || timeToMicros(windowEnd) - timeToMicros(windowStart) < 2 * DAY_US) return [];
  const lastDay = microsToTime(timeToMicros(windowEnd) - DAY_US);
  return NewestClasses.of(classes)
    .filter((c) => c.firstSeen && c.firstSeen > lastDay)
    .map((c) => ({ subject: c.subject, label: c.label, firstSeen: c.firstSeen }))
    .sort((a, b) => cmp(a.subject, b.subject));
}

/**
 * Each subject's newest access class as classes come (the first of the newest on a tie, as `stillLearning` picks):
 * all a generator keeps of its classes, however many names its rules list.
 */
export class NewestClasses {
  private readonly newest = new Map<string, AccessClass>();

  add(c: AccessClass): void {
    const prev = this.newest.get(c.subject);
    if (!prev || c.firstSeen > prev.firstSeen) this.newest.set(c.subject, c);
  }

  list(): AccessClass[] {
    return [...this.newest.values()];
  }

  static of(classes: Iterable<AccessClass>): AccessClass[] {
    const n = new NewestClasses();
    for (const c of classes) n.add(c);
    return n.list();
  }
}

/** Warning lines: who was still learning, and what to run. */
export function learningWarnings(list: { subject: string; label: string; firstSeen: string }[]): string[] {
  if (list.length === 0) return [];
  return [
    `still learning on the soak's last day: ${list.length} subject${list.length === 1 ? '' : 's'} met an access on it that nothing earlier covered; the soak may be too short for them (backtest --folds K shows their learning curves):`,
    ...list.map((x) => `  ${x.subject}: ${x.label}, first seen ${x.firstSeen}`),
  ];
}
