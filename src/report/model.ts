import { cmp } from '../model/issue.js';
import type { Profile } from '../model/profile.js';
import { SAMPLE_LIMIT } from '../model/evidence.js';
import { RISK_ORDER, type CiReport } from '../model/finding.js';
import { KIND_NAMES, KINDS } from '../kinds/index.js';
import type { KindWidening } from '../kinds/types.js';
import { buildGraph } from './graph.js';
import type { PrincipalSection, RiskRow } from './types.js';
import { pushAll } from '../util/array.js';
import { own } from '../util/own.js';
import { filtersCoverage } from '../profile/filters.js';

export type { Permission, PrincipalSection } from './types.js';

export interface GraphNode {
  id: string;
  label: string;
  column: 0 | 1 | 2 | 3;
  group: string;
  risky: boolean;
}

export interface GraphEdge {
  from: string;
  to: string;
  label: string;
  kind: 'runs-as' | 'assumes' | 'calls' | 'network';
}

/**
 * What the reviewer's report shows, computed once and rendered as HTML and Markdown. Every string in
 * it may come from a log: renderers escape all of it.
 */
export interface ReportModel {
  title: string;
  window: { start: string; end: string; days: number };
  /** `--map`'s pairs (FROM=TO) the observations were read with, when any: the names shown are production's. */
  mapped?: string[];
  sources: { path: string; format: string; bytes: number; records: number; issues: number; notice?: string }[];
  dropped: { reason: string; count: number; detail: string }[];
  issues: { code: string; count: number; example: string }[];
  counts: { principals: number; workloads: number; kubernetes: number; aws: number; denied: number };
  graph: { nodes: GraphNode[]; edges: GraphEdge[]; collapsed: string[] };
  sections: PrincipalSection[];
  risks: RiskRow[];
  coverage: string[];
  /** `kept`: grants unused in the logs that generate wrote as listed widenings (diff/kept.ts), when there are some. */
  check?: { wouldDeny: string[]; unused: string[]; kept?: string[]; unusedShare: Record<string, number> };
}

/**
 * The model's keys whose strings quote what they name as JSON does, backslashes escaped already (an input issue's
 * `file:line: message`): the renderers escape them without escaping backslashes again (escapeStrings).
 */
export const ISSUE_TEXT: ReadonlySet<string> = new Set(['example']);

// ---- building the model -----------------------------------------------------------------------

const DAY_MS = 86_400_000;

/** Widenings by principal or workload, as the reader sees them. */
function widenedBy(widenings: KindWidening[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const w of widenings) out.set(w.subject, [...(out.get(w.subject) ?? []), w.text]);
  return out;
}

/**
 * The reviewer's report of a profile. `widenings` are those of the generated policy (the report
 * command passes the default generators' results); `check` is the drift view against given policies.
 */
