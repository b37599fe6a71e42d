import { netpolKept } from './kept.js';
import { toYamlDocuments } from '../../emit/yaml.js';
import {
  generateNetpol,
  type NetpolOptions,
  type NetpolResult,
  type NetpolWidening,
} from '../../generate/netpol/index.js';
import { PROFILE_API_VERSION } from '../../model/profile.js';
import { NewestClasses } from '../learning.js';
import { excessPairs, readNetworkPolicies, verifyNetpol } from '../../verify/netpol.js';
import { netpolInfo } from './info.js';
import type { PolicyKind, SummaryLine } from '../types.js';
import { compareNetpol, describeNetpol } from './compare.js';
import { netpolNewness } from './newness.js';
import { netpolReport } from './report.js';
import { plural } from '../../util/plural.js';
import { defaultDenyPolicy } from '../../generate/netpol/objects.js';
import { cmp } from '../../model/issue.js';

type NetworkPolicies = ReturnType<typeof readNetworkPolicies>['policies'];

/** NetworkPolicies (or CiliumNetworkPolicies) from flows, replayed with the NetworkPolicy evaluator. */
export const netpol: PolicyKind<NetpolOptions, NetworkPolicies, 'netpol'> = {
  ...netpolInfo,
  evidence: { principal: () => false, rest: (rest) => (rest.network?.length ?? 0) > 0 },
  // Made from the sections after the principals (workloads, flows, names): nothing to do per principal.
  start(options, sink) {
    return {
      survey: () => undefined,
      principal: async () => undefined,
      hasEvidence: (rest) => netpol.evidence.rest(rest),
      finish: async (rest) => {
        const r = generateNetpol(
          { apiVersion: PROFILE_API_VERSION, kind: 'Profile', ...rest, principals: [] },
          options,
        );
        for (const a of r.artefacts) {
          await sink(a.path, toYamlDocuments(a.objects));
          if (a.evidencePath && a.evidence) await sink(a.evidencePath, toYamlDocuments([a.evidence]));
        }
        const objects = r.artefacts.flatMap((a) => a.objects);
        return {
          kind: 'netpol',
          stdout: () => toYamlDocuments(objects),
          classes: NewestClasses.of(
            r.artefacts.flatMap((a) => {
              const ev = a.evidence as
                | {
                    workload?: string;
                    egress?: { peer: string; firstSeen: string }[];
                    ingress?: { peer: string; firstSeen: string }[];
                  }
                | undefined;
              if (!ev?.workload) return [];
              const side = (dir: string, list: { peer: string; firstSeen: string }[] = []) =>
                list.map((x) => ({ subject: ev.workload!, label: `${dir} ${x.peer}`, firstSeen: x.firstSeen }));
              return [...side('egress', ev.egress), ...side('ingress', ev.ingress)];
            }),
          ),
          widenings: r.widenings.map((w) => ({
            kind: 'netpol',
            option: w.option,
            subject: w.workload,
            detail: w.detail,
            text: `${netpolLabel(w.option)}: ${w.detail}`,
          })),
          summary: (output) => netpolSummary(r, output),
        };
      },
    };
  },
  readPolicies(docs) {
    const { policies, issues } = readNetworkPolicies(docs);
    return {
      set: policies,
      issues,
      count: policies.length,
      label: plural(policies.length, 'network policy', String, 'network policies'),
    };
  },
  // Flows are in the sections after the principals.
  replay: (policies, report, facts) => ({
    principal: () => undefined,
    finish: (rest) => verifyNetpol(rest, policies.set, report, facts ?? {}),
  }),
  compare: compareNetpol,
  describe: describeNetpol,
  words: (f) => ({
    full: `${f.access.from} → ${f.access.to} ${f.access.protocol}${f.access.port ? '/' + f.access.port : ''}`,
    brief: `${f.access.from} -> ${f.access.to} ${f.access.protocol}/${f.access.port}`,
  }),
  newness: netpolNewness,
  kept: netpolKept,
  // Pairs of known workloads that never connected in either window (training and held-out merged in `both`), as the
  // negative samples of RBAC and IAM are other principals' accesses in either window: a pair that talked in training
  // only did talk, and its rule is no excess.
  // No NetworkPolicy isolates nothing: the policy allowing nothing is a deny-all in each held-out namespace.
  allowsNothing: (heldOut) => {
    const namespaces = new Set<string>();
    for (const e of heldOut.network ?? [])
      for (const p of [e.from, e.to]) if (p.kind === 'workload') namespaces.add(p.namespace);
    return [...namespaces]
      .sort(cmp)
      .map((ns) => ({ path: `netpol/${ns}/_default-deny.yaml`, text: toYamlDocuments([defaultDenyPolicy(ns)]) }));
  },
  excess: async (both, policies, facts) => {
    const { pairs, open, examples } = excessPairs(both, policies.set, facts ?? {});
    if (!pairs) return undefined;
    return { samples: pairs, allowed: open, ...(examples.length ? { examples } : {}) };
  },
  excessSamples: 'workload pairs that never talked',
  report: async (profile, ctx) => netpolReport(profile, ctx),
};

