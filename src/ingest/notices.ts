import { compareIssues, type InputIssue } from '../model/issue.js';
import { ISSUE_SAMPLE_LIMIT, type SourceRecord } from '../model/profile.js';

/**
 * The notices of one source (records kept, read with what could be read): per-record ones are
 * counted and the first ISSUE_SAMPLE_LIMIT kept; per-file ones (`perFile`, such as a time in a form
 * other than RFC 3339) become one notice per code with the count, at the line of the first.
 */
export interface NoticeTally {
  count: number;
  samples: InputIssue[];
  perFile: Record<string, { count: number; first: InputIssue }>;
}

export function emptyNotices(): NoticeTally {
  return { count: 0, samples: [], perFile: {} };
}

export function addNotice(t: NoticeTally, i: InputIssue): void {
  if (i.perFile) {
    const f = t.perFile[i.code];
    if (f) f.count++;
    else t.perFile[i.code] = { count: 1, first: i };
    return;
  }
  t.count++;
  if (t.samples.length < ISSUE_SAMPLE_LIMIT) t.samples.push(i);
}

/** Add a later part of the same file (a byte range), its lines made absolute by `lineOffset`. */
export function mergeNotices(into: NoticeTally, from: NoticeTally, lineOffset: number): void {
  into.count += from.count;
  for (const s of from.samples)
    if (into.samples.length < ISSUE_SAMPLE_LIMIT) into.samples.push({ ...s, line: s.line + lineOffset });
  for (const [code, f] of Object.entries(from.perFile)) {
    const had = into.perFile[code];
    if (had) had.count += f.count;
    else into.perFile[code] = { count: f.count, first: { ...f.first, line: f.first.line + lineOffset } };
  }
}

/** The source record's `notices` and `noticeSamples`, absent when there were none. */
export function noticeFields(t: NoticeTally): Pick<SourceRecord, 'notices' | 'noticeSamples'> {
  const summaries = Object.values(t.perFile).map(({ count, first }) => ({
    kind: 'issue' as const,
    code: first.code,
    file: first.file,
    line: first.line,
    message: `${count.toLocaleString('en-US')} record${count === 1 ? '' : 's'} in this file like this one (the first): ${first.message}`,
  }));
  const total = t.count + summaries.length;
  if (total === 0) return {};
  const samples = [...summaries, ...t.samples.map(({ level: _l, perFile: _p, ...s }) => s)].sort(compareIssues);
  return { notices: total, noticeSamples: samples };
}
