// Output escaping (issue 17): every string from a log, a policy or a file name printed to a terminal or a CI log goes
// through one function (src/util/escape.ts) that writes control characters and line breaks as visible escapes.
// Each output is checked for raw control characters other than its own line breaks, for lines a value could add
// (a `::error::` workflow command, a Markdown row), and, for JSON, for the same values once parsed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CiFinding, CiReport, Finding, VerifyReport } from '../src/model/finding.js';
import { CI_FORMATS, render } from '../src/report/ci/index.js';
import { VERIFY_FORMATS } from '../src/report/verify/index.js';
import { cli, tmp } from './helpers/cli.js';

/** Every character class the escaping must cover, and what an attacker writes with them. */
const NASTY = [
  '\u001b]0;pwned\u0007', // set the terminal title
  '\u001b[2J', // clear the screen
  '\n::error file=x::injected', // a GitHub workflow command of its own
  '\r\n::add-mask::secret',
  '\u009b31m', // an 8-bit CSI
  '\u0085::warning::nel', // NEL
  '\u2028::notice::ls',
  '\u202eevil\u202c', // right-to-left override
  '\u007f\u0000\t\u000b\u000c',
].join('|');

/**
 * C0, DEL, C1, the line separators, the bidirectional controls (written here again, not imported), and the format and
 * other invisible characters (test/hostile-strings-more.test.ts).
 */
const UNSAFE = (c: number) =>
  c < 0x20 ||
  (c >= 0x7f && c <= 0x9f) ||
  c === 0x2028 ||
  c === 0x2029 ||
  (c >= 0x202a && c <= 0x202e) ||
  (c >= 0x2066 && c <= 0x2069) ||
  /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u.test(String.fromCharCode(c));

/** The raw characters a human output may hold besides its own line breaks (and the Markdown's own ⚠️): none. */
function rawControls(out: string): string[] {
  const found = new Set<string>();
  for (const ch of out.replaceAll('\u26a0\ufe0f', ''))
    if (ch !== '\n' && UNSAFE(ch.charCodeAt(0))) found.add(JSON.stringify(ch));
  return [...found];
}

// Imported where used, so the output tests below run (and fail on their own terms) without the module.
const escape = () => import('../src/util/escape.js');

describe('escapeControls', () => {
  it('escapes C0, DEL, C1, the line separators and the bidirectional controls; keeps the rest', async () => {
    const { escapeControls } = await escape();
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCharCode(c);
      const out = escapeControls(ch);
      if (UNSAFE(c)) expect(rawControls(out + 'x'), `U+${c.toString(16)}`).toEqual([]);
      else expect(out).toBe(ch);
    }
    expect(escapeControls('a\nb\r\tc\u001b[2J\u009b\u2028')).toBe('a\\nb\\r\\tc\\x1b[2J\\x9b\\u2028');
    expect(escapeControls('Ünïcødé 💥 C:\\logs')).toBe('Ünïcødé 💥 C:\\logs');
    expect(escapeControls(escapeControls(NASTY))).toBe(escapeControls(NASTY));
  });

  it('cuts a long value, never inside a surrogate pair, and says how much is left out', async () => {
    const { escapeControls } = await escape();
    expect(escapeControls('a'.repeat(30), 10)).toBe(`${'a'.repeat(10)}…(20 more characters)`);
    expect(escapeControls('aaaa💥b', 5)).toBe('aaaa…(3 more characters)');
  });

  it('jsonSafe writes DEL, C1 and the separators as JSON escapes: the same values, no raw control', async () => {
    const { jsonSafe } = await escape();
    const v = { [NASTY]: [NASTY, 1, null, { x: NASTY }] };
    const text = jsonSafe(JSON.stringify(v, null, 2));
    expect(JSON.parse(text)).toEqual(v);
    expect(rawControls(text)).toEqual([]);
  });
});

const finding = (type: CiFinding['type'], i: number): CiFinding =>
  ({
    type,
    kind: i % 2 ? 'iam' : 'rbac',
    principal: `system:serviceaccount:shop:web${NASTY}`,
    access: {},
    summary: `get configmaps ${NASTY}`,
    detail: `because ${NASTY}`,
    evidence: { used: true, count: 2, firstSeen: NASTY, lastSeen: NASTY, samples: [NASTY] },
    risk: { level: 'high', reasons: [NASTY] },
    locations: [{ file: `policy/${NASTY}.yaml`, line: 3 }],
  }) as CiFinding;

const DIFF: CiReport = {
  command: 'diff',
  newAccess: [finding('new-access', 0), finding('new-access', 1)],
  removedAccess: [finding('removed-access', 2)],
  undetermined: [finding('undetermined', 3)],
  wouldDeny: [],
  unused: [],
  unusedShare: {},
  kinds: ['rbac', 'iam'],
};
const CHECK: CiReport = {
  ...DIFF,
  command: 'check',
  newAccess: [],
  removedAccess: [],
  wouldDeny: [finding('would-deny', 0)],
  unused: [finding('unused', 1)],
  unusedShare: { [NASTY]: 0.5 },
};

