/**
 * What the record-level property tests (rbac-, iam- and netpol-records-property) share: judging a verify run of the
 * policies generate made from the same records, and the first difference of two trees.
 */

/** A finding of verify's JSON report, as far as the judging reads it. */
export interface Finding {
  subject: string;
  access: object;
  detail?: string;
  evidence?: { samples?: string[] };
}

export interface VerifyReport<F extends Finding = Finding> {
  observed: number;
  allowed: number;
  notAllowed: F[];
  undetermined: F[];
  denied?: F[];
  skipped?: Record<string, number>;
}

/**
 * Judges one verify run: a run with nothing in scope and no policies is 'empty'; a run with no JSON report, a finding
 * not allowed, an undetermined one `documented` does not accept, or an exit code the report does not give, adds a
 * failure (`what` names the run, `shown` the finding with its records). Returns the report when there is one.
 */
export function judgeVerify<F extends Finding>(
  v: { code: number; stdout: string; stderr: string },
  policies: number,
  what: string,
  documented: (f: F) => boolean,
  shown: (f: F) => string,
  failures: string[],
): VerifyReport<F> | 'empty' | undefined {
  if (v.code === 2 && v.stderr.includes('nothing to verify') && policies === 0) return 'empty';
  let report: VerifyReport<F>;
  try {
    report = JSON.parse(v.stdout) as VerifyReport<F>;
  } catch {
    failures.push(`${what}\n  verify exited ${v.code} without a report: ${v.stderr.slice(0, 800)}`);
    return undefined;
  }
  for (const f of report.notAllowed) failures.push(`${what}\n  not allowed: ${shown(f)}`);
  for (const f of report.undetermined.filter((x) => !documented(x)))
    failures.push(`${what}\n  undetermined: ${shown(f)}`);
  if (v.code !== (report.notAllowed.length ? 1 : 0))
    failures.push(`${what}\n  verify exited ${v.code}: ${v.stderr.slice(0, 800)}`);
  return report;
}

/** The first difference of two trees (path → text), in words; undefined when they are the same. */
export function treeDiff(a: Record<string, string>, b: Record<string, string>): string | undefined {
  // The manifest (the files' hashes) differs whenever a file does: the file itself says how.
  const files = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const manifest = files.filter((f) => f.endsWith('manifest.json'));
  for (const file of [...files.filter((f) => !manifest.includes(f)), ...manifest]) {
    if (a[file] === b[file]) continue;
    if (a[file] === undefined || b[file] === undefined) return `${file} only in one tree`;
    const x = a[file].split('\n');
    const y = b[file].split('\n');
    const i = x.findIndex((l, k) => l !== y[k]);
    return `${file} line ${i + 1}:\n  first:  ${x[i]?.slice(0, 300)}\n  second: ${y[i]?.slice(0, 300)}`;
  }
  return undefined;
}
