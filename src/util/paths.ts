import { createHash } from 'node:crypto';

/**
 * Output paths from names of any content. A name from a log becomes one path segment: characters
 * outside a small safe set are escaped as `~XX` (UTF-8 bytes, upper-case hex; `~` itself included), a
 * segment past MAX_SEGMENT bytes keeps a readable head and ends in a stable hash of the whole, and
 * names that differ only in case are told apart by a hash where they meet. No segment can be `.`, `..`,
 * empty, or hold a separator, so no name can lead outside the output directory.
 */

/** Well under the 255 bytes file systems allow, leaving room for `.2.json`, `.yaml` and the like. */
export const MAX_SEGMENT = 180;

const SAFE_DEFAULT = /[A-Za-z0-9_.-]/;

/** A name as one path segment: escaped (`escapeName`), bounded, and no name Windows reserves (`notDevice`). */
export function escapeSegment(name: string, safe: RegExp = SAFE_DEFAULT): string {
  return notDevice(bounded(escapeName(name, safe)));
}

/**
 * An escaped segment whose stem (before the first `.`) is a device name Windows reserves (`con`, `nul.yaml`,
 * `COM1.2.json`, any case) with its first letter escaped (`~63on`): Windows opens the device for such a name
 * whatever its extension, and Git for Windows refuses to check it out. Reads back as the name by the `~XX` escape.
 */
export function notDevice(segment: string): string {
  if (!WINDOWS_DEVICE.test(segment)) return segment;
  return '~' + segment.charCodeAt(0).toString(16).toUpperCase() + segment.slice(1);
}

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

/**
 * Escape a name for a file name, unbounded (callers joining parts bound the whole); `safe` says which
 * characters stay as they are. The result is ASCII, so its length is its size in bytes.
 */
export function escapeName(name: string, safe: RegExp = SAFE_DEFAULT): string {
  let out = '';
  for (const ch of name) {
    if (ch !== '~' && safe.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '~' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  if (out === '') return '~';
  // `.` and `..` are the only segments made of dots that a path would read as a directory reference.
  return /^\.+$/.test(out) ? out.replace(/\./g, '~2E') : out;
}

/**
 * A name as a directory or file segment beside names the generators reserve (`_cluster`,
 * `_default-deny.yaml`): like `escapeSegment`, with a leading `_` escaped too.
 */
export function nameSegment(name: string): string {
  const seg = escapeSegment(name);
  return seg.startsWith('_') ? '~5F' + seg.slice(1) : seg;
}

/** A segment cut to MAX_SEGMENT with `~h` and a hash of the whole, when it is longer. */
export function bounded(segment: string, max = MAX_SEGMENT): string {
  if (Buffer.byteLength(segment) <= max) return segment;
  return segment.slice(0, max - 14) + '~h' + hash(segment, 12);
}

export function hash(s: string, n = 10): string {
  return createHash('sha256').update(s).digest('hex').slice(0, n);
}

/**
 * Stems that collide on a case-insensitive file system (`App`, `app`) each get `~h` and a hash of
 * their exact form, except an all-lower-case one; others stay as they are. Deterministic for a set.
 */
export function caseDistinct(stems: Iterable<string>): Map<string, string> {
  const byFold = new Map<string, string[]>();
  for (const s of stems) {
    const k = s.toLowerCase();
    const list = byFold.get(k);
    if (!list) byFold.set(k, [s]);
    else if (!list.includes(s)) list.push(s);
  }
  const out = new Map<string, string>();
  for (const list of byFold.values()) {
    for (const s of list)
      out.set(s, list.length > 1 && s !== s.toLowerCase() ? bounded(`${s}~h${hash(s)}`, MAX_SEGMENT) : s);
  }
  return out;
}

/**
 * Why a relative output path is unsafe, or undefined: it must be relative, `/`-separated, with no
 * empty, `.` or `..` segment, no control character, no backslash, and segments of at most 255 bytes.
 */
export function unsafePathProblem(rel: string): string | undefined {
  if (rel === '' || rel.startsWith('/')) return 'is not a relative path';
  // eslint-disable-next-line no-control-regex -- control characters are what this check refuses
  if (/[\u0000-\u001f\u007f\\]/.test(rel)) return 'holds a control character or a backslash';
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') return 'has an empty, . or .. segment';
    if (Buffer.byteLength(seg) > 255) return 'has a segment over 255 bytes';
  }
  return undefined;
}
