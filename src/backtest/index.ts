import { ReadsLogged } from '../knowledge/kubernetes/readsLogged.js';
import { sccCoverage, sccWarning } from '../knowledge/kubernetes/openShift.js';
import {
  KIND_NAMES,
  KINDS,
  generateAll,
  readAllPolicies,
  verifyAll,
  type Excess,
  type Generated,
  type KindName,
  type KindWidening,
  type ReplayFacts,
} from '../kinds/index.js';
import { hostsOf } from '../verify/netpol.js';
import { apiServersOf } from '../model/apiServer.js';
import { unresolvedCaveat } from '../generate/netpol/coverage.js';
import type { Finding } from '../model/finding.js';
import { cmp, InputError, type InputIssue } from '../model/issue.js';
import type { Profile } from '../model/profile.js';
import { mergeProfiles } from '../profile/merge.js';
import { parsePolicyText, type PolicyDoc } from '../policy/load.js';
import { microsToTime, timeToMicros } from '../util/time.js';
import { put } from '../util/own.js';

/**
 * The backtest: generate from a training window, replay a held-out window that the policy was not made
 * from, and measure what the days after the soak would meet: breakage (held-out accesses the policy
 * would deny) and excess (what it allows that was never seen). Reuses the pipeline: `generateAll` on the
 * training profile, `verifyAll` of the held-out profile against what it generated, in memory.
 */

/** A window of time, as RFC 3339 bounds ('' where open). */
export interface Window {
  from: string;
  until: string;
}

/** A held-out access the policy would deny, with why it is new. */
export type WouldDeny = Finding & { reason: string };

export interface Tally {
  observed: number;
  allowed: number;
  wouldDeny: number;
  undetermined: number;
  /** Per cent of `observed` that would be denied. */
  breakage: number;
}

/** One training window and the held-out window after it. */
export interface BacktestRun extends Tally {
  train: Window;
  test: Window;
  wouldDenyList: WouldDeny[];
  undeterminedList: Finding[];
  byKind: Partial<Record<KindName, Tally>>;
  byPrincipal: Record<string, Tally>;
  /** The generalizations and other widenings the generated policy carries. */
  generalized: KindWidening[];
  /**
   * Excess, by negative samples. RBAC and IAM: accesses other principals made that this one never did,
   * replayed as its own; NetworkPolicy: pairs of workloads that never talked, as verify counts them.
   */
  excess: Partial<Record<KindName, Excess & { share: number }>>;
  /**
   * The kinds the held-out window holds but training did not: the generator wrote nothing for them, so they are
   * judged against a policy that allows nothing (NetworkPolicies: a deny-all in each namespace held out).
   */
  untrained: KindName[];
}

/** Per principal, over rolling folds: new access classes per held-out day. */
export interface LearningCurve {
  days: { test: Window; newAccesses: number }[];
  /** The last held-out day on which it met something its policy did not allow ('' when none). */
  lastNew: string;
  /** It met something new on the last day: the soak may be too short for it. */
  stillLearning: boolean;
}

export interface BacktestResult {
  /** The held-out evaluation (for folds, the last fold). */
  run: BacktestRun;
  /** Rolling-origin folds, oldest first (only with `folds`). */
  folds?: BacktestRun[];
  learning?: Record<string, LearningCurve>;
  /** Issues reading the policies the generator wrote back (none unless a generator is broken). */
  issues: InputIssue[];
  /** What the figures cannot show about the logs themselves: logs that left reads out break nothing they hold. */
  caveats: string[];
}

/** The held-out window: `holdout` back from the newest record, a split time, or the last K days in K folds. */
export type BacktestPlan = { holdoutMs: number } | { split: string } | { folds: number };

/**
 * Read the sources in one window (`until` exclusive of the split: a record at the split time is held
 * out); records without a time belong to training only.
 */
export type WindowReader = (w: {
  since?: string;
  until?: string;
  sinceMsBeforeNewest?: number;
  heldOut: boolean;
}) => Promise<{ profile: Profile; since: string; until: string }>;

const DAY_US = 86_400_000_000;

/** One microsecond before a time: training ends there, the held-out window starts at the time. */
const justBefore = (t: string) => microsToTime(timeToMicros(t) - 1);

