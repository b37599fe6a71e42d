import { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } from 'node-sarif-builder';
import type { CiFinding, CiReport, FindingType } from '../../diff/index.js';
import { VERSION } from '../../version.js';

/**
 * The outputs of `diff` and `check` for people and CI systems: text (the default), json, ndjson,
 * markdown (a pull-request comment), sarif (SARIF 2.1.0, built with node-sarif-builder) and github
 * (workflow annotations). Every string from a policy or a log is escaped for its format.
 */
export type CiFormat = 'text' | 'json' | 'ndjson' | 'markdown' | 'sarif' | 'github';
export const CI_FORMATS: CiFormat[] = ['text', 'json', 'ndjson', 'markdown', 'sarif', 'github'];

/** The finding types that fail the run under `--fail-on`. */
export function failingTypes(command: CiReport['command'], failOn: string): Set<FindingType> {
  if (command === 'diff') return new Set(failOn === 'any' ? ['granted', 'revoked'] : failOn === 'granted' ? ['granted'] : failOn === 'revoked' ? ['revoked'] : []);
  return new Set(failOn === 'any' ? ['would-deny', 'unused'] : failOn === 'would-deny' ? ['would-deny'] : failOn === 'unused' ? ['unused'] : []);
}

const TITLES: Record<FindingType, string> = {
  granted: 'newly granted',
  revoked: 'revoked',
  undetermined: 'undetermined',
  'would-deny': 'would be denied',
  unused: 'granted but never used',
};

function sections(r: CiReport): [FindingType, CiFinding[]][] {
  return r.command === 'diff'
    ? [
        ['revoked', r.revoked],
        ['granted', r.granted],
        ['undetermined', r.undetermined],
      ]
    : [
        ['would-deny', r.wouldDeny],
        ['unused', r.unused],
        ['undetermined', r.undetermined],
      ];
}

export function counts(r: CiReport): string {
  return sections(r)
    .map(([t, l]) => `${l.length} ${TITLES[t]}`)
    .join(', ');
}

function evidenceText(f: CiFinding): string {
  const e = f.evidence;
  if (!e) return '';
  if (!e.used) return 'never used';
  return `${e.count}× ${e.firstSeen || '?'} .. ${e.lastSeen || '?'}${e.samples.length ? `, e.g. ${e.samples[0]}` : ''}`;
}

export function render(r: CiReport, format: CiFormat, failOn: string): string {
  switch (format) {
    case 'json':
      return JSON.stringify(r.command === 'diff' ? { granted: r.granted, revoked: r.revoked, undetermined: r.undetermined } : { wouldDeny: r.wouldDeny, unused: r.unused, undetermined: r.undetermined, unusedShare: r.unusedShare }, null, 2) + '\n';
    case 'ndjson':
      return sections(r)
        .flatMap(([, l]) => l)
        .map((f) => JSON.stringify(f) + '\n')
        .join('');
    case 'markdown':
      return markdown(r, failOn);
    case 'sarif':
      return sarif(r, failOn);
    case 'github':
      return github(r, failOn);
    default:
      return text(r, failOn);
  }
}

function text(r: CiReport, failOn: string): string {
  const failing = failingTypes(r.command, failOn);
  const bad = sections(r).some(([t, l]) => failing.has(t) && l.length > 0);
  const lines = [`${bad ? 'FAIL' : 'OK'}: ${counts(r)} (${r.kinds.join(', ')})`];
  for (const [t, list] of sections(r)) {
    if (!list.length) continue;
    lines.push('', `${TITLES[t]} (${list.length}):`);
    let principal = '';
    for (const f of list) {
      if (f.principal !== principal) {
        principal = f.principal;
        lines.push(`  ${f.kind} ${principal}`);
      }
      const ev = evidenceText(f);
      lines.push(`    ${f.summary}${ev ? `  [${ev}]` : ''}${f.detail && f.detail !== f.summary ? `\n      ${f.detail}` : ''}`);
    }
  }
  if (r.command === 'check' && Object.keys(r.unusedShare).length) {
    lines.push('', 'unused share per principal:');
    for (const [p, s] of Object.entries(r.unusedShare)) if (s > 0) lines.push(`  ${Math.round(s * 100)}%  ${p}`);
    const none = Object.values(r.unusedShare).filter((s) => s === 0).length;
    if (none) lines.push(`  (${none} more principals use every grant they have)`);
  }
  return lines.join('\n') + '\n';
}

// ---- markdown -----------------------------------------------------------------------------------

const COLLAPSE_AFTER = 50;

