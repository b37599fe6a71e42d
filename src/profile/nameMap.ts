import { anySecretSuffix } from '../knowledge/aws/arn.js';
import { COGNITO_IDENTITY } from '../knowledge/aws/names.js';
import { InputError } from '../model/issue.js';
import type { AwsEdge, K8sEdge, Principal, Profile, RoleLink, RoleSession } from '../model/profile.js';
import { cmp } from '../model/issue.js';
import type { ImpliedPermission } from '../model/observation.js';
import { principalId } from '../model/subject.js';
import { compareTuples, tupleKey } from '../util/key.js';
import { sortImplied } from './edges.js';
import { mergeProfiles } from './merge.js';
import { awsEdgeNameProblem, principalNameProblem, tailNameProblem } from './names.js';

/**
 * `--map FROM=TO`: the staging soak's AWS names as production's. A policy made from staging names staging's account,
 * region and resources (`arn:aws:s3:::shop-staging-uploads/*` in account 111122223333); production's roles need
 * production's. The map rewrites the observations before anything is made of them, so every generator writes, and
 * every evaluator replays, production's names: `generate` and `verify` given the same map agree, as without one.
 *
 * What it rewrites: every ARN the profile holds (AWS principals', resources, implied permissions' resources, the ids
 * a principal created (`createdArns`), the roles of IRSA links and of per-session usernames, a Kubernetes username
 * that is an ARN, an impersonated one too, left-out identities), the account and region of each AWS call, and the
 * DNS names flows saw. A Secrets Manager secret's ARN it rewrites loses its random suffix (`secret:db-Xk9P2q` →
 * `secret:db-??????`): production's secret of the name has another. Nothing else: Kubernetes namespaces, names and
 * workloads, and addresses, stay as seen. Each FROM is literal text, replaced wherever it occurs, all pairs in one
 * pass (the longest FROM first where two start at one place), so `a=b` and `b=a` swap.
 * Principals that become one (two staging accounts mapped to one) are merged, as `merge` would, and counted.
 */
export class NameMap {
  private readonly pairs: { from: string; to: string }[];
  /** Strings the map changed, counted once per distinct string. */
  readonly changed = new Set<string>();
  private readonly memo = new Map<string, string>();
  /** Each FROM's distinct strings changed. */
  private readonly hits = new Map<string, number>();
  /** Strings `text` was asked for and changed, each time (a principal whose names it changed is checked). */
  rewrites = 0;

  private readonly given: string[];

  constructor(specs: readonly string[]) {
    const seen = new Set<string>();
    this.pairs = specs.map((spec) => {
      const eq = spec.indexOf('=');
      if (eq <= 0)
        throw new InputError(
          `--map: expected FROM=TO (111122223333=444455556666, acme-staging=acme-prod), got "${spec}"`,
        );
      const from = spec.slice(0, eq);
      const to = spec.slice(eq + 1);
      // A map writes names, never patterns: a wildcard or a policy variable in TO would widen the policy.
      if (/[*?$]/.test(to)) throw new InputError(`--map: "${spec}": TO may not hold * ? or $ (it would be a pattern)`);
      if (seen.has(from)) throw new InputError(`--map: "${from}" is mapped twice`);
      seen.add(from);
      return { from, to };
    });
    this.given = this.pairs.map((p) => p.from);
    this.pairs.sort((a, b) => b.from.length - a.from.length || cmp(a.from, b.from));
  }

  get empty(): boolean {
    return this.pairs.length === 0;
  }

  /** The pairs as given, for the summary: `FROM=TO`. */
  describe(): string[] {
    return this.given.map((f) => `${f}=${this.pairs.find((p) => p.from === f)!.to}`);
  }

  /** The FROMs that matched nothing so far, in the order given. */
  unused(): string[] {
    return this.given.filter((f) => !this.hits.has(f));
  }