const uniq = (xs: string[]) => [...new Set(xs)];

function netpolSummary(r: NetpolResult, output: string | undefined): SummaryLine[] {
  const lines: SummaryLine[] = [];
  const say = (text: string, tone: SummaryLine['tone'] = 'plain') => lines.push({ text, tone });
  const policies = r.artefacts.filter((a) => !a.path.endsWith('/_default-deny.yaml')).length;
  const denies = r.artefacts.length - policies;
  const where = output ? ` in ${output}/netpol (evidence in ${output}/evidence/netpol)` : '';
  const np = (n: number, what: string) => plural(n, `${what} policy`, String, `${what} policies`);
  say(`generated ${np(policies, 'network')}${denies ? ` and ${np(denies, 'default-deny')}` : ''}${where}`);
  if (r.staged)
    say(
      "  staged: Calico StagedKubernetesNetworkPolicies (projectcalico.org/v3, served by Calico's API server): nothing is enforced; Calico's flow logs show what each would allow or deny; promote by applying them as NetworkPolicies (regenerate without --staged)",
    );
  for (const s of r.skipped) say(`  no policy for ${s.workload}: ${s.reason}`, 'warn');
  coverageSummary(r, say);
  for (const x of uniq(r.inexpressible.map((i) => `  ${i.workload}: ${i.detail}`))) say(x, 'warn');
  if (r.unnamed.length)
    say(
      `addresses reached with no DNS name seen (${r.unnamed.length}): ${r.unnamed.map((u) => `${u.workload} → ${u.ip}`).join(', ')}; ` +
        "a /32 block follows the address, not the service behind it: DNS answers (Hubble's DNS visibility, or Route 53 Resolver query logs given with --flows) name them",
    );
  const own = uniq(r.ownNode.map((n) => `${n.workload}: ${n.detail}`));
  if (own.length)
    say(
      `allowed without a rule, traffic with a pod's own node (kubelet probes, node agents), which Kubernetes allows whatever the policy: ${own.join('; ')}`,
    );
  const nodes = uniq(r.nodePeers.map((n) => `${n.workload} ${n.direction} ${n.ip}`));
  if (nodes.length) say(`node or host-network peers (allowed by node IP; review): ${nodes.join('; ')}`, 'warn');
  apiServerSummary(r.apiServer, say);
  if (r.denied.length)
    say(
      `dropped flows seen: ${r.denied.reduce((n, d) => n + d.records, 0)} records on ${r.denied.length} paths (in the evidence, never allowed)`,
    );
  if (r.widenings.length === 0) say('widenings: none (every rule allows only what was observed)');
  else {
    say(`widenings: ${r.widenings.length} (rules broader than observed):`, 'warn');
    for (const w of r.widenings) say(`  ${netpolLabel(w.option)} ${w.workload}: ${w.detail}`, 'warn');
  }
  return lines;
}

/**
 * The API server: by its entity (Cilium), or by the addresses the flows saw it at, which a NetworkPolicy cannot do
 * without (it has no name for the API server) and which managed control planes change: said as a warning, each.
 */
