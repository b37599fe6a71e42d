// Output injection, the third round (after issue 17 and test/hostile-strings-more.test.ts): strings from logs against
// the systems that read audit2policy's outputs. Each output is parsed as its reader parses it: a GitHub Actions log
// line by line as the runner reads workflow commands, YAML with a YAML parser, JSON with JSON.parse, SARIF URIs as
// URIs, and compared with the values that went in.
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CiFinding, CiReport } from '../src/model/finding.js';
import { CI_FORMATS, mdCell, render } from '../src/report/ci/index.js';
import { toYamlDocuments } from '../src/emit/yaml.js';
import { escapeControls, jsonSafe } from '../src/util/escape.js';
import { cli, tmp } from './helpers/cli.js';
import { mdRead } from './helpers/markdown.js';
import { configMapGets } from './helpers/k8s-audit-gen.js';
import { record } from './helpers/cloudtrailRecords.js';

/** One allowed `get configmaps/NAME` in namespace shop per username, its user agent the username itself. */
const auditLog = (users: string[], name?: (i: number) => string) => configMapGets(users, name, (u) => u);

// ---- 1. Workflow commands in a GitHub Actions log ---------------------------------------------------------------
// The runner (actions/runner, src/Runner.Common/ActionCommand.cs, read through ActionCommandManager.TryProcessCommand)
// reads a line of a step's output as a command in two ways: `::name props::data` when the line, leading white space
// trimmed (.NET's TrimStart: Unicode white space, the no-break space included), starts with `::`; and, when that
// fails, the legacy `##[name props]data` found anywhere in the line. Registered commands include set-output and
// save-state (a step's outputs and state), add-mask (hides text in the rest of the log), stop-commands (no command
// is read until its token: every later annotation is lost), add-matcher, error, warning and notice.
// A user name may hold `::` and `##[` (the API server takes any text from an authenticator), so `verify` printed
// `  ::set-output name=verdict::: get configmaps...`, which sets the step output `verdict`.

/** What the runner would read as a command in one line of a log: its name, or undefined. */
function runnerCommand(line: string): string | undefined {
  const t = line.replace(/^[\s\u0085]+/u, '');
  if (t.startsWith('::')) {
    const end = t.indexOf('::', 2);
    if (end >= 0) return t.slice(2, end).split(' ')[0]!.toLowerCase();
  }
  const at = line.indexOf('##[');
  if (at >= 0) {
    const rb = line.indexOf(']', at);
    if (rb >= 0)
      return line
        .slice(at + 3, rb)
        .split(' ')[0]!
        .toLowerCase();
  }
  return undefined;
}

/** User names that start commands of either form, and one in a no-break space's clothing. */
const COMMANDING = [
  '::set-output name=verdict::',
  '::add-mask::',
  '\u00a0::stop-commands::pause',
  '  ::error file=x.yaml::forged',
  'x##[add-mask]system',
  '###[stop-commands]pause',
  'a ##[set-output name=verdict]ok',
  '##[error]forged',
];

/** Every command line of a log: the ones the output means to give are `expected`. */
const commands = (log: string) =>
  log
    .split('\n')
    .map(runnerCommand)
    .filter((c): c is string => c !== undefined);

/** A finding whose every string is `v`, located in file `v`. */
function findingOf(type: CiFinding['type'], v: string): CiFinding {
  return {
    type,
    kind: 'rbac',
    principal: v,
    access: {},
    summary: v,
    detail: v,
    evidence: { used: true, count: 1, firstSeen: v, lastSeen: v, samples: [v] },
    locations: [{ file: v, line: 1 }],
  } as CiFinding;
}

