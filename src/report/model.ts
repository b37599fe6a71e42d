import { callPermissions } from '../generate/iam/permissions.js';
import { policyName } from '../model/layout.js';
import { describeAccess, resourcePath } from '../model/access.js';
import { cmp } from '../model/issue.js';
import { describePeer, type NetEdge } from '../model/network.js';
import { grantEvidence, isGrantable, type Profile } from '../model/profile.js';
import { isAwsKind } from '../model/subject.js';
import type { CiReport } from '../diff/index.js';
import type { KindWidening } from '../kinds/types.js';
import { isPrivateAddress } from '../knowledge/network/cidr.js';

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

// ---- the documented list of risky permissions (docs/report.md) -------------------------------

const WORKLOAD_RESOURCES = new Set([
  'pods',
  'deployments',
  'daemonsets',
  'statefulsets',
  'replicasets',
  'jobs',
  'cronjobs',
  'replicationcontrollers',
]);

export function k8sRisks(a: {
  verb: string;
  resource: string;
  subresource: string;
  apiGroup: string;
  nonResourceURL: string;
}): string[] {
  const out: string[] = [];
  const res = resourcePath(a);
  if (a.resource === 'secrets' && !a.subresource)
    out.push(['get', 'list', 'watch'].includes(a.verb) ? 'reads secrets' : 'writes secrets');
  if (['pods/exec', 'pods/attach', 'pods/portforward'].includes(res)) out.push(`${res}: a shell or a tunnel into pods`);
  if (a.verb === 'create' && WORKLOAD_RESOURCES.has(a.resource) && !a.subresource)
    out.push(`creates ${a.resource}: can run any image as any service account of the namespace`);
  if (['escalate', 'bind', 'impersonate'].includes(a.verb)) out.push(`${a.verb}: privilege escalation`);
  if (res === 'serviceaccounts/token') out.push('mints service account tokens');
  if (res === 'nodes/proxy') out.push('nodes/proxy: the kubelet API');
  if ([a.verb, a.resource, a.apiGroup].includes('*') || a.nonResourceURL === '*') out.push('a wildcard');
  return out;
}

const IAM_WRITE = /^(iam|sts):(?!(Get|List|Generate|Simulate|Decode))/;

export function awsRisks(
  action: string,
  resource: string,
  principalAccount: string,
  bucketsOfPrincipal: number,
): string[] {
  const out: string[] = [];
  if (action === 'iam:PassRole') out.push('iam:PassRole: hands a role to a service');
  else if (action === 'sts:AssumeRole') {
    const acct = /^arn:aws[\w-]*:iam::(\d+):/.exec(resource)?.[1];
    if (acct && acct !== principalAccount) out.push(`cross-account sts:AssumeRole into ${acct}`);
    else out.push('sts:AssumeRole');
  } else if (IAM_WRITE.test(action)) out.push(`${action}: an IAM or STS write`);
  if (action === 'kms:Decrypt') out.push('kms:Decrypt');
  if (action === 'secretsmanager:GetSecretValue') out.push('reads secrets (Secrets Manager)');
  if (action.startsWith('s3:') && bucketsOfPrincipal > 3) out.push(`S3 on ${bucketsOfPrincipal} buckets`);
  if (resource === '*' || action.includes('*')) out.push('a wildcard');
  return out;
}

const isPrivate = isPrivateAddress;

