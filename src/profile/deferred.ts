import { maxTime, minTime } from '../model/evidence.js';
import type { EvidenceStore } from '../model/evidenceStore.js';
import type { AwsEdge, Principal } from '../model/profile.js';
import { isAwsKind, preferredIamArn, principalId, type SubjectKind } from '../model/subject.js';
import { microsToTime } from '../util/time.js';
import type { ProfileHead } from './lines.js';
import { canonicalSubject, sortRecord } from './order.js';
import type { PrincipalState } from './principalState.js';
import type { Scope } from './scope.js';

/**
 * `--subject`/`--exclude-subject` on AWS principals, decided per principal on its final ARN. A role's records name it
 * with its path (an assumed role's session issuer) or without (a session ARN alone), and the profile keeps the path a
 * record showed (`preferredIamArn`): which that is is known only once every record is read, by every worker and every
 * source. So while subject globs are given, builders keep the records of every AWS principal and say of each what
 * leaving it out takes away (`DeferredAws`); once the partial profiles are merged, `decideAws` judges each principal on
 * its final ARN and leaves the excluded ones out whole, their records counted as `skipped` under the reason the scope
 * gives (`subject-filter`), as they would have been had each record shown that ARN.
 */
export interface DeferredAws {
  /** The span of the partial profile's records in scope but those of its AWS principals (and its flows). */
  rest: { start: string; end: string };
  principals: DeferredPrincipal[];
}

export interface DeferredPrincipal {
  /** `principalId`. */
  id: string;
  kind: SubjectKind;
  /** The ARN the partial profile names it by. */
  username: string;
  /** Its records counted on its calls, allowed or denied. */
  records: number;
  /** Its records refused before any policy was asked: `authentication-failure` when it stays in scope. */
  unauthenticated: number;
  /** The span of its calls' known times ('' when none). */
  start: string;
  end: string;
}

/** Whether a scope's AWS decisions wait for the principals' final ARNs: only subject globs decide AWS principals. */
export function defersAws(scope: Scope): boolean {
  return scope.options.subjects.length > 0 || scope.options.excludeSubjects.length > 0;
}

/** What a builder defers: the span of its records but its AWS principals', and each of those with its calls. */
export function deferredOf(
  rest: DeferredAws['rest'],
  principals: PrincipalState[],
  callsOf: (p: PrincipalState) => AwsEdge[],
): DeferredAws {
  const out: DeferredPrincipal[] = [];
  for (const p of principals) {
    if (!isAwsKind(p.subject.kind)) continue;
    let records = 0;
    let start = '';
    let end = '';
    for (const e of callsOf(p))
      for (const ev of [e.allowed, e.denied]) {
        if (!ev) continue;
        records += ev.count;
        start = minTime(start, ev.firstSeen);
        end = maxTime(end, ev.lastSeen);
      }
    const subject = canonicalSubject(p.subject);
    out.push({
      id: principalId(subject),
      kind: subject.kind,
      username: p.username,
      records,
      unauthenticated: p.unauthenticated ?? 0,
      start,
      end,
    });
  }
  return { rest, principals: out };
}

/** The span of an evidence store's known times ('' when none). */
export function spanOf(store: EvidenceStore): { start: string; end: string } {
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < store.length; i++) {
    if (store.firstOf(i) < first) first = store.firstOf(i);
    if (store.lastOf(i) > last) last = store.lastOf(i);
  }
  return { start: first === Infinity ? '' : microsToTime(first), end: last === -Infinity ? '' : microsToTime(last) };
}

/**
 * The merged profile's header with the AWS principals the scope leaves out taken away (their records in `skipped`,
 * the window without them), and their ids; undefined when no input deferred anything. `inputs` are the partial
 * profiles merged into `head`, each with what it deferred (none for an input read without subject globs, or with no
 * AWS principals: the whole of its window is then kept).
 */
export function decideAws(
  inputs: { head: ProfileHead; deferred?: DeferredAws }[],
  head: ProfileHead,
  scope: Scope,
): { head: ProfileHead; excluded: Set<string> } | undefined {
  if (!inputs.some((x) => x.deferred)) return undefined;
  const all = new Map<string, DeferredPrincipal>();
  for (const x of inputs)
    for (const p of x.deferred?.principals ?? []) {
      const seen = all.get(p.id);
      all.set(
        p.id,
        seen
          ? {
              ...seen,
              username: preferredIamArn(seen.username, p.username),
              records: seen.records + p.records,
              unauthenticated: seen.unauthenticated + p.unauthenticated,
              start: minTime(seen.start, p.start),
              end: maxTime(seen.end, p.end),
            }
          : p,
      );
    }
  const skipped = { ...head.skipped };
  const add = (reason: string, n: number) => {
    if (n > 0) skipped[reason] = (skipped[reason] ?? 0) + n;
  };
  const excluded = new Set<string>();
  let { start, end } = { start: '', end: '' };
  for (const x of inputs) {
    const w = x.deferred?.rest ?? x.head.window;
    start = minTime(start, w.start);
    end = maxTime(end, w.end);
  }
  for (const p of all.values()) {
    const reason = scope.subjectSkip(p.kind, p.username);
    if (reason) {
      excluded.add(p.id);
      add(reason, p.records + p.unauthenticated);
      continue;
    }
    add('authentication-failure', p.unauthenticated);
    start = minTime(start, p.start);
    end = maxTime(end, p.end);
  }
  // Nothing left out: the window is the merge's, as it is without globs.
  const window = excluded.size ? { start, end } : head.window;
  return { head: { ...head, window, skipped: sortRecord(skipped) }, excluded };
}

/** The principals but those left out. */
export async function* keptPrincipals(
  principals: Iterable<Principal> | AsyncIterable<Principal>,
  excluded: Set<string>,
): AsyncGenerator<Principal> {
  for await (const p of principals) if (!excluded.has(principalId(p.subject))) yield p;
}
