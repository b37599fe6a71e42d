import type { Window } from '../../backtest/index.js';

/** Calendar day (UTC) of a time, counted from the day of `start` as day 1. */
export function dayOf(t: string, start: string): number {
  const d = (x: string) => Date.UTC(Number(x.slice(0, 4)), Number(x.slice(5, 7)) - 1, Number(x.slice(8, 10)));
  return Math.round((d(t) - d(start)) / 86_400_000) + 1;
}

/**
 * The time of day a window is cut at, when not midnight (UTC): `23:42`, or with its seconds when it has any
 * (`23:42:04`); '' at midnight.
 */
function cutTime(t: string): string {
  const time = /^\d{4}-\d\d-\d\dT(\d\d:\d\d)(:\d\d)(\.\d+)?Z$/.exec(t);
  if (!time) return '';
  const whole = !time[3] || /^\.0*$/.test(time[3]);
  if (time[1] === '00:00' && time[2] === ':00' && whole) return '';
  return time[2] === ':00' && whole ? time[1]! : `${time[1]}${time[2]}`;
}

/**
 * `days 1-6 -> 7-8`: the training and held-out windows as days of the soak. A cut inside a day (`--holdout 2d` counts
 * back 48 hours from the newest record) puts that day on both sides, and the label says when it was cut:
 * `days 1-6 (to 23:42:04 UTC) -> 6-8`.
 */
export function daysLabel(train: Window, test: Window): string {
  const start = train.from || test.from;
  if (!start || !test.until) return 'train -> held out';
  const last = (w: Window) => {
    // A window ends at its next one's start: a window ending at midnight ends on the day before.
    const until = new Date(Date.parse(w.until.slice(0, 23) + 'Z') - 1).toISOString();
    return dayOf(until, start);
  };
  const span = (a: number, b: number) => (a === b ? `${a}` : `${a}-${b}`);
  // No record before the split: there are no training days to count (and the policies allow nothing).
  if (!train.from) return `no training data -> days ${span(1, last(test))}`;
  const cut = cutTime(train.until);
  return `days ${span(1, last(train))}${cut ? ` (to ${cut} UTC)` : ''} -> ${span(dayOf(test.from, start), last(test))}`;
}
