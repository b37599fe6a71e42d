import { escapeControls } from '../../util/escape.js';
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
import { pushAll } from '../../util/array.js';

/** Rows shown before a section collapses into <details>. */
const COLLAPSE_AFTER = 50;

/**
 * What GitHub would make a link or a mention of in text: `@user`, `@org/team` and e-mail addresses, URLs and `www.`
 * (GFM's extended autolinks); an issue or pull request reference (`#12`, `GH-12`, `owner/repo#12`: a link, and a
 * "mentioned this" event in that issue's timeline, of another repository too); and `$`, which opens math (`$...$`
 * renders as LaTeX: large, coloured text of a name's choosing in a bot's comment); an emoji shortcode (`:x:`,
 * `:white_check_mark:` beside a finding reads as a verdict); and a word of 7 to 40 hex digits, which GitHub links to
 * the commit of that hash when the repository has one. Backslash escapes and entities cannot stop them (all act on
 * text after parsing; GitHub reads `\$` as math too); a code span can.
 */
export const LINKABLE =
  /@|:\/\/|www\.|mailto:|xmpp:|#\d|\bgh-\d|\$|:[a-z0-9_+-]*[a-z][a-z0-9_+-]*:|:[+-]1:|\b[0-9a-f]{7,40}\b/i;

/**
 * A table cell: no pipes, no markup, no HTML, no line breaks or control characters, whatever a log or policy held;
 * and no link or mention: each blank-delimited word holding what GitHub would link (LINKABLE) is a code span, pipes
 * escaped as GFM tables read them. What GitHub links, mentions or renders never spans a blank but math, whose every
 * `$` is then in code, so the rest of a sentence naming `system:serviceaccount:ops:web` stays text.
 */
export function mdCell(s: string): string {
  return byWord(escapeControls(s), codeSpan, mdText).replace(/^(\s*)-/, '$1\\-');
}

/** Text with Markdown's punctuation escaped. */
function mdText(e: string): string {
  return e
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_{}[\]()#+!|~])/g, '\\$1');
}

/** `e` with each blank-delimited word GitHub would link given to `code`, the other words to `text`; blanks kept. */
export function byWord(e: string, code: (w: string) => string, text: (w: string) => string): string {
  if (!LINKABLE.test(e)) return text(e);
  return e
    .split(/(\s+)/)
    .map((w, i) => (i % 2 === 1 || !w ? w : LINKABLE.test(w) ? code(w) : text(w)))
    .join('');
}

/** `` `x` ``: the fence one backtick longer than any run inside, a blank on each side (CommonMark strips one). */
function codeSpan(s: string): string {
  let longest = 0;
  for (const run of s.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${s.replace(/\|/g, '\\|')} ${fence}`;
}

/** A pull-request comment: the verdict, a table per section (collapsed past COLLAPSE_AFTER rows). */
export const markdown: Formatter = (r, failOn) => {
  const bad = failing(r, failOn);
  const title = r.command === 'diff' ? 'audit2policy: policy change' : 'audit2policy: drift check';
  const out = [`### ${title}: ${bad ? '❌' : '✅'} ${mdCell(counts(r))}`, ''];
  const nj = notJudgedText(r.notJudged);
  if (nj) out.push(mdCell(nj), '');
  const dg = defaultGrantsText(r);
  if (dg) out.push(mdCell(dg), '');
  if (r.skipped) {
    out.push(`⚠️ ${mdCell(skippedText(r))}:`, '');
    for (const i of r.skipped.issues)
      out.push(`- ${mdCell(`${i.file}:${i.line}`)}: ${mdCell(`${i.code}: ${i.message}`)}`);
    out.push('');
  }
  // A change review leads with what a reviewer must look at: risky new access, with where it is.
  const risky = r.command === 'diff' ? r.newAccess.filter((f) => f.risk) : [];
  if (risky.length) {
    out.push(
      `#### ⚠️ risky new access (${risky.length})`,
      '',
      '| risk | kind | principal | access | where |',
      '|---|---|---|---|---|',
    );
    for (const f of risky)
      out.push(
        `| ${mdCell(riskText(f))} | ${f.kind} | ${mdCell(f.principal)} | ${mdCell(f.summary)} | ${mdCell(f.locations.map((l) => `${l.file}:${l.line}`).join(', '))} |`,
      );
    out.push('');
  }
  for (const [t, all] of sections(r)) {
    // Risky new access is above; the section lists the rest.
    const list = t === 'new-access' ? all.filter((f) => !f.risk) : all;
    if (!list.length) continue;
    const rows = list.map(
      (f) =>
        `| ${f.kind} | ${mdCell(f.principal)} | ${mdCell(f.summary)} | ${mdCell((t !== 'kept-widening' && evidenceText(f)) || (f.detail ?? ''))} |`,
    );
    const head = ['| kind | principal | access | evidence |', '|---|---|---|---|'];
    out.push(`#### ${TITLES[t]} (${list.length})`, '');
    // Rows appended in loops: a section may hold more findings than a call takes arguments.
    if (rows.length <= COLLAPSE_AFTER) pushAll(out, [...head, ...rows, '']);
    else {
      pushAll(out, [...head, ...rows.slice(0, COLLAPSE_AFTER), '']);
      pushAll(out, [`<details><summary>${rows.length - COLLAPSE_AFTER} more</summary>`, '', ...head]);
      pushAll(out, rows.slice(COLLAPSE_AFTER));
      pushAll(out, ['', '</details>', '']);
    }
  }
  if (r.command === 'check' && Object.keys(r.unusedShare).length) {
    out.push(
      '#### unused share per principal',
      '',
      '| principal | unused |',
      '|---|---|',
      ...Object.entries(r.unusedShare).map(([p, s]) => `| ${mdCell(p)} | ${Math.round(s * 100)}% |`),
      '',
    );
  }
  return out.join('\n');
};
