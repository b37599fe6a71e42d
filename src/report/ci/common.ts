import type { CiFinding, CiReport, FindingType } from '../../model/finding.js';

/**
 * What every output of `diff` and `check` shares: the sections in order, their titles, the finding
 * types that fail the run, the evidence in words. Each format is one file (./text.ts, ./json.ts,
 * ./ndjson.ts, ./markdown.ts, ./sarif.ts, ./github.ts), a pure `Formatter`, listed in ./index.ts.
 */
export type Formatter = (r: CiReport, failOn: string) => string;

/** The finding types that fail the run under `--fail-on`. */
export function failingTypes(command: CiReport['command'], failOn: string): Set<FindingType> {
  if (command === 'diff')
    return new Set(
      failOn === 'any'
        ? ['granted', 'revoked']
        : failOn === 'granted'
          ? ['granted']
          : failOn === 'revoked'
            ? ['revoked']
            : [],
    );
  return new Set(
    failOn === 'any'
      ? ['would-deny', 'unused']
      : failOn === 'would-deny'
        ? ['would-deny']
        : failOn === 'unused'
          ? ['unused']
          : [],
  );
}

export const TITLES: Record<FindingType, string> = {
  granted: 'newly granted',
  revoked: 'revoked',
  undetermined: 'undetermined',
  'would-deny': 'would be denied',
  unused: 'granted but never used',
};

export function sections(r: CiReport): [FindingType, CiFinding[]][] {
  return r.command === 'diff'
    ? [
        ['revoked', r.revoked],
        ['granted', r.granted],
        ['undetermined', r.undetermined],
      ]
    : [
        ['would-deny', r.wouldDeny],
        ['unused', r.unused],
        ['undetermined', r.undetermined],
      ];
}

export function counts(r: CiReport): string {
  return sections(r)
    .map(([t, l]) => `${l.length} ${TITLES[t]}`)
    .join(', ');
}

export function evidenceText(f: CiFinding): string {
  const e = f.evidence;
  if (!e) return '';
  if (!e.used) return 'never used';
  return `${e.count}× ${e.firstSeen || '?'} .. ${e.lastSeen || '?'}${e.samples.length ? `, e.g. ${e.samples[0]}` : ''}`;
}

/** Whether anything at or above `--fail-on` was found. */
export function failing(r: CiReport, failOn: string): boolean {
  const types = failingTypes(r.command, failOn);
  return sections(r).some(([t, l]) => types.has(t) && l.length > 0);
}