  /** `s` with every FROM replaced by its TO, in one pass. */
  text(s: string): string {
    const known = this.memo.get(s);
    if (known !== undefined) {
      if (known !== s) this.rewrites++;
      return known;
    }
    let out = '';
    let i = 0;
    while (i < s.length) {
      const p = this.pairs.find((q) => s.startsWith(q.from, i));
      if (p) {
        if (!this.memo.has(s)) this.hits.set(p.from, (this.hits.get(p.from) ?? 0) + 1);
        out += p.to;
        i += p.from.length;
      } else out += s[i++];
    }
    if (out !== s) {
      this.rewrites++;
      this.changed.add(s);
      // An ARN must stay one: a map that takes its `arn:` away is a mistake to say, not a name to write.
      if (s.startsWith('arn:') && !/^arn:[^:]+:[^:]*:/.test(out))
        throw new InputError(`--map makes the ARN ${s} into "${out}", which is no ARN`);
    }
    this.memo.set(s, out);
    return out;
  }

  /**
   * A call's account or region, mapped as it stands in an ARN (`:eu-west-1:`), so a pair written with the colons to
   * keep it to that field of ARNs (not an IAM path holding the region) maps it too.
   */
  private field(v: string): string {
    if (v === '') return v;
    const out = this.text(`:${v}:`);
    if (!out.startsWith(':') || !out.endsWith(':') || out.length < 3)
      throw new InputError(`--map makes the account or region "${v}" into "${out.slice(1, -1)}"`);
    return out.slice(1, -1);
  }

  /**
   * An ARN mapped; anything else (a Kubernetes name) as it is. A secret's ARN the map changed ends in `-??????`: its
   * six random characters were staging's secret's, and production's secret of that name has its own.
   */
  arn(s: string): string {
    if (!s.startsWith('arn:')) return s;
    const out = this.text(s);
    return out === s ? out : anySecretSuffix(out);
  }

  private call(e: AwsEdge): AwsEdge {
    const out: AwsEdge = {
      ...e,
      resources: [...new Set(e.resources.map((r) => this.arn(r)))].sort(cmp),
      implied: sortedImplied(e.implied.map((i) => ({ ...i, resource: this.arn(i.resource) }))),
    };
    if (e.region !== undefined) out.region = this.field(e.region);
    if (e.account !== undefined) out.account = this.field(e.account);
    return out;
  }

  /** An impersonate check with the identity it names, and the users its requests were made as, mapped. */
  private impersonation(e: K8sEdge): K8sEdge {
    if (e.verb !== 'impersonate') return e;
    const out: K8sEdge = { ...e, name: this.arn(e.name) };
    if (e.implied)
      out.implied = sortImplied(e.implied.map((i) => (i.as === undefined ? i : { ...i, as: this.arn(i.as) })));
    return out;
  }

  principal(p: Principal): Principal {
    const out: Principal = {
      ...p,
      subject: { ...p.subject, name: this.arn(p.subject.name) },
      username: this.arn(p.username),
    };
    // An impersonation names the user (its extras, as `userextras/arn`) the request was made as: a username too.
    if (p.k8s.some((e) => e.verb === 'impersonate')) out.k8s = p.k8s.map((e) => this.impersonation(e));
    if (p.aws) out.aws = p.aws.map((e) => this.call(e));
    // What it created, as the calls that later name it do: else none of the mapped ARNs is its own (widen.ts).
    if (p.createdArns) out.createdArns = [...new Set(p.createdArns.map((r) => this.arn(r)))].sort(cmp);
    if (p.assumes)
      out.assumes = p.assumes.map((l): RoleLink => ({
        ...l,
        roleArn: this.arn(l.roleArn),
        ...(l.providers ? { providers: [...new Set(l.providers.map((x) => this.arn(x)))].sort(cmp) } : {}),
        ...(l.clusters ? { clusters: [...new Set(l.clusters.map((x) => this.arn(x)))].sort(cmp) } : {}),
      }));
    if (p.roleSessions)
      out.roleSessions = p.roleSessions.map((s): RoleSession => ({
        ...s,
        role: this.arn(s.role),
        template: this.arn(s.template),
      }));
    return out;
  }
}