export async function backtest(
  read: WindowReader,
  flags: Record<string, unknown>,
  plan: BacktestPlan,
  /** What the evaluators know beside the profiles (read when the first window is: the inventory's plugin). */
  facts: ReplayFacts = {},
): Promise<BacktestResult> {
  const issues: InputIssue[] = [];
  if ('folds' in plan) return folds(read, flags, plan.folds, issues, facts);
  let test: Profile;
  let split: string;
  if ('holdoutMs' in plan) {
    const r = await read({ sinceMsBeforeNewest: plan.holdoutMs, heldOut: true });
    test = r.profile;
    split = r.since;
  } else {
    split = plan.split;
    test = (await read({ since: split, heldOut: true })).profile;
  }
  const train = (await read({ until: justBefore(split), heldOut: false })).profile;
  // An empty side measures nothing: 0/0 allowed would pass any gate.
  if (kindsIn(test).length === 0)
    throw new InputError(
      `nothing held out: no record in scope at or after ${split}` +
        (train.window.end ? ` (the records in scope end at ${train.window.end}): move the split earlier` : ''),
    );
  if (kindsIn(train).length === 0)
    throw new InputError(
      `no training data: no record in scope before ${split} (the held-out window starts at the first record): ` +
        'hold out less or move the split later',
    );
  const run = await evaluate(
    train,
    test,
    flags,
    issues,
    { from: train.window.start, until: split },
    { from: split, until: test.window.end },
    facts,
  );
  return { run, issues, caveats: caveats(train, test) };
}

/** The kinds a profile holds observations of. */
function kindsIn(p: Profile): KindName[] {
  return KIND_NAMES.filter(
    (k) => KINDS[k].evidence.rest(p) || p.principals.some((x) => KINDS[k].evidence.principal(x)),
  );
}

/** The logs' own gaps, which no held-out window of them can show (knowledge/kubernetes/readsLogged.ts). */
function caveats(...profiles: Profile[]): string[] {
  const reads = new ReadsLogged();
  for (const p of profiles) for (const x of p.principals) reads.add(x);
  const out: string[] = [];
  const w = reads.warning();
  if (w) out.push(w);
  // OpenShift's SCC admissions are in no log: without an inventory's, the policy grants none and no day shows it.
  const scc = sccCoverage(profiles.flatMap((p) => p.principals));
  if (scc && !scc.fromInventory) out.push(sccWarning(scc.writers, false));
  const net = unresolvedCaveat(profiles);
  if (net) out.push(net);
  return out;
}

/** Rolling origin over the last K days: train on everything before day i, test on day i. */
async function folds(
  read: WindowReader,
  flags: Record<string, unknown>,
  k: number,
  issues: InputIssue[],
  facts: ReplayFacts,
): Promise<BacktestResult> {
  const all = (await read({ heldOut: false })).profile;
  if (!all.window.end) throw new InputError('no record in the input carries a time: there is nothing to hold out');
  // Calendar days (UTC): the last fold holds out the day of the newest record, each fold before it the day before.
  const lastMidnight = timeToMicros(all.window.end.slice(0, 10) + 'T00:00:00.000000Z');
  const starts = Array.from({ length: k }, (_, i) => microsToTime(lastMidnight - (k - 1 - i) * DAY_US));
  if (all.window.start && starts[0]! <= all.window.start)
    throw new InputError(
      `--folds ${k}: the logs span ${all.window.start} .. ${all.window.end}, too few days to hold out ${k} and train on what came before`,
    );
  const before = (await read({ until: justBefore(starts[0]!), heldOut: false })).profile;
  const days: Profile[] = [];
  for (let i = 0; i < k; i++)
    days.push(
      (await read({ since: starts[i]!, ...(i + 1 < k ? { until: justBefore(starts[i + 1]!) } : {}), heldOut: true }))
        .profile,
    );
  const runs: BacktestRun[] = [];
  let train = before;
  for (let i = 0; i < k; i++) {
    runs.push(
      await evaluate(
        train,
        days[i]!,
        flags,
        issues,
        { from: train.window.start || all.window.start, until: starts[i]! },
        { from: starts[i]!, until: i + 1 < k ? starts[i + 1]! : all.window.end },
        facts,
      ),
    );
    // Records without a time stay with training: the held-out days hold only timed records.
    train = mergeProfiles([train, days[i]!]);
  }
  const learning: Record<string, LearningCurve> = {};
  const subjects = new Set(runs.flatMap((r) => Object.keys(r.byPrincipal)));
  for (const subject of subjects) {
    const c: LearningCurve = { days: [], lastNew: '', stillLearning: false };
    for (const [i, r] of runs.entries()) {
      const n = r.wouldDenyList.filter((f) => f.subject === subject).length;
      c.days.push({ test: r.test, newAccesses: n });
      if (n > 0) {
        c.lastNew = r.test.from;
        c.stillLearning = i === runs.length - 1;
      }
    }
    put(learning, subject, c);
  }
  return { run: runs[runs.length - 1]!, folds: runs, learning: sortRecord(learning), issues, caveats: caveats(all) };
}

