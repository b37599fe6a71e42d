import { counts, evidenceText, failingTypes, sections, TITLES, type Formatter } from './common.js';

/** Workflow command escaping: the message (data) and property values differ. */
export function ghData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function ghProperty(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export const github: Formatter = (r, failOn) => {
  const failing = failingTypes(r.command, failOn);
  const out: string[] = [];
  for (const [t, list] of sections(r)) {
    for (const f of list) {
      const level = failing.has(t) ? 'error' : t === 'undetermined' ? 'notice' : 'warning';
      const loc = f.locations[0];
      const props = [
        loc ? `file=${ghProperty(loc.file)}` : '',
        loc ? `line=${loc.line}` : '',
        `title=${ghProperty(`${TITLES[t]}: ${f.kind} ${f.principal}`)}`,
      ]
        .filter(Boolean)
        .join(',');
      const ev = evidenceText(f);
      out.push(
        `::${level} ${props}::${ghData(`${f.summary}${ev ? ` [${ev}]` : ''}${f.detail && f.detail !== f.summary ? ` (${f.detail})` : ''}`)}`,
      );
    }
  }
  out.push(ghData(`audit2policy ${r.command}: ${counts(r)}`));
  return out.join('\n') + '\n';
};
