import type { VerifyReport } from '../../model/finding.js';
import { API_VERSION } from '../../model/profile.js';

/** `verify --format json`: one object for all kinds (docs/formats.md). */
export function verifyJson(r: VerifyReport): string {
  return (
    JSON.stringify(
      {
        apiVersion: API_VERSION,
        observed: r.observed,
        allowed: r.allowed,
        notAllowed: r.notAllowed,
        undetermined: r.undetermined,
        skipped: r.skipped,
        byKind: r.byKind,
        denied: r.denied,
        ...(r.notJudged ? { notJudged: r.notJudged } : {}),
      },
      null,
      2,
    ) + '\n'
  );
}
