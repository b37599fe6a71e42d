import { KINDS } from '../../kinds/index.js';
import type { Finding, VerifyReport } from '../../model/finding.js';
import { notJudgedText } from '../notJudged.js';

/** `verify --format text`: a verdict line, then every access not allowed, with its evidence. */
export function verifyText(r: VerifyReport): string {
  const lines: string[] = [];
  const kinds = Object.entries(r.byKind)
    .map(([k, v]) => `${k} ${v.allowed}/${v.observed}`)
    .join(', ');
  const verdict = r.notAllowed.length === 0 ? 'OK' : 'FAIL';
  lines.push(`${verdict}: ${r.allowed} of ${r.observed} observed accesses allowed (${kinds})`);
  const nj = notJudgedText(r.notJudged);
  if (nj) lines.push(nj);
  // Allowed by the cluster's default ClusterRoles rather than the policies: a cluster without them would deny these.
  const byDefaults = Object.values(r.byKind).reduce((n, v) => n + (v.byDefaultGrants ?? 0), 0);
  if (byDefaults)
    lines.push(
      `of those, ${byDefaults} allowed by the cluster's default ClusterRoles (discovery, health, self-reviews; OpenShift's for every user), not by the policies; --no-default-grants if the cluster removed their bindings`,
    );
  if (r.notAllowed.length) {
    lines.push('', `not allowed (${r.notAllowed.length}):`);
    // Why, where the evaluator says (no policy for the principal, what isolates a pod): the first thing to fix.
    for (const f of r.notAllowed) lines.push(f.detail ? `${line(f)}\n      ${f.detail}` : line(f));
  }
  if (r.undetermined.length) {
    lines.push('', `undetermined (${r.undetermined.length}): the policies refer to something not given`);
    for (const f of r.undetermined) lines.push(`${line(f)}\n      ${f.detail ?? ''}`);
  }
  // Kinds that judge narrowness by pairs that never met (NetworkPolicies: workloads that never connected).
  for (const np of Object.values(r.byKind)) {
    if (np.unobservedPairs === undefined) continue;
    lines.push(
      '',
      `narrowness: of ${np.unobservedPairs} pairs of known workloads that never connected, the policies allow ${np.unobservedAllowed} on some port`,
    );
    for (const x of np.unobservedAllowedExamples ?? []) lines.push(`  ${x}`);
  }
  const skipped = Object.entries(r.skipped);
  if (skipped.length)
    lines.push('', `skipped (outside scope, in requests): ${skipped.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (r.denied.length)
    lines.push('', `denied in the logs and not replayed: ${r.denied.length} accesses (never granted)`);
  return lines.join('\n') + '\n';
}

function line(f: Finding): string {
  const e = f.evidence;
  const what = KINDS[f.kind].words(f).full;
  return `  ${f.subject}: ${what}  [${e.count}× ${e.firstSeen || '?'} .. ${e.lastSeen || '?'}${e.samples.length ? '; e.g. ' + e.samples[0] : ''}]`;
}
