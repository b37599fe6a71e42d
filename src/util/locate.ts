import type { Location } from '../model/finding.js';

// Split once per file text (a diff locates thousands of grants in the same few files).
const docLines = new Map<string, { text: string; lines: string[] }>();

/** The 1-based line of the document `index` of a file, and of the first line after it matching `needle`. */
export function locate(file: string, text: string | undefined, index: number, needle?: RegExp): Location {
  let cached = docLines.get(file);
  if (!cached || cached.text !== (text ?? '')) {
    cached = { text: text ?? '', lines: (text ?? '').split('\n') };
    docLines.set(file, cached);
  }
  const lines = cached.lines;
  let doc = 0;
  let start = 0;
  for (let i = 0; i < lines.length && doc < index; i++) {
    if (/^---(\s|$)/.test(lines[i]!)) {
      doc++;
      start = i + 1;
    }
  }
  if (needle) for (let i = start; i < lines.length; i++) if (needle.test(lines[i]!)) return { file, line: i + 1 };
  return { file, line: start + 1 };
}

/** A string as a regular expression matching itself. */
export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
