import type { Writable } from 'node:stream';
import type { ChalkInstance as Chalk } from 'chalk';
import type { IngestInfo } from '../ingest/index.js';
import type { InputIssue } from '../model/issue.js';
import { escapeControls } from '../util/escape.js';
import { mb } from './progress.js';
import { readsLeftOutNotice } from '../ingest/readsLeftOut.js';
import { plural } from '../util/plural.js';

const en = (n: number) => n.toLocaleString('en-US');

const SHOWN_ISSUES = 10;
/** A file name or message longer than this is cut on stderr (the profile keeps the samples). */
const SHOWN_CHARS = 1_000;
/** Text from logs and file names, escaped for the terminal (src/util/escape.ts) and cut. */
const safe = (s: string) => escapeControls(s, SHOWN_CHARS);

/** The input summary on stderr: what was read, what was dropped and why, what was left out. */
export function printIngestSummary(err: Writable, r: IngestInfo, c: Chalk): void {
  const read = r.sources.filter((s) => s.format !== 'skipped');
  const bytes = read.reduce((n, s) => n + s.bytes, 0);
  const records = read.reduce((n, s) => n + s.records, 0);
  const net =
    r.counts.network !== undefined
      ? `, ${plural(r.counts.workloads ?? 0, 'workload')}, ${plural(r.counts.network, 'network path')}`
      : '';
  err.write(
    `read ${plural(read.length, 'file')} (${mb(bytes)}), ${plural(records, 'record', en)}, ${plural(r.counts.principals, 'principal')} in scope${net}\n`,
  );
  // Files of another source: one notice per source they look like, not one per file.
  const foreign = new Map<string, Set<string>>();
  // A file read under its own flag is not news when another flag given the same directory skipped it.
  const readPaths = new Set(read.map((s) => s.path));
  for (const s of r.sources) {
    if (s.format !== 'skipped') continue;
    if (readPaths.has(s.path)) continue;
    if (s.notice?.startsWith('looks like ')) foreign.set(s.notice, (foreign.get(s.notice) ?? new Set()).add(s.path));
    else err.write(c.dim(`notice: skipped ${safe(s.path)}: ${safe(s.notice ?? '')}\n`));
  }
  for (const [notice, set] of foreign) {
    const paths = [...set];
    const [what, flag] = notice.slice('looks like '.length).split(': read it with ');
    err.write(
      c.yellow(
        paths.length === 1
          ? `notice: skipped ${safe(paths[0]!)}: ${safe(notice)}\n`
          : `notice: skipped ${paths.length} files that look like ${what}: read them with ${flag} (${safe(paths[0]!)}, …)\n`,
      ),
    );
  }
  // Each path once, though several flags reached it.
  for (const u of new Map(r.unread.map((u) => [JSON.stringify([u.path, u.first]), u])).values())
    err.write(
      u.tree
        ? c.dim(`notice: not read: ${safe(u.path)}: a policy tree audit2policy wrote (it holds its manifest)\n`)
        : u.first === undefined
          ? c.dim(`notice: not read: ${safe(u.path)}: this command's output (-o), inside an input directory\n`)
          : c.yellow(
              u.first === u.path
                ? `warning: ${safe(u.path)} is given more than once: read once\n`
                : `warning: ${safe(u.path)} is ${safe(u.first)} again (the same file or directory): read once\n`,
            ),
    );
  const envelopes = sumCounts(read.map((s) => s.envelopes));
  const envelopeSkips = sumCounts(read.map((s) => s.envelopeSkipped));
  if (envelopes.length || envelopeSkips.length)
    err.write(
      `envelopes: ${envelopes.map(([k, n]) => `${safe(k)} ${n.toLocaleString('en-US')}`).join(', ') || 'none'}` +
        (envelopeSkips.length
          ? c.dim(
              ` (records without an audit event, skipped: ${envelopeSkips.map(([k, n]) => `${safe(k)} ${n}`).join(', ')})`,
            )
          : '') +
        '\n',
    );
  if (r.readsLeftOut) err.write(c.yellow(`notice: ${safe(readsLeftOutNotice(r.readsLeftOut))}\n`));
  if (r.anchor?.time) {
    err.write(`durations count back from ${r.anchor.time}, the newest record\n`);
    if (r.anchor.outliers)
      err.write(
        c.yellow(
          `notice: ${r.anchor.outliers} record${r.anchor.outliers === 1 ? '' : 's'} dated up to ${r.anchor.newestOutlier} stand apart from the rest (a wrong clock?): kept, but not taken as "now" (--clock-tolerance)\n`,
        ),
      );
  }
  const skipped = Object.entries(r.skipped);
  if (skipped.length) {
    err.write(`left out of scope: ${skipped.map(([k, n]) => `${safe(k)} ${n.toLocaleString('en-US')}`).join(', ')}`);
    const why: string[] = [];
    const has = (k: string) => skipped.some(([key]) => key === k);
    if (has('system-identity'))
      why.push("system-identity: control planes' and managed providers' identities; --include-system keeps them");
    if (has('dns-answer'))
      why.push(
        'dns-answer: DNS query log records, read for the names they give addresses (no connection of their own)',
      );
    if (has('aws-service')) why.push('aws-service: AWS services acting on their own, no identity policy to write');
    if (has('no-permission'))
      why.push('no-permission: calls that need no IAM permission, such as sts:GetCallerIdentity and console sign-in');
    if (has('federation'))
      why.push('federation: web-identity and SAML callers of AssumeRoleWith*, governed by trust policies');
    if (has('authentication-failure'))
      why.push(
        'authentication-failure: requests refused before any policy was asked (expired or invalid credentials, a VPC endpoint policy; Kubernetes: a 401 with no user)',
      );
    if (has('before-authorization'))
      why.push(
        'before-authorization: Kubernetes requests answered 429 before authorization (max-in-flight, priority and fairness), neither granted nor denied',
      );
    err.write(c.dim(why.length ? ` (${why.join('; ')})\n` : '\n'));
  }
  if (r.noticeCount > 0) {
    err.write(
      c.dim(
        `${r.noticeCount} notice${r.noticeCount === 1 ? '' : 's'}: the records were kept, read with what could be read (a time in another form or from a shipper, no time, an origin that is none)\n`,
      ),
    );
    for (const i of r.notices.slice(0, SHOWN_ISSUES))
      err.write(c.dim(`  notice: ${safe(i.file)}:${i.line}: ${safe(i.code)}: ${safe(i.message)}\n`));
    if (r.notices.length > SHOWN_ISSUES)
      err.write(c.dim(`  ... and more (listed per file in the profile's sources)\n`));
  }
  if (r.issueCount > 0) {
    err.write(
      c.yellow(
        c.bold(
          `${r.issueCount} input issue${r.issueCount === 1 ? '' : 's'}: the records were dropped, so policies may lack what they did\n`,
        ),
      ),
    );
    printIssues(err, r.issues.slice(0, SHOWN_ISSUES), c, '  ');
    if (r.issueCount > SHOWN_ISSUES)
      err.write(c.yellow(`  ... and ${r.issueCount - SHOWN_ISSUES} more (listed per file in the profile's sources)\n`));
  }
}

/** Counts by key over several sources, summed, in key order. */
function sumCounts(list: (Record<string, number> | undefined)[]): [string, number][] {
  const sum = new Map<string, number>();
  for (const r of list) for (const [k, n] of Object.entries(r ?? {})) sum.set(k, (sum.get(k) ?? 0) + n);
  return [...sum].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Issues read beside the logs (the inventory's) as the input issues' summary says them (docs/error-handling.md): a
 * header with their count, the first ten, the rest counted.
 */
export function printIssueSummary(err: Writable, issues: InputIssue[], c: Chalk, header: string): void {
  if (!issues.length) return;
  err.write(c.yellow(c.bold(`${header}\n`)));
  printIssues(err, issues.slice(0, SHOWN_ISSUES), c, '  ');
  if (issues.length > SHOWN_ISSUES) err.write(c.yellow(`  ... and ${issues.length - SHOWN_ISSUES} more\n`));
}

/** Input or policy issues, one line each: `file:line: code: message`. */
export function printIssues(err: Writable, issues: InputIssue[], c: Chalk, indent = ''): void {
  for (const i of issues)
    err.write(c.yellow(`${indent}${safe(i.file)}:${i.line}: ${safe(i.code)}: ${safe(i.message)}\n`));
}
