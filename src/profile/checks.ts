import { countOf, SAMPLE_LIMIT, samplesKept, type Evidence } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import {
  compareEdges,
  compareWorkloads,
  FLOW_SAMPLE_LIMIT,
  flowSamplesKept,
  type FlowEvidence,
  type NetEdge,
} from '../model/network.js';
import type { AwsEdge, K8sEdge, LeftOutIdentity, NodeInstance, Principal } from '../model/profile.js';
import { compareAccess } from '../model/access.js';
import { compareTuples } from '../util/key.js';
import { compareCreated, compareLinks } from './order.js';
import { LINE_CHECKS } from './lineChecks.gen.js';
import { isProfileTime } from '../util/time.js';
import type { LineKind } from './lineSchema.js';

/**
 * Each line kind's check as code (./lineChecks.gen.ts, written by `npm run schema` from ./lineSchema.ts): reading a
 * profile checks every line without loading TypeBox, whose ~200 modules and compiled schemas cost a command that
 * reads a profile 0.1-0.2 s of start-up (ADR 0017).
 */
const checks: Record<LineKind, (v: unknown) => boolean> = LINE_CHECKS;

/** Which kind of line a parsed value is (by its first key), or undefined. */
export function lineKind(v: unknown): LineKind | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  for (const k in v) {
    if (k === 'apiVersion' || k === 'kind') return 'header';
    return Object.hasOwn(checks, k) && k !== 'header' ? (k as LineKind) : undefined;
  }
  return undefined;
}

/** Whether a line of the given kind is what its schema says. */
export const lineFits = (kind: LineKind, v: unknown): boolean => checks[kind](v);

/**
 * The TypeBox schemas' checks with their words (./schema.ts, ./lineSchema.ts), loaded when a line does not fit (to
 * say why) or a v1alpha1 profile is read. Most runs (`profile`, anything from logs, `diff` of policies) read no
 * profile, and a profile that fits never loads them. The library exports `checkProfile` from ./schema.ts itself, so
 * it loads them at import.
 */
export interface SchemaChecks {
  lineSchemaProblem: typeof import('./lineSchema.js').lineSchemaProblem;
  checkProfile: typeof import('./schema.js').checkProfile;
}

let loaded: SchemaChecks | undefined;

/** The checks, loading them on first use. */
export async function schemaChecks(): Promise<SchemaChecks> {
  if (!loaded) {
    const [lines, whole] = await Promise.all([import('./lineSchema.js'), import('./schema.js')]);
    loaded = { lineSchemaProblem: lines.lineSchemaProblem, checkProfile: whole.checkProfile };
  }
  return loaded;
}

/**
 * What is wrong with one evidence of a profile read from a file. A count is the count of the latest audit stage seen,
 * and merging recounts it from the stages: one that disagrees with them would change silently in a merge, so it is
 * refused; and so are a time not as the writer writes it and samples other than the writer keeps.
 */
export function countProblem(path: string, ev: Evidence): string | undefined {
  const n = countOf(ev.stages);
  if (ev.count !== n) return `${path}/count: ${ev.count}, but its stages count ${n}`;
  // Times are compared as text and read as numbers: one written otherwise would be misordered or read as NaN.
  if (!isProfileTime(ev.firstSeen)) return timeProblem(`${path}/firstSeen`, ev.firstSeen);
  if (!isProfileTime(ev.lastSeen)) return timeProblem(`${path}/lastSeen`, ev.lastSeen);
  for (const [i, s] of ev.samples.entries())
    if (!isProfileTime(s.time)) return timeProblem(`${path}/samples/${i}/time`, s.time);
  if (!samplesKept(ev.samples))
    return `${path}/samples: more than ${SAMPLE_LIMIT}, repeated, out of order (the earliest by time, then id) or with no id`;
  return undefined;
}

/**
 * What is wrong with one network edge's flow evidence: a time not as the writer writes it (first and last seen,
 * each sample's; a merge keeps the least and greatest as text, so one written otherwise is misordered), more
 * connections than records (each connection started is a record), or samples other than the writer keeps.
 */
export function flowProblem(path: string, e: Pick<NetEdge, 'allowed' | 'denied'>): string | undefined {
  for (const d of ['allowed', 'denied'] as const) {
    const ev: FlowEvidence | undefined = e[d];
    if (!ev) continue;
    const at = `${path}/${d}`;
    if (ev.connections > ev.records)
      return `${at}/connections: ${ev.connections}, more than its ${ev.records} records (each connection is a record)`;
    if (!isProfileTime(ev.firstSeen)) return timeProblem(`${at}/firstSeen`, ev.firstSeen);
    if (!isProfileTime(ev.lastSeen)) return timeProblem(`${at}/lastSeen`, ev.lastSeen);
    for (const [i, s] of ev.samples.entries())
      if (!isProfileTime(s.time)) return timeProblem(`${at}/samples/${i}/time`, s.time);
    if (!flowSamplesKept(ev.samples))
      return `${at}/samples: more than ${FLOW_SAMPLE_LIMIT}, repeated or out of order (the earliest by time, then id)`;
  }
  return undefined;
}

/** Nodes that are EC2 instances: by instance id, then node. */
export function compareNodeInstances(a: NodeInstance, b: NodeInstance): number {
  return cmp(a.instanceId, b.instanceId) || cmp(a.node, b.node);
}