describe('no value from a log gives a GitHub Actions workflow command', () => {
  it.each(COMMANDING)('escapeControls(%j) cannot start a command, whatever comes before or after it', (v) => {
    const e = escapeControls(v);
    for (const line of [e, `  ${e}: get`, `prefix ${e} suffix`, `\u00a0${e}`])
      expect(runnerCommand(line), line).toBeUndefined();
    expect(escapeControls(e)).toBe(e);
  });

  it('jsonSafe: a legacy command in a JSON string is written with a JSON escape; the value is the same', () => {
    const v = { name: 'x##[add-mask]system', other: '###[stop-commands]t' };
    const text = jsonSafe(JSON.stringify(v, null, 2));
    expect(commands(text)).toEqual([]);
    expect(JSON.parse(text)).toEqual(v);
  });

  it('verify (text, json) and the summary on stderr: no command from a user name', () => {
    const dir = tmp('a2p-inject-');
    const log = join(dir, 'audit.log');
    writeFileSync(log, auditLog([...COMMANDING, 'bob']));
    const out = join(dir, 'policy');
    // Policies for bob only: every other user is "not allowed", one line each, starting with the user name.
    expect(cli(['generate', 'rbac', '--k8s-audit', log, '--subject', 'bob', '-o', out, '-q']).code).toBe(0);
    const text = cli(['verify', '--k8s-audit', log, '--policies', out]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/not allowed \(8\)/);
    expect(commands(text.stdout)).toEqual([]);
    expect(commands(text.stderr)).toEqual([]);
    const json = cli(['verify', '--k8s-audit', log, '--policies', out, '--format', 'json', '-q']);
    expect(commands(json.stdout)).toEqual([]);
    const subjects = (JSON.parse(json.stdout) as { notAllowed: { subject: string }[] }).notAllowed.map(
      (f) => f.subject,
    );
    expect(subjects.sort()).toEqual([...COMMANDING].sort());
  });

  const finding = (type: CiFinding['type'], v: string): CiFinding => findingOf(type, v);
  it.each(CI_FORMATS)('diff and check --format %s: only the annotations the format means to give', (format) => {
    for (const command of ['diff', 'check'] as const) {
      const r: CiReport = {
        command,
        newAccess: command === 'diff' ? COMMANDING.map((v) => finding('new-access', v)) : [],
        removedAccess: [],
        undetermined: [finding('undetermined', COMMANDING[4]!)],
        wouldDeny: command === 'check' ? COMMANDING.map((v) => finding('would-deny', v)) : [],
        unused: [],
        unusedShare: command === 'check' ? Object.fromEntries(COMMANDING.map((v) => [v, 0.5])) : {},
        kinds: ['rbac'],
        skipped: {
          count: 1,
          issues: [{ file: COMMANDING[0]!, line: 1, code: COMMANDING[5]!, message: COMMANDING[6]! }],
        },
      };
      const log = render(r, format, 'any');
      const expected =
        format === 'github' ? ['warning', ...Array.from({ length: COMMANDING.length }, () => 'error'), 'notice'] : [];
      expect(commands(log), log).toEqual(expected);
    }
  });
});

// ---- 2. Generated YAML ------------------------------------------------------------------------------------------
// js-yaml writes C0, C1, the line separators and the byte order mark as escapes, but kept the bidirectional controls,
// zero width spaces, joiners, tag characters and the other invisible characters raw: a RoleBinding for the user
// `evil\u202eoc.exe` read as `evilexe.co` wherever the file was shown (a terminal, `kubectl apply` output, a review),
// and a `##[` in a name went to the CI log raw when the YAML was printed (generate without -o).

/** The characters a reader must see as escapes in a file: the classes escapeControls escapes, written anew. */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

const YAML_NAMES = [
  'evil\u202eoc.exe',
  'b\u200bob',
  '\ufeffbom',
  'x\u{e0041}y',
  'a\u2067b\u2069',
  'soft\u00adhyphen',
  'hangul\u3164filler',
  'x##[add-mask]system',
  '::set-output name=v::',
  '---',
  '...',
  '*alias',
  '&anchor',
  '!tag',
  '%YAML 1.2',
  '@at',
  '`tick',
  'a: b',
  'a #comment',
  '"dq" \\ \'sq\'',
  '? key',
  '- item',
  '|literal',
  '>folded',
  '{a: 1}',
  '[b]',
  'yes',
  'NO',
  'on',
  '~',
  'null',
  '0x1F',
  '1_000',
  '0o17',
  '1:20',
  '.inf',
  '2026-11-09',
  '<<',
  'u'.repeat(1024),
];

