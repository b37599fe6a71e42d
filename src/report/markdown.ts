import { byWord, mdCell } from './ci/index.js';
import { EVIDENCE_NOTE, ISSUE_TEXT, mappedNote, type ReportModel } from './model.js';
import { plural } from '../util/plural.js';
import { escapeControls, escapeStrings, truncate } from '../util/escape.js';

/* The report as Markdown (a pull request, a wiki page): the HTML's content, a Mermaid diagram for the graph. */

/** A Mermaid label: letters, digits and a few separators only; everything else becomes `_`. */
export function mermaidLabel(s: string): string {
  return truncate(s, 60).replace(/[^A-Za-z0-9 ._:/@=,+()-]/g, '_');
}

function mermaid(g: ReportModel['graph']): string {
  const ids = new Map<string, string>();
  g.nodes.forEach((n, i) => ids.set(n.id, `n${i + 1}`));
  const lines = ['```mermaid', 'flowchart LR'];
  const byColumn = [0, 1, 2, 3].map((c) => g.nodes.filter((n) => n.column === c));
  byColumn.forEach((nodes, c) => {
    if (!nodes.length) return;
    lines.push(`  subgraph c${c}["${['workloads', 'service accounts', 'IAM roles', 'AWS resources'][c]}"]`);
    for (const n of nodes) lines.push(`    ${ids.get(n.id)}["${mermaidLabel(n.label)}"]`);
    lines.push('  end');
  });
  for (const e of g.edges) {
    const a = ids.get(e.from);
    const b = ids.get(e.to);
    if (!a || !b) continue;
    lines.push(`  ${a} -->|${mermaidLabel(e.label) || '_'}| ${b}`);
  }
  lines.push('```');
  return lines.join('\n');
}

/**
 * Text in a line of HTML inside Markdown (`<details><summary>`, an HTML block: Markdown is not read there, so
 * `mdCell`'s backslashes would show): HTML-escaped, Markdown's punctuation as numeric entities (literal text for a
 * reader that parses the line as Markdown after all), and each word GitHub would make a mention or link of in <code>.
 */
function mdHtml(s: string): string {
  const ent = (w: string) => w.replace(/[&<>"'\\`*_{}[\]()#+!|~]/g, (c) => `&#${c.charCodeAt(0)};`);
  return byWord(escapeControls(s), (w) => `<code>${ent(w)}</code>`, ent);
}

export function renderMarkdown(model: ReportModel): string {
  // Every string escaped once (a literal backslash too), as the CI formats take their reports: mdCell and mdHtml
  // then only add Markdown's and HTML's escaping.
  const m = escapeStrings(model, ISSUE_TEXT);
  const out: string[] = [];
  out.push(
    `# ${mdCell(m.title)}`,
    '',
    `Observation window ${mdCell(m.window.start || '?')} to ${mdCell(m.window.end || '?')} (${m.window.days.toFixed(1)} days).${mdCell(mappedNote(m))}`,
    '',
  );
  out.push(
    `**${m.counts.kubernetes}** Kubernetes principals, **${m.counts.aws}** AWS principals, **${m.counts.workloads}** workloads, **${m.risks.length}** risky permissions, **${m.counts.denied}** denied accesses, **${m.coverage.length}** coverage warnings.`,
    '',
  );
  out.push('## Sources', '', '| file | format | bytes | records | issues |', '|---|---|---|---|---|');
  for (const s of m.sources)
    out.push(
      `| ${mdCell(s.path)} | ${mdCell(s.format)}${s.notice ? ` (${mdCell(s.notice)})` : ''} | ${s.bytes} | ${s.records} | ${s.issues} |`,
    );
  out.push('', '## Dropped, skipped and left out', '');
  if (!m.dropped.length) out.push('Nothing.');
  else
    out.push(
      '| reason | records | what it means |',
      '|---|---|---|',
      ...m.dropped.map((d) => `| ${mdCell(d.reason)} | ${d.count} | ${mdCell(d.detail)} |`),
    );
  if (m.issues.length)
    out.push(
      '',
      '| input issue | samples | first |',
      '|---|---|---|',
      ...m.issues.map((i) => `| ${mdCell(i.code)} | ${i.count} | ${mdCell(i.example)} |`),
    );
  out.push('', '## The picture', '', mermaid(m.graph), '');
  out.push('## Risky permissions', '');
  if (!m.risks.length) out.push('None of the documented risky permissions was observed.');
  else
    out.push(
      '| level | principal or workload | permission | why |',
      '|---|---|---|---|',
      ...m.risks.map(
        (r) => `| ${r.level} | ${mdCell(r.principal)} | ${mdCell(r.permission)} | ${mdCell(r.reasons.join('; '))} |`,
      ),
    );
  out.push(
    '',
    '## Coverage warnings',
    '',
    ...(m.coverage.length ? m.coverage.map((c) => `- ${mdCell(c)}`) : ['None.']),
    '',
  );
  if (m.check) {
    out.push(
      '## Committed policy against the observed behaviour',
      '',
      `${m.check.wouldDeny.length} observed accesses would be denied; ${m.check.unused.length} grants were never used${m.check.kept ? `; ${m.check.kept.length} kept as widenings generate listed` : ''}.`,
      '',
    );
    // The share per principal first: an account's roles may hold thousands of grants never used, listed folded.
    const shares = Object.entries(m.check.unusedShare).filter(([, s]) => s > 0);
    if (shares.length)
      out.push(
        '| principal | unused share |',
        '|---|---|',
        ...shares.map(([p, s]) => `| ${mdCell(p)} | ${Math.round(s * 100)}% |`),
        '',
      );
    for (const x of m.check.wouldDeny) out.push(`- would be denied: ${mdCell(x)}`);
    if (m.check.unused.length)
      out.push(
        '',
        '<details><summary>granted, never used</summary>',
        '',
        ...m.check.unused.map((x) => `- never used: ${mdCell(x)}`),
        '',
        '</details>',
      );
    if (m.check.kept)
      out.push(
        '',
        '<details><summary>kept as listed widenings, unseen</summary>',
        '',
        ...m.check.kept.map((x) => `- kept: ${mdCell(x)}`),
        '',
        '</details>',
      );
    out.push('');
  }
  out.push('## Per principal and workload', '', mdCell(EVIDENCE_NOTE), '');
  for (const s of m.sections) {
    out.push(
      `<details><summary>${mdHtml(s.name)} (${mdHtml(s.subjectKind)}, ${plural(s.permissions.length, 'permission')}, ${plural(s.events, 'event')})</summary>`,
      '',
    );
    for (const l of s.links) out.push(`${mdCell(l)}`, '');
    out.push(
      s.widenings.length
        ? `Widenings in the generated policy: ${s.widenings.map(mdCell).join('; ')}`
        : 'Widenings in the generated policy: none.',
      '',
    );
    if (s.permissions.length)
      out.push(
        '| permission | count | first seen | last seen | sample records | flags |',
        '|---|---|---|---|---|---|',
        ...s.permissions.map(
          (p) =>
            `| ${mdCell(p.text)}${p.denied ? ' (denied)' : ''} | ${p.count} | ${mdCell(p.firstSeen || '?')} | ${mdCell(p.lastSeen || '?')} | ${p.samples.length ? p.samples.map(mdCell).join('<br>') : '?'} | ${mdCell(p.risks.join('; '))} |`,
        ),
      );
    out.push('', '</details>', '');
  }
  return out.join('\n');
}
