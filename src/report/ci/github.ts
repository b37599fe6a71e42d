import { RISK_ORDER, type CiFinding, type FindingType } from '../../model/finding.js';
import { annotationPlace } from '../../diff/locations.js';
import { escapeControls } from '../../util/escape.js';
import { counts, evidenceText, failsRun, riskText, sections, skippedText, TITLES, type Formatter } from './common.js';

/** GitHub shows about 10 annotations of each level per step: the rest go into the summary line. */
export const MAX_ANNOTATIONS = 10;

/**
 * Workflow command escaping: the message (data) and property values differ. Control characters (ESC included) are
 * visible escapes first (a no-op on a report render() escaped), so nothing reaches the log raw.
 */
export function ghData(s: string): string {
  return escapeControls(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function ghProperty(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * GitHub workflow annotations: one per finding (a changed rule or statement), the ones that fail the
 * run first, riskiest first, at most MAX_ANNOTATIONS, then one summary line.
 */
export const github: Formatter = (r, failOn) => {
  const all: { t: FindingType; f: CiFinding; fails: boolean }[] = sections(r).flatMap(([t, list]) =>
    list.map((f) => ({ t, f, fails: failsRun(f, failOn) })),
  );
  const rank = (x: (typeof all)[number]) => (x.fails ? 0 : 4) + (x.f.risk ? RISK_ORDER[x.f.risk.level] : 3);
  const shown = all
    .map((x, i) => ({ x, i }))
    .sort((a, b) => rank(a.x) - rank(b.x) || a.i - b.i)
    .slice(0, MAX_ANNOTATIONS)
    .sort((a, b) => a.i - b.i)
    .map((y) => y.x);
  const out: string[] = [];
  // Input the run could not read comes first: the annotations below are of a partial comparison.
  for (const i of r.skipped?.issues ?? [])
    out.push(
      `::warning file=${ghProperty(i.file)},line=${Math.max(1, i.line)},title=${ghProperty('policy input skipped (--on-error skip)')}::${ghData(`${i.code}: ${i.message}`)}`,
    );
  for (const { t, f, fails } of shown) {
    const level = fails ? 'error' : t === 'undetermined' || t === 'kept-widening' ? 'notice' : 'warning';
    const at = annotationPlace(f.locations[0]);
    const risk = riskText(f);
    const props = [
      at.file !== undefined ? `file=${ghProperty(at.file)}` : '',
      at.line !== undefined ? `line=${at.line}` : '',
      `title=${ghProperty(`${TITLES[t]}${f.risk ? ` (${f.risk.level} risk)` : ''}: ${f.kind} ${f.principal}`)}`,
    ]
      .filter(Boolean)
      .join(',');
    const ev = evidenceText(f);
    out.push(
      `::${level} ${props}::${ghData(`${at.note}${f.summary}${risk ? ` [risk ${risk}]` : ''}${ev ? ` [${ev}]` : ''}${f.detail && f.detail !== f.summary ? ` (${f.detail})` : ''}`)}`,
    );
  }
  const more = all.length - shown.length;
  out.push(
    ghData(
      `audit2policy ${r.command}: ${counts(r)}${more > 0 ? `; ${more} more not annotated (see --format markdown or json)` : ''}${r.skipped ? `; ${skippedText(r)}` : ''}`,
    ),
  );
  return out.join('\n') + '\n';
};