export async function buildReport(
  profile: Profile,
  opts: {
    title?: string;
    check?: CiReport;
    widenings?: KindWidening[];
    learning?: string[];
    mapped?: string[];
    /** The filters a `--profile` was narrowed with while read (`--namespace shop`), in words. */
    narrowed?: string;
  } = {},
): Promise<ReportModel> {
  const widened = widenedBy(opts.widenings ?? []);
  const start = profile.window.start;
  const end = profile.window.end;
  const days = start && end ? (Date.parse(end.slice(0, 23) + 'Z') - Date.parse(start.slice(0, 23) + 'Z')) / DAY_MS : 0;
  const sections: PrincipalSection[] = [];
  const risks: ReportModel['risks'] = [];
  const coverage: string[] = [];
  const sparse: string[] = [];
  const kindDropped: ReportModel['dropped'] = [];
  let denied = 0;
  let once = 0;

  for (const name of KIND_NAMES) {
    const part = await KINDS[name].report(profile, { widened });
    pushAll(sections, part.sections);
    pushAll(risks, part.risks);
    pushAll(coverage, part.coverage);
    pushAll(sparse, part.sparse);
    pushAll(kindDropped, part.dropped);
    denied += part.denied;
    once += part.once;
  }

  // The riskiest first; within a level, as the kinds listed them (sort is stable).
  risks.sort((a, b) => RISK_ORDER[a.level] - RISK_ORDER[b.level]);

  // Coverage.
  if (days < 7)
    coverage.unshift(`the soak covers ${days.toFixed(1)} days, less than a week: weekly jobs may be missing`);
  const filtered = filtersCoverage(profile.filters);
  if (opts.narrowed)
    coverage.unshift(
      `this report covers what ${opts.narrowed} keeps of the profile given: the rest of the profile is not in it`,
    );
  if (filtered) coverage.unshift(filtered);
  pushAll(coverage, sparse);
  if (once) coverage.push(once === 1 ? '1 access was seen only once' : `${once} accesses were seen only once`);
  if (denied)
    coverage.push(
      denied === 1
        ? '1 access was denied in the logs: needed but not granted (check whether the application depends on it)'
        : `${denied} accesses were denied in the logs: needed but not granted (check whether the application depends on them)`,
    );
  if (opts.learning?.length)
    pushAll(
      coverage,
      opts.learning.map((l) => l.trim()),
    );

  const dropped: ReportModel['dropped'] = Object.entries(profile.skipped).map(([reason, count]) => ({
    reason,
    count,
    detail: own(SKIP_REASONS, reason) ?? '',
  }));
  pushAll(dropped, kindDropped);
  const issueMap = new Map<string, { count: number; example: string }>();
  for (const s of profile.sources) {
    for (const i of s.issueSamples) {
      const prev = issueMap.get(i.code);
      issueMap.set(i.code, {
        count: (prev?.count ?? 0) + 1,
        example: prev?.example ?? `${i.file}:${i.line}: ${i.message}`,
      });
    }
  }
  const totalIssues = profile.sources.reduce((n, s) => n + s.issues, 0);
  if (totalIssues)
    dropped.unshift({
      reason: 'malformed input',
      count: totalIssues,
      detail: 'records that could not be read (see the issues below)',
    });

  const model: ReportModel = {
    title: opts.title ?? 'audit2policy report',
    window: { start, end, days },
    ...(opts.mapped?.length ? { mapped: opts.mapped } : {}),
    sources: profile.sources.map((s) => ({
      path: s.path,
      format: s.format,
      bytes: s.bytes,
      records: s.records,
      issues: s.issues,
      ...(s.notice ? { notice: s.notice } : {}),
    })),
    dropped,
    issues: [...issueMap].map(([code, v]) => ({ code, ...v })).sort((a, b) => cmp(a.code, b.code)),
    counts: {
      principals: profile.principals.length,
      workloads: (profile.workloads ?? []).length,
      kubernetes: sections.filter((s) => s.kind === 'kubernetes').length,
      aws: sections.filter((s) => s.kind === 'aws').length,
      denied,
    },
    graph: buildGraph(profile, risks),
    sections,
    risks,
    coverage,
  };
  if (opts.check) {
    model.check = {
      wouldDeny: opts.check.wouldDeny.map((f) => `${f.principal}: ${f.summary}`),
      unused: opts.check.unused.map((f) => `${f.principal}: ${f.summary}`),
      ...(opts.check.kept?.length
        ? { kept: opts.check.kept.map((f) => `${f.principal}: ${f.summary}: ${f.detail}`) }
        : {}),
      unusedShare: opts.check.unusedShare,
    };
  }
  return model;
}

const SKIP_REASONS: Record<string, string> = {
  'system-identity': "control planes' and managed providers' identities (--include-system keeps them)",
  'subject-kind': 'subjects of kinds not asked for (--subject-kind)',
  'subject-filter': 'left out by --subject / --exclude-subject',
  'namespace-filter': 'outside --namespace',
  'outside-window': 'outside --since / --until',
  'aws-service': 'AWS services acting on their own (no identity policy to write)',
  'no-permission': 'calls that need no IAM permission (sts:GetCallerIdentity, console sign-in)',
  federation: 'web-identity and SAML callers (their trust policies, not identity policies)',
  'unknown-identity': 'CloudTrail records of unknown identity types',
  'no-identity': 'CloudTrail records of a role or user that name no identity ARN',
  'root-user': "calls by the account's root user (no identity policy attaches to it; listed below)",
  'federated-session':
    "calls in federated-user sessions the records do not say an IAM user issued (a user's sessions are its own calls)",
  'service-linked-role': 'calls by service-linked roles (only their service changes their policies; listed below)',
  'authentication-failure':
    'requests refused before any policy was asked (expired or invalid credentials; Kubernetes: a 401 with no user)',
  'before-authorization':
    'Kubernetes requests answered before authorization (429: max-in-flight, priority and fairness), neither granted nor denied',
  reply: 'the answering side of connections (counted from the side that opened them)',
  'icmp-not-echo':
    'ICMP messages other than echo (errors and neighbour discovery go with the traffic they are about; other queries are not allowed)',
  'no-data': 'VPC flow log lines without data',
  'unsupported-protocol': 'flows of protocols a NetworkPolicy cannot name',
  'dns-answer': 'DNS query log records (names for the addresses they answered, no connection of their own)',
  'cloudtrail-digest': 'CloudTrail digest files (log integrity records, no events)',
  'cloudtrail-insight': 'CloudTrail Insights events (summaries of unusual activity, not API calls)',
};

/** Above the permissions: what their evidence columns hold. */
export const EVIDENCE_NOTE =
  `Each permission with its evidence: the requests, calls or connections seen, when first and last, and the ids of ` +
  `the earliest records (at most ${SAMPLE_LIMIT}: Kubernetes audit IDs, CloudTrail event IDs, flows as their time ` +
  `and addresses), to find them in the logs. The evidence files of generate hold the same, rule by rule.`;

/**
 * After the window's sentence: the map the names were read with (`--map`), or nothing. The pairs are not the last
 * word: Markdown shows a pair as a code span, which would take in the sentence's full stop (`:eu-central-1:.`).
 */
export function mappedNote(m: ReportModel): string {
  return m.mapped ? ` AWS names are shown as production's, read with --map ${m.mapped.join(' ')} (FROM=TO).` : '';
}
