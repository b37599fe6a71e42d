import type { BacktestResult, BacktestRun, Tally } from '../../backtest/index.js';
import { KINDS, type Excess, type KindName } from '../../kinds/index.js';
import type { Finding } from '../../model/finding.js';
import { cmp } from '../../model/issue.js';
import { daysLabel } from './days.js';

/** One line per access: what, by whom, how often, since when. */
export function findingLine(f: Finding): string {
  const what = KINDS[f.kind].words(f).brief;
  return `${f.kind} ${f.subject}: ${what} ×${f.evidence.count}, first ${f.evidence.firstSeen}${f.evidence.samples.length ? ` (${f.evidence.samples.join(', ')})` : ''}`;
}

const pct = (t: Tally) => `${t.breakage.toFixed(1)}%`;

/**
 * The one-line figure: `backtest  days 1-6 -> 7-8: 166/168 allowed (breakage 1.2%)` (a cut inside a day:
 * `days 1-6 (to 23:42:04 UTC) -> 6-8`).
 */
export function headline(r: BacktestRun): string {
  return `backtest  ${daysLabel(r.train, r.test)}: ${r.allowed}/${r.observed} allowed (breakage ${pct(r)})`;
}

export function backtestText(res: BacktestResult): string {
  const r = res.run;
  const out: string[] = [
    headline(r),
    `train ${r.train.from} .. ${r.train.until}; held out ${r.test.from} .. ${r.test.until}`,
  ];
  out.push(
    `by kind: ${
      Object.entries(r.byKind)
        .map(([k, t]) => `${k} ${t.allowed}/${t.observed} (${pct(t)})`)
        .join(', ') || 'nothing observed in the held-out window'
    }`,
  );
  for (const k of r.untrained) out.push(untrainedLine(k));
  for (const c of res.caveats) out.push(`caveat: ${c}`);
  if (r.undetermined) out.push(`undetermined: ${r.undetermined}`);
  if (r.wouldDenyList.length) {
    out.push('', `would be denied (${r.wouldDenyList.length}):`);
    for (const f of r.wouldDenyList) out.push(`  ${findingLine(f)}: ${f.reason}`);
  }
  if (r.undeterminedList.length) {
    out.push('', `undetermined (${r.undeterminedList.length}):`);
    for (const f of r.undeterminedList) out.push(`  ${findingLine(f)}${f.detail ? `: ${f.detail}` : ''}`);
  }
  out.push('', `generalized (${r.generalized.length}):`);
  for (const w of r.generalized) out.push(`  ${w.kind} ${w.subject}: ${w.text}`);
  const ex = Object.entries(r.excess);
  if (ex.length) {
    out.push('', 'excess (negative samples: what the policy allows that this subject never did):');
    for (const [k, e] of ex) {
      out.push(
        `  ${k}: ${e.allowed} of ${e.samples} ${KINDS[k as KindName].excessSamples} allowed (${e.share.toFixed(1)}%)`,
      );
      const most = broadest(e);
      if (most.length) out.push(`    most: ${most.join(', ')}`);
      for (const x of (e.examples ?? []).slice(0, 5)) out.push(`    e.g. ${x}`);
    }
  }
  out.push('', 'by principal (observed, allowed, breakage):');
  for (const [s, t] of Object.entries(r.byPrincipal)) out.push(`  ${s}: ${t.observed}, ${t.allowed}, ${pct(t)}`);
  if (res.folds && res.learning) {
    out.push('', `folds (rolling origin, one held-out day each):`);
    for (const f of res.folds) out.push(`  ${headline(f).replace(/^backtest\s+/, '')}`);
    out.push('', 'learning curve (new accesses per held-out day; the last day one appeared):');
    for (const [s, c] of Object.entries(res.learning)) {
      out.push(
        `  ${s}: ${c.days.map((d) => d.newAccesses).join(' ')}; last new ${c.lastNew || 'none'}${c.stillLearning ? ' (still learning on the last day: the soak may be too short)' : ''}`,
      );
    }
  }
  return out.join('\n') + '\n';
}

/** A kind held out that training had nothing of: judged against a policy that allows nothing. */
export const untrainedLine = (k: KindName) =>
  `${k}: no training data (nothing of it before the split): judged against a policy that allows nothing`;

/** The subjects whose policies allowed the most samples (at most five), as `who N of M (P%)`. */
export function broadest(e: Excess): string[] {
  return Object.entries(e.bySubject ?? {})
    .sort((a, b) => b[1].allowed - a[1].allowed || cmp(a[0], b[0]))
    .slice(0, 5)
    .map(([s, t]) => `${s} ${t.allowed} of ${t.samples} (${((100 * t.allowed) / t.samples).toFixed(1)}%)`);
}
