import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Option } from 'commander';
import { loadAll } from 'js-yaml';
import { KIND_INFO } from '../../kinds/info.js';
import { UsageError } from '../errors.js';
import { fsProblem } from '../../util/fsError.js';
import { isPathOption, networkPluginFlag, scopeOptions } from '../options.js';
import { yamlLines } from './lines.js';
import {
  allKeyPaths,
  CONFIG_API_VERSION,
  CONFIG_KIND,
  configSchema,
  expected,
  type ConfigKey,
  type ConfigSchema,
} from './schema.js';

/** One value of a config file, as commander would hold the flag it stands for. */
export interface ConfigEntry {
  section: 'sources' | 'filters' | 'widenings';
  /** Where it is in the file: `widenings.rbac.widenNames`. */
  path: string;
  /** The option's attribute name: `widenNames`. */
  attr: string;
  value: unknown;
  /** Its line in the file (1-based), when known. */
  line?: number;
}

export interface Config {
  /** The file as the user named it (or `audit2policy.yaml`), for messages. */
  name: string;
  entries: ConfigEntry[];
}

/** Keys whose flag takes one comma-separated value: a YAML list is joined. */
const COMMA_LISTS = new Set(['subjectKind']);
const LOG_SOURCES = ['k8sAudit', 'cloudtrail', 'cloudtrailApi', 'eksAuditLogs', 'flows', 'inventory', 'cluster'];

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const scalar = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';
const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'a list' : String(v));
/** `--widen-names: expected ...` → `expected ...`: the config names its key instead of the flag. */
const withoutFlag = (m: string) => m.replace(/^--[\w-]+: /, '');

/** A suggestion for a misspelt key: the same letters without case and dashes, or two edits away. */
function nearest(key: string, known: string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const distance = (a: string, b: string) => {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++)
        row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row;
    }
    return prev[b.length]!;
  };
  const scored = known.map((k) => ({ k, d: distance(norm(key), norm(k)) })).sort((a, b) => a.d - b.d);
  return scored[0] && scored[0].d <= 2 ? scored[0].k : undefined;
}

/**
 * Read and validate a config file (docs/cli.md, "Configuration"): every problem is reported with the
 * file, the line and the key, an unknown key included; paths are resolved against the file's directory
 * and given relative to the working directory, as if typed there.
 */
