/** A parsed JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/** Whether a parsed JSON value is an object (not an array, not null): the guard every reader of raw input needs. */
export function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string or a list of strings (as IAM policy elements hold them) as a list; undefined for anything else. */
export const stringList = (v: unknown): string[] | undefined =>
  typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/**
 * Whether a parsed JSON value nests objects and arrays deeper than `max` levels (the value itself is level 1).
 * Iterative and stopping at the first level past the limit: it costs one step per object or array, whatever the
 * depth, where a recursive visitor overflows the stack at a few thousand levels.
 */
export function deeperThan(v: unknown, max: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const stack: object[] = [v];
  const depths: number[] = [1];
  while (stack.length) {
    const x = stack.pop()!;
    const d = depths.pop()!;
    if (Array.isArray(x)) {
      for (const y of x as unknown[])
        if (typeof y === 'object' && y !== null) {
          if (d >= max) return true;
          stack.push(y);
          depths.push(d + 1);
        }
    } else {
      for (const k in x) {
        const y = (x as Record<string, unknown>)[k];
        if (typeof y === 'object' && y !== null) {
          if (d >= max) return true;
          stack.push(y);
          depths.push(d + 1);
        }
      }
    }
  }
  return false;
}

/** Every string under `key` in `v`, up to eight levels deep (a response's `instancesSet.items[].instanceId`). */
export function stringsUnder(v: unknown, key: string, out: string[] = [], depth = 0): string[] {
  if (depth > 8) return out;
  if (Array.isArray(v)) for (const x of v) stringsUnder(x, key, out, depth + 1);
  else if (isObj(v))
    for (const [k, x] of Object.entries(v)) {
      if (k === key && typeof x === 'string') out.push(x);
      else stringsUnder(x, key, out, depth + 1);
    }
  return out;
}
