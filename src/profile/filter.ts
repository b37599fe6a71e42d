import { grantEvidence, type Principal, type Profile } from '../model/profile.js';
import type { NetEdge } from '../model/network.js';
import type { Scope, SkipReason } from './scope.js';
import { InputError } from '../model/issue.js';
import type { ProfileStream } from './read.js';

/**
 * Apply a scope to an existing profile (generate/verify --profile): the same subject and namespace
 * rules that apply to records while profiling. What falls out is counted, in requests, by reason.
 */
export function filterProfile(profile: Profile, scope: Scope): Profile {
  const f = new ProfileFilter(profile.skipped, scope);
  const principals: Principal[] = [];
  for (const p of profile.principals) {
    const kept = f.principal(p);
    if (kept) principals.push(kept);
  }
  const network = f.network(profile.network);
  return { ...profile, skipped: f.skipped(), principals, ...(network ? { network } : {}) };
}

/**
 * `filterProfile` on a profile being read: the principals filtered as they come, the network part at the end. The
 * header's `skipped` counts grow as principals are left out: complete once the principals are read.
 */
export function filterStream(s: ProfileStream, scope: Scope): ProfileStream {
  const f = new ProfileFilter(s.head.skipped, scope);
  const head = { ...s.head, skipped: f.skipped() };
  return {
    head,
    principals: (async function* () {
      for await (const p of s.principals) {
        const kept = f.principal(p);
        if (kept) yield kept;
      }
    })(),
    tail: () => {
      const t = s.tail();
      const network = f.network(t.network);
      head.skipped = f.skipped();
      return { ...t, ...(network ? { network } : {}) };
    },
  };
}

/** A scope a profile can be filtered by: not a time window (a profile is already aggregated). */
export function checkProfileScope(scope: Scope): void {
  if (scope.since !== '' || scope.until !== '' || scope.hasRelativeTime) {
    throw new InputError(
      '--since/--until select records while reading logs; a profile is already aggregated (profile the logs with the window instead)',
    );
  }
}

class ProfileFilter {
  private readonly counts: Record<string, number>;

  constructor(
    skipped: Record<string, number>,
    private readonly scope: Scope,
  ) {
    checkProfileScope(scope);
    this.counts = { ...skipped };
  }

  private add(r: SkipReason, n: number): void {
    if (n > 0) this.counts[r] = (this.counts[r] ?? 0) + n;
  }

  /** The skipped counts so far, by reason in key order. */
  skipped(): Record<string, number> {
    const keys = Object.keys(this.counts).sort();
    return Object.fromEntries(keys.map((k) => [k, this.counts[k]!]));
  }

  /** A principal as the scope leaves it, or undefined when nothing of it is left. */
  principal(p: Principal): Principal | undefined {
    const scope = this.scope;
    const reason = scope.subjectSkip(p.subject.kind, p.username);
    if (reason) {
      for (const e of p.k8s) this.add(reason, requests(e));
      for (const e of p.aws ?? []) this.add(reason, (e.allowed?.count ?? 0) + (e.denied?.count ?? 0));
      // A role the globs select keeps its trust: the links to it of a service account they leave out (scope.ts).
      const nsOut = scope.namespaceSkip(p.subject.namespace ?? '');
      const links = (p.assumes ?? []).filter((l) => !nsOut && scope.keepsLink(p.username, l.roleArn));
      for (const l of p.assumes ?? []) if (!links.includes(l)) this.add(nsOut ?? reason, l.evidence.count);
      return links.length
        ? { subject: p.subject, username: p.username, groups: [], k8s: [], assumes: links }
        : undefined;
    }
    const k8s = p.k8s.filter((e) => {
      const r = scope.namespaceSkip(e.namespace);
      if (r) this.add(r, requests(e));
      return !r;
    });
    // --namespace selects Kubernetes requests and service-account links; AWS calls have no namespace and stay.
    const nsSkip = p.subject.kind === 'ServiceAccount' ? scope.namespaceSkip(p.subject.namespace ?? '') : undefined;
    const assumes = nsSkip ? [] : (p.assumes ?? []);
    if (nsSkip) for (const l of p.assumes ?? []) this.add(nsSkip, l.evidence.count);
    const out: Principal = { ...p, k8s };
    delete out.assumes;
    if (assumes.length) out.assumes = assumes;
    const created = (p.created ?? []).filter((c) => !scope.namespaceSkip(c.namespace));
    delete out.created;
    if (created.length) out.created = created;
    return k8s.length > 0 || (out.aws?.length ?? 0) > 0 || assumes.length > 0 ? out : undefined;
  }

  /** The network part: with --namespace, flows with a workload end in a selected namespace. */
  network(network: NetEdge[] | undefined): NetEdge[] | undefined {
    if (!network || !this.scope.options.namespaces.length) return network;
    return network.filter((e) => {
      const keep = [e.from, e.to].some((p) => p.kind === 'workload' && !this.scope.namespaceSkip(p.namespace));
      if (!keep) this.add('namespace-filter', (e.allowed?.records ?? 0) + (e.denied?.records ?? 0));
      return keep;
    });
  }
}

function requests(e: Principal['k8s'][number]): number {
  return (grantEvidence(e)?.count ?? 0) + (e.denied?.count ?? 0);
}
