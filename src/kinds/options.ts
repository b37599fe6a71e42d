import { UsageError } from '../model/issue.js';

/** A whole number option value, or undefined when the option was not given. */
export function wholeNumber(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: expected a whole number, got "${String(v)}"`);
  return n;
}
