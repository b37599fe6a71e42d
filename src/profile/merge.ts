import { accessKey } from '../model/access.js';
import { mergeEvidence, maxTime, minTime, type Evidence } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import { PROFILE_API_VERSION, type K8sEdge, type Principal, type Profile } from '../model/profile.js';
import { subjectKey } from '../model/subject.js';
import { sortRecord, sortSources } from './builder.js';

function mergeOpt(a: Evidence | undefined, b: Evidence | undefined): Evidence | undefined {
  if (!a) return b;
  if (!b) return a;
  return mergeEvidence(a, b);
}

function mergeEdge(a: K8sEdge, b: K8sEdge): K8sEdge {
  const { allowed: _a, denied: _d, undecided: _u, ...access } = a;
  const out: K8sEdge = { ...access };
  const allowed = mergeOpt(a.allowed, b.allowed);
  const denied = mergeOpt(a.denied, b.denied);
  const undecided = mergeOpt(a.undecided, b.undecided);
  if (allowed) out.allowed = allowed;
  if (denied) out.denied = denied;
  if (undecided) out.undecided = undecided;
  return out;
}

function mergePrincipal(a: Principal, b: Principal): Principal {
  const edges = new Map<string, K8sEdge>();
  for (const e of [...a.k8s, ...b.k8s]) {
    const k = accessKey(e);
    const prev = edges.get(k);
    edges.set(k, prev ? mergeEdge(prev, e) : e);
  }
  return {
    subject: a.subject,
    username: a.username,
    groups: [...new Set([...a.groups, ...b.groups])].sort(cmp),
    k8s: [...edges.keys()].sort(cmp).map((k) => edges.get(k)!),
  };
}

/**
 * Combine profiles of different days or shards. Associative and commutative: the result does not
 * depend on the order or grouping of the inputs, byte for byte.
 */
export function mergeProfiles(profiles: Profile[]): Profile {
  const principals = new Map<string, Principal>();
  const skipped: Record<string, number> = {};
  let start = '';
  let end = '';
  const sources = [];
  for (const p of profiles) {
    start = minTime(start, p.window.start);
    end = maxTime(end, p.window.end);
    sources.push(...p.sources);
    for (const [k, n] of Object.entries(p.skipped)) skipped[k] = (skipped[k] ?? 0) + n;
    for (const pr of p.principals) {
      const k = subjectKey(pr.subject);
      const prev = principals.get(k);
      principals.set(k, prev ? mergePrincipal(prev, pr) : pr);
    }
  }
  return {
    apiVersion: PROFILE_API_VERSION,
    kind: 'Profile',
    window: { start, end },
    sources: sortSources(sources),
    skipped: sortRecord(skipped),
    principals: [...principals.keys()].sort(cmp).map((k) => principals.get(k)!),
  };
}
