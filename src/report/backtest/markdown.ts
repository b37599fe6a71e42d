import type { BacktestResult } from '../../backtest/index.js';
import { mdCell } from '../ci/index.js';
import { KINDS, type KindName } from '../../kinds/index.js';
import { broadest, findingLine, headline, untrainedLine } from './text.js';

/** A pull-request comment: the figure, the would-be denials, the generalizations, per principal. */
export function backtestMarkdown(res: BacktestResult): string {
  const r = res.run;
  const out: string[] = [`### ${r.wouldDeny ? '⚠️' : '✅'} ${mdCell(headline(r))}`, ''];
  out.push(
    `Trained on ${mdCell(r.train.from)} .. ${mdCell(r.train.until)}, replayed ${mdCell(r.test.from)} .. ${mdCell(r.test.until)}.`,
    '',
  );
  for (const k of r.untrained) out.push(`> ⚠️ ${mdCell(untrainedLine(k))}`, '');
  for (const c of res.caveats) out.push(`> ⚠️ ${mdCell(c)}`, '');
  out.push('| kind | observed | allowed | would be denied | breakage |', '|---|---:|---:|---:|---:|');
  for (const [k, t] of Object.entries(r.byKind))
    out.push(`| ${k} | ${t.observed} | ${t.allowed} | ${t.wouldDeny} | ${t.breakage.toFixed(1)}% |`);
  if (r.wouldDenyList.length) {
    out.push('', '<details><summary>would be denied</summary>', '', '| access | why it is new |', '|---|---|');
    for (const f of r.wouldDenyList) out.push(`| ${mdCell(findingLine(f))} | ${mdCell(f.reason)} |`);
    out.push('', '</details>');
  }
  const ex = Object.entries(r.excess);
  if (ex.length) {
    out.push(
      '',
      'Excess: what the policy allows that its subject never did.',
      '',
      '| kind | samples | allowed | share | most allowed |',
      '|---|---:|---:|---:|---|',
    );
    for (const [k, e] of ex)
      out.push(
        `| ${k} (${KINDS[k as KindName].excessSamples}) | ${e.samples} | ${e.allowed} | ${e.share.toFixed(1)}% | ${mdCell(
          [...broadest(e), ...(e.examples ?? []).slice(0, 3)].join('; '),
        )} |`,
      );
  }
  if (r.generalized.length) {
    out.push('', '<details><summary>generalizations and widenings in the policy</summary>', '');
    for (const w of r.generalized) out.push(`- ${mdCell(`${w.kind} ${w.subject}: ${w.text}`)}`);
    out.push('', '</details>');
  }
  if (res.learning) {
    out.push('', '| principal | new accesses per held-out day | still learning |', '|---|---|---|');
    for (const [s, c] of Object.entries(res.learning))
      out.push(`| ${mdCell(s)} | ${c.days.map((d) => d.newAccesses).join(' ')} | ${c.stillLearning ? 'yes' : ''} |`);
  }
  return out.join('\n') + '\n';
}
