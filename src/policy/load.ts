import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CORE_SCHEMA, loadAll, mergeTag } from 'js-yaml';
import { cmp, type InputIssue } from '../model/issue.js';
import { pushAll } from '../util/array.js';
import { UnreadableInputError } from '../ingest/inputs.js';
import { fsProblem } from '../util/fsError.js';
import { PROFILE_API_VERSION } from '../model/profile.js';
import { isAuthorizationDetails } from './iamAuthorization.js';
import { isTerraformJson } from './terraformJson.js';
import { framedAlike, readFramed, unparseable } from './yamlDocuments.js';

/** One parsed document of a policy file. */
export interface PolicyDoc {
  file: string;
  /** 0-based document index within the file (`---`-separated, or 0 for JSON). */
  index: number;
  /** 1-based line where the document starts (its first line of content), when the text's markers tell it. */
  line?: number;
  object: unknown;
  /** The text of an account's authorization details or a Terraform plan (one large JSON), for its lines. */
  text?: string;
}

const POLICY_EXT = /\.(ya?ml|json)$/i;
/** The most YAML aliases (`*name`) a policy document may hold (parsePolicyText). */
const MAX_ALIASES = 16;

/**
 * Read policy files and directories (walked recursively, sorted) as people commit them:
 * multi-document YAML and JSON. Unparseable files are issues with their line; a missing path throws.
 */
export async function loadPolicyDocs(
  paths: string[],
  cwd: string,
  /** What the paths hold, for the message when one cannot be read (`cannot read policies X: ...`). */
  what = 'policies',
): Promise<{ docs: PolicyDoc[]; issues: InputIssue[]; evidence: number; profiles: number; given: GivenPath[] }> {
  const files: string[] = [];
  const given: GivenPath[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let st;
    try {
      st = await stat(abs);
    } catch (e) {
      throw new UnreadableInputError(`cannot read ${what} ${p}: ${fsProblem(e)}`);
    }
    const path: GivenPath = { path: p, directory: st.isDirectory(), files: [], other: [] };
    if (path.directory) await walk(p, abs, path, new Set());
    else path.files.push(p);
    pushAll(files, path.files);
    given.push(path);
  }
  const docs: PolicyDoc[] = [];
  const issues: InputIssue[] = [];
  let evidence = 0;
  let profiles = 0;
  // Read synchronously: a generated tree is thousands of small files, and each awaited read was five round trips
  // to the thread pool (12,908 files of a 500-namespace tree: 5.2 s awaited one by one, 1.1 s 32 at once, 0.47 s so).
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch (e) {
      throw new UnreadableInputError(`cannot read ${file}: ${fsProblem(e)}`);
    }
    // Why a text that opens as a profile is none ('' for any other text; undefined: a profile, skipped).
    const notProfile = text.startsWith(PROFILE_HEAD) ? await whyNotOwnProfile(text) : '';
    if (isOwnEvidence(text)) evidence++;
    else if (notProfile === undefined) profiles++;
    else {
      const from = docs.length;
      const said = issues.length;
      parsePolicyText(file, text, docs, issues);
      // Opening as a profile and not one: read as any policy file (YAML refuses a key twice and JSON lines), said so.
      if (notProfile)
        for (const i of issues.slice(said))
          i.message = `opens as an audit2policy profile but is not one (${notProfile}); read as a policy file, ${i.message}`;
      for (const d of docs.slice(from))
        if (isAuthorizationDetails(d.object) || isTerraformJson(d.object)) d.text = text;
    }
  }
  return { docs, issues, evidence, profiles, given };
}

/** A path given, and what was found under it: the files read (in order), and the others (a directory's). */
export interface GivenPath {
  path: string;
  directory: boolean;
  files: string[];
  /** Files a directory holds that are not read (no `.yaml`, `.yml` or `.json` name): logs given by mistake? */
  other: string[];
}

/** The first bytes of a profile as `profile` and `merge` write it (its header line: profile/lines.ts). */
const PROFILE_HEAD = `{"apiVersion":${JSON.stringify(PROFILE_API_VERSION)},"kind":"Profile",`;

/**
 * Whether a text is a profile `profile` or `merge` wrote (JSON lines: `npm run demo` leaves `out/profile.json` in the
 * tree it generates), skipped unparsed as evidence is: it opens with a profile's header and is one for real
 * (./ownProfile.ts: the profile reader reads it to its end line, no key twice, no apiVersion or kind past the
 * header). A text that only opens like one is read as any other policy file.
 */
export async function isOwnProfile(text: string): Promise<boolean> {
  return (await whyNotOwnProfile(text)) === undefined;
}

/** Why a text is no profile of ours: '' when it does not open as one; undefined when it is one. */
async function whyNotOwnProfile(text: string): Promise<string | undefined> {
  if (!text.startsWith(PROFILE_HEAD)) return '';
  const { notOwnProfile } = await import('./ownProfile.js');
  return notOwnProfile(text);
}

/** The top-level keys of the YAML evidence documents `generate` writes beside its policies, by their kind. */
const EVIDENCE_KEYS: Record<string, ReadonlySet<string>> = {
  Evidence: new Set(['subject', 'subjectKind', 'namespace', 'observedAccesses', 'policies', 'alsoBound', 'denied']),
  NetworkPolicyEvidence: new Set(['workload', 'workloadKind', 'selector', 'selectedBy', 'egress', 'ingress']),
};
const EVIDENCE_HEAD = /^apiVersion: audit2policy\.dev\/v1alpha1\nkind: (\w+)\n/;
/** A line that starts at column 0 (after the first two). */
const TOP_LINE = /\n(?=[^ \n])/g;
const TOP_KEY = /^([A-Za-z]+):(?: |\n|$)/;

