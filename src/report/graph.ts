import { cmp } from '../model/issue.js';
import type { Profile } from '../model/profile.js';
import { parseArn } from '../knowledge/aws/arn.js';
import { isAwsKind } from '../model/subject.js';
import type { GraphEdge, GraphNode, ReportModel } from './model.js';

/** Past this many workloads, a namespace's workloads collapse into one node. */
export const COLLAPSE_WORKLOADS = 12;

export function buildGraph(profile: Profile, risks: ReportModel['risks']): ReportModel['graph'] {
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
  // IAM identities of more than one account: each label names its account (two accounts' role/app are two roles).
  const accounts = new Set<string>();
  for (const p of profile.principals) {
    if (isAwsKind(p.subject.kind) && p.aws?.length) accounts.add(parseArn(p.username)?.account ?? '');
    for (const l of p.assumes ?? []) accounts.add(parseArn(l.roleArn)?.account ?? '');
  }
  const iamLabel = (arn: string) => identityLabel(arn, accounts.size > 1);
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
        label: iamLabel(l.roleArn),
        column: 2,
        group: 'aws',
        risky: risky.has(l.roleArn),
      });
      addEdge({ from: `sa:${p.username}`, to: `role:${l.roleArn}`, label: l.via, kind: 'assumes' });
    }
    if (isAwsKind(p.subject.kind) && p.aws?.length) {
      addNode({
        id: `role:${p.username}`,
        label: iamLabel(p.username),
        column: 2,
        group: 'aws',
        risky: risky.has(p.username),
      });
      for (const e of p.aws) {
        if (!e.allowed) continue;
        const service = e.eventSource.replace(/\.amazonaws\.com$/, '');
        const target =
          e.resources.find((r) => {
            const a = parseArn(r);
            return a?.service === 's3' && !a.region && !a.resource.includes('/');
          }) ??
          e.resources.find((r) => parseArn(r)?.service !== 'iam' && !r.includes(':alias/')) ??
          '';
        const label = target ? shortArn(target) : service;
        // The node is the resource (its region and account beside the label), so that two never merge.
        const at = target ? parseArn(target) : undefined;
        const id = `res:${JSON.stringify([at?.partition ?? '', at?.region ?? '', at?.account ?? '', label])}`;
        addNode({ id, label, column: 3, group: service, risky: false });
        addEdge({ from: `role:${p.username}`, to: id, label: e.eventName, kind: 'calls' });
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
  const a = parseArn(arn);
  if (!a) return arn;
  const rest = a.resource.replace(/^(table|key|repository|function|secret|parameter|stream|log-group|cluster)[/:]/, '');
  const name = rest.split('/')[0]!;
  // A Secrets Manager secret's ARN ends in `-` and six random characters AWS adds: the secret is its name.
  const secret = a.service === 'secretsmanager' && a.resource.startsWith('secret:');
  return `${a.service} ${secret ? name.replace(/-[A-Za-z0-9]{6}$/, '') : name}`;
}

/**
 * An IAM identity ARN as the graph labels it: `role/apps/shop-cart` for a role, the rest after the account; with the
 * account first (`444455556666:role/app`) when the graph holds identities of more than one account.
 */
function identityLabel(arn: string, withAccount: boolean): string {
  const a = parseArn(arn);
  if (a?.service !== 'iam') return arn;
  return withAccount ? `${a.account}:${a.resource}` : a.resource;
}
