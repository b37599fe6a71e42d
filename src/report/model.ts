import { callPermissions } from '../generate/iam/permissions.js';
import { parseArn } from '../knowledge/aws/arn.js';
import { policyName } from '../model/layout.js';
import { describeAccess } from '../model/access.js';
import { cmp } from '../model/issue.js';
import { describePeer } from '../model/network.js';
import { grantEvidence, isGrantable, type Profile } from '../model/profile.js';
import { isAwsKind } from '../model/subject.js';
import type { CiReport } from '../diff/index.js';
import type { KindWidening } from '../kinds/types.js';
import { buildGraph } from './graph.js';
import { awsRisks, k8sRisks, netRisks } from './risks.js';

/**
 * What the reviewer's report shows, computed once and rendered as HTML and Markdown. Every string in
 * it may come from a log: renderers escape all of it.
 */
export interface Permission {
  /** `get configmaps web-config in shop`, `s3:PutObject on arn:...`, `→ payments/payments-api TCP/8443`. */
  text: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  denied: boolean;
  risks: string[];
}

export interface PrincipalSection {
  kind: 'kubernetes' | 'aws' | 'workload';
  name: string;
  /** `ServiceAccount`, `IAMRole`, `Deployment`... */
  subjectKind: string;
  permissions: Permission[];
  /** Service account → role links, or the service account a workload runs as. */
  links: string[];
  events: number;
  /** What the generated policy allows beyond what was observed, and why (default generation). */
  widenings: string[];
}

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

