import { grantEvidence, type Principal, type Profile } from '../model/profile.js';
import type { Scope, SkipReason } from './scope.js';
import { InputError } from '../model/issue.js';

/**
 * Apply a scope to an existing profile (generate/verify --profile): the same subject and namespace
 * rules that apply to records while profiling. What falls out is counted, in requests, by reason.
 */
export function filterProfile(profile: Profile, scope: Scope): Profile {
  if (scope.since !== '' || scope.until !== '' || scope.hasRelativeTime) {
    throw new InputError(
      '--since/--until select records while reading logs; a profile is already aggregated (profile the logs with the window instead)',
    );
  }
  const skipped: Record<string, number> = { ...profile.skipped };
  const add = (r: SkipReason, n: number) => {
    if (n > 0) skipped[r] = (skipped[r] ?? 0) + n;
  };
  const principals: Principal[] = [];
  for (const p of profile.principals) {
    const reason = scope.subjectSkip(p.subject.kind, p.username);
    if (reason) {
      for (const e of p.k8s) add(reason, requests(e));
      for (const e of p.aws ?? []) add(reason, (e.allowed?.count ?? 0) + (e.denied?.count ?? 0));
      for (const l of p.assumes ?? []) add(reason, l.evidence.count);
      continue;
    }
    const k8s = p.k8s.filter((e) => {
      const r = scope.namespaceSkip(e.namespace);
      if (r) add(r, requests(e));
      return !r;
    });
    // --namespace selects Kubernetes requests and service-account links; AWS calls have no namespace and stay.
    const nsSkip = p.subject.kind === 'ServiceAccount' ? scope.namespaceSkip(p.subject.namespace ?? '') : undefined;
    const assumes = nsSkip ? [] : (p.assumes ?? []);
    if (nsSkip) for (const l of p.assumes ?? []) add(nsSkip, l.evidence.count);
    const out: Principal = { ...p, k8s };
    delete out.assumes;
    if (assumes.length) out.assumes = assumes;
    const created = (p.created ?? []).filter((c) => !scope.namespaceSkip(c.namespace));
    delete out.created;
    if (created.length) out.created = created;
    if (k8s.length > 0 || (out.aws?.length ?? 0) > 0 || assumes.length > 0) principals.push(out);
  }
  let network = profile.network;
  if (network && scope.options.namespaces.length) {
    network = network.filter((e) => {
      const keep = [e.from, e.to].some((p) => p.kind === 'workload' && !scope.namespaceSkip(p.namespace));
      if (!keep) add('namespace-filter', (e.allowed?.records ?? 0) + (e.denied?.records ?? 0));
      return keep;
    });
  }
  const keys = Object.keys(skipped).sort();
  return {
    ...profile,
    skipped: Object.fromEntries(keys.map((k) => [k, skipped[k]!])),
    principals,
    ...(network ? { network } : {}),
  };
}

function requests(e: Principal['k8s'][number]): number {
  return (grantEvidence(e)?.count ?? 0) + (e.denied?.count ?? 0);
}
