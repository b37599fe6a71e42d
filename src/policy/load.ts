import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { cmp, type InputIssue } from '../model/issue.js';
import { UnreadableInputError } from '../ingest/inputs.js';

/** One parsed document of a policy file. */
export interface PolicyDoc {
  file: string;
  /** 0-based document index within the file (`---`-separated, or 0 for JSON). */
  index: number;
  object: unknown;
}

const POLICY_EXT = /\.(ya?ml|json)$/i;

/**
 * Read policy files and directories (walked recursively, sorted) as people commit them:
 * multi-document YAML and JSON. Unparseable files are issues with their line; a missing path throws.
 */
export async function loadPolicyDocs(
  paths: string[],
  cwd: string,
): Promise<{ docs: PolicyDoc[]; issues: InputIssue[] }> {
  const files: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let st;
    try {
      st = await stat(abs);
    } catch {
      throw new UnreadableInputError(`cannot read policies ${p}: no such file or directory`);
    }
    if (st.isDirectory()) await walk(p, abs, files, new Set());
    else files.push(p);
  }
  const docs: PolicyDoc[] = [];
  const issues: InputIssue[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(resolve(cwd, file), 'utf8');
    } catch (e) {
      throw new UnreadableInputError(`cannot read ${file}: ${(e as Error).message}`);
    }
    parsePolicyText(file, text, docs, issues);
  }
  return { docs, issues };
}

/** The documents of one policy file's text (multi-document YAML or JSON), or an issue with its line. */
export function parsePolicyText(file: string, text: string, docs: PolicyDoc[], issues: InputIssue[]): void {
  try {
    const parsed = loadAll(text) as unknown[];
    parsed.forEach((object, index) => {
      if (object !== null && object !== undefined) docs.push({ file, index, object });
    });
  } catch (e) {
    const mark = (e as { mark?: { line?: number } }).mark;
    const line = typeof mark?.line === 'number' ? mark.line + 1 : 0;
    issues.push({
      kind: 'issue',
      code: 'policy.unparseable',
      file,
      line,
      message: `not valid YAML or JSON: ${((e as Error).message ?? '').split('\n')[0]}`,
    });
  }
}

async function walk(display: string, abs: string, out: string[], seen: Set<string>): Promise<void> {
  const st = await stat(abs);
  const id = `${st.dev}:${st.ino}`;
  if (seen.has(id)) return;
  seen.add(id);
  const entries = (await readdir(abs, { withFileTypes: true })).sort((a, b) => cmp(a.name, b.name));
  for (const e of entries) {
    const childAbs = join(abs, e.name);
    const child = join(display, e.name);
    const cst = await stat(childAbs).catch(() => undefined);
    if (!cst) continue;
    if (cst.isDirectory()) await walk(child, childAbs, out, seen);
    else if (cst.isFile() && POLICY_EXT.test(e.name)) out.push(child);
  }
}