/** Implied permissions in a call's order (action, resource, via), each once: the map may make two one. */
function sortedImplied(list: ImpliedPermission[]): ImpliedPermission[] {
  const once = new Map(list.map((i) => [tupleKey(i.action, i.resource, i.via), i]));
  const order = (i: ImpliedPermission) => [i.action, i.resource, i.via];
  return [...once.values()].sort((a, b) => compareTuples(order(a), order(b)));
}

/**
 * The profile with the map applied, then made canonical again as `merge` makes it: what the map made equal (two
 * principals, two calls) is one, with its evidence summed, and everything is in the profile's order again.
 * `joined` counts the principals that became one with another.
 */
export function mapProfile(profile: Profile, map: NameMap): { profile: Profile; joined: number } {
  if (map.empty) return { profile, joined: 0 };
  // The principals (and left-out identities) whose names the map changed: their names are checked again.
  const touched = new Set<string>();
  const principals = profile.principals.map((p) => {
    const before = map.rewrites;
    const out = map.principal(p);
    if (map.rewrites !== before) touched.add(principalId(out.subject));
    return out;
  });
  const before = map.rewrites;
  const mapped: Profile = {
    ...profile,
    principals,
    ...(profile.leftOut ? { leftOut: profile.leftOut.map((l) => ({ ...l, arn: map.arn(l.arn) })) } : {}),
    ...(profile.serviceAssumptions
      ? { serviceAssumptions: profile.serviceAssumptions.map((a) => ({ ...a, roleArn: map.arn(a.roleArn) })) }
      : {}),
    // A web identity's provider ARN names the account it lives in; the token's subject is the issuer's, kept. A
    // Cognito token's audience is its identity pool (`eu-west-1:UUID`), the environment's as a bucket is: mapped.
    ...(profile.webIdentityAssumptions
      ? {
          webIdentityAssumptions: profile.webIdentityAssumptions.map((a) => ({
            ...a,
            roleArn: map.arn(a.roleArn),
            provider: map.arn(a.provider),
            ...(a.audience !== undefined && a.provider === COGNITO_IDENTITY ? { audience: map.text(a.audience) } : {}),
          })),
        }
      : {}),
    // A SAML provider's ARN names its account too; the assertion's subject is the IdP's, kept.
    ...(profile.samlAssumptions
      ? {
          samlAssumptions: profile.samlAssumptions.map((a) => ({
            ...a,
            roleArn: map.arn(a.roleArn),
            provider: map.arn(a.provider),
          })),
        }
      : {}),
    // The DNS names flows saw (a bucket's `acme-staging-uploads.s3.eu-west-1.amazonaws.com`): what a Cilium
    // toFQDNs rule names, so they are production's too. The addresses stay: no map can tell production's.
    ...(profile.dnsNames
      ? { dnsNames: profile.dnsNames.map((n) => ({ ...n, names: n.names.map((x) => map.text(x)) })) }
      : {}),
  };
  const merged = mergeProfiles([mapped]);
  const problem = mappedNameProblem(merged, touched, map.rewrites !== before);
  if (problem) throw new InputError(`--map makes a name no log could hold: ${problem}`);
  return { profile: merged, joined: profile.principals.length - merged.principals.length };
}

/**
 * The first name the map made that a profile file could not hold (profile/names.ts: the decoders' rules). A TO is
 * text, so it may break what it lands in where `*`, `?` and `$` alone are refused: an account that is no longer 12
 * digits (no IAM policy is written for its roles), a control character, a `${` made of a `$` seen and a TO's `{`.
 */
function mappedNameProblem(p: Profile, touched: ReadonlySet<string>, tail: boolean): string | undefined {
  for (const pr of p.principals) {
    if (!touched.has(principalId(pr.subject))) continue;
    const problem =
      principalNameProblem(pr, 'principal') ??
      (pr.aws ?? []).map((e, j) => awsEdgeNameProblem(e, `principal.aws[${j}]`)).find(Boolean);
    if (problem) return problem;
  }
  return tail
    ? tailNameProblem({
        leftOut: p.leftOut,
        dnsNames: p.dnsNames,
        serviceAssumptions: p.serviceAssumptions,
        webIdentityAssumptions: p.webIdentityAssumptions,
        samlAssumptions: p.samlAssumptions,
      })
    : undefined;
}
