import { load } from 'js-yaml';
import type { Location } from '../../model/finding.js';

// Where a binding or a rule is in a policy file's text, for the locations of diff and check findings.

/** The first line of a file naming a binding (`name: <it>`), else the file's first line. */
export const bindingLine = (file: string, texts: Map<string, string>, name: string): Location => {
  const line = lineIndex(texts, file).names.get(name);
  return { file, line: line ?? 1 };
};

/**
 * The line of rule `index` of a role in a YAML file: the role's document (its kind and name), then the
 * index-th item of its `rules:` list. Undefined when it cannot be told (JSON, an aggregated role).
 */
export function ruleLine(file: string, texts: Map<string, string>, kind: string, name: string, index: number) {
  const rules = lineIndex(texts, file).rules.get(JSON.stringify([kind, name]));
  const line = rules?.[index];
  return line === undefined ? undefined : { file, line };
}

/** Where names and rules are in one file: built once per file text (a diff locates every rule of every binding). */
interface LineIndex {
  /** A value of `name:` to the first line holding it. */
  names: Map<string, number>;
  /** `[kind, name]` of a document to the lines of the items of its `rules:` list (the first such document). */
  rules: Map<string, number[]>;
}

const indexes = new WeakMap<Map<string, string>, Map<string, LineIndex>>();

function lineIndex(texts: Map<string, string>, file: string): LineIndex {
  let byFile = indexes.get(texts);
  if (!byFile) indexes.set(texts, (byFile = new Map()));
  let index = byFile.get(file);
  if (!index) byFile.set(file, (index = indexLines((texts.get(file) ?? '').split('\n'))));
  return index;
}

/**
 * A `name:` value as read: a quoted one with its escapes read (`"evil\u202Eoc.exe"`, `'o''brien'`: generated YAML
 * quotes a name with invisible characters), else as written without the quotes around it.
 */
function nameValues(line: string): string[] {
  const out: string[] = [];
  for (let at = line.indexOf('name:'); at >= 0; at = line.indexOf('name:', at + 1)) {
    let v = line.slice(at + 5).trim();
    const quoted = quotedScalar(v);
    if (quoted !== undefined) {
      out.push(quoted);
      continue;
    }
    if (v.startsWith("'") || v.startsWith('"')) v = v.slice(1);
    if (v.endsWith("'") || v.endsWith('"')) v = v.slice(0, -1);
    out.push(v);
  }
  return out;
}

function quotedScalar(v: string): string | undefined {
  if (!/^(["']).*\1$/.test(v)) return undefined;
  try {
    const x: unknown = load(v);
    return typeof x === 'string' ? x : undefined;
  } catch {
    return undefined;
  }
}

const KIND = /^kind:\s*['"]?([^'"\s]*)['"]?\s*$/;

function indexLines(lines: string[]): LineIndex {
  const names = new Map<string, number>();
  const rules = new Map<string, number[]>();
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i < lines.length) {
      for (const v of nameValues(lines[i]!)) if (!names.has(v)) names.set(v, i + 1);
      if (!/^---(\s|$)/.test(lines[i]!)) continue;
    }
    // One document: lines start..i-1.
    const kinds: string[] = [];
    const docNames: string[] = [];
    let ruleItems: number[] | undefined;
    for (let j = start; j < i; j++) {
      const l = lines[j]!;
      const k = KIND.exec(l);
      if (k) kinds.push(k[1]!);
      else if (/^\s+name:/.test(l)) {
        const v = nameValues(l)[0];
        if (v !== undefined) docNames.push(v);
      } else if (ruleItems === undefined && /^rules:\s*$/.test(l)) ruleItems = ruleItemLines(lines, j + 1, i);
    }
    for (const k of kinds)
      for (const n of docNames) {
        const key = JSON.stringify([k, n]);
        if (!rules.has(key)) rules.set(key, ruleItems ?? []);
      }
    start = i + 1;
  }
  return { names, rules };
}

/** The 1-based lines of the items of a `rules:` list whose first item line is at or after `from` (before `end`). */
function ruleItemLines(lines: string[], from: number, end: number): number[] {
  const out: number[] = [];
  let indent = -1;
  for (let j = from; j < end; j++) {
    const m = /^(\s*)- /.exec(lines[j]!);
    if (!m) {
      if (/^\S/.test(lines[j]!)) break;
      continue;
    }
    if (indent < 0) indent = m[1]!.length;
    if (m[1]!.length === indent) out.push(j + 1);
  }
  return out;
}
