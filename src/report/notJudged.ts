import type { KindName } from '../model/finding.js';

/** `not judged: iam (no IAM policies given), netpol (no flows in scope)`, or '' when every kind was judged. */
export function notJudgedText(nj: Partial<Record<KindName, string>> | undefined): string {
  const parts = Object.entries(nj ?? {}).map(([k, why]) => `${k} (${why})`);
  return parts.length ? `not judged: ${parts.join(', ')}` : '';
}