/** A table cell: no pipes, no markup, no HTML, no line breaks, whatever a log or policy held. */
export function mdCell(s: string): string {
  return s
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_{}[\]()#+!|~])/g, '\\$1')
    .replace(/^(\s*)-/, '$1\\-');
}

function markdown(r: CiReport, failOn: string): string {
  const failing = failingTypes(r.command, failOn);
  const bad = sections(r).some(([t, l]) => failing.has(t) && l.length > 0);
  const title = r.command === 'diff' ? 'audit2policy: policy change' : 'audit2policy: drift check';
  const out = [`### ${title}: ${bad ? '❌' : '✅'} ${mdCell(counts(r))}`, ''];
  for (const [t, list] of sections(r)) {
    if (!list.length) continue;
    const rows = list.map((f) => `| ${f.kind} | ${mdCell(f.principal)} | ${mdCell(f.summary)} | ${mdCell(evidenceText(f) || (f.detail ?? ''))} |`);
    const head = ['| kind | principal | access | evidence |', '|---|---|---|---|'];
    out.push(`#### ${TITLES[t]} (${list.length})`, '');
    if (rows.length <= COLLAPSE_AFTER) out.push(...head, ...rows, '');
    else out.push(...head, ...rows.slice(0, COLLAPSE_AFTER), '', `<details><summary>${rows.length - COLLAPSE_AFTER} more</summary>`, '', ...head, ...rows.slice(COLLAPSE_AFTER), '', '</details>', '');
  }
  if (r.command === 'check' && Object.keys(r.unusedShare).length) {
    out.push('#### unused share per principal', '', '| principal | unused |', '|---|---|', ...Object.entries(r.unusedShare).map(([p, s]) => `| ${mdCell(p)} | ${Math.round(s * 100)}% |`), '');
  }
  return out.join('\n');
}

// ---- github annotations -------------------------------------------------------------------------

/** Workflow command escaping: the message (data) and property values differ. */
export function ghData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function ghProperty(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function github(r: CiReport, failOn: string): string {
  const failing = failingTypes(r.command, failOn);
  const out: string[] = [];
  for (const [t, list] of sections(r)) {
    for (const f of list) {
      const level = failing.has(t) ? 'error' : t === 'undetermined' ? 'notice' : 'warning';
      const loc = f.locations[0];
      const props = [loc ? `file=${ghProperty(loc.file)}` : '', loc ? `line=${loc.line}` : '', `title=${ghProperty(`${TITLES[t]}: ${f.kind} ${f.principal}`)}`].filter(Boolean).join(',');
      const ev = evidenceText(f);
      out.push(`::${level} ${props}::${ghData(`${f.summary}${ev ? ` [${ev}]` : ''}${f.detail && f.detail !== f.summary ? ` (${f.detail})` : ''}`)}`);
    }
  }
  out.push(ghData(`audit2policy ${r.command}: ${counts(r)}`));
  return out.join('\n') + '\n';
}

// ---- SARIF --------------------------------------------------------------------------------------

const RULES: Record<FindingType, string> = {
  granted: 'An access the new policy grants that the committed policy does not.',
  revoked: 'An access the committed policy grants that the new policy does not.',
  undetermined: 'An access that cannot be judged from what was given (a Condition, an aggregated role without its sources).',
  'would-deny': 'An access the logs show as authorized that the enforced policy would deny.',
  unused: 'An access the enforced policy grants that the logs never used.',
};

function sarif(r: CiReport, failOn: string): string {
  const failing = failingTypes(r.command, failOn);
  const builder = new SarifBuilder();
  const run = new SarifRunBuilder().initSimple({ toolDriverName: 'audit2policy', toolDriverVersion: VERSION, url: 'https://github.com/audit2policy/audit2policy' });
  for (const [t] of sections(r)) run.addRule(new SarifRuleBuilder().initSimple({ ruleId: `audit2policy/${t}`, shortDescriptionText: TITLES[t], fullDescriptionText: RULES[t] }));
  for (const [t, list] of sections(r)) {
    for (const f of list) {
      const loc = f.locations[0];
      const ev = evidenceText(f);
      const result = new SarifResultBuilder().initSimple({
        level: failing.has(t) ? 'error' : t === 'undetermined' ? 'note' : 'warning',
        messageText: `${f.kind} ${f.principal}: ${f.summary}${ev ? ` [${ev}]` : ''}${f.detail && f.detail !== f.summary ? ` (${f.detail})` : ''}`,
        ruleId: `audit2policy/${t}`,
        ...(loc ? { fileUri: loc.file.split('\\').join('/'), startLine: Math.max(1, loc.line) } : {}),
      });
      run.addResult(result);
    }
  }
  builder.addRun(run);
  return builder.buildSarifJsonString({ indent: true }) + '\n';
}
