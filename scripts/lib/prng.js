// The one seeded PRNG of the project's generators and tests (mulberry32): small, fast, and the same
// sequence on every machine, so generated fixtures and benchmark inputs are byte-stable.
export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The ids CloudTrail's records carry, drawn from `rand` (a mulberry32): `int(n)`, `hex(n)`, a version-4 `uuid()`,
 * `upper(n)` in the base32 alphabet of access key ids, and `iso(ms)` as CloudTrail writes times (whole seconds).
 */
export function trailIds(rand) {
  const int = (n) => Math.floor(rand() * n);
  const hex = (n) => Array.from({ length: n }, () => int(16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[int(4)]}${hex(3)}-${hex(12)}`;
  const upper = (n) => Array.from({ length: n }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[int(32)]).join('');
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { int, hex, uuid, upper, iso };
}
