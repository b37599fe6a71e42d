/**
 * Patterns by the literal text before their first wildcard (`*` or `?`): the patterns that can match a value are
 * among those whose literal prefix starts the value. A lookup costs one map probe per distinct prefix length, not one
 * test per pattern, so an evaluator over thousands of statements only tests the few that can apply.
 */
const MEMO = 10_000;

export class PrefixIndex {
  private readonly byPrefix = new Map<string, number[]>();
  private readonly lengthSet = new Set<number>();
  private lengths: number[] = [];
  /** Ids whose pattern starts with a wildcard (or that match whatever the value): candidates for every value. */
  private readonly always: number[] = [];

  /** An id that is a candidate for every value. */
  addAlways(id: number): void {
    this.memo.clear();
    this.always.push(id);
  }

  add(pattern: string, id: number): void {
    this.memo.clear();
    const p = literalPrefix(pattern);
    if (p === '') {
      this.always.push(id);
      return;
    }
    const list = this.byPrefix.get(p);
    if (list) list.push(id);
    else {
      this.byPrefix.set(p, [id]);
      if (!this.lengthSet.has(p.length)) {
        this.lengthSet.add(p.length);
        this.lengths = [...this.lengthSet].sort((a, b) => a - b);
      }
    }
  }

  /** Recent lookups: an evaluator asks for the same resource once per action a wildcard expands to. */
  private readonly memo = new Map<string, number[][]>();

  /** The lists of ids whose prefix starts `value` (the `always` list included), without copying them. */
  lookup(value: string): number[][] {
    const hit = this.memo.get(value);
    if (hit) return hit;
    if (this.memo.size >= MEMO) this.memo.clear();
    const out: number[][] = this.always.length ? [this.always] : [];
    for (const n of this.lengths) {
      if (n > value.length) break;
      const list = this.byPrefix.get(value.slice(0, n));
      if (list) out.push(list);
    }
    this.memo.set(value, out);
    return out;
  }
}

/**
 * The text of a glob before its first `*`, `?` or `$` (an IAM pattern's `${*}` stands for `*`, and a policy variable
 * for anything: a shorter prefix only adds candidates).
 */
export function literalPrefix(pattern: string): string {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 42 /* * */ || c === 63 /* ? */ || c === 36 /* $ */) return pattern.slice(0, i);
  }
  return pattern;
}
