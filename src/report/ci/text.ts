import { notJudgedText } from '../notJudged.js';
import { counts, evidenceText, failing, sections, TITLES, type Formatter } from './common.js';

/** Plain text for a terminal or a CI log: a verdict line, then each section grouped by principal. */
export const text: Formatter = (r, failOn) => {
  const lines = [`${failing(r, failOn) ? 'FAIL' : 'OK'}: ${counts(r)} (${r.kinds.join(', ')})`];
  const nj = notJudgedText(r.notJudged);
  if (nj) lines.push(nj);
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
      lines.push(
        `    ${f.summary}${ev ? `  [${ev}]` : ''}${f.detail && f.detail !== f.summary ? `\n      ${f.detail}` : ''}`,
      );
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
