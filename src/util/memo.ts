/**
 * A check of one string, remembered for the strings it has seen: usernames, verbs, namespaces and
 * resources repeat record after record, so the hot path looks them up instead of running the check
 * again. Bounded: past `limit` distinct strings the memory starts over.
 */
export function remembered(check: (v: string) => string | undefined, limit = 4096): (v: string) => string | undefined {
  let cache = new Map<string, string | null>();
  return (v) => {
    const hit = cache.get(v);
    if (hit !== undefined) return hit ?? undefined;
    const r = check(v);
    if (cache.size >= limit) cache = new Map();
    cache.set(v, r ?? null);
    return r;
  };
}