/** Generate from `train`, replay `test` against it, and measure. */
async function evaluate(
  train: Profile,
  test: Profile,
  flags: Record<string, unknown>,
  issues: InputIssue[],
  trainWindow: Window,
  testWindow: Window,
  facts: ReplayFacts,
): Promise<BacktestRun> {
  const generated = await generateAll(train, flags);
  const docs = policyDocs(generated, issues);
  // A kind training saw nothing of has no policy: judged against one that allows nothing, never left out.
  const trained = kindsIn(train);
  const untrained = kindsIn(test).filter((k) => !trained.includes(k));
  for (const k of untrained)
    for (const f of KINDS[k].allowsNothing?.(test) ?? []) parsePolicyText(f.path, f.text, docs, issues);
  const policies = readAllPolicies(docs);
  // The addresses training saw as addresses or nodes are no pods' either (the policies' ipBlocks name them); those it
  // saw the API server at are the API server in the held-out window's flow logs too.
  const report = await verifyAll(
    test,
    policies,
    KIND_NAMES,
    { ...facts, hosts: hostsOf(train.network, facts.hosts), apiServers: apiServersOf(train.network, facts.apiServers) },
    untrained,
  );
  const wouldDenyList = report.notAllowed.map((f) => ({ ...f, reason: KINDS[f.kind].newness(f, train, test) }));
  const byKind: BacktestRun['byKind'] = {};
  for (const [k, v] of Object.entries(report.byKind)) {
    const deny = report.notAllowed.filter((f) => f.kind === k).length;
    const und = report.undetermined.filter((f) => f.kind === k).length;
    byKind[k as KindName] = tallyOf(v.observed, v.allowed, deny, und);
  }
  const byPrincipal: Record<string, Tally> = {};
  for (const [s, v] of Object.entries(report.bySubject ?? {}).sort((a, b) => cmp(a[0], b[0]))) {
    put(
      byPrincipal,
      s,
      tallyOf(
        v.observed,
        v.allowed,
        report.notAllowed.filter((f) => f.subject === s).length,
        report.undetermined.filter((f) => f.subject === s).length,
      ),
    );
  }
  const excess = await excessOf(train, test, policies, facts);
  return {
    train: trainWindow,
    test: testWindow,
    ...tallyOf(report.observed, report.allowed, report.notAllowed.length, report.undetermined.length),
    wouldDenyList,
    undeterminedList: report.undetermined,
    byKind,
    byPrincipal,
    generalized: generated.flatMap((g) => g.widenings),
    excess,
    untrained,
  };
}

function tallyOf(observed: number, allowed: number, wouldDeny: number, undetermined: number): Tally {
  return {
    observed,
    allowed,
    wouldDeny,
    undetermined,
    breakage: observed ? Math.round((10000 * wouldDeny) / observed) / 100 : 0,
  };
}

/** The policies as the generator wrote them, read back as documents (evidence left out). */
export function policyDocs(generated: Generated[], issues: InputIssue[]): PolicyDoc[] {
  const docs: PolicyDoc[] = [];
  for (const g of generated)
    for (const [file, text] of [...g.files].sort((a, b) => cmp(a[0], b[0])))
      if (!file.startsWith('evidence/')) parsePolicyText(file, text, docs, issues);
  return docs;
}

/**
 * Excess per kind (each kind's own measure: negative samples, pairs that never met), over both windows merged, with its
 * share.
 */
async function excessOf(
  train: Profile,
  test: Profile,
  policies: ReturnType<typeof readAllPolicies>,
  facts: ReplayFacts,
): Promise<BacktestRun['excess']> {
  const both = mergeProfiles([train, test]);
  const out: BacktestRun['excess'] = {};
  for (const k of KIND_NAMES) {
    const p = policies.get(k);
    if (!p || p.count === 0) continue;
    const e = await KINDS[k].excess(both, p, facts);
    if (e) out[k] = { ...e, share: Math.round((10000 * e.allowed) / e.samples) / 100 };
  }
  return out;
}

function sortRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort((a, b) => cmp(a[0], b[0])));
}