export function netRisks(e: NetEdge, self: 'from' | 'to'): string[] {
  const peer = self === 'from' ? e.to : e.from;
  const out: string[] = [];
  if (peer.kind === 'ip' && self === 'from' && !isPrivate(peer.ip)) out.push('egress to the internet');
  if (peer.kind === 'ip' && self === 'to') out.push('ingress from outside the cluster');
  if (peer.kind === 'node') out.push('a node or host-network peer');
  return out;
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
          const b = /^arn:aws[\w-]*:s3:::([^/]+)/.exec(r);
          if (b && perm.action.startsWith('s3:')) buckets.add(b[1]!);
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

// ---- the graph --------------------------------------------------------------------------------

/** Past this many workloads, a namespace's workloads collapse into one node. */
export const COLLAPSE_WORKLOADS = 12;

function buildGraph(profile: Profile, risks: ReportModel['risks']): ReportModel['graph'] {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const risky = new Set(risks.map((r) => r.principal));
  const collapsed: string[] = [];
  const workloads = profile.workloads ?? [];
  const perNs = new Map<string, number>();
  for (const w of workloads) perNs.set(w.namespace, (perNs.get(w.namespace) ?? 0) + 1);
  const collapse = (ns: string) => workloads.length > 40 && (perNs.get(ns) ?? 0) > COLLAPSE_WORKLOADS;
  for (const [ns, n] of perNs) if (collapse(ns)) collapsed.push(`${ns}: ${n} workloads shown as one node`);
  const wid = (ns: string, name: string) => (collapse(ns) ? `ns:${ns}` : `w:${ns}/${name}`);
  const addNode = (n: GraphNode) => {
    const prev = nodes.get(n.id);
    if (!prev) nodes.set(n.id, n);
    else if (n.risky) prev.risky = true;
  };
  const addEdge = (e: GraphEdge) => {
    const k = `${e.from}>${e.to}>${e.kind}`;
    const prev = edges.get(k);
    if (!prev) edges.set(k, e);
    else if (prev.label !== e.label && !prev.label.includes(e.label))
      prev.label =
        prev.label.split(', ').length < 3
          ? `${prev.label}, ${e.label}`
          : prev.label.endsWith('…')
            ? prev.label
            : `${prev.label}, …`;
  };
  for (const w of workloads) {
    const id = wid(w.namespace, w.name);
    addNode({
      id,
      label: collapse(w.namespace) ? `${w.namespace} (${perNs.get(w.namespace)} workloads)` : `${w.name}`,
      column: 0,
      group: w.namespace,
      risky: risky.has(`${w.namespace}/${w.name}`),
    });
    if (w.serviceAccount) {
      const sa = `system:serviceaccount:${w.namespace}:${w.serviceAccount}`;
      if (profile.principals.some((p) => p.username === sa)) {
        addNode({
          id: `sa:${sa}`,
          label: `${w.namespace}/${w.serviceAccount}`,
          column: 1,
          group: w.namespace,
          risky: risky.has(sa),
        });
        addEdge({ from: id, to: `sa:${sa}`, label: 'runs as', kind: 'runs-as' });
      }
    }
  }
  for (const p of profile.principals) {
    if (p.subject.kind === 'ServiceAccount' && (p.k8s.length || p.assumes?.length)) {
      addNode({
        id: `sa:${p.username}`,
        label: `${p.subject.namespace}/${p.subject.name}`,
        column: 1,
        group: p.subject.namespace ?? '',
        risky: risky.has(p.username),
      });
    }
    for (const l of p.assumes ?? []) {
      addNode({
        id: `role:${l.roleArn}`,
        label: l.roleArn.replace(/^arn:aws[\w-]*:iam::\d+:role\//, 'role/'),
        column: 2,
        group: 'aws',
        risky: risky.has(l.roleArn),
      });
      addEdge({ from: `sa:${p.username}`, to: `role:${l.roleArn}`, label: l.via, kind: 'assumes' });
    }
    if (isAwsKind(p.subject.kind) && p.aws?.length) {
      addNode({
        id: `role:${p.username}`,
        label: p.username.replace(/^arn:aws[\w-]*:iam::\d+:(role\/)?/, (m, r) => (r ? 'role/' : '')),
        column: 2,
        group: 'aws',
        risky: risky.has(p.username),
      });
      for (const e of p.aws) {
        if (!e.allowed) continue;
        const service = e.eventSource.replace(/\.amazonaws\.com$/, '');
        const target =
          e.resources.find((r) => /^arn:aws[\w-]*:s3:::[^/]+$/.test(r)) ??
          e.resources.find((r) => !/^arn:aws[\w-]*:iam:/.test(r) && !r.includes(':alias/')) ??
          '';
        const label = target ? shortArn(target) : service;
        addNode({ id: `res:${label}`, label, column: 3, group: service, risky: false });
        addEdge({ from: `role:${p.username}`, to: `res:${label}`, label: e.eventName, kind: 'calls' });
      }
    }
  }
  for (const e of profile.network ?? []) {
    if (!e.allowed || e.from.kind !== 'workload' || e.to.kind !== 'workload') continue;
    addEdge({
      from: wid(e.from.namespace, e.from.name),
      to: wid(e.to.namespace, e.to.name),
      label: `${e.protocol}/${e.port}`,
      kind: 'network',
    });
  }
  const sortedNodes = [...nodes.values()].sort(
    (a, b) => a.column - b.column || cmp(a.group, b.group) || cmp(a.label, b.label),
  );
  const sortedEdges = [...edges.values()]
    .filter((e) => nodes.has(e.from) && nodes.has(e.to) && e.from !== e.to)
    .sort((a, b) => cmp(`${a.kind}${a.from}${a.to}`, `${b.kind}${b.from}${b.to}`));
  return { nodes: sortedNodes, edges: sortedEdges, collapsed: collapsed.sort(cmp) };
}

/**
 * `arn:aws:s3:::acme-staging-carts` → `s3 acme-staging-carts`; `arn:aws:sqs:eu-west-1:111122223333:cart-events` → `sqs
 * cart-events`.
 */
function shortArn(arn: string): string {
  const m = /^arn:aws[\w-]*:([\w-]+):[\w-]*:\d*:(.*)$/.exec(arn);
  if (!m) return arn;
  const rest = m[2]!.replace(/^(table|key|repository|function|secret|parameter|stream|log-group|cluster)[/:]/, '');
  return `${m[1]} ${rest.split('/')[0]!.replace(/-[A-Za-z0-9]{6}$/, '')}`;
}
