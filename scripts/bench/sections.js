// Sections of docs/performance.md that can be measured by name and spliced into an existing document when
// `npm run bench -- --only ...` runs just them: issue 16's (high-cardinality audit log, distinct accesses), the
// CloudTrail section and the demo's backtest.
import { backtestSection } from './backtest.js';
import { cloudTrailSection } from './cloudtrail.js';
import { distinctSection, DISTINCT_TITLE } from './distinct.js';
import { highCardinalitySection, HIGHCARD_TITLE } from './highcard.js';

export const SECTION_NAMES = ['cloudtrail', 'highcard', 'distinct', 'backtest'];

/** Measure the sections named in `which` (of SECTION_NAMES); returns { title: markdown } in document order. */
export async function scaleSections(o) {
  const { root, dir, repeats, log, which, hcSizeMB, distinctSizes } = o;
  for (const w of which)
    if (!SECTION_NAMES.includes(w))
      throw new Error(`--only: unknown section ${w} (one of ${SECTION_NAMES.join(', ')})`);
  const out = {};
  if (which.includes('cloudtrail'))
    out['CloudTrail'] = cloudTrailSection({ root, dir, repeats, sizeMB: o.ctSizeMB, docRecords: o.ctDocRecords, log });
  if (which.includes('highcard'))
    out[HIGHCARD_TITLE] = await highCardinalitySection({ dir, sizeMB: hcSizeMB, repeats, log });
  if (which.includes('distinct')) out[DISTINCT_TITLE] = await distinctSection({ root, dir, sizes: distinctSizes, log });
  if (which.includes('backtest')) out['Backtest on the demo'] = backtestSection(root);
  return out;
}

/**
 * `doc` with each `## title` section (up to the next `## ` heading) replaced by its new text; a section the document
 * lacks goes before `## Backtest on the demo` (else at the end).
 */
export function spliceSections(doc, sections) {
  let text = doc;
  for (const [title, body] of Object.entries(sections)) {
    const block = body.endsWith('\n') ? body : body + '\n';
    const start = text.indexOf(`\n## ${title}\n`);
    if (start >= 0) {
      const next = text.indexOf('\n## ', start + 1);
      text = text.slice(0, start + 1) + block + (next >= 0 ? '\n' + text.slice(next + 1) : '');
    } else {
      const at = text.indexOf('\n## Backtest on the demo\n');
      text = at >= 0 ? text.slice(0, at + 1) + block + '\n' + text.slice(at + 1) : text + '\n' + block;
    }
  }
  return text;
}

/** The text of a document's `## title` section, heading included, up to the next `## ` heading (undefined if none). */
export function sectionOf(doc, title) {
  const start = doc.indexOf(`\n## ${title}\n`);
  if (start < 0) return undefined;
  const next = doc.indexOf('\n## ', start + 1);
  return doc.slice(start + 1, next >= 0 ? next : undefined);
}
