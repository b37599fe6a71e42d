import { InputError } from '../model/issue.js';
import { streamOf } from '../profile/read.js';
import { isObj } from '../util/json.js';

/** A key kubectl reads to know what an object is (`apiVersion`, `kind`), in any case. */
const TYPE_KEY = /^(?:apiversion|kind)$/i;

/**
 * Why a text that opens with a profile's header is no profile for real, or undefined when it is one: `verify`, `diff`
 * and `check` then skip it unparsed, as the tree's own file (`npm run demo` leaves `out/profile.json` in the tree it
 * generates). kubectl reads a text that opens with `{` as a stream of JSON objects, one per line here, each keeping
 * the last of a key written twice, and applies any that names an apiVersion and kind it knows: so a profile is one
 * only when the profile reader reads it through to its end line, no line holds a key twice, and no line but the
 * header (whose apiVersion and kind are the profile's) holds an apiVersion or kind (a line's schema lets it carry
 * keys it does not name). Anything else is read as any policy file: YAML refuses a key twice and JSON lines (an
 * unparseable issue, which fails the gate), and reads what else is in it as kubectl does.
 */
export async function notOwnProfile(text: string): Promise<string | undefined> {
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      return `line ${i + 1}: not a line of JSON`;
    }
    if (!isObj(v)) return `line ${i + 1}: not a JSON object`;
    const twice = duplicateKey(raw);
    if (twice !== undefined) return `line ${i + 1}: the key ${JSON.stringify(twice)} twice in one object`;
    for (const k of Object.keys(v))
      if (TYPE_KEY.test(k) && (i > 0 || (k !== 'apiVersion' && k !== 'kind')))
        return `line ${i + 1}: a key ${JSON.stringify(k)}, which kubectl reads as an object's type`;
  }
  try {
    const stream = await streamOf(
      '',
      lines.map((t, i) => ({ text: t, line: i + 1 })),
    );
    for await (const p of stream.principals) void p;
    stream.tail();
  } catch (e) {
    if (e instanceof InputError) return e.message.replace(/^:(\d+): not a valid profile:/, 'line $1:');
    throw e;
  }
  return undefined;
}

/**
 * The first key written twice in one object of a JSON text (valid JSON: JSON.parse read it), or undefined. JSON.parse
 * keeps the last silently, as Go's decoder does; a reader that must see what kubectl sees refuses the text instead.
 */
export function duplicateKey(s: string): string | undefined {
  // Per open object, its keys so far; null for an array.
  const open: (Set<string> | null)[] = [];
  let key = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      let end = s.indexOf('"', i + 1);
      for (;;) {
        let slashes = 0;
        while (s.charCodeAt(end - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
        end = s.indexOf('"', end + 1);
      }
      const keys = open[open.length - 1];
      if (key && keys) {
        const raw = s.slice(i + 1, end);
        const k = raw.includes('\\') ? (JSON.parse(s.slice(i, end + 1)) as string) : raw;
        if (keys.has(k)) return k;
        keys.add(k);
        key = false;
      }
      i = end;
    } else if (c === 0x7b) {
      open.push(new Set());
      key = true;
    } else if (c === 0x5b) {
      open.push(null);
      key = false;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
      key = false;
    } else if (c === 0x2c) key = open[open.length - 1] instanceof Set;
  }
  return undefined;
}
