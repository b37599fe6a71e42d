import { fileHead } from './ownOutput.js';
import { sourceOf, type SourceKind } from './sourceOf.js';

/** How much of a file is read to tell whose it is (a gzip's first bytes, decompressed as far as they go). */
const HEAD_BYTES = 16 * 1024;

/**
 * What a file looks like by its first JSON value (sourceOf.ts: a Kubernetes audit log, CloudTrail, flow logs, cluster
 * objects, a profile), read from its first bytes only, plain or gzip; undefined when they hold none of these (YAML, a
 * policy, text). For a file given where it is not read (a log given as `--policies`): its first value decides, as it
 * does for a file given to the wrong log flag.
 */
export async function sourceOfFile(abs: string): Promise<SourceKind | undefined> {
  const head = await fileHead(abs, HEAD_BYTES);
  return head ? sourceOf(firstValue(head.toString('utf8'))) : undefined;
}

/**
 * The first JSON value of the start of a text: its first line when that is one (JSON lines), else the value that
 * opens the text, closed after the last inner value that ended in it (a `{"Records":[...]}` document or an EventList
 * longer than the start, a pretty-printed document). Undefined when the text opens no JSON object or array.
 */
export function firstValue(text: string): unknown {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  const nl = t.indexOf('\n');
  try {
    return JSON.parse(nl < 0 ? t : t.slice(0, nl));
  } catch {
    // Not a whole value on its first line.
  }
  if (t[0] !== '{' && t[0] !== '[') return undefined;
  const open: string[] = [];
  let inString = false;
  let escaped = false;
  let cut = -1;
  let closers = '';
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') open.push('}');
    else if (c === '[') open.push(']');
    else if (c === '}' || c === ']') {
      if (open.pop() !== c) return undefined;
      cut = i + 1;
      closers = [...open].reverse().join('');
      if (open.length === 0) break;
    }
  }
  if (cut < 0) return undefined;
  try {
    return JSON.parse(t.slice(0, cut) + closers);
  } catch {
    return undefined;
  }
}
