import type { InputIssue } from '../model/issue.js';

/**
 * YAML documents as kubectl frames them (k8s.io/apimachinery util/yaml: YAMLReader, YAMLToJSONDecoder), which is not
 * as a YAML parser does. kubectl reads a file line by line (lines end at `\n`, a `\r` before it dropped) and cuts it
 * only at a line that starts with `---` followed by nothing but spaces or a comment (any other text after `---` is
 * "invalid Yaml document separator": it reads no further); each piece is then decoded by go-yaml, which reads its
 * first YAML document alone. So a document after `...` with no line `---` before it, or after a `---` that a bare
 * carriage return (`\r---\r`) sets on a line of its own to YAML but not to kubectl, is never applied: js-yaml's
 * `loadAll` reads it. A committed tree that kubectl reads otherwise must not pass a gate, so such a file is an issue
 * naming its line, and what is read of it is what kubectl applies.
 */

/** One of kubectl's pieces: its text (lines joined by `\n`) and the 1-based line it starts on. */
interface Piece {
  start: number;
  text: string;
}

/** Go's unicode.IsSpace, what strings.TrimSpace trims around what follows a `---`. */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SEPARATOR = new RegExp(`^---[${GO_SPACE}]*(?:#[^]*)?$`);
/** A line starting `---` that both kubectl and YAML read as a separator (spaces, then a comment or nothing). */
const PLAIN_SEPARATOR = /^---(?:[ \t]+#[^\r\n]*|[ \t]*)\r?$/;
const DASHES = /^---.*$/gm;

/**
 * Whether kubectl and a YAML parser cut a text into the same documents: no bare carriage return, no line starting
 * `...` or `%` (a directive), and every line starting `---` a separator to both. Nearly every file is; the others are
 * read piece by piece as kubectl does (readFramed).
 */
export function framedAlike(text: string): boolean {
  if (/\r(?!\n)/.test(text) || /^(?:\.\.\.|%)/m.test(text)) return false;
  for (const m of text.matchAll(DASHES)) if (!PLAIN_SEPARATOR.test(m[0])) return false;
  return true;
}

/** kubectl's pieces of a text, up to a line `---` followed by other text than a comment (then `bad`). */
export function kubectlPieces(text: string): { pieces: Piece[]; bad?: { line: number; after: string } } {
  const pieces: Piece[] = [];
  const lines = text.split('\n');
  let buf: string[] = [];
  let start = 1;
  for (const [i, raw] of lines.entries()) {
    if (i === lines.length - 1 && raw === '') break;
    const line = i < lines.length - 1 && raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('---')) {
      if (!SEPARATOR.test(line)) return { pieces, bad: { line: i + 1, after: line.slice(3).trim() } };
      if (buf.length) {
        pieces.push({ start, text: buf.join('\n') + '\n' });
        buf = [];
        continue;
      }
    }
    if (!buf.length) start = i + 1;
    buf.push(line);
  }
  if (buf.length) pieces.push({ start, text: buf.join('\n') + '\n' });
  return { pieces };
}

/** A parse error as a policy issue, at its line (`offset` lines before the text parsed). */
export function unparseable(file: string, e: unknown, offset = 0): InputIssue {
  const mark = (e as { mark?: { line?: number } }).mark;
  return {
    kind: 'issue',
    code: 'policy.unparseable',
    file,
    line: typeof mark?.line === 'number' ? offset + mark.line + 1 : 0,
    message: `not valid YAML or JSON: ${((e as Error).message ?? '').split('\n')[0]}`,
  };
}

/**
 * Where a piece holds YAML that kubectl does not apply, or undefined: its line `...` with content after it (go-yaml
 * reads the document before it, or refuses a piece that opens with it), else the line where js-yaml started a second
 * document that is not empty (after `...`, a directive, or a bare `\r`).
 */
function unapplied(p: Piece, parsed: unknown[]): number | undefined {
  const lines = p.text.split('\n');
  let end = -1;
  for (const [i, l] of lines.entries()) {
    if (/^\.\.\.(?:[ \t]|$)/.test(l)) end = end < 0 ? i : end;
    else if (end >= 0 && !/^[ \t]*(?:#.*)?$/.test(l)) return p.start + end;
  }
  if (!parsed.slice(1).some((o) => o !== null && o !== undefined)) return undefined;
  const at = lines.findIndex((l, i) => i > 0 && (l.startsWith('...') || l.startsWith('%') || l.includes('\r')));
  return p.start + Math.max(at, 0);
}

/**
 * A text read as kubectl reads it: each piece's first YAML document (`index` the piece's, `line` where it starts).
 * A piece holding a further document that is not empty is a `policy.yaml-documents` issue at its line: kubectl
 * never applies it. A separator kubectl refuses, or a piece that does not parse, is `policy.unparseable`, and nothing
 * of the file is read (as any file that does not parse).
 */
export function readFramed(
  file: string,
  text: string,
  load: (text: string) => unknown[],
): { docs: { index: number; line: number; object: unknown }[]; issues: InputIssue[] } {
  const { pieces, bad } = kubectlPieces(text);
  if (bad) {
    const message = `a line \`---\` followed by \`${bad.after.slice(0, 40)}\`: kubectl reads a document separator followed by nothing but a comment ("invalid Yaml document separator"), and reads no further`;
    return { docs: [], issues: [{ kind: 'issue', code: 'policy.unparseable', file, line: bad.line, message }] };
  }
  const docs: { index: number; line: number; object: unknown }[] = [];
  const issues: InputIssue[] = [];
  for (const [index, p] of pieces.entries()) {
    let parsed: unknown[];
    try {
      parsed = load(p.text);
    } catch (e) {
      const issue = unparseable(file, e, p.start - 1);
      // A directive ends kubectl's piece at the `---` after it: alone, go-yaml refuses it.
      const directive = /^(?:[ \t]*(?:#[^\n]*)?\n)*(%[^\n]*)/.exec(p.text);
      if (directive) {
        issue.line = p.start + directive[0].split('\n').length - 1;
        issue.message = `a YAML directive (\`${directive[1]!.slice(0, 40)}\`): kubectl cuts documents at each line \`---\`, so the directive is a document of its own, which it refuses; remove it`;
      }
      return { docs: [], issues: [issue] };
    }
    const first = parsed[0];
    if (first !== null && first !== undefined) {
      const skip = p.text.match(/^(?:[ \t]*(?:#.*)?\n|---[^\n]*\n)*/)![0];
      docs.push({ index, line: p.start + (skip.match(/\n/g)?.length ?? 0), object: first });
    }
    const line = unapplied(p, parsed);
    if (line !== undefined)
      issues.push({
        kind: 'issue',
        code: 'policy.yaml-documents',
        file,
        line,
        message:
          'a YAML document kubectl never applies: kubectl starts a document only at a line `---` (not after `...`, ' +
          'nor after a carriage return alone), and applies the first YAML document of what lies between; start ' +
          'each document with a line `---`',
      });
  }
  return { docs, issues };
}
