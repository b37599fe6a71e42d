import type { Finding } from '../model/finding.js';
import type { Profile } from '../model/profile.js';
import { describePeer } from '../model/network.js';

/**
 * Why a held-out access the policy would deny is new, against what training saw of the same subject:
 * a new principal, namespace, resource, verb or name (Kubernetes); a new action or resource (AWS); a
 * new peer or port (network).
 */
export function newnessReason(f: Finding, train: Profile): string {
  switch (f.kind) {
    case 'rbac': {
      const p = train.principals.find((x) => x.username === f.subject && x.subject.kind === f.subjectKind);
      if (!p) return 'a new principal: not seen in training';
      const a = f.access;
      const seen = p.k8s.filter((e) => e.allowed || e.undecided);
      if (a.nonResourceURL)
        return seen.some((e) => e.nonResourceURL === a.nonResourceURL)
          ? `a new verb on ${a.nonResourceURL}`
          : `a new URL ${a.nonResourceURL}`;
      const sameNs = seen.filter((e) => e.namespace === a.namespace);
      if (sameNs.length === 0) return a.namespace ? `a new namespace ${a.namespace}` : 'a new cluster-wide access';
      const sameRes = sameNs.filter(
        (e) => e.apiGroup === a.apiGroup && e.resource === a.resource && e.subresource === a.subresource,
      );
      const res = `${a.resource}${a.subresource ? '/' + a.subresource : ''}`;
      if (sameRes.length === 0) return `a new resource ${res}`;
      if (!sameRes.some((e) => e.verb === a.verb)) return `a new verb ${a.verb} on ${res}`;
      return `a new name ${a.name || '(none)'} of ${res} (seen: ${[...new Set(sameRes.filter((e) => e.verb === a.verb).map((e) => e.name || '(none)'))].slice(0, 3).join(', ')})`;
    }
    case 'iam': {
      const p = train.principals.find((x) => x.username === f.subject);
      if (!p) return 'a new principal: not seen in training';
      const events = new Set((p.aws ?? []).filter((e) => e.allowed).map((e) => `${e.eventSource} ${e.eventName}`));
      if (!f.access.events.some((e) => events.has(e)))
        return `a new call ${f.access.events.join(', ')} (action ${f.access.action})`;
      return `a new resource ${f.access.resource} for ${f.access.action}`;
    }
    case 'netpol': {
      const a = f.access;
      const edges = (train.network ?? []).filter((e) => e.allowed && describePeer(e.from) === a.from);
      if (edges.length === 0) return `a new source ${a.from}: it made no connection in training`;
      const peer = edges.filter((e) => describePeer(e.to) === a.to);
      if (peer.length === 0) return `a new peer ${a.to}`;
      return `a new port ${a.protocol}/${a.port} to ${a.to} (seen: ${[...new Set(peer.map((e) => `${e.protocol}/${e.port}`))].join(', ')})`;
    }
  }
}
