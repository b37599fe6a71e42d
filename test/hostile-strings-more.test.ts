// Hostile strings from logs, the second round (after ADR 0008 and issue 17): values that pass the platform's name rules
// or reach an output by another road. Each table row is an input a log can carry and what must (not) come of it.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resourceArnProblem } from '../src/knowledge/aws/names.js';
import {
  objectNameProblem,
  subdomainProblem,
  userNameProblem,
  usernameProblem,
} from '../src/knowledge/kubernetes/names.js';
import type { CiFinding, CiReport } from '../src/model/finding.js';
import { mdCell, render } from '../src/report/ci/index.js';
import { escapeControls, jsonSafe } from '../src/util/escape.js';
import { generateNetpol } from '../src/generate/netpol/index.js';
import type { NetEdge, WorkloadInfo } from '../src/model/network.js';
import { PROFILE_API_VERSION, type Profile } from '../src/model/profile.js';
import { readNetworkPolicies, verifyNetpol } from '../src/verify/netpol.js';
import { emptyReport } from '../src/verify/rbac.js';
import { iamPlace, iamPolicyPaths, policyStem } from '../src/model/layout.js';
import { nameSegment } from '../src/util/paths.js';
import { BIN, cli, tmp } from './helpers/cli.js';
import { configMapGets } from './helpers/k8s-audit-gen.js';
import { mdRead } from './helpers/markdown.js';

const auditLog = (users: string[]) => configMapGets(users);

