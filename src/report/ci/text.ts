import { notJudgedText } from '../notJudged.js';
import {
  counts,
  defaultGrantsText,
  evidenceText,
  failing,
  riskText,
  sections,
  skippedText,
  TITLES,
  type Formatter,
} from './common.js';

/**
 * Plain text for a terminal or a CI log: a verdict line, then each section. Changes of a diff come
 * riskiest first, one line each; check sections are grouped by principal.
 */
export const text: Formatter = (r, failOn) => {
  const lines = [`${failing(r, failOn) ? 'FAIL' : 'OK'}: ${counts(r)} (${r.kinds.join(', ')})`];
  const nj = notJudgedText(r.notJudged);
  if (nj) lines.push(nj);
  const dg = defaultGrantsText(r);
  if (dg) lines.push(dg);
  if (r.skipped) {
    lines.push(skippedText(r));
    for (const i of r.skipped.issues) lines.push(`  ${i.file}:${i.line}: ${i.code}: ${i.message}`);
  }
  for (const [t, list] of sections(r)) {
    if (!list.length) continue;
    lines.push('', `${TITLES[t]} (${list.length}):`);
    const ranked = t === 'new-access' || t === 'removed-access';
    let principal = '';
    for (const f of list) {
      const ev = evidenceText(f);
      const detail = f.detail && f.detail !== f.summary ? `\n      ${f.detail}` : '';
      if (ranked) {
        const risk = riskText(f);
        const at = f.locations[0] ? `  (${f.locations[0].file}:${f.locations[0].line})` : '';
        lines.push(`  ${f.risk ? `[${f.risk.level}] ` : ''}${f.kind} ${f.principal}: ${f.summary}${at}`);
        if (risk) lines.push(`      risk ${risk}`);
        if (ev) lines.push(`      ${ev}`);
        if (detail) lines.push(detail.slice(1));
        continue;
      }
      if (f.principal !== principal) {
        principal = f.principal;
        lines.push(`  ${f.kind} ${principal}`);
      }
      lines.push(`    ${f.summary}${ev ? `  [${ev}]` : ''}${detail}`);
    }
  }
  if (r.command === 'check' && Object.keys(r.unusedShare).length) {
    lines.push('', 'unused share per principal:');
    for (const [p, s] of Object.entries(r.unusedShare)) if (s > 0) lines.push(`  ${Math.round(s * 100)}%  ${p}`);
    const none = Object.values(r.unusedShare).filter((s) => s === 0).length;
    if (none) lines.push(`  (${none} more principals use every grant they have)`);
  }
  return lines.join('\n') + '\n';
};