describe('diff and check outputs', () => {
  for (const format of CI_FORMATS)
    for (const r of [DIFF, CHECK])
      it(`${r.command} --format ${format}: no raw control character, no line a value added`, () => {
        const out = render(r, format, 'any');
        expect(rawControls(out)).toEqual([]);
        const lines = out.split('\n');
        if (format === 'github') {
          // One annotation per finding and a summary line: a value cannot start a workflow command.
          const n = r.newAccess.length + r.removedAccess.length + r.undetermined.length + r.wouldDeny.length;
          expect(lines.filter((l) => l.startsWith('::'))).toHaveLength(n + r.unused.length);
          for (const l of lines) expect(l).not.toMatch(/^::(add-mask|notice|warning)::/);
        }
        // A value stays in its table cell.
        if (format === 'markdown') for (const l of lines.filter((x) => /injected/.test(x))) expect(l).toMatch(/^\| /);
        if (format === 'text') for (const l of lines) expect(l.trimStart(), 'a value began a line').not.toMatch(/^::/);
        if (format === 'json' || format === 'sarif' || format === 'ndjson')
          for (const doc of format === 'ndjson' ? lines.filter(Boolean) : [out])
            expect(() => JSON.parse(doc)).not.toThrow();
      });

  it('JSON and NDJSON keep the data: the parsed values are the findings as given', () => {
    const json = JSON.parse(render(DIFF, 'json', 'any'));
    expect(json.newAccess[0].summary).toBe(`get configmaps ${NASTY}`);
    const nd = render(DIFF, 'ndjson', 'any')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(nd[0].principal).toBe(`system:serviceaccount:shop:web${NASTY}`);
  });
});

describe('verify outputs', () => {
  const f = (kind: 'rbac' | 'iam', subject: string): Finding =>
    ({
      kind,
      subject,
      subjectKind: 'User',
      access:
        kind === 'rbac'
          ? {
              verb: 'get',
              apiGroup: '',
              resource: 'pods',
              subresource: '',
              namespace: 'shop',
              name: NASTY,
              nonResourceURL: '',
            }
          : { action: 's3:GetObject', resource: `arn:aws:s3:::b/${NASTY}`, events: [NASTY] },
      evidence: { count: 1, firstSeen: NASTY, lastSeen: NASTY, samples: [NASTY] },
      detail: NASTY,
    }) as Finding;
  const report: VerifyReport = {
    observed: 3,
    allowed: 0,
    notAllowed: [f('rbac', `alice${NASTY}`), f('iam', `arn:aws:iam::111122223333:role/x${NASTY}`)],
    undetermined: [f('rbac', NASTY)],
    skipped: { [NASTY]: 1 },
    byKind: {
      rbac: { observed: 2, allowed: 0, unobservedPairs: 1, unobservedAllowed: 1, unobservedAllowedExamples: [NASTY] },
    },
    denied: [f('iam', NASTY)],
  };

  it('text: no raw control character, no line a value began', () => {
    const out = VERIFY_FORMATS['text']!(report);
    expect(rawControls(out)).toEqual([]);
    // GitHub Actions reads a workflow command at the start of a line (leading blanks aside).
    expect(out.split('\n').filter((l) => /^::/.test(l.trimStart()))).toEqual([]);
    // One line per finding (3), each finding's detail (the not-allowed ones' and the undetermined one's), the
    // narrowness example and the skipped reason.
    expect(out.split('\n').filter((l) => /injected/.test(l))).toHaveLength(3 + 3 + 2);
  });

  it('json: the same values, no raw control character', () => {
    const out = VERIFY_FORMATS['json']!(report);
    expect(rawControls(out)).toEqual([]);
    expect(JSON.parse(out).notAllowed[0].subject).toBe(`alice${NASTY}`);
  });

  it('escapeStrings copies a report with every string escaped and everything else as it was', async () => {
    const { escapeControls, escapeStrings } = await escape();
    const e = escapeStrings(report);
    expect(e.observed).toBe(3);
    expect(e.notAllowed[0]!.subject).toBe(escapeControls(`alice${NASTY}`));
    expect(report.notAllowed[0]!.subject).toBe(`alice${NASTY}`);
  });
});

describe('the CLI summary on stderr', () => {
  it('a file name with terminal escapes is printed escaped in notices and issues', () => {
    const dir = tmp('a2p-esc-');
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    // Not a log at all: a notice naming the file. A malformed line: an input issue naming the file.
    writeFileSync(join(logs, 'x\u001b]0;pwned\u0007\u001b[2J.bin'), Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0]));
    writeFileSync(join(logs, 'y\u009b31m\u2028.log'), '{"kind":"Event","apiVersion":"audit.k8s.io/v1"\n');
    const r = cli(['profile', '--k8s-audit', logs, '-o', join(dir, 'p.json')]);
    expect(r.stderr).toMatch(/x\\x1b\]0;pwned\\x07\\x1b\[2J\.bin/);
    expect(r.stderr).toMatch(/y\\x9b31m\\u2028\.log:1/);
    expect(rawControls(r.stderr)).toEqual([]);
  });
});