/**
 * The order of the trailing sections' entries as the writer writes them, by the section's field: each entry must
 * come strictly after the one before, so none is repeated. A repeated entry is not harmless: a workload listed twice
 * is merged to the labels both views carry (a wider selector), a network edge twice counts its flows twice.
 */
export const TAIL_ORDER: Readonly<Record<string, (a: never, b: never) => number>> = {
  leftOut: (a: LeftOutIdentity, b: LeftOutIdentity) => cmp(a.reason, b.reason) || cmp(a.arn, b.arn),
  workloads: compareWorkloads,
  network: compareEdges,
  dnsNames: (a: { ip: string }, b: { ip: string }) => cmp(a.ip, b.ip),
  namespaces: (a: { name: string }, b: { name: string }) => cmp(a.name, b.name),
  nodeInstances: compareNodeInstances,
};

/** A list the writer writes sorted and without repeats (a DNS name's names, a left-out identity's events)? */
export function strictlySorted(list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if (cmp(list[i - 1]!, list[i]!) >= 0) return false;
  return true;
}

/**
 * What is wrong with the order of a principal line's own lists, which the writer writes sorted, each entry once:
 * groups, assumed roles (and each one's OIDC providers and clusters), created names (and each one's names), created
 * ARNs. A link listed twice would have its evidence counted twice in a merge and shown twice in the evidence tree.
 */
export function principalListsProblem(p: Principal): string | undefined {
  const at = 'principal line: ';
  if (!strictlySorted(p.groups)) return `${at}/groups: out of order or repeated`;
  const links = p.assumes ?? [];
  for (const [j, l] of links.entries()) {
    if (j > 0 && compareLinks(links[j - 1]!, l) >= 0) return `${at}/assumes/${j}: out of order or repeated`;
    if (!strictlySorted(l.providers ?? [])) return `${at}/assumes/${j}/providers: out of order or repeated`;
    if (!strictlySorted(l.clusters ?? [])) return `${at}/assumes/${j}/clusters: out of order or repeated`;
  }
  const created = p.created ?? [];
  for (const [j, c] of created.entries()) {
    if (j > 0 && compareCreated(created[j - 1]!, c) >= 0) return `${at}/created/${j}: out of order or repeated`;
    if (!strictlySorted(c.names) || !strictlySorted(c.generated ?? []))
      return `${at}/created/${j}: names out of order or repeated`;
  }
  if (!strictlySorted(p.createdArns ?? [])) return `${at}/createdArns: out of order or repeated`;
  return undefined;
}

/**
 * An AWS call's implied permission whose action AWS's catalogue does not have, said, or undefined. The writer implies
 * catalogue actions only (from the project's tables), and the IAM generator looks each one up: another was an
 * internal error of `generate`. The catalogue is loaded when a call with implied permissions is read.
 */
export async function impliedProblem(implied: readonly { action: string }[]): Promise<string | undefined> {
  const { actionExists } = await import('../knowledge/aws/catalogue.js');
  for (const [k, i] of implied.entries()) {
    const [service = '', name = '', ...rest] = i.action.split(':');
    if (rest.length || !service || !name || !(await actionExists(service, name)))
      return `aws.implied[${k}].action ${JSON.stringify(i.action.slice(0, 80))} is no action of AWS's catalogue`;
  }
  return undefined;
}

/** A profile's time not as the profile writer writes it, said. */
function timeProblem(path: string, t: string): string {
  return `${path}: ${JSON.stringify(t.slice(0, 40))} is not a time as a profile holds it (RFC 3339 UTC with microseconds, 2026-11-02T08:00:00.000000Z, or "")`;
}

/** What is wrong with a profile's window, or undefined. */
export function windowProblem(path: string, w: { start: string; end: string }): string | undefined {
  if (!isProfileTime(w.start)) return timeProblem(`${path}/start`, w.start);
  if (!isProfileTime(w.end)) return timeProblem(`${path}/end`, w.end);
  return undefined;
}

export function stagesProblem(
  path: string,
  e: { allowed?: Evidence; denied?: Evidence; undecided?: Evidence },
): string | undefined {
  for (const d of ['allowed', 'denied', 'undecided'] as const) {
    const ev = e[d];
    const problem = ev && countProblem(`${path}/${d}`, ev);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * What is wrong with the order of an access's own lists, which ingest and merge write sorted, each entry once: a
 * Kubernetes check's requests (request, then `as`, then `role`), an AWS call's resources and implied permissions
 * (action, resource, via). A call whose lists are in another order is another call to the line order, so `merge`
 * would write the same call twice; a request listed twice counts in a check's evidence twice.
 */
export function edgeListsProblem(e: K8sEdge | AwsEdge, ea: string): string | undefined {
  if ('eventSource' in e) {
    if (!strictlySorted(e.resources)) return `${ea}.resources: out of order or repeated`;
    const order = (i: AwsEdge['implied'][number]) => [i.action, i.resource, i.via];
    for (let k = 1; k < e.implied.length; k++)
      if (compareTuples(order(e.implied[k - 1]!), order(e.implied[k]!)) >= 0)
        return `${ea}.implied[${k}]: out of order or repeated`;
    return undefined;
  }
  const list = e.implied ?? [];
  for (let k = 1; k < list.length; k++) {
    const a = list[k - 1]!;
    const b = list[k]!;
    if ((compareAccess(a.request, b.request) || cmp(a.as ?? '', b.as ?? '') || cmp(a.role ?? '', b.role ?? '')) >= 0)
      return `${ea}.implied[${k}]: out of order or repeated`;
  }
  return undefined;
}