describe('generated YAML: every name read back as it was, nothing hidden', () => {
  it('toYamlDocuments: each string class, as a key, a value and an item, parses to the same document', () => {
    const chars = ['\u0000', '\u0007', '\u001b', '\n', '\r', '\t', '\u0085', '\u009b', '\u00a0', '\u2028', '\u2029'];
    const strings = [...YAML_NAMES, ...chars.map((c) => `a${c}b`), 'a\n---\nkind: Secret', 'pair \u{1f4a5}'];
    const docs = strings.map((s) => ({ metadata: { name: s, labels: { [s]: s } }, list: [s, { [s]: [s] }] }));
    const text = toYamlDocuments(docs);
    expect(loadAll(text)).toEqual(docs);
    expect(text.replace(/\n/g, '')).not.toMatch(HIDDEN);
    expect(text).not.toMatch(/##\[/);
    // One document per object: no value adds a `---` line of its own.
    expect(text.split('\n').filter((l) => l === '---')).toHaveLength(docs.length - 1);
  });

  it('a document without such strings is what js-yaml writes', () => {
    const doc = { kind: 'Role', metadata: { name: 'a: b', namespace: 'shop' }, rules: [{ verbs: ['get'] }] };
    expect(toYamlDocuments([doc])).toBe(
      "kind: Role\nmetadata:\n  name: 'a: b'\n  namespace: shop\nrules:\n  - verbs:\n      - get\n",
    );
  });

  it('generate rbac: subjects and resourceNames read back exactly, no hidden character, verify allows every request', () => {
    const dir = tmp('a2p-yaml-');
    const log = join(dir, 'audit.log');
    // Object names follow the API server's path-segment rule (no `/`, `%`, `*` or blank, at most 253); a date in a
    // name reads as a made-up name, whose rule keeps no resourceNames.
    const objects = YAML_NAMES.map((n, i) => (/[/%*\s]|\d{4}-\d\d/.test(n) || n.length > 253 ? `cfg${i}` : n));
    writeFileSync(
      log,
      auditLog(YAML_NAMES, (i) => objects[i]!),
    );
    const out = join(dir, 'policy');
    const gen = cli(['generate', 'rbac', '--k8s-audit', log, '-o', out, '-q']);
    expect(gen.code, gen.stderr).toBe(0);
    const subjects = new Set<string>();
    const names = new Set<string>();
    const files = readdirSync(out, { recursive: true, withFileTypes: true }).filter(
      (e) => e.isFile() && e.name.endsWith('.yaml'),
    );
    for (const e of files) {
      const text = readFileSync(join(e.parentPath, e.name), 'utf8');
      expect(text.replace(/\n/g, ''), e.name).not.toMatch(HIDDEN);
      expect(commands(text), e.name).toEqual([]);
      for (const d of loadAll(text) as { subjects?: { name: string }[]; rules?: { resourceNames?: string[] }[] }[]) {
        for (const s of d?.subjects ?? []) subjects.add(s.name);
        for (const r of d?.rules ?? []) for (const n of r.resourceNames ?? []) names.add(n);
      }
    }
    expect([...subjects].sort()).toEqual([...YAML_NAMES].sort());
    expect([...names].sort()).toEqual([...objects].sort());
    // The same YAML on stdout, for `| kubectl apply -f -`.
    const stdout = cli(['generate', 'rbac', '--k8s-audit', log, '-q']);
    expect(stdout.stdout.replace(/\n/g, '')).not.toMatch(HIDDEN);
    expect(commands(stdout.stdout)).toEqual([]);
    expect(
      (loadAll(stdout.stdout) as { subjects?: { name: string }[] }[]).flatMap((d) => d?.subjects ?? []).length,
    ).toBe(YAML_NAMES.length);
    const v = cli(['verify', '--k8s-audit', log, '--policies', out, '--format', 'json', '-q']);
    expect(v.code, v.stdout).toBe(0);
    expect((JSON.parse(v.stdout) as { allowed: number }).allowed).toBe(YAML_NAMES.length);
  });
});

describe('diff locates rules of quoted names', () => {
  it('a rule of a user whose name is written double-quoted is located at its line, as one of a plain name', () => {
    const dir = tmp('a2p-yaml-diff-');
    const log = join(dir, 'audit.log');
    const users = ['evil\u202eoc.exe', 'x##[y]z', '\ufeffbom', "o'brien", 'bob'];
    writeFileSync(log, auditLog(users));
    const base = join(dir, 'base');
    const head = join(dir, 'head');
    expect(cli(['generate', 'rbac', '--k8s-audit', log, '-o', base, '-q']).code).toBe(0);
    cpSync(base, head, { recursive: true });
    const files = readdirSync(join(head, 'rbac/shop')).map((f) => join(head, 'rbac/shop', f));
    for (const f of files)
      writeFileSync(f, readFileSync(f, 'utf8').replace('      - get\n', '      - get\n      - list\n'));
    const r = cli(['diff', base, head, '--format', 'json', '-q']);
    const found = (JSON.parse(r.stdout) as { newAccess: CiFinding[] }).newAccess;
    expect(found.map((f) => f.principal).sort()).toEqual([...users].sort());
    const lines = new Set(found.map((f) => f.locations[0]!.line));
    expect([...lines]).toHaveLength(1);
    expect([...lines][0]).toBeGreaterThan(1);
  });
});

// ---- 3. IAM policies and their evidence (JSON) --------------------------------------------------------------------
// An S3 key may hold any character: JSON.stringify kept the bidirectional controls and invisible characters raw in the
// policy files, their evidence, the index and `generate iam` on stdout (every other JSON output went through jsonSafe).
const KEYS = ['evil\u202eoc.exe', 'b\u200bob.txt', 'tag\u{e0041}.txt', 'x##[add-mask]arn', '\u061cmark', 'plain.txt'];

describe('generate iam: resources read back exactly, nothing hidden', () => {
  it('policy files, evidence, index and stdout parse to the keys given; no raw invisible character or ##[', () => {
    const dir = tmp('a2p-iam-json-');
    const ct = join(dir, 'ct.json');
    writeFileSync(
      ct,
      JSON.stringify({
        Records: KEYS.map((key) => record('s3.amazonaws.com', 'GetObject', { bucketName: 'shop-b', key })),
      }),
    );
    const out = join(dir, 'policy');
    const gen = cli(['generate', 'iam', '--cloudtrail', ct, '-o', out, '-q']);
    expect(gen.code, gen.stderr).toBe(0);
    const texts = readdirSync(out, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
    const stdout = cli(['generate', 'iam', '--cloudtrail', ct, '-q']).stdout;
    for (const t of [...texts, stdout]) {
      expect(t.replace(/\n/g, '')).not.toMatch(HIDDEN);
      expect(commands(t)).toEqual([]);
    }
    const resources = (JSON.parse(stdout) as Record<string, { Statement: { Resource: string[] }[] }>)[
      'iam/111122223333/role/worker.json'
    ]!.Statement.flatMap((st) => st.Resource);
    expect(resources.sort()).toEqual(KEYS.map((k) => `arn:aws:s3:::shop-b/${k}`).sort());
    const v = cli(['verify', '--cloudtrail', ct, '--policies', out, '--format', 'json', '-q']);
    expect(v.code, v.stdout).toBe(0);
    expect((JSON.parse(v.stdout) as { allowed: number }).allowed).toBe(KEYS.length);
  });
});

// ---- 4. SARIF: file names as URIs -----------------------------------------------------------------------------------
// `artifactLocation.uri` is a URI reference (SARIF 2.1.0, RFC 3986). Policy file names went in as they were: a blank or
// a `%` made an invalid URI, a `#` or `?` cut the path (the rest read as fragment or query), a `:` in a first segment
// read as a scheme; and the path was escaped for reading first, so a control character became `\x1b` and then, its
// backslash read as a Windows separator, `/x1b`: another file.
const FILES = [
  'policy/my role #1.yaml',
  'policy/a?b=c.yaml',
  'policy/100%.yaml',
  'c:role.yaml',
  'policy/évil\u202eoc.yaml',
  'policy/x\u001b[2J.yaml',
  'policy\\win\\r.yaml',
  "policy/it's (1)*!.yaml",
];

/** RFC 3986 relative-ref of path segments only: pchar and `/`, `%` only before two hex digits, no `:` in the first. */
const URI_PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;

describe('sarif: file names are URIs of the same files', () => {
  it('every artifactLocation.uri is a URI path reference that decodes to the file given', () => {
    const f = (file: string): CiFinding =>
      ({ ...findingOf('new-access', 'bob'), locations: [{ file, line: 2 }] }) as CiFinding;
    const r: CiReport = {
      command: 'diff',
      newAccess: FILES.map(f),
      removedAccess: [],
      undetermined: [],
      wouldDeny: [],
      unused: [],
      unusedShare: {},
      kinds: ['rbac'],
      skipped: { count: 1, issues: [{ file: FILES[0]!, line: 3, code: 'x', message: 'y' }] },
    };
    const sarif = JSON.parse(render(r, 'sarif', 'any')) as {
      runs: {
        results: {
          message: { text: string };
          locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
        }[];
        invocations: {
          toolExecutionNotifications: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
        }[];
      }[];
    };
    const run = sarif.runs[0]!;
    const uris = [
      ...run.results.map((x) => x.locations[0]!.physicalLocation.artifactLocation.uri),
      run.invocations[0]!.toolExecutionNotifications[0]!.locations[0]!.physicalLocation.artifactLocation.uri,
    ];
    for (const u of uris) {
      expect(u, u).toMatch(URI_PATH);
      expect(u.split('/')[0], u).not.toMatch(/:/);
    }
    const decoded = uris.map((u) => u.split('/').map(decodeURIComponent).join('/'));
    expect(decoded).toEqual([...FILES, FILES[0]!].map((p) => p.replace(/\\/g, '/')));
    // The messages stay text for people: nothing raw a terminal or a log would act on.
    for (const x of run.results) expect(x.message.text).not.toMatch(HIDDEN);
  });
});

// ---- 5. Markdown for pull requests: math and references ------------------------------------------------------------
// GitHub renders `$...$` and `$$...$$` as LaTeX (MathJax) in comments, and a backslash does not stop it: a user name
// `$\color{red}{\textsf{APPROVED}}$` showed as large red text in a bot's "risky new access" table. `#12`, `GH-12` and
// `owner/repo#12` link an issue and add a "mentioned this" event to its timeline, in another repository too. Code spans
// and <code> keep both as text (test/hostile-strings-more.test.ts reads them the same way for links and mentions).
// An emoji shortcode (`:white_check_mark:` beside a finding reads as a verdict; `:+1:` has no letter) and a word of
// 7 to 40 hex digits (a link to the commit of that hash, when the repository has one) are read as text only in code.
const MARKUP = [
  '$\\color{red}{\\textsf{APPROVED}}$',
  '$$x$$ cost',
  'see #12',
  'GH-7 fixed',
  'octo/repo#5',
  'a$b',
  'a $x y$ b',
  ':white_check_mark: reviewed',
  'ci:+1:',
  'deploy-:X:',
  'fixed in 3f2a8e8b2c1d',
  'DEADBEEF00',
];

/** A Markdown line with its code spans and <code> elements taken out, as GitHub would read text in it. */
function outsideCode(line: string): string {
  return line.replace(/<code>.*?<\/code>/g, '').replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
}

const TEXT_MARKUP = /\$|#\d|\bgh-\d|:[\w+-]*[a-z][\w+-]*:|:[+-]1:|\b[0-9a-f]{7,40}\b/i;

it.each(['10:00:00Z', 'web-7d9f', 'abc1234x', 'a:b c:d'])('%j stays text: no shortcode, no hash', (v) => {
  expect(mdCell(v)).not.toMatch(/^`/);
});

describe('Markdown: no value from a log becomes math or an issue reference', () => {
  it.each(MARKUP)('mdCell(%j) holds it in code, the text unchanged', (v) => {
    const cell = mdCell(v);
    expect(outsideCode(cell)).not.toMatch(TEXT_MARKUP);
    expect(mdRead(cell)).toBe(v);
    // Only the words holding markup are code: the rest of the value stays text.
    if (v.includes(' ')) expect(cell).toMatch(/(^|\s)[^`\s]+(\s|$)/);
  });

  it('diff --format markdown and the report as Markdown', () => {
    const r: CiReport = {
      command: 'diff',
      newAccess: MARKUP.map(
        (v) => ({ ...findingOf('new-access', v), risk: { level: 'high', reasons: [v] } }) as CiFinding,
      ),
      removedAccess: MARKUP.map((v) => findingOf('removed-access', v)),
      undetermined: [],
      wouldDeny: [],
      unused: [],
      unusedShare: {},
      kinds: ['rbac'],
    };
    for (const l of render(r, 'markdown', 'any').split('\n')) expect(outsideCode(l), l).not.toMatch(TEXT_MARKUP);
    const dir = tmp('a2p-md-');
    const log = join(dir, 'audit.log');
    writeFileSync(log, auditLog(MARKUP));
    const md = join(dir, 'r.md');
    expect(cli(['report', '--k8s-audit', log, '-o', md, '-q']).code).toBe(0);
    const lines = readFileSync(md, 'utf8').split('\n');
    for (const l of lines) expect(outsideCode(l), l).not.toMatch(TEXT_MARKUP);
    expect(lines).toContain('<details><summary>see <code>&#35;12</code> (User, 1 permission, 1 event)</summary>');
  });
});
