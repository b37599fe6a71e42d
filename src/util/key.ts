/**
 * Composite keys that no value can shift. Every part is written with its length in front, so
 * `["a\u0000b", "c"]` and `["a", "b\u0000c"]` give different keys whatever characters the parts hold
 * (names come from logs an attacker in staging may partly write). Keys are for maps only: order
 * output with `compareTuples` over the fields, never by sorting keys.
 */
export function tupleKey(...parts: readonly string[]): string {
  return tupleKeyOf(parts);
}

/** tupleKey of a list of any length (spreading a long list into tupleKey's arguments overflows the stack). */
export function tupleKeyOf(parts: readonly string[]): string {
  let k = '';
  for (const p of parts) k += p.length + ':' + p;
  return k;
}

/** Field-by-field order of two tuples of strings; a tuple that is a prefix of the other sorts first. */
export function compareTuples(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