export async function loadConfig(file: string, name: string, cwd: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const why = fsProblem(e, { ENOENT: 'no such file', EISDIR: 'a directory' });
    throw new UsageError(`cannot read the config file ${name}: ${why}`);
  }
  let docs: unknown[];
  let lines: Map<string, number>;
  try {
    docs = loadAll(text, { filename: name });
    lines = yamlLines(text);
  } catch (e) {
    const mark = (e as { mark?: { line?: number } }).mark;
    const reason = (e as { reason?: string }).reason ?? (e as Error).message;
    throw new UsageError(`${name}${mark?.line !== undefined ? `:${mark.line + 1}` : ''}: not valid YAML: ${reason}`);
  }
  const errors: { line: number; text: string }[] = [];
  const fail = (path: string, message: string) => {
    const line = lines.get(path) ?? 0;
    errors.push({ line, text: `${name}${line ? `:${line}` : ''}: ${path ? `${path}: ` : ''}${message}` });
  };
  const done = (): never => {
    throw new UsageError(
      errors
        .sort((a, b) => a.line - b.line)
        .map((e) => e.text)
        .join('\n'),
    );
  };
  const start = `a config starts with apiVersion: ${CONFIG_API_VERSION} and kind: ${CONFIG_KIND}`;
  if (docs.length !== 1)
    fail('', docs.length === 0 ? `empty: ${start}` : `${docs.length} YAML documents: one expected`);
  else if (!isMap(docs[0])) fail('', `expected a mapping: ${start}`);
  if (errors.length) done();
  const root = docs[0] as Record<string, unknown>;
  for (const [key, want] of [
    ['apiVersion', CONFIG_API_VERSION],
    ['kind', CONFIG_KIND],
  ] as const) {
    if (!(key in root)) fail('', `${key}: missing (${start})`);
    else if (root[key] !== want) fail(key, `${shown(root[key])} is not ${want}`);
  }
  if (errors.length) done();

  const schema = configSchema();
  const everywhere = allKeyPaths(schema);
  const unknown = (path: string, key: string, known: string[]) => {
    const near = nearest(key, known);
    const elsewhere = everywhere.get(key);
    fail(
      path,
      elsewhere
        ? `unknown key here: it goes under ${elsewhere.replace(/\.[^.]+$/, '')} (${elsewhere})`
        : near
          ? `unknown key (did you mean ${near}?)`
          : `unknown key (known here: ${known.join(', ')})`,
    );
  };
  const SECTIONS = ['sources', 'filters', 'widenings'];
  for (const key of Object.keys(root))
    if (key !== 'apiVersion' && key !== 'kind' && !SECTIONS.includes(key))
      unknown(key, key, ['apiVersion', 'kind', ...SECTIONS]);

  const dir = dirname(file);
  const entries: ConfigEntry[] = [];
  /** A section's mapping (or undefined when absent or empty), checked for unknown keys. */
  const section = (path: string, v: unknown, known: string[]): Record<string, unknown> | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!isMap(v)) {
      fail(path, `expected a mapping of ${known.join(', ')}`);
      return undefined;
    }
    for (const key of Object.keys(v)) if (!known.includes(key)) unknown(`${path}.${key}`, key, known);
    return v;
  };
  const read = (sec: ConfigEntry['section'], path: string, m: Record<string, unknown> | undefined, ks: ConfigKey[]) => {
    for (const { key, option } of ks) {
      if (!m || !(key in m)) continue;
      const value = convert(option, m[key], (msg) => fail(`${path}.${key}`, msg), dir, cwd);
      if (value !== undefined) {
        const line = lines.get(`${path}.${key}`);
        entries.push({ section: sec, path: `${path}.${key}`, attr: key, value, ...(line ? { line } : {}) });
      }
    }
  };
  const names = (ks: ConfigKey[]) => ks.map((k) => k.key);
  read('sources', 'sources', section('sources', root['sources'], names(schema.sources)), schema.sources);
  read('filters', 'filters', section('filters', root['filters'], names(schema.filters)), schema.filters);
  const kindNames = schema.kinds.map((k) => k.kind as string);
  const widenings = section('widenings', root['widenings'], [...names(schema.shared), ...kindNames]);
  read('widenings', 'widenings', widenings, schema.shared);
  for (const { kind, keys } of schema.kinds)
    read('widenings', `widenings.${kind}`, section(`widenings.${kind}`, widenings?.[kind], names(keys)), keys);
  check(entries, schema, fail);
  if (errors.length) done();
  return { name, entries };
}

/** A YAML value as commander holds the option's value, or undefined after reporting why it cannot be. */
function convert(o: Option, v: unknown, fail: (m: string) => void, dir: string, cwd: string): unknown {
  const bad = () => fail(`expected ${expected(o)}, got ${v === null ? 'nothing' : shown(v)}`);
  if (o.negate || (!o.required && !o.optional)) return typeof v === 'boolean' ? v : bad();
  const path = (p: string) => (p === '-' || isAbsolute(p) ? p : relative(cwd, resolve(dir, p)) || '.');
  const fix = (x: string | number) => (isPathOption(o) ? path(String(x)) : String(x));
  if (o.variadic) {
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0 || !list.every(scalar)) return bad();
    return list.map(fix);
  }
  let one: string;
  if (scalar(v)) one = fix(v);
  else if (Array.isArray(v) && v.length > 0 && v.every(scalar) && COMMA_LISTS.has(o.attributeName())) one = v.join(',');
  else return bad();
  if (o.argChoices && !o.argChoices.includes(one)) return bad();
  return one;
}

/** What the option's own parsers say of each value, and the combinations a command would refuse. */
function check(entries: ConfigEntry[], schema: ConfigSchema, fail: (path: string, m: string) => void): void {
  const kindOf = new Map(schema.kinds.flatMap(({ kind, keys }) => keys.map((k) => [k.key, kind] as const)));
  for (const e of entries) {
    try {
      if (e.attr === 'networkPlugin') networkPluginFlag(e.value as string);
      else if (e.section === 'filters') scopeOptions({ [e.attr]: e.value });
      const kind = kindOf.get(e.attr);
      if (kind) KIND_INFO[kind].parseOptions({ [e.attr]: e.value });
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      fail(e.path, withoutFlag(err.message));
    }
  }
  const given = new Set(entries.filter((e) => e.section === 'sources').map((e) => e.attr));
  if (given.has('profile') && LOG_SOURCES.some((k) => given.has(k)))
    fail(
      'sources.profile',
      `give either profile or log sources (${LOG_SOURCES.filter((k) => given.has(k)).join(', ')}), not both`,
    );
  if (given.has('inventory') && given.has('cluster'))
    fail('sources.cluster', 'give either inventory or cluster, not both');
}