export interface ReportModel {
  title: string;
  window: { start: string; end: string; days: number };
  sources: { path: string; format: string; bytes: number; records: number; issues: number; notice?: string }[];
  dropped: { reason: string; count: number; detail: string }[];
  issues: { code: string; count: number; example: string }[];
  counts: { principals: number; workloads: number; kubernetes: number; aws: number; denied: number };
  graph: { nodes: GraphNode[]; edges: GraphEdge[]; collapsed: string[] };
  sections: PrincipalSection[];
  risks: { principal: string; permission: string; reasons: string[] }[];
  coverage: string[];
  check?: { wouldDeny: string[]; unused: string[]; unusedShare: Record<string, number> };
}

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
  opts: { title?: string; check?: CiReport; widenings?: KindWidening[]; learning?: string[] } = {},
): Promise<ReportModel> {
  const widened = widenedBy(opts.widenings ?? []);
  const start = profile.window.start;
  const end = profile.window.end;
  const days = start && end ? (Date.parse(end.slice(0, 23) + 'Z') - Date.parse(start.slice(0, 23) + 'Z')) / DAY_MS : 0;
  const sections: PrincipalSection[] = [];
  const risks: ReportModel['risks'] = [];
  const coverage: string[] = [];
  const unmapped = new Map<string, number>();
  let denied = 0;
  let once = 0;

  // Kubernetes principals.
  for (const p of profile.principals.filter((x) => !isAwsKind(x.subject.kind))) {
    const perms: Permission[] = [];
    for (const e of p.k8s) {
      const ev = grantEvidence(e) ?? e.denied!;
      const isDenied = !isGrantable(e);
      if (isDenied) denied++;
      const r = isDenied ? [] : k8sRisks(e);
      perms.push({
        text: describeAccess(e),
        count: ev.count,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        denied: isDenied,
        risks: r,
      });
      if (r.length) risks.push({ principal: p.username, permission: describeAccess(e), reasons: r });
      if (!isDenied && ev.count === 1) once++;
    }
    const links = (p.assumes ?? []).map((l) => `assumes ${l.roleArn} (${l.via}, ${l.evidence.count}×)`);
    sections.push({
      kind: 'kubernetes',
      name: p.username,
      subjectKind: p.subject.kind,
      permissions: perms,
      links,
      events: perms.reduce((n, x) => n + x.count, 0),
      widenings: widened.get(p.username) ?? [],
    });
  }
  // AWS principals.
  for (const p of profile.principals.filter((x) => isAwsKind(x.subject.kind))) {
    const perms: Permission[] = [];
    const account = policyName(p.username).account;
    const buckets = new Set<string>();
    const rows: {
      action: string;
      resource: string;
      ev: NonNullable<typeof p.aws>[number]['allowed'];
      denied: boolean;
    }[] = [];
    for (const e of p.aws ?? []) {
      if (e.denied && !e.allowed) {
        denied++;
        perms.push({
          text: `${e.eventSource} ${e.eventName} (denied)`,
          count: e.denied.count,
          firstSeen: e.denied.firstSeen,
          lastSeen: e.denied.lastSeen,
          denied: true,
          risks: [],
        });
      }
      if (!e.allowed) continue;
      const needed = await callPermissions(e);
      if (needed.kind === 'unmapped') {
        unmapped.set(
          `${e.eventSource} ${e.eventName}`,
          (unmapped.get(`${e.eventSource} ${e.eventName}`) ?? 0) + e.allowed.count,
        );
        continue;
      }
      if (needed.kind !== 'actions') continue;
      for (const perm of needed.permissions) {
        for (const r of perm.resources) {
          rows.push({ action: perm.action, resource: r, ev: e.allowed, denied: false });
          const a = parseArn(r);
          if (a?.service === 's3' && !a.region && perm.action.startsWith('s3:')) buckets.add(a.resource.split('/')[0]!);
        }
      }
    }
    const merged = new Map<string, Permission>();
    for (const r of rows) {
      const text = `${r.action} on ${r.resource}`;
      const prev = merged.get(text);
      const ev = r.ev!;
      if (prev) {
        prev.count += ev.count;
        prev.firstSeen =
          prev.firstSeen && ev.firstSeen
            ? prev.firstSeen < ev.firstSeen
              ? prev.firstSeen
              : ev.firstSeen
            : prev.firstSeen || ev.firstSeen;
        prev.lastSeen = prev.lastSeen > ev.lastSeen ? prev.lastSeen : ev.lastSeen;
      } else
        merged.set(text, {
          text,
          count: ev.count,
          firstSeen: ev.firstSeen,
          lastSeen: ev.lastSeen,
          denied: false,
          risks: awsRisks(r.action, r.resource, account, buckets.size),
        });
    }
    for (const perm of [...merged.values()].sort((a, b) => cmp(a.text, b.text))) {
      perms.push(perm);
      if (perm.risks.length) risks.push({ principal: p.username, permission: perm.text, reasons: perm.risks });
      if (perm.count === 1) once++;
    }
    const assumedBy = profile.principals
      .filter((x) => x.assumes?.some((l) => l.roleArn === p.username))
      .map((x) => `assumed by ${x.username}`);
    sections.push({
      kind: 'aws',
      name: p.username,
      subjectKind: p.subject.kind,
      permissions: perms,
      links: assumedBy,
      events: perms.reduce((n, x) => n + x.count, 0),
      widenings: widened.get(p.username) ?? [],
    });
  }
  // Workloads and their connections.
  const byWorkload = new Map<string, Permission[]>();
  for (const e of profile.network ?? []) {
    for (const self of ['from', 'to'] as const) {
      const w = e[self];
      if (w.kind !== 'workload') continue;
      const key = `${w.namespace}/${w.name}`;
      const ev = e.allowed ?? e.denied!;
      const isDenied = !e.allowed;
      if (isDenied && self === 'from') denied++;
      const text =
        self === 'from'
          ? `→ ${describePeer(e.to)} ${e.protocol}${e.port ? '/' + e.port : ''}`
          : `← ${describePeer(e.from)} ${e.protocol}${e.port ? '/' + e.port : ''}`;
      const r = isDenied ? [] : netRisks(e, self);
      const list = byWorkload.get(key) ?? [];
      list.push({
        text,
        count: ev.connections || ev.records,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        denied: isDenied,
        risks: r,
      });
      byWorkload.set(key, list);
      if (r.length) risks.push({ principal: key, permission: text, reasons: r });
    }
  }
  for (const w of profile.workloads ?? []) {
    const key = `${w.namespace}/${w.name}`;
    const perms = (byWorkload.get(key) ?? []).sort((a, b) => cmp(a.text, b.text));
    sections.push({
      kind: 'workload',
      name: key,
      subjectKind: w.kind,
      permissions: perms,
      links: w.serviceAccount ? [`runs as system:serviceaccount:${w.namespace}:${w.serviceAccount}`] : [],
      events: perms.reduce((n, x) => n + x.count, 0),
      widenings: widened.get(key) ?? [],
    });
    if (w.source === 'inventory' && !perms.length) {
      if (w.kind === 'CronJob' && w.pods === 0)
        coverage.push(`CronJob ${key} never ran during the window: its needs are not in the logs`);
      else if (!w.hostNetwork) coverage.push(`workload ${key} had no observed traffic`);
    }
  }

  // Coverage.
  if (days < 7)
    coverage.unshift(`the soak covers ${days.toFixed(1)} days, less than a week: weekly jobs may be missing`);
  for (const s of sections)
    if (s.kind !== 'workload' && s.events > 0 && s.events < 10)
      coverage.push(`${s.name} made only ${s.events} requests: its profile may be incomplete`);
  if (once) coverage.push(`${once} accesses were seen only once`);
  if (denied)
    coverage.push(
      `${denied} accesses were denied in the logs: needed but not granted (check whether the application depends on them)`,
    );
  if (opts.learning?.length) coverage.push(...opts.learning.map((l) => l.trim()));

  const dropped: ReportModel['dropped'] = Object.entries(profile.skipped).map(([reason, count]) => ({
    reason,
    count,
    detail: SKIP_REASONS[reason] ?? '',
  }));
  for (const [ev, n] of [...unmapped].sort((a, b) => cmp(a[0], b[0])))
    dropped.push({
      reason: 'unmapped CloudTrail event',
      count: n,
      detail: `${ev}: no IAM action in the catalogue, so not granted`,
    });
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
      unusedShare: opts.check.unusedShare,
    };
  }
  return model;
}

const SKIP_REASONS: Record<string, string> = {
  'system-identity': 'control-plane identities (--include-system keeps them)',
  'subject-kind': 'subjects of kinds not asked for (--subject-kind)',
  'subject-filter': 'left out by --subject / --exclude-subject',
  'namespace-filter': 'outside --namespace',
  'outside-window': 'outside --since / --until',
  'aws-service': 'AWS services acting on their own (no identity policy to write)',
  'no-permission': 'calls that need no IAM permission (sts:GetCallerIdentity, console sign-in)',
  federation: 'web-identity and SAML callers (their trust policies, not identity policies)',
  'unknown-identity': 'CloudTrail records of unknown identity types',
  reply: 'the answering side of connections (counted from the side that opened them)',
  'no-data': 'VPC flow log lines without data',
  'unsupported-protocol': 'flows of protocols a NetworkPolicy cannot name',
  'cloudtrail-digest': 'CloudTrail digest files (log integrity records, no events)',
  'cloudtrail-insight': 'CloudTrail Insights events (summaries of unusual activity, not API calls)',
};
