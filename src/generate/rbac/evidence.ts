import { API_VERSION, grantEvidence, type K8sEdge, type Principal } from '../../model/profile.js';
import type { RuleWithEvidence } from './rules.js';
import { CHECK_NOTES, impliedEntry } from './checks.js';
import { own } from '../../util/own.js';

/**
 * The evidence document beside each policy file: for every rule, the observed requests behind it
 * (count, first and last seen, sample audit IDs) and any widening; plus denied requests, which were
 * seen but never granted.
 */
export function evidenceDoc(
  p: Principal,
  namespace: string,
  policies: { kind: string; name: string; rules: RuleWithEvidence[] }[],
  denied: K8sEdge[],
  edgeCount: number,
  shared?: SharedBinding,
): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    apiVersion: API_VERSION,
    kind: 'Evidence',
    subject: p.username,
    subjectKind: p.subject.kind,
    namespace: namespace === '' ? '(cluster-wide)' : namespace,
    observedAccesses: edgeCount,
    policies: policies.map((pol) => ({
      kind: pol.kind,
      name: pol.name,
      rules: pol.rules.map((r) => {
        const entry: Record<string, unknown> = { rule: { ...r.rule } };
        if (r.widenedBy.length) entry['widenedBy'] = r.widenings.map((w) => `${w.option}: ${w.detail}`);
        entry['because'] = r.observed.map(observedEntry);
        return entry;
      }),
    })),
  };
  // With --widen-namespaces, part of this namespace's access comes from the shared ClusterRole.
  if (shared)
    doc['alsoBound'] = { clusterRole: shared.clusterRole, widenedBy: 'widen-namespaces', evidence: shared.evidence };
  doc['denied'] = denied.map((e) => ({ ...access(e), ...stats(e.denied!), ...implied(e) }));
  return doc;
}

/** A ClusterRole bound in this namespace by --widen-namespaces, and where its evidence is. */
export interface SharedBinding {
  clusterRole: string;
  evidence: string;
}

function access(e: K8sEdge): Record<string, string> {
  const a: Record<string, string> = { verb: e.verb };
  if (e.nonResourceURL) a['nonResourceURL'] = e.nonResourceURL;
  else {
    a['resource'] = e.subresource ? `${e.resource}/${e.subresource}` : e.resource;
    if (e.apiGroup) a['apiGroup'] = e.apiGroup;
    if (e.namespace) a['namespace'] = e.namespace;
    if (e.name) a['name'] = e.name;
  }
  return a;
}

/** One observed access behind a rule (one per access: written field by field, no spread of objects). */
function observedEntry(e: K8sEdge): Record<string, unknown> {
  const ev = grantEvidence(e)!;
  const out: Record<string, unknown> = access(e);
  out['count'] = ev.count;
  out['firstSeen'] = ev.firstSeen;
  out['lastSeen'] = ev.lastSeen;
  out['samples'] = ev.samples.map((s) => s.id);
  if (!e.allowed)
    out['note'] = 'only RequestReceived records: the decision was not logged, the request is taken as authorized';
  if (e.implied) {
    out['check'] = own(CHECK_NOTES, e.verb) ?? 'checked beyond a request';
    out['impliedBy'] = e.implied.map(impliedEntry);
  }
  return out;
}

/** For a check the API server made beyond a request: why, and the requests behind it. */
function implied(e: K8sEdge): Record<string, unknown> {
  if (!e.implied) return {};
  return { check: own(CHECK_NOTES, e.verb) ?? 'checked beyond a request', impliedBy: e.implied.map(impliedEntry) };
}

function stats(ev: NonNullable<K8sEdge['allowed']>): Record<string, unknown> {
  return { count: ev.count, firstSeen: ev.firstSeen, lastSeen: ev.lastSeen, samples: ev.samples.map((s) => s.id) };
}
