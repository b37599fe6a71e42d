import { createHash } from 'node:crypto';
import { escapeControls, escapeStrings, truncate } from '../util/escape.js';
import { EVIDENCE_NOTE, ISSUE_TEXT, mappedNote, type GraphEdge, type Permission, type ReportModel } from './model.js';
import { pushAll } from '../util/array.js';
import { plural } from '../util/plural.js';

/**
 * The reviewer's report as one self-contained HTML file (no script at all, a strict
 * Content-Security-Policy, an inline SVG graph drawn here) and as Markdown with a Mermaid diagram.
 * Markup is built from constants only: every string from the model goes through `esc` (HTML), `mdCell`
 * (Markdown) or `mermaidLabel` (Mermaid), and nothing from a log ever becomes a link or an attribute
 * that a browser would follow or run.
 */

/**
 * Text for HTML: markup characters as entities, and what a browser would reorder or not show (bidirectional
 * overrides and marks, zero width and other invisible characters, controls) as the visible escapes the terminal
 * shows (`escapeControls`), so no name can reverse the rest of its line or pass for another.
 */
export function esc(s: string | number): string {
  return escapeControls(String(s))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1240px;padding:0 16px;color:#1d2433;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid #dde2ea;padding:3px 6px;text-align:left;vertical-align:top;font-size:13px}
th{background:#f3f5f9}td.n{text-align:right;white-space:nowrap}code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
.risk{color:#b42318;font-weight:600}.denied{color:#8a5a00}.muted{color:#667085}.cards{display:flex;gap:10px;flex-wrap:wrap;margin:10px 0}
.card{border:1px solid #dde2ea;border-radius:6px;padding:8px 12px;min-width:120px}.card b{display:block;font-size:20px}
details{border:1px solid #dde2ea;border-radius:6px;margin:6px 0;padding:4px 8px}summary{cursor:pointer;font-weight:600}
td,summary,li{overflow-wrap:anywhere}
.graph{overflow:auto;border:1px solid #dde2ea;border-radius:6px;background:#fbfcfe}
ul.warn li{margin:2px 0}
td.t{white-space:nowrap}td.ids{font-size:11px;color:#475467;min-width:37ch}
`;

const cssHash = `sha256-${createHash('sha256').update(CSS).digest('base64')}`;

/** The Content-Security-Policy: no scripts, no fetches, no images, only the one stylesheet above. */
export const CSP = `default-src 'none'; style-src '${cssHash}'; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'`;

const fmtCount = (n: number) => n.toLocaleString('en-US');

/** The ids of a permission's sample records, one a line; `?` when its records had none. */
const sampleIds = (p: Permission) => (p.samples.length ? p.samples.map(esc).join('<br>') : '?');

function permRows(perms: Permission[]): string {
  return perms
    .map(
      (p) =>
        `<tr><td class="mono${p.denied ? ' denied' : ''}">${esc(p.text)}${p.denied ? ' <span class="denied">(denied)</span>' : ''}</td><td class="n">${fmtCount(p.count)}</td><td class="mono t">${esc(p.firstSeen || '?')}</td><td class="mono t">${esc(p.lastSeen || '?')}</td><td class="mono ids">${sampleIds(p)}</td><td>${p.risks.map((r) => `<span class="risk">${esc(r)}</span>`).join('<br>')}</td></tr>`,
    )
    .join('\n');
}

// ---- SVG ----------------------------------------------------------------------------------------

const COL_X = [110, 420, 700, 980];
const NODE_W = 230;
const NODE_H = 22;
const GAP = 6;
const GROUP_GAP = 22;
const TOP = 40;

const COLUMN_TITLES = ['workloads', 'service accounts', 'IAM roles', 'AWS resources'];
const EDGE_COLOR: Record<GraphEdge['kind'], string> = {
  'runs-as': '#667085',
  assumes: '#7a5af8',
  calls: '#2e90fa',
  network: '#12b76a',
};

export function svgGraph(g: ReportModel['graph']): string {
  const pos = new Map<string, { x: number; y: number }>();
  const colY = [TOP, TOP, TOP, TOP];
  const lastGroup: string[] = ['', '', '', ''];
  const groupLabels: string[] = [];
  for (const n of g.nodes) {
    const c = n.column;
    if (n.group !== lastGroup[c]) {
      colY[c]! += lastGroup[c] ? GROUP_GAP : 4;
      groupLabels.push(
        `<text x="${COL_X[c]}" y="${colY[c]! - 4}" font-size="11" fill="#667085">${esc(truncate(n.group, 40))}</text>`,
      );
      lastGroup[c] = n.group;
      colY[c]! += 6;
    }
    pos.set(n.id, { x: COL_X[c]!, y: colY[c]! });
    colY[c]! += NODE_H + GAP;
  }
  const height = Math.max(...colY) + 20;
  const width = COL_X[3]! + NODE_W + 20;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" id="graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="normal-behaviour graph">`,
  );
  parts.push('<defs>');
  for (const [kind, color] of Object.entries(EDGE_COLOR))
    parts.push(
      `<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`,
    );
  parts.push('</defs>');
  COLUMN_TITLES.forEach((t, i) =>
    parts.push(`<text x="${COL_X[i]}" y="18" font-size="13" font-weight="600" fill="#1d2433">${t}</text>`),
  );
  pushAll(parts, groupLabels);
  for (const e of g.edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    const color = EDGE_COLOR[e.kind];
    const ay = a.y + NODE_H / 2;
    const by = b.y + NODE_H / 2;
    let d: string;
    if (e.kind === 'network') {
      // Workload ↔ workload: an arc left of the workload column.
      const bend = Math.min(100, 20 + Math.abs(by - ay) / 4);
      d = `M${a.x},${ay} C${a.x - bend},${ay} ${b.x - bend},${by} ${b.x},${by}`;
    } else {
      const x1 = a.x + NODE_W;
      const mid = (x1 + b.x) / 2;
      d = `M${x1},${ay} C${mid},${ay} ${mid},${by} ${b.x},${by}`;
    }
    parts.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.3" stroke-opacity="0.75" marker-end="url(#arrow-${e.kind})" class="edge ${e.kind}"><title>${esc(e.label)}</title></path>`,
    );
  }
  for (const n of g.nodes) {
    const p = pos.get(n.id)!;
    parts.push(
      `<g class="node"><rect x="${p.x}" y="${p.y}" width="${NODE_W}" height="${NODE_H}" rx="4" fill="#ffffff" stroke="${n.risky ? '#d92d20' : '#98a2b3'}" stroke-width="${n.risky ? 2 : 1}"/><text x="${p.x + 8}" y="${p.y + 15}" font-size="12" fill="#1d2433">${esc(truncate(n.label, 34))}</text><title>${esc(n.label)}${n.risky ? ' (has risky permissions)' : ''}</title></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

// ---- HTML ---------------------------------------------------------------------------------------

export function renderHtml(model: ReportModel): string {
  // Every string escaped once (a literal backslash too, so `pay\u202egnp` typed out is not U+202E); esc then only
  // writes markup characters as entities.
  const m = escapeStrings(model, ISSUE_TEXT);
  const h: string[] = [];
  h.push(
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${esc(m.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
  );
  h.push(`<h1>${esc(m.title)}</h1>`);
  h.push(
    `<p class="muted">Observation window ${esc(m.window.start || '?')} to ${esc(m.window.end || '?')} (${m.window.days.toFixed(1)} days).${esc(mappedNote(m))}</p>`,
  );
  h.push('<div class="cards">');
  const cards: [string, number][] = [
    ['Kubernetes principals', m.counts.kubernetes],
    ['AWS principals', m.counts.aws],
    ['workloads', m.counts.workloads],
    ['risky permissions', m.risks.length],
    ['denied accesses', m.counts.denied],
    ['coverage warnings', m.coverage.length],
  ];
  for (const [k, v] of cards) h.push(`<div class="card"><b>${fmtCount(v)}</b>${esc(k)}</div>`);
  h.push('</div>');

  h.push(
    '<h2 id="graph-title">The picture</h2>',
    '<p class="muted">Workloads → the service accounts they run as → the IAM roles those assume → the AWS resources they call; green arcs are workload-to-workload connections. Red borders mark risky permissions. Hover for details.</p>',
  );
  for (const c of m.graph.collapsed) h.push(`<p class="muted">${esc(c)}</p>`);
  h.push(`<div class="graph">${svgGraph(m.graph)}</div>`);

  h.push('<h2 id="risks">Risky permissions</h2>');
  if (!m.risks.length) h.push('<p>None of the documented risky permissions was observed.</p>');
  else {
    h.push(
      '<table><tr><th>level</th><th>principal or workload</th><th>permission</th><th>why it deserves a second look</th></tr>',
    );
    for (const r of m.risks)
      h.push(
        `<tr><td class="risk">${r.level}</td><td class="mono">${esc(r.principal)}</td><td class="mono">${esc(r.permission)}</td><td class="risk">${r.reasons.map(esc).join('<br>')}</td></tr>`,
      );
    h.push('</table>');
  }
  h.push('<h2 id="coverage">Coverage warnings</h2>');
  h.push(
    m.coverage.length
      ? `<ul class="warn">${m.coverage.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`
      : '<p>None.</p>',
  );
  if (m.check) {
    h.push('<h2 id="check">Committed policy against the observed behaviour</h2>');
    h.push(
      `<p>${fmtCount(m.check.wouldDeny.length)} observed accesses would be denied; ${fmtCount(m.check.unused.length)} grants were never used${m.check.kept ? `; ${fmtCount(m.check.kept.length)} kept as widenings generate listed` : ''}.</p>`,
    );
    if (m.check.wouldDeny.length)
      h.push(
        `<details open><summary>would be denied</summary><ul>${m.check.wouldDeny.map((x) => `<li class="mono">${esc(x)}</li>`).join('')}</ul></details>`,
      );
    if (m.check.unused.length)
      h.push(
        `<details><summary>granted, never used</summary><ul>${m.check.unused.map((x) => `<li class="mono">${esc(x)}</li>`).join('')}</ul></details>`,
      );
    if (m.check.kept)
      h.push(
        `<details><summary>kept as listed widenings, unseen</summary><ul>${m.check.kept.map((x) => `<li class="mono">${esc(x)}</li>`).join('')}</ul></details>`,
      );
    const shares = Object.entries(m.check.unusedShare).filter(([, s]) => s > 0);
    if (shares.length)
      h.push(
        `<table><tr><th>principal</th><th>unused share</th></tr>${shares.map(([p, s]) => `<tr><td class="mono">${esc(p)}</td><td class="n">${Math.round(s * 100)}%</td></tr>`).join('')}</table>`,
      );
  }
  const read = m.sources.filter((x) => x.format !== 'skipped');
  h.push(
    '<h2 id="sources">Sources</h2>',
    `<details><summary>${fmtCount(read.length)} files read: ${fmtCount(read.reduce((n, x) => n + x.bytes, 0))} bytes, ${fmtCount(read.reduce((n, x) => n + x.records, 0))} records; ${fmtCount(m.sources.length - read.length)} skipped</summary>`,
    '<table><tr><th>file</th><th>format</th><th>bytes</th><th>records</th><th>issues</th></tr>',
  );
  for (const s of m.sources)
    h.push(
      `<tr><td class="mono">${esc(s.path)}</td><td>${esc(s.format)}${s.notice ? ` <span class="muted">(${esc(s.notice)})</span>` : ''}</td><td class="n">${fmtCount(s.bytes)}</td><td class="n">${fmtCount(s.records)}</td><td class="n">${fmtCount(s.issues)}</td></tr>`,
    );
  h.push('</table>', '</details>');
  h.push('<h2 id="dropped">Dropped, skipped and left out</h2>');
  if (!m.dropped.length) h.push('<p>Nothing.</p>');
  else {
    h.push('<table><tr><th>reason</th><th>records</th><th>what it means</th></tr>');
    for (const d of m.dropped)
      h.push(`<tr><td>${esc(d.reason)}</td><td class="n">${fmtCount(d.count)}</td><td>${esc(d.detail)}</td></tr>`);
    h.push('</table>');
  }
  if (m.issues.length) {
    h.push('<table><tr><th>input issue</th><th>samples</th><th>first</th></tr>');
    for (const i of m.issues)
      h.push(
        `<tr><td class="mono">${esc(i.code)}</td><td class="n">${fmtCount(i.count)}</td><td class="mono">${esc(i.example)}</td></tr>`,
      );
    h.push('</table>');
  }

  h.push('<h2 id="principals">Per principal and workload</h2>', `<p class="muted">${esc(EVIDENCE_NOTE)}</p>`);
  for (const s of m.sections) {
    const riskN = s.permissions.filter((p) => p.risks.length).length;
    h.push(
      `<details><summary><span class="mono">${esc(s.name)}</span> <span class="muted">${esc(s.subjectKind)} · ${plural(s.permissions.length, 'permission', fmtCount)} · ${plural(s.events, 'event', fmtCount)}</span>${riskN ? ` <span class="risk">${riskN} risky</span>` : ''}</summary>`,
    );
    for (const l of s.links) h.push(`<p class="muted">${esc(l)}</p>`);
    h.push(
      s.widenings.length
        ? `<p>Widenings in the generated policy: </p><ul>${s.widenings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`
        : '<p class="muted">Widenings in the generated policy: none (it allows only what was observed).</p>',
    );
    if (s.permissions.length)
      h.push(
        `<table><tr><th>permission</th><th>count</th><th>first seen</th><th>last seen</th><th>sample records</th><th>flags</th></tr>${permRows(s.permissions)}</table>`,
      );
    else h.push('<p class="muted">No observed activity.</p>');
    h.push('</details>');
  }
  h.push(
    '<p class="muted">Generated by audit2policy from the logs; every name above is quoted from them.</p>',
    '</body>',
    '</html>',
  );
  return h.join('\n') + '\n';
}

// ---- Markdown -----------------------------------------------------------------------------------

export { mermaidLabel, renderMarkdown } from './markdown.js';
