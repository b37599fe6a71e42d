import type { CiFinding, CiReport, FindingType } from '../../model/finding.js';

/**
 * What every output of `diff` and `check` shares: the sections in order, their titles, which findings
 * fail the run, the evidence and risk in words. Each format is one file (./text.ts, ./json.ts,
 * ./ndjson.ts, ./markdown.ts, ./sarif.ts, ./github.ts), a pure `Formatter`, listed in ./index.ts.
 */
export type Formatter = (r: CiReport, failOn: string) => string;

/** `--fail-on` values per command; `granted` and `revoked` are the older names of the two changes. */
export const FAIL_ON = {
  diff: ['new-access', 'removed-access', 'risky', 'any', 'none', 'granted', 'revoked'],
  check: ['would-deny', 'unused', 'any', 'none'],
} as const;

/** Whether one finding fails the run under `--fail-on`. */
export function failsRun(f: CiFinding, failOn: string): boolean {
  switch (failOn) {
    case 'any':
      return f.type !== 'undetermined' && f.type !== 'kept-widening';
    case 'risky':
      return f.type === 'new-access' && f.risk !== undefined;
    case 'granted':
      return f.type === 'new-access';
    case 'revoked':
      return f.type === 'removed-access';
    default:
      return f.type === failOn;
  }
}

export const TITLES: Record<FindingType, string> = {
  'new-access': 'new access',
  'removed-access': 'removed access',
  undetermined: 'undetermined',
  'would-deny': 'would be denied',
  unused: 'granted but never used',
  'kept-widening': 'kept as listed widenings',
};

export function sections(r: CiReport): [FindingType, CiFinding[]][] {
  return r.command === 'diff'
    ? [
        ['new-access', r.newAccess],
        ['removed-access', r.removedAccess],
        ['undetermined', r.undetermined],
      ]
    : [
        ['would-deny', r.wouldDeny],
        ['unused', r.unused],
        // Only when there are some: a report of hand-written policy reads as before.
        ...(r.kept?.length ? [['kept-widening', r.kept] as [FindingType, CiFinding[]]] : []),
        ['undetermined', r.undetermined],
      ];
}

/** The line a CI report gives its skipped input issues, or '' when there are none. */
/** check: how many accesses only Kubernetes' default ClusterRoles allowed, and what to give if the cluster has none. */
export function defaultGrantsText(r: CiReport): string {
  const n = r.byDefaultGrants ?? 0;
  return n
    ? `${n} observed access${n === 1 ? ' was' : 'es were'} allowed only by the cluster's default ClusterRoles (discovery, health, self-reviews; OpenShift's for every user), not by the policies: give --no-default-grants if the cluster removed their bindings`
    : '';
}

export function skippedText(r: CiReport): string {
  const n = r.skipped?.count ?? 0;
  return n
    ? `${n} policy input issue${n === 1 ? '' : 's'} skipped (--on-error skip): what ${n === 1 ? 'it' : 'they'} held was not compared`
    : '';
}

export function counts(r: CiReport): string {
  const parts = sections(r).map(([t, l]) => `${l.length} ${TITLES[t]}`);
  if (r.command === 'diff') {
    const risky = r.newAccess.filter((f) => f.risk).length;
    parts[0] += ` (${risky} risky)`;
  }
  return parts.join(', ');
}

export function evidenceText(f: CiFinding): string {
  const e = f.evidence;
  if (!e) return '';
  if (!e.used) return 'never used';
  return `${e.count}× ${e.firstSeen || '?'} .. ${e.lastSeen || '?'}${e.samples.length ? `, e.g. ${e.samples[0]}` : ''}`;
}

/** `high: reads secrets; writes RBAC (roles)`, or '' for a finding with no risk. */
export function riskText(f: CiFinding): string {
  return f.risk ? `${f.risk.level}: ${f.risk.reasons.join('; ')}` : '';
}

/** Whether anything at or above `--fail-on` was found. */
export function failing(r: CiReport, failOn: string): boolean {
  return sections(r).some(([, l]) => l.some((f) => failsRun(f, failOn)));
}