function apiServerSummary(a: NetpolResult['apiServer'], say: (text: string, tone?: SummaryLine['tone']) => void): void {
  // Each workload and direction once, with the addresses it saw: `shop/operator egress 10.0.5.10, 10.0.6.20`.
  const by = new Map<string, Set<string>>();
  for (const p of a.peers) {
    const k = `${p.workload} ${p.direction}`;
    by.set(k, (by.get(k) ?? new Set()).add(p.ip));
  }
  const peers = [...by.keys()].sort(cmp).map((k) => `${k} ${[...by.get(k)!].sort(cmp).join(', ')}`);
  if (!peers.length) return;
  if (a.by === 'entity') {
    say(
      `the API server allowed as Cilium's kube-apiserver entity (Cilium 1.11 or later), whatever its address: ${peers.join('; ')}`,
    );
    return;
  }
  say(
    `the API server allowed at the addresses the flows saw it at (a NetworkPolicy cannot name it): ${peers.join('; ')}; ` +
      'managed control planes (EKS, GKE, AKS) change these addresses on upgrades and scaling, and the policy then cuts ' +
      "these workloads off from it: --flavor cilium allows it as Cilium's kube-apiserver entity; else regenerate after " +
      'each change',
    'warn',
  );
}

/**
 * What the policies leave open or could not use: quiet workloads with and without a default deny over them (one is
 * written only for a namespace with generated policies), traffic that reached no workload, and `/32` blocks of
 * addresses in the cluster's ranges that no pod of the inventory has.
 */
function coverageSummary(r: NetpolResult, say: (text: string, tone?: SummaryLine['tone']) => void): void {
  const u = r.unresolved;
  if (u) {
    const share = `${((100 * u.connections) / Math.max(u.of, 1)).toFixed(1)}%`;
    const most = u.connections * 2 > u.of;
    const n = (x: number) => x.toLocaleString('en-US');
    say(
      (most ? 'most of the traffic reached no workload: ' : '') +
        `${n(u.connections)} of ${n(u.of)} connections (${share}; ${n(u.paths)} paths) have no workload at either end, ` +
        'so no policy allows or restricts them' +
        (u.unknownAddressFiles
          ? `; their addresses lie beside the inventory's pods, yet none of its pods has them (flow.unknown-address ` +
            `in ${plural(u.unknownAddressFiles, 'file')}): most likely pods that came and went before the inventory was taken. Give ` +
            'inventories taken during the soak (--inventory takes several), or Hubble flows, which name the pods'
          : ''),
      most || u.unknownAddressFiles ? 'warn' : 'plain',
    );
  }
  const covered = r.quiet.filter((q) => !q.open).map((q) => q.workload);
  if (covered.length)
    say(
      `workloads in the inventory with no observed traffic, all of it denied by their namespace's default deny (${covered.length}): ${covered.join(', ')}`,
    );
  const open = r.quiet.filter((q) => q.open);
  if (open.length) {
    say(
      `workloads in the inventory with no observed traffic and no default deny over them (${open.length}): no policy here restricts them`,
      'warn',
    );
    const why = new Map<string, string[]>();
    for (const q of open) why.set(q.open!, [...(why.get(q.open!) ?? []), q.workload]);
    for (const [reason, ws] of why) say(`  ${ws.join(', ')}: ${reason}`, 'warn');
  }
  const blocks = new Map<string, string[]>();
  for (const b of r.clusterRangeBlocks) blocks.set(b.ip, [...(blocks.get(b.ip) ?? []), b.workload]);
  if (blocks.size)
    say(
      `single-address blocks (/32, /128) of ${blocks.size} addresses in the cluster's ranges that no pod or node of ` +
        'the inventory has: ' +
        [...blocks].map(([ip, ws]) => `${ip} (${ws.length === 1 ? ws[0] : `${ws.length} policies`})`).join(', ') +
        "; were one a pod's, gone before the inventory was taken, the next pod given its address would inherit the " +
        'rule: review them',
      'warn',
    );
}

/**
 * A widening the user asked for by its flag (`--widen-ports`, `--aggregate-cidr`); what the generator does by default
 * by its words (no flag names it: a label that looked like one sent users to an unknown option).
 */
export function netpolLabel(option: NetpolWidening['option']): string {
  switch (option) {
    case 'widen-ports':
    case 'aggregate-cidr':
      return `--${option}`;
    case 'dns':
      return '(cluster DNS)';
    case 'host-network':
      return '(host network; --exact keeps node addresses)';
    case 'node-entities':
      return '(node peers, --flavor cilium)';
    case 'unselectable-peer':
      return '(peer without stable labels)';
    case 'system-namespace':
      return '(no default deny: system namespace)';
    case 'unselectable-namespace':
      return '(no default deny: a workload without a policy)';
  }
}
