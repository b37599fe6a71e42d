import { cmp } from '../../model/issue.js';
import { describePeer, type Peer } from '../../model/network.js';
import { isPrivateAddress } from '../../knowledge/network/cidr.js';
import type { Profile } from '../../model/profile.js';
import { riskRow, type Permission, type ReportContext, type ReportPart } from '../../report/types.js';
import { netRiskList } from './risks.js';

/** The report's workloads: their connections both ways, risky peers flagged, quiet workloads named. */
export function netpolReport(profile: Profile, ctx: ReportContext): ReportPart {
  const part: ReportPart = { sections: [], risks: [], coverage: [], sparse: [], dropped: [], denied: 0, once: 0 };
  const byWorkload = new Map<string, Permission[]>();
  // An address with the DNS names seen for it (Hubble's answers, Route 53 Resolver query logs): what a reviewer knows.
  const names = new Map((profile.dnsNames ?? []).map((n) => [n.ip, n.names]));
  const peer = (p: Peer) => {
    const known = p.kind === 'ip' ? names.get(p.ip) : undefined;
    return known?.length ? `${describePeer(p)} (${known.join(', ')})` : describePeer(p);
  };
  const unnamed = new Set<string>();
  for (const e of profile.network ?? []) {
    if (
      e.allowed &&
      e.from.kind === 'workload' &&
      e.to.kind === 'ip' &&
      !names.has(e.to.ip) &&
      !isPrivateAddress(e.to.ip)
    )
      unnamed.add(e.to.ip);
    for (const self of ['from', 'to'] as const) {
      const w = e[self];
      if (w.kind !== 'workload') continue;
      const key = `${w.namespace}/${w.name}`;
      const ev = e.allowed ?? e.denied!;
      const isDenied = !e.allowed;
      // One denied connection counts once, on its workload's side: the sender's, or the receiver's when the sender
      // is outside the cluster's workloads (an address, a node).
      if (isDenied && (self === 'from' || e.from.kind !== 'workload')) part.denied++;
      const text =
        self === 'from'
          ? `→ ${peer(e.to)} ${e.protocol}${e.port ? '/' + e.port : ''}`
          : `← ${peer(e.from)} ${e.protocol}${e.port ? '/' + e.port : ''}`;
      const found = isDenied ? [] : netRiskList(self === 'from' ? e.to : e.from, self, e);
      const r = found.map((x) => x.reason);
      const list = byWorkload.get(key) ?? [];
      list.push({
        text,
        count: ev.connections || ev.records,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        // A flow's id (its addresses and ports) names a record with its time: the evidence files' form.
        samples: ev.samples.map((x) => (x.time ? `${x.time} ${x.id}` : x.id)),
        denied: isDenied,
        risks: r,
      });
      byWorkload.set(key, list);
      const row = riskRow(key, text, found);
      if (row) part.risks.push(row);
    }
  }
  for (const w of profile.workloads ?? []) {
    const key = `${w.namespace}/${w.name}`;
    const perms = (byWorkload.get(key) ?? []).sort((a, b) => cmp(a.text, b.text));
    part.sections.push({
      kind: 'workload',
      name: key,
      subjectKind: w.kind,
      permissions: perms,
      links: w.serviceAccount ? [`runs as system:serviceaccount:${w.namespace}:${w.serviceAccount}`] : [],
      events: perms.reduce((n, x) => n + x.count, 0),
      widenings: ctx.widened.get(key) ?? [],
    });
    if (w.source === 'inventory' && !perms.length) {
      if (w.kind === 'CronJob' && w.pods === 0)
        part.coverage.push(`CronJob ${key} never ran during the window: its needs are not in the logs`);
      else if (!w.hostNetwork) part.coverage.push(`workload ${key} had no observed traffic`);
    }
  }
  if (unnamed.size)
    part.coverage.push(
      `${unnamed.size} public address${unnamed.size === 1 ? '' : 'es'} reached with no DNS name seen ` +
        `(${[...unnamed].sort(cmp).join(', ')}): their policies name the address, not the service behind it; ` +
        "Hubble's DNS visibility or Route 53 Resolver query logs would name them",
    );
  return part;
}
