import { callPermissions } from '../generate/iam/permissions.js';
import { mergeEvidence, type Evidence } from '../model/evidence.js';
import { mergeFlowEvidence, type FlowEvidence, type Peer } from '../model/network.js';
import { grantEvidence, isGrantable, type Profile } from '../model/profile.js';
import { isAwsKind } from '../model/subject.js';
import type { CiEvidence, Group } from './findings.js';
import { policyName, type IamGrant, type NetGrant, type RbacGrant } from './grants.js';
import { globToRegExp } from '../util/glob.js';

const noEvidence = (): CiEvidence => ({ used: false, count: 0, firstSeen: '', lastSeen: '', samples: [] });

function fromEvidence(ev: Evidence | undefined): CiEvidence {
  return ev
    ? {
        used: true,
        count: ev.count,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        samples: ev.samples.map((s) => s.id),
      }
    : noEvidence();
}

function fromFlow(ev: FlowEvidence | undefined): CiEvidence {
  return ev
    ? {
        used: true,
        count: ev.connections || ev.records,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        samples: ev.samples.map((s) => s.id),
      }
    : noEvidence();
}

const wild = (pattern: string, v: string) => pattern === '*' || pattern === v;

/** Evidence of the profile's accesses that an RBAC group covers. */
export function rbacEvidence(profile: Profile, grp: Group<RbacGrant>): CiEvidence {
  let ev: Evidence | undefined;
  const g = grp.items[0]!;
  const names = new Set(grp.items.map((i) => i.name));
  for (const p of profile.principals) {
    if (p.username !== g.subject && !(g.subjectKind === 'Group' && p.groups.includes(g.subject))) continue;
    for (const e of p.k8s) {
      if (!isGrantable(e)) continue;
      const ok = g.nonResourceURL
        ? e.nonResourceURL !== '' &&
          grp.items.some(
            (i) =>
              i.nonResourceURL === e.nonResourceURL ||
              (i.nonResourceURL.endsWith('*') && e.nonResourceURL.startsWith(i.nonResourceURL.slice(0, -1))),
          ) &&
          wild(g.verb, e.verb)
        : e.nonResourceURL === '' &&
          (g.namespace === '' || g.namespace === e.namespace) &&
          wild(g.apiGroup, e.apiGroup) &&
          wild(g.resource, e.resource) &&
          (g.subresource === e.subresource || g.subresource === '*') &&
          wild(g.verb, e.verb) &&
          (names.has('*') || names.has(e.name));
      if (!ok) continue;
      const x = grantEvidence(e)!;
      ev = ev ? mergeEvidence(ev, x) : x;
    }
  }
  return fromEvidence(ev);
}

const globRe = (pattern: string, flags = '') => globToRegExp(pattern, 's' + flags);

/** Each IAM principal's needed permissions with evidence, by `<account>/<name>`. */
export async function iamUsage(
  profile: Profile,
): Promise<Map<string, { action: string; resource: string; ev: Evidence }[]>> {
  const out = new Map<string, { action: string; resource: string; ev: Evidence }[]>();
  for (const p of profile.principals) {
    if (!isAwsKind(p.subject.kind)) continue;
    const { account, name } = policyName(p.username);
    const list: { action: string; resource: string; ev: Evidence }[] = [];
    for (const e of p.aws ?? []) {
      if (!e.allowed) continue;
      const needed = await callPermissions(e);
      if (needed.kind !== 'actions') continue;
      for (const perm of needed.permissions)
        for (const r of perm.resources) list.push({ action: perm.action, resource: r, ev: e.allowed });
    }
    out.set(`${account}/${name}`, list);
  }
  return out;
}

export function iamEvidence(
  usage: Map<string, { action: string; resource: string; ev: Evidence }[]>,
  grp: Group<IamGrant>,
): CiEvidence {
  let ev: Evidence | undefined;
  const action = globRe(grp.items[0]!.action, 'i');
  const resources = grp.items.map((i) => globRe(i.resource));
  for (const u of usage.get(grp.principal) ?? []) {
    if (!action.test(u.action) || !resources.some((r) => r.test(u.resource))) continue;
    ev = ev ? mergeEvidence(ev, u.ev) : u.ev;
  }
  return fromEvidence(ev);
}

/** Names as the universe gives them: `ns/name` for workloads, the address for nodes and IPs. */
const peerName = (p: Peer) => (p.kind === 'workload' ? `${p.namespace}/${p.name}` : p.ip);

export function netEvidence(profile: Profile, g: NetGrant): CiEvidence {
  let ev: FlowEvidence | undefined;
  for (const e of profile.network ?? []) {
    if (
      !e.allowed ||
      peerName(e.from) !== g.from ||
      peerName(e.to) !== g.to ||
      e.protocol !== g.protocol ||
      e.port !== g.port
    )
      continue;
    ev = ev ? mergeFlowEvidence(ev, e.allowed) : e.allowed;
  }
  return fromFlow(ev);
}

/** Names IAM principals by ARN when the profile knows them. */
export function iamLabeler(profile: Profile | undefined): (p: string) => string {
  const arns = new Map<string, string>();
  for (const pr of profile?.principals ?? []) {
    if (!isAwsKind(pr.subject.kind)) continue;
    const { account, name } = policyName(pr.username);
    arns.set(`${account}/${name}`, pr.username);
  }
  return (p) => arns.get(p) ?? p;
}