function writeLog(users: string[]): { dir: string; log: string } {
  const dir = tmp('a2p-hostile-');
  const log = join(dir, 'audit.log');
  writeFileSync(log, auditLog(users));
  return { dir, log };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

// ---- 1. Unpaired UTF-16 surrogates -----------------------------------------------------------------------------
// JSON may write `\ud800` alone; no API server or AWS service does (Go and AWS write UTF-8, and text that is not
// UTF-8 becomes U+FFFD). Once written to a file as UTF-8 every unpaired surrogate is U+FFFD, so two distinct names
// became one file and one subject: `generate rbac` stopped with an internal error ("written twice").
const LONE = [
  ['a high surrogate alone', 'alice\ud800'],
  ['a low surrogate alone', 'alice\udc00'],
  ['a low surrogate before a high one', 'alice\udc00\ud800'],
  ['a high surrogate at the start', '\udbffbob'],
] as const;

describe('unpaired surrogates in names', () => {
  it.each(LONE)('%s is refused as a Kubernetes user, object name and resource ARN', (_, v) => {
    expect(userNameProblem(v)).toBeDefined();
    expect(usernameProblem(v)).toBeDefined();
    expect(objectNameProblem(v)).toBeDefined();
    expect(resourceArnProblem(`arn:aws:s3:::bucket/${v}`)).toBeDefined();
  });

  it('a pair is a character like any other: 💥 in a user name and an S3 key passes', () => {
    expect(userNameProblem('alice💥')).toBeUndefined();
    expect(resourceArnProblem('arn:aws:s3:::bucket/💥.txt')).toBeUndefined();
  });

  it('generate rbac: the records are input issues at their lines, the other users get their files', () => {
    const { dir, log } = writeLog(['alice\ud800', 'alice\ud801', 'bob']);
    const out = join(dir, 'out');
    const r = cli(['generate', 'rbac', '--k8s-audit', log, '-o', out]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/audit\.log:1\b/);
    expect(r.stderr).toMatch(/audit\.log:2\b/);
    expect(filesUnder(join(out, 'rbac'))).toEqual(['shop/user.bob.yaml']);
    expect(readFileSync(join(out, 'rbac/shop/user.bob.yaml'), 'utf8')).not.toMatch(/\ufffd/);
  });
});

// ---- 2. Invisible characters in what a person reads ------------------------------------------------------------
// The Kubernetes rules let a user name (from OIDC) hold any character but controls; S3 keys too. Printed raw, a zero
// width space makes `b\u200bob` read as `bob`, a tag character (U+E0041) hides text, a soft hyphen or a word joiner
// vanishes. escapeControls wrote the C0, C1 and bidirectional controls visibly but kept these.
const INVISIBLE: [string, string, string][] = [
  ['zero width space', 'b\u200bob', 'b\\u200bob'],
  ['zero width joiner and non-joiner', 'a\u200cb\u200dc', 'a\\u200cb\\u200dc'],
  ['left-to-right and right-to-left marks', 'a\u200eb\u200fc', 'a\\u200eb\\u200fc'],
  ['Arabic letter mark', 'a\u061cb', 'a\\u061cb'],
  ['word joiner and invisible operators', 'a\u2060b\u2062c', 'a\\u2060b\\u2062c'],
  ['byte order mark', '\ufeffroot', '\\ufeffroot'],
  ['soft hyphen', 'ad\u00admin', 'ad\\xadmin'],
  ['Hangul filler (blank, a letter by category)', 'a\u3164b', 'a\\u3164b'],
  ['interlinear annotation', 'a\ufff9b', 'a\\ufff9b'],
  ['tag characters (an invisible "AB")', 'x\u{e0041}\u{e0042}y', 'x\\u{e0041}\\u{e0042}y'],
  ['an unpaired surrogate', 'a\ud800b', 'a\\ud800b'],
];

describe('escapeControls: invisible and format characters', () => {
  it.each(INVISIBLE)('%s is written as a visible escape', (_, raw, shown) => {
    expect(escapeControls(raw)).toBe(shown);
    expect(escapeControls(escapeControls(raw))).toBe(shown);
  });

  it.each([
    ['letters of any script', 'Ünïcødé ñame 名前 اسم'],
    ['an emoji (a surrogate pair)', 'alice💥'],
    ['a backslash', 'C:\\logs'],
  ])('%s is kept as it is', (_, v) => expect(escapeControls(v)).toBe(v));

  it('cuts after escaping as before, never inside a pair', () => {
    expect(escapeControls('ab\u200bcd', 3)).toBe('ab\\u200b…(2 more characters)');
    expect(escapeControls('a💥\u{e0041}', 2)).toBe('a…(4 more characters)');
  });

  it.each(INVISIBLE)('jsonSafe writes %s as JSON escapes: the same value, nothing invisible', (_, raw) => {
    const text = jsonSafe(JSON.stringify({ [raw]: [raw] }));
    expect(JSON.parse(text)).toEqual({ [raw]: [raw] });
    expect(text).toMatch(/^[\x20-\x7e]*$/);
  });

  it('verify: a user name with a zero width space is printed so that it cannot pass for another user', () => {
    const { dir, log } = writeLog(['bob']);
    const out = join(dir, 'out');
    expect(cli(['generate', 'rbac', '--k8s-audit', log, '-o', out, '-q']).code).toBe(0);
    const log2 = join(dir, 'audit2.log');
    writeFileSync(log2, auditLog(['bob', 'b\u200bob', 'x\u{e0041}y']));
    const r = cli(['verify', '--k8s-audit', log2, '--policies', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('b\\u200bob: get configmaps cfg1 in shop');
    expect(r.stdout).toContain('x\\u{e0041}y: get configmaps cfg2 in shop');
    expect(r.stdout).not.toMatch(/[\u200b\u{e0041}]/u);
  });
});

// ---- 3. The HTML report: characters that reorder or hide what a reviewer reads ----------------------------------
// Markup was escaped (no script runs: test/report.test.ts proves it in Chromium), but a right-to-left override in a
// user name (`evil\u202eoc.exe`, shown as `evilexe.co`) reversed the rest of its line, warnings and counts included,
// and a zero width space let `b\u200bob` pass for `bob`. The terminal and Markdown wrote them as escapes already.
const REORDERING: [string, string, string][] = [
  ['a right-to-left override', 'evil\u202eoc.exe', 'evil\\u202eoc.exe'],
  ['a right-to-left isolate', 'a\u2067b', 'a\\u2067b'],
  ['a zero width space', 'b\u200bob', 'b\\u200bob'],
  ['a tag character', 'x\u{e0041}y', 'x\\u{e0041}y'],
  ['a right-to-left mark', 'a\u200fb', 'a\\u200fb'],
];

describe('the HTML report shows invisible and reordering characters as escapes', () => {
  it.each(REORDERING)('%s, in a user name', (_, user, shown) => {
    const { dir, log } = writeLog([user, 'bob']);
    const html = join(dir, 'r.html');
    const r = cli(['report', '--k8s-audit', log, '-o', html, '-q']);
    expect(r.code).toBe(0);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain(`<span class="mono">${shown}</span>`);
    // Nothing a browser would reorder or hide, anywhere in the file.
    expect(text).not.toMatch(/[\p{Cf}\p{Default_Ignorable_Code_Point}\u2028\u2029]/u);
  });

  it('an emoji cut at the graph label width is cut before it, not inside its surrogate pair', async () => {
    const { svgGraph } = await import('../src/report/render.js');
    const label = 'a'.repeat(32) + '💥💥';
    const svg = svgGraph({
      nodes: [{ id: 'n', column: 0, group: 'g', label, risky: false }],
      edges: [],
      collapsed: [],
    } as never);
    expect(svg).toContain(`>${'a'.repeat(32)}…</text>`);
    expect(svg).not.toMatch(/\\ud83d/);
  });
});

// ---- 4. Markdown for pull requests: links and mentions -----------------------------------------------------------
// A pull-request comment (`diff --format markdown`, `check`, the report as .md) is rendered by GitHub: a bare URL in
// text becomes a link (GFM's extended autolinks: `https://`, `www.`, e-mail addresses), and `@org/team` or `@user`
// after a non-word character notifies them. Backslash escapes and entities do not stop either (both act on the text
// after it is parsed); code does (no autolink or mention inside a code span or a <code> element). An IAM role name may
// hold `@` (`deploy-@security`), an OIDC user name any of these, so a log could ping a team or plant a phishing link in
// a bot's comment under the heading "risky new access".
const LINKY: [string, string][] = [
  ['a team mention', '@octo-org/security-team'],
  ['a user mention after a hyphen (an IAM name may hold @)', 'deploy-@octocat'],
  ['a URL', 'https://evil.example/approve?pr=1'],
  ['a www. autolink', 'www.evil.example'],
  ['an e-mail autolink', 'alice@evil.example'],
  ['a mailto: link', 'mailto:alice@evil.example'],
  ['a URL with pipes and backticks', 'https://evil.example/|`x`|``y``'],
  ['a mention with markup', '@octocat <img src=x onerror=alert(1)> [x](javascript:alert(1))'],
];

/**
 * A Markdown line with its code spans (CommonMark: a run of n backticks to the next run of exactly n) and <code> taken
 * out.
 */
function outsideCode(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (line[i] === '\\') {
      out += line.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (line.startsWith('<code>', i)) {
      const end = line.indexOf('</code>', i);
      if (end > 0) {
        i = end + 7;
        continue;
      }
    }
    if (line[i] === '`') {
      const run = /^`+/.exec(line.slice(i))![0];
      const close = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
      close.lastIndex = i + run.length;
      const m = close.exec(line);
      if (m) {
        i = m.index + run.length;
        continue;
      }
    }
    out += line[i];
    i++;
  }
  return out;
}

/** The cells of a table row: split at pipes that no backslash escapes (GFM does this before reading code spans). */
const cells = (row: string) => row.replace(/^\| | \|$/g, '').split(/(?<!\\)\|/);

/** What a reader is shown of a code span: its content, `\|` read as `|` (GFM tables), one padding blank each side. */
/** A cell's text as a reader sees it. */
const codeContent = (cell: string): string => mdRead(cell.trim());

const LINKABLE = /@|:\/\/|www\.|mailto:/i;

const ciFinding = (principal: string): CiFinding =>
  ({
    type: 'new-access',
    kind: 'iam',
    principal,
    access: {},
    summary: `s3:GetObject on arn:aws:s3:::b/${principal}`,
    risk: { level: 'high', reasons: ['reads any object'] },
    evidence: {
      used: true,
      count: 1,
      firstSeen: '2026-11-09T00:00:00Z',
      lastSeen: '2026-11-09T00:00:00Z',
      samples: [],
    },
    locations: [{ file: 'iam/111122223333/role/x.json', line: 3 }],
  }) as CiFinding;

describe('Markdown: no value from a log becomes a link or a mention', () => {
  it.each(LINKY)('%s: a table cell holds it as code, the text unchanged', (_, v) => {
    const cell = mdCell(v);
    expect(outsideCode(cell)).not.toMatch(LINKABLE);
    expect(codeContent(cell)).toBe(v);
    expect(cells(`| a | ${cell} | b |`)).toHaveLength(3);
  });

  it.each(LINKY)('%s: diff --format markdown keeps every row to its cells, links and mentions in code', (_, v) => {
    const r: CiReport = {
      command: 'diff',
      newAccess: [ciFinding(v), { ...ciFinding(`arn:aws:iam::111122223333:role/${v}`), risk: undefined } as CiFinding],
      removedAccess: [],
      undetermined: [],
      wouldDeny: [],
      unused: [],
      unusedShare: {},
      kinds: ['iam'],
    };
    const md = render(r, 'markdown', 'any');
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| risk') && !l.startsWith('| kind'));
    expect(rows).toHaveLength(2);
    expect(cells(rows[0]!)).toHaveLength(5);
    expect(cells(rows[1]!)).toHaveLength(4);
    for (const l of md.split('\n')) expect(outsideCode(l)).not.toMatch(LINKABLE);
    expect(codeContent(cells(rows[0]!)[2]!)).toBe(v);
  });

  it('the report as Markdown: user names in summaries, warnings and tables as code', () => {
    const users = ['@octo-org/security', 'https://evil.example/x', 'www.evil.example', 'bob'];
    const { dir, log } = writeLog(users);
    const md = join(dir, 'r.md');
    expect(cli(['report', '--k8s-audit', log, '-o', md, '-q']).code).toBe(0);
    const lines = readFileSync(md, 'utf8').split('\n');
    for (const l of lines) expect(outsideCode(l), l).not.toMatch(LINKABLE);
    for (const u of users.slice(0, 3))
      expect(lines).toContain(`<details><summary><code>${u}</code> (User, 1 permission, 1 event)</summary>`);
    expect(lines).toContain('<details><summary>bob (User, 1 permission, 1 event)</summary>');
  });

  it("the report's HTML lines in Markdown: markup and Markdown punctuation as entities, each once", () => {
    const { dir, log } = writeLog(["o'brien [x](javascript:alert(1)) <b>&#"]);
    const md = join(dir, 'r.md');
    expect(cli(['report', '--k8s-audit', log, '-o', md, '-q']).code).toBe(0);
    expect(readFileSync(md, 'utf8')).toContain(
      '<details><summary>o&#39;brien &#91;x&#93;&#40;javascript:alert&#40;1&#41;&#41; &#60;b&#62;&#38;&#35; (User,',
    );
  });

  it('plain names keep their old escaping: markup characters escaped, no code', () => {
    expect(mdCell('a|b`c <img> [x](y)')).toBe('a\\|b\\`c &lt;img&gt; \\[x\\]\\(y\\)');
  });
});

// ---- 5. Object names the API server would refuse ----------------------------------------------------------------
// A NetworkPolicy (and a CiliumNetworkPolicy) is named `audit2policy-<workload>`: a DNS-1123 subdomain of at most 253
// characters. A workload's name may itself be up to 253 (a Deployment or DaemonSet of a long name, from the inventory
// or a flow), so the policy's name passed 253 and `kubectl apply` refused the file: breakage, from a valid name.
const EV = {
  connections: 1,
  records: 1,
  firstSeen: '2026-11-02T08:00:00.000000Z',
  lastSeen: '2026-11-02T08:00:00.000000Z',
  samples: [{ id: 'f1', time: '2026-11-02T08:00:00.000000Z' }],
};
const workload = (name: string, app: string): WorkloadInfo => ({
  namespace: 'shop',
  name,
  kind: 'Deployment',
  selector: { app },
  labels: { app },
  ports: [],
  hostNetwork: false,
  source: 'inventory',
});
const long = (n: number, tail = '') => ('a' + 'b'.repeat(n)).slice(0, n - tail.length) + tail;
const LONG_NAMES: [string, string, string][] = [
  ['240 characters: the name just fits', long(240), long(240, 'x')],
  ['241 characters: one over', long(241), long(241, 'y')],
  ['253 characters, the longest workload name', long(253), long(253, 'z')],
  [
    '253 characters with dots where the cut falls',
    `${'c'.repeat(228)}.${'d'.repeat(24)}`,
    `${'c'.repeat(228)}.${'e'.repeat(24)}`,
  ],
  ['a dash where the cut falls', `${'f'.repeat(228)}-${'g'.repeat(24)}`, `${'f'.repeat(228)}-${'h'.repeat(24)}`],
];

describe('generate netpol: policy names the API server accepts, whatever the workload name', () => {
  it.each(LONG_NAMES)('%s', (_, a, b) => {
    const profile: Profile = {
      apiVersion: PROFILE_API_VERSION,
      kind: 'Profile',
      window: { start: EV.firstSeen, end: EV.lastSeen },
      sources: [],
      skipped: {},
      principals: [],
      workloads: [workload(a, 'a'), workload(b, 'b')],
      network: [
        {
          from: { kind: 'workload', namespace: 'shop', name: a },
          to: { kind: 'workload', namespace: 'shop', name: b },
          protocol: 'TCP',
          port: 8080,
          allowed: EV,
        } as NetEdge,
      ],
      namespaces: [{ name: 'shop', labels: {} }],
    };
    for (const flavor of ['kubernetes', 'cilium'] as const) {
      const r = generateNetpol(profile, { flavor });
      const objects = r.artefacts.flatMap((x) => x.objects.map((object, index) => ({ file: x.path, index, object })));
      const names = objects.map((o) => (o.object['metadata'] as { name: string }).name);
      for (const n of names) expect(subdomainProblem(n), n).toBeUndefined();
      expect(new Set(names).size, 'two policies share a name').toBe(names.length);
      // Still the policies of those workloads: the replay allows what was seen.
      const { policies, issues } = readNetworkPolicies(objects);
      expect(issues).toEqual([]);
      const report = emptyReport(profile);
      verifyNetpol(profile, policies, report);
      expect(report.notAllowed).toEqual([]);
      expect(report.allowed).toBeGreaterThan(0);
    }
  });
});

// ---- 6. File names Windows reserves ------------------------------------------------------------------------------
// `con`, `nul`, `aux`, `prn`, `com1`...`lpt9` are valid namespaces and workload names, and CON or NUL valid IAM role
// names; Windows opens the device for such a file name whatever its extension (`nul.yaml`, `CON.2.json`), and Git for
// Windows refuses to check such a path out, so a repository of generated policies could not be cloned there.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;
const RESERVED_NAMES = ['con', 'CON', 'nul', 'Nul', 'aux', 'prn', 'com1', 'LPT9', 'com0'];

describe('file names from names Windows reserves', () => {
  it.each(RESERVED_NAMES)('%s: a namespace directory, a workload file and an IAM policy file are not reserved', (n) => {
    expect(nameSegment(n)).not.toMatch(WINDOWS_RESERVED);
    for (const p of iamPolicyPaths('111122223333', 'role', policyStem(n), 2))
      for (const seg of p.split('/')) expect(seg).not.toMatch(WINDOWS_RESERVED);
    // Read back by its place as the same role.
    expect(iamPlace(iamPolicyPaths('111122223333', 'role', policyStem(n), 2)[1]!)).toEqual({
      account: '111122223333',
      kind: 'role',
      name: n,
      partition: 'aws',
    });
  });

  it.each([['console'], ['con-1'], ['nulls'], ['com10'], ['auxiliary']])('%s is left as it was', (n) => {
    expect(nameSegment(n)).toBe(n);
    expect(policyStem(n)).toBe(n);
  });

  it('generate netpol: namespace con, workload nul', () => {
    const profile: Profile = {
      apiVersion: PROFILE_API_VERSION,
      kind: 'Profile',
      window: { start: EV.firstSeen, end: EV.lastSeen },
      sources: [],
      skipped: {},
      principals: [],
      workloads: [
        { ...workload('nul', 'a'), namespace: 'con' },
        { ...workload('aux', 'b'), namespace: 'con' },
      ],
      network: [
        {
          from: { kind: 'workload', namespace: 'con', name: 'nul' },
          to: { kind: 'workload', namespace: 'con', name: 'aux' },
          protocol: 'TCP',
          port: 8080,
          allowed: EV,
        } as NetEdge,
      ],
      namespaces: [{ name: 'con', labels: {} }],
    };
    const paths = generateNetpol(profile).artefacts.flatMap((a) => [a.path, a.evidencePath ?? '']);
    expect(paths.length).toBeGreaterThan(2);
    for (const p of paths.filter(Boolean)) for (const seg of p.split('/')) expect(seg, p).not.toMatch(WINDOWS_RESERVED);
  });
});

// ---- 7. `inventory` to stdout ------------------------------------------------------------------------------------
// The snapshot holds whole objects, annotations included, which anyone who may annotate a pod writes. JSON.stringify
// leaves C1 controls (the 8-bit CSI, U+009B), the bidirectional overrides and invisible characters raw, and
// `audit2policy inventory` printed them to the terminal; every other JSON output goes through jsonSafe.
describe('inventory: the snapshot printed to a terminal', () => {
  it('holds no raw control, bidirectional or invisible character, and the same values', async () => {
    const hostile = 'x\u009b31m\u001b]0;t\u0007\u202eevil\u200b\u{e0041}';
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const items =
        path === '/api/v1/namespaces'
          ? [{ metadata: { name: 'shop', annotations: { note: hostile }, labels: { team: 'a' } } }]
          : [];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const dir = tmp('a2p-hostile-inv-');
      const kubeconfig = join(dir, 'config');
      const port = (server.address() as AddressInfo).port;
      writeFileSync(
        kubeconfig,
        `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: http://127.0.0.1:${port}
    insecure-skip-tls-verify: true
users:
- name: tester
  user:
    token: test-token
contexts:
- name: local
  context:
    cluster: local
    user: tester
current-context: local
`,
      );
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'inventory', '--kubeconfig', kubeconfig, '-q'], {
          env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', HOME: dir },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (c: Buffer) => out.push(c));
        child.stderr.on('data', (c: Buffer) => err.push(c));
        child.on('close', (code) =>
          resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
        );
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^[\x20-\x7e\n]*$/);
      const list = JSON.parse(r.stdout) as { items: { metadata: { annotations?: Record<string, string> } }[] };
      expect(list.items.map((i) => i.metadata.annotations?.['note'])).toContain(hostile);
    } finally {
      server.close();
    }
  });
});
