import { iam } from './iam/index.js';
import { netpol } from './netpol/index.js';
import { rbac } from './rbac/index.js';
import type { VerifyReport } from '../model/finding.js';
import type { InputIssue } from '../model/issue.js';
import type { Profile } from '../model/profile.js';
import type { PolicyDoc } from '../policy/load.js';
import { emptyReport } from '../verify/rbac.js';
import type { AnyKind, Generated, KindName, KindPolicies, KindWidening } from './types.js';

export type {
  AccessClass,
  FileSink,
  Made,
  ProfileRest,
  AnyKind,
  Generated,
  KindName,
  KindOption,
  KindPolicies,
  KindWidening,
  PolicyKind,
  SummaryLine,
} from './types.js';

/**
 * Every policy kind, in the order commands run and print them. `generate all`, verify, check, diff,
 * backtest and the report loop over it; `--kind` choices are its keys.
 */
export const KINDS: Record<KindName, AnyKind> = { rbac, iam, netpol };

export const KIND_NAMES = Object.keys(KINDS) as KindName[];
export { learningWarnings, stillLearning } from './learning.js';
export { generateKind, generateKinds, runKinds, sourceOf, type ProfileSource } from './run.js';
import { generateKinds, sourceOf } from './run.js';

/** Every kind the profile holds evidence for, generated with its options (defaults where none are given). */
export async function generateAll(profile: Profile, flags: Record<string, unknown> = {}): Promise<Generated[]> {
  return (await generateKinds(allKinds(flags), sourceOf(profile))).generated;
}

/** Every kind with its options from command-line values (defaults where none are given). */
export const allKinds = (flags: Record<string, unknown> = {}): { kind: AnyKind; options: unknown }[] =>
  KIND_NAMES.map((n) => ({ kind: KINDS[n], options: KINDS[n].parseOptions(flags) }));

/** The widenings the generators apply with their default options (resources the logs did not name, cluster DNS...). */
export async function defaultWidenings(profile: Profile): Promise<KindWidening[]> {
  return (await generateAll(profile)).flatMap((g) => g.widenings);
}

/** Each kind's policies among policy documents. */
export function readAllPolicies(docs: PolicyDoc[]): Map<KindName, KindPolicies<unknown>> {
  return new Map(KIND_NAMES.map((n) => [n, KINDS[n].readPolicies(docs)]));
}

/**
 * Why a kind cannot be judged: its policies or its observations are missing (undefined when both are
 * there, or neither: then there is nothing to say).
 */
export function unjudged(
  name: KindName,
  profile: Profile,
  policies: KindPolicies<unknown> | undefined,
): string | undefined {
  const given = (policies?.count ?? 0) > 0;
  const seen = KINDS[name].hasEvidence(profile);
  if (given === seen) return undefined;
  const n = KINDS[name].nouns;
  return given ? `no ${n.observations} in scope` : `no ${n.policies} given`;
}

/**
 * Replay every observation of the profile against the policies, kind by kind (of `kinds`, default all):
 * a kind is judged only when both its policies and its observations are there. A kind with one side
 * missing is listed in `notJudged`, never reported as denied or unused.
 */
export async function verifyAll(
  profile: Profile,
  policies: Map<KindName, KindPolicies<unknown>>,
  kinds: readonly KindName[] = KIND_NAMES,
): Promise<VerifyReport> {
  const report = emptyReport(profile);
  for (const name of KIND_NAMES) {
    if (!kinds.includes(name)) continue;
    const p = policies.get(name);
    const why = unjudged(name, profile, p);
    if (why) (report.notJudged ??= {})[name] = why;
    else if (p && p.count > 0) await KINDS[name].verify(profile, p, report);
  }
  return report;
}

/** The kinds a report judged (replayed). */
export const judgedKinds = (r: VerifyReport): KindName[] => KIND_NAMES.filter((k) => r.byKind[k] !== undefined);

/** The issues found while reading policies of every kind. */
export function policyIssues(policies: Map<KindName, KindPolicies<unknown>>): InputIssue[] {
  return [...policies.values()].flatMap((p) => p.issues);
}
