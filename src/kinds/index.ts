import { iam } from './iam/index.js';
import { netpol } from './netpol/index.js';
import { rbac } from './rbac/index.js';
import type { VerifyReport } from '../model/finding.js';
import type { InputIssue } from '../model/issue.js';
import type { Profile } from '../model/profile.js';
import type { PolicyDoc } from '../policy/load.js';
import { emptyReport } from '../verify/rbac.js';
import { pushAll } from '../util/array.js';
import type {
  AnyKind,
  Generated,
  KindName,
  KindPolicies,
  KindReplay,
  KindWidening,
  ProfileRest,
  ReplayFacts,
} from './types.js';

export type {
  AccessClass,
  FileSink,
  Made,
  ProfileRest,
  AnyKind,
  AnyKindInfo,
  Excess,
  Generated,
  KindInfo,
  KindName,
  KindOption,
  KindEvidence,
  KindPolicies,
  KindReplay,
  KindWidening,
  PolicyKind,
  ReplayFacts,
  SummaryLine,
} from './types.js';

/**
 * Every policy kind, in the order commands run and print them. `generate all`, verify, check, diff,
 * backtest and the report loop over it; `--kind` choices are its keys.
 */
export const KINDS: Record<KindName, AnyKind> = { rbac, iam, netpol };

export { KIND_INFO, KIND_NAMES } from './info.js';
import { KIND_NAMES } from './info.js';
export { learningWarnings, stillLearning } from './learning.js';
export { generateKind, generateKinds, runKinds, sourceOf, type ProfileSource } from './run.js';
import { generateKinds, sourceOf, type ProfileSource } from './run.js';
import { entryOf } from '../util/own.js';

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
function unjudged(name: KindName, policies: KindPolicies<unknown> | undefined, seen: boolean): string | undefined {
  const given = (policies?.count ?? 0) > 0;
  if (given === seen) return undefined;
  return given ? `no ${KINDS[name].nouns.observations} in scope` : noPolicies(name);
}

const noPolicies = (name: KindName) => `no ${KINDS[name].nouns.policies} given`;

/**
 * Whether the observations held anything in scope of the kinds asked: a kind judged, or one not judged for want of its
 * policies alone (a policy path that held none is then at fault, not the logs).
 */
export function observedAny(report: VerifyReport): boolean {
  return (
    report.observed > 0 ||
    judgedKinds(report).length > 0 ||
    Object.entries(report.notJudged ?? {}).some(([k, why]) => why === noPolicies(k as KindName))
  );
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
  facts: ReplayFacts = {},
  /**
   * Kinds replayed even without policies, against an empty set that allows nothing (the backtest's kinds training
   * saw nothing of: the generator wrote nothing for them, so every held-out access of theirs is new).
   */
  empty: readonly KindName[] = [],
): Promise<VerifyReport> {
  return verifySource(sourceOf(profile), policies, kinds, facts, empty);
}

/**
 * `verifyAll` of a profile read once, principal by principal (a `--profile` file larger than the heap): each kind
 * given policies replays each principal as it comes into a report of its own; the kinds' reports are joined in
 * KINDS order at the end, so findings and subjects come in the order a replay of one kind after another gives.
 */
export async function verifySource(
  source: ProfileSource,
  policies: Map<KindName, KindPolicies<unknown>>,
  kinds: readonly KindName[] = KIND_NAMES,
  facts: ReplayFacts = {},
  empty: readonly KindName[] = [],
): Promise<VerifyReport> {
  const names = KIND_NAMES.filter((n) => kinds.includes(n));
  const runs = new Map<KindName, { part: VerifyReport; replay: KindReplay }>();
  for (const n of names) {
    const p = empty.includes(n) ? (policies.get(n) ?? KINDS[n].readPolicies([])) : policies.get(n);
    if (!p || (p.count === 0 && !empty.includes(n))) continue;
    const part = emptyReport({ skipped: {} });
    runs.set(n, { part, replay: KINDS[n].replay(p, part, facts) });
  }
  const seen = new Set<KindName>();
  const stream = await source();
  for await (const p of stream.principals) {
    for (const n of names) if (KINDS[n].evidence.principal(p)) seen.add(n);
    for (const r of runs.values()) await r.replay.principal(p);
  }
  // The tail first: a filtered stream's header counts what it left out only once its principals are read.
  const tail = stream.tail();
  const rest: ProfileRest = { ...stream.head, ...tail };
  const report = emptyReport(rest);
  for (const n of names) {
    if (KINDS[n].evidence.rest(rest)) seen.add(n);
    const why = empty.includes(n) ? undefined : unjudged(n, policies.get(n), seen.has(n));
    const run = runs.get(n);
    if (why) (report.notJudged ??= {})[n] = why;
    else if (run && (seen.has(n) || !empty.includes(n))) {
      run.replay.finish(rest);
      joinReport(report, run.part);
    }
  }
  return report;
}

/** A kind's replay added to the report: its counts, its findings after those before it, its subjects' tallies. */
function joinReport(report: VerifyReport, part: VerifyReport): void {
  report.observed += part.observed;
  report.allowed += part.allowed;
  pushAll(report.notAllowed, part.notAllowed);
  pushAll(report.undetermined, part.undetermined);
  pushAll(report.denied, part.denied);
  Object.assign(report.byKind, part.byKind);
  for (const [s, t] of Object.entries(part.bySubject ?? {})) {
    const to = entryOf((report.bySubject ??= {}), s, () => ({ observed: 0, allowed: 0 }));
    to.observed += t.observed;
    to.allowed += t.allowed;
  }
}

/** The kinds a report judged (replayed). */
export const judgedKinds = (r: VerifyReport): KindName[] => KIND_NAMES.filter((k) => r.byKind[k] !== undefined);

/** The issues found while reading policies of every kind. */
export function policyIssues(policies: Map<KindName, KindPolicies<unknown>>): InputIssue[] {
  return [...policies.values()].flatMap((p) => p.issues);
}
