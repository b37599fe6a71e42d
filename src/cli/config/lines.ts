import { EVENT_ID, getScalarValue, parseEvents, type Event } from 'js-yaml';

type Frame =
  | { kind: 'doc'; path: string }
  | { kind: 'map'; path: string; key: string | undefined }
  | { kind: 'seq'; path: string; index: number };

/**
 * The 1-based line of every mapping key and sequence item of a YAML document, by path
 * (`widenings.rbac.widenNames`, `sources.k8sAudit[1]`), from js-yaml's event stream: a config
 * error names the line it is on.
 */
export function yamlLines(text: string): Map<string, number> {
  const newlines: number[] = [];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines.push(i);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const lines = new Map<string, number>();
  const stack: Frame[] = [];
  const join = (parent: string, key: string) => (parent ? `${parent}.${key}` : key);
  /** A node starts under the top frame: its path, or undefined when it is a mapping key. */
  const start = (): string | undefined => {
    const top = stack[stack.length - 1];
    if (!top || top.kind === 'doc') return '';
    if (top.kind === 'seq') return `${top.path}[${top.index}]`;
    return top.key === undefined ? undefined : join(top.path, top.key);
  };
  /** A node ended under the top frame (`key` when it was a scalar, for a mapping key). */
  const end = (key: string) => {
    const top = stack[stack.length - 1];
    if (top?.kind === 'seq') top.index++;
    else if (top?.kind === 'map') top.key = top.key === undefined ? key : undefined;
  };
  const offset = (e: Event) =>
    e.type === EVENT_ID.SCALAR
      ? e.valueStart
      : e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE
        ? e.start
        : -1;
  for (const e of parseEvents(text, {})) {
    if (e.type === EVENT_ID.DOCUMENT) {
      stack.push({ kind: 'doc', path: '' });
      continue;
    }
    if (e.type === EVENT_ID.POP) {
      stack.pop();
      end('?');
      continue;
    }
    const path = start();
    const line = lineOf(Math.max(0, offset(e)));
    if (path === undefined) {
      // A mapping key: its line is the key's.
      const top = stack[stack.length - 1] as Extract<Frame, { kind: 'map' }>;
      if (e.type === EVENT_ID.SCALAR) {
        const key = getScalarValue(text, e);
        lines.set(join(top.path, key), line);
        end(key);
        continue;
      }
    } else if (stack[stack.length - 1]?.kind === 'seq') lines.set(path, line);
    if (e.type === EVENT_ID.MAPPING) stack.push({ kind: 'map', path: path ?? '?', key: undefined });
    else if (e.type === EVENT_ID.SEQUENCE) stack.push({ kind: 'seq', path: path ?? '?', index: 0 });
    else end('?');
  }
  return lines;
}
