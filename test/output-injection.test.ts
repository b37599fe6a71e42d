// Output injection, the third round (after issue 17 and test/hostile-strings-more.test.ts): strings from logs against
// the systems that read audit2policy's outputs. Each output is parsed as its reader parses it: a GitHub Actions log
// line by line as the runner reads workflow commands, YAML with a YAML parser, JSON with JSON.parse, SARIF URIs as
// URIs, and compared with the values that went in.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CiFinding, CiReport } from '../src/model/finding.js';
import { CI_FORMATS, render } from '../src/report/ci/index.js';
import { escapeControls, jsonSafe } from '../src/util/escape.js';
import { cli, tmp } from './helpers/cli.js';

/** One allowed `get configmaps/NAME` in namespace shop per username (audit.k8s.io/v1). */
function auditLog(users: string[], name = (i: number) => `cfg${i}`): string {
  return (
    users
      .map((username, i) => {
        const ts = new Date(Date.parse('2026-11-09T00:00:00Z') + i * 1000).toISOString().replace('Z', '000Z');
        return JSON.stringify({
          kind: 'Event',
          apiVersion: 'audit.k8s.io/v1',
          level: 'Metadata',
          auditID: `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`,
          stage: 'ResponseComplete',
          requestURI: `/api/v1/namespaces/shop/configmaps/${encodeURIComponent(name(i))}`,
          verb: 'get',
          user: { username, groups: ['system:authenticated'] },
          sourceIPs: ['10.0.0.1'],
          userAgent: username,
          objectRef: { resource: 'configmaps', namespace: 'shop', name: name(i), apiVersion: 'v1' },
          responseStatus: { metadata: {}, code: 200 },
          requestReceivedTimestamp: ts,
          stageTimestamp: ts,
          annotations: { 'authorization.k8s.io/decision': 'allow' },
        });
      })
      .join('\n') + '\n'
  );
}

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

  const finding = (type: CiFinding['type'], v: string): CiFinding =>
    ({
      type,
      kind: 'rbac',
      principal: v,
      access: {},
      summary: v,
      detail: v,
      evidence: { used: true, count: 1, firstSeen: v, lastSeen: v, samples: [v] },
      locations: [{ file: v, line: 1 }],
    }) as CiFinding;

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
