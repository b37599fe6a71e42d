import type { CiReport } from '../../model/finding.js';
import { github } from './github.js';
import { json } from './json.js';
import { markdown } from './markdown.js';
import { ndjson } from './ndjson.js';
import { sarif } from './sarif.js';
import { text } from './text.js';
import type { Formatter } from './common.js';
import { escapeStrings, jsonSafe } from '../../util/escape.js';
import { CI_FORMAT_NAMES, type CiFormat } from '../formats.js';

/**
 * The outputs of `diff` and `check` for people and CI systems, one pure formatter per file in a literal registry;
 * `--format` choices are its keys (CI_FORMAT_NAMES in ../formats.ts). Every string from a policy or a log is escaped
 * for its format: control characters and line breaks as visible escapes (src/util/escape.ts) before the human
 * formats lay out their lines, as JSON escapes in the JSON ones; then each format's own escaping (workflow
 * commands, Markdown cells).
 */
export const CI_FORMATTERS = { text, json, ndjson, markdown, sarif, github } satisfies Record<CiFormat, Formatter>;
export type { CiFormat };
export const CI_FORMATS: readonly CiFormat[] = CI_FORMAT_NAMES;

const ISSUE_TEXT: ReadonlySet<string> = new Set(['message']);

export function render(r: CiReport, format: CiFormat, failOn: string): string {
  const f = CI_FORMATTERS[format];
  if (format === 'json' || format === 'ndjson') return jsonSafe(f(r, failOn));
  // SARIF is JSON whose messages people read: it escapes them itself, and percent-encodes file names as URIs.
  if (format === 'sarif') return jsonSafe(f(r, failOn));
  // Input issues' messages quote what they name as JSON does (their backslashes escaped already).
  return f(escapeStrings(r, ISSUE_TEXT), failOn);
}

export { counts, failing, failsRun, FAIL_ON, type Formatter } from './common.js';
export { byWord, LINKABLE, mdCell } from './markdown.js';
export { ghData, ghProperty } from './github.js';