/**
 * Whether a text is an evidence file as `generate` writes it (most of a generated tree's bytes: at 200k accesses
 * 75 MB of YAML, which `verify --policies DIR` spent three quarters of its time parsing only to ignore): its first two
 * lines name our API version and an evidence kind, and every other line that starts at column 0 is one of that
 * kind's top-level keys, each once. YAML can start another document, a directive or another top-level key only on a
 * line of its own at column 0, so such a text is one document of that kind with those keys: nothing a policy reader
 * takes (no policy kind, no `Statement`). It is skipped unparsed; any other text, however close, is read as before.
 */
export function isOwnEvidence(text: string): boolean {
  const head = EVIDENCE_HEAD.exec(text);
  const keys = head && Object.hasOwn(EVIDENCE_KEYS, head[1]!) ? EVIDENCE_KEYS[head[1]!]! : undefined;
  if (!head || !keys) return false;
  const seen = new Set<string>();
  TOP_LINE.lastIndex = head[0].length - 1;
  for (let m = TOP_LINE.exec(text); m; m = TOP_LINE.exec(text)) {
    const key = TOP_KEY.exec(text.slice(m.index + 1, m.index + 64));
    if (!key || !keys.has(key[1]!) || seen.has(key[1]!)) return false;
    seen.add(key[1]!);
  }
  return true;
}

/**
 * YAML as kubectl reads it: merge keys (`<<: *rule`) merged, as go-yaml does for sigs.k8s.io/yaml; without them a
 * rule written `- <<: *cm` beside `resources: [secrets]` would read as a rule of secrets alone, without its verbs.
 */
const POLICY_SCHEMA = CORE_SCHEMA.withTags([mergeTag]);

/** The documents of one policy file's text (multi-document YAML or JSON), or an issue with its line. */
export function parsePolicyText(file: string, text: string, docs: PolicyDoc[], issues: InputIssue[]): void {
  // Aliases share nodes, and readers walk every place a node sits: a few levels of them (`&a [*b, *b, ...]`)
  // make a file of a few hundred bytes millions of objects. Policies hardly use them; 16 keep that bounded.
  const load = (t: string) => loadAll(t, { maxAliases: MAX_ALIASES, schema: POLICY_SCHEMA }) as unknown[];
  // A text kubectl cuts into other documents than YAML does (`...`, a bare `\r`): read as kubectl reads it.
  if (!framedAlike(text)) {
    const read = readFramed(file, text, load);
    for (const d of read.docs) docs.push({ file, ...d });
    pushAll(issues, read.issues);
    return;
  }
  try {
    const parsed = load(text);
    const lines = documentLines(text);
    const known = lines.length === parsed.length;
    parsed.forEach((object, index) => {
      if (object !== null && object !== undefined)
        docs.push({ file, index, ...(known ? { line: lines[index]! } : {}), object });
    });
  } catch (e) {
    issues.push(unparseable(file, e));
  }
}

const MARKER_START = /^---(?:[ \t]|$)/;
const MARKER_END = /^\.\.\.(?:[ \t]|$)/;
const NOTHING = /^[ \t]*(?:#.*)?$/;

/**
 * The 1-based line each YAML document of a text starts on (its first line of content, or its `---` when it has
 * none), for issues and locations. Document markers are recognised at column 0 only, as YAML does everywhere (inside
 * a block or quoted scalar too); the caller uses the lines only when their count is the parser's document count.
 */
export function documentLines(text: string): number[] {
  const starts: number[] = [];
  let open = false;
  let empty = false;
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (MARKER_START.test(line)) {
      starts.push(i + 1);
      open = true;
      empty = NOTHING.test(line.slice(3));
    } else if (MARKER_END.test(line)) open = false;
    else if (NOTHING.test(line) || (!open && line.startsWith('%'))) continue;
    else if (!open) {
      starts.push(i + 1);
      open = true;
      empty = false;
    } else if (empty) {
      starts[starts.length - 1] = i + 1;
      empty = false;
    }
  }
  return starts;
}

async function walk(display: string, abs: string, out: GivenPath, seen: Set<string>): Promise<void> {
  const st = await stat(abs);
  const id = `${st.dev}:${st.ino}`;
  if (seen.has(id)) return;
  seen.add(id);
  const entries = await readdir(abs, { withFileTypes: true }).catch((e: unknown) => {
    throw new UnreadableInputError(`cannot read directory ${display}: ${fsProblem(e)}`);
  });
  entries.sort((a, b) => cmp(a.name, b.name));
  for (const e of entries) {
    const childAbs = join(abs, e.name);
    const child = join(display, e.name);
    // The entry's own type when it has one; a link (or a file system that does not say) is followed by stat.
    const type = e.isFile() || e.isDirectory() ? e : await stat(childAbs).catch(() => undefined);
    if (!type) continue;
    if (type.isDirectory()) await walk(child, childAbs, out, seen);
    // `Kustomization` (no extension) is a name kustomize reads its kustomization from: read, so its fields are seen.
    else if (type.isFile() && (POLICY_EXT.test(e.name) || e.name === 'Kustomization')) out.files.push(child);
    else if (type.isFile()) out.other.push(child);
  }
}
