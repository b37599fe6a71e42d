import type { VerifyReport } from '../model/finding.js';
import { cmp } from '../model/issue.js';

/**
 * The subjects of a negative-sample replay whose policy allowed any sample, with the samples they were given and how
 * many were allowed, in name order (a reviewer's question: whose policy is the broad one?). Nothing when none was.
 */
export function excessBySubject(report: VerifyReport): {
  bySubject?: Record<string, { samples: number; allowed: number }>;
} {
  const rows = Object.entries(report.bySubject ?? {})
    .filter(([, t]) => t.allowed > 0)
    .sort((a, b) => cmp(a[0], b[0]))
    .map(([s, t]) => [s, { samples: t.observed, allowed: t.allowed }] as const);
  return rows.length ? { bySubject: Object.fromEntries(rows) } : {};
}
