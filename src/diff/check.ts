import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { judgedKinds, observedAny, verifyAll, type KindName } from '../kinds/index.js';
import type { CiReport } from '../model/finding.js';
import { compileGlob } from '../util/glob.js';
import type { Profile } from '../model/profile.js';
import type { PolicyDoc } from '../policy/load.js';
import { checkPolicies, type CompareOptions, type PolicySide } from './index.js';

/** The text of every policy file, for file:line locations of findings (read synchronously, as loadPolicyDocs). */
export async function texts(docs: PolicyDoc[], cwd: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const f of new Set(docs.map((d) => d.file))) {
    let text = '';
    try {
      text = readFileSync(resolve(cwd, f), 'utf8');
    } catch {
      // Gone since it was loaded: its findings are located at its first line.
    }
    m.set(f, text);
  }
  return Promise.resolve(m);
}

/** `check` on a profile: each kind's evaluator on the observed accesses, then the unused grants. */
export async function runCheck(
  profile: Profile,
  side: PolicySide,
  kinds: KindName[],
  opts: {
    cwd: string;
    inventory?: CompareOptions['inventory'];
    plugin?: CompareOptions['plugin'];
    /** false: the cluster removed Kubernetes' default RBAC bindings (`--no-default-grants`). */
    defaultGrants?: false;
  },
): Promise<{ report: CiReport; observed: number; observedAny: boolean }> {
  // A kind is judged only when its policies and its observations are both there: committed IAM
  // policies checked against Kubernetes logs alone are neither denied nor unused, they are not judged.
  const services = opts.inventory?.services;
  const podAddresses = opts.inventory?.podAddresses;
  const nodes = opts.inventory?.nodes;
  const report = await verifyAll(profile, side.policies, kinds, {
    ...(services ? { services } : {}),
    ...(podAddresses ? { podAddresses } : {}),
    ...(nodes ? { nodes } : {}),
    ...(opts.plugin ? { plugin: opts.plugin } : {}),
    ...(opts.defaultGrants === false ? { defaultGrants: false as const } : {}),
  });
  const judged = judgedKinds(report);
  const r = await checkPolicies(side, report, {
    kinds: judged,
    profile,
    cwd: opts.cwd,
    texts: await texts(side.docs, opts.cwd),
    ...(opts.inventory ? { inventory: opts.inventory } : {}),
    ...(opts.plugin ? { plugin: opts.plugin } : {}),
    ...(opts.defaultGrants === false ? { defaultGrants: false as const } : {}),
  });
  if (report.notJudged) r.notJudged = report.notJudged;
  keepChosenSubjects(r, profile);
  // What a kind's evaluator allowed only by the cluster's defaults (RBAC's default ClusterRoles), whatever the kind.
  const byDefaults = Object.values(report.byKind).reduce((n, k) => n + (k.byDefaultGrants ?? 0), 0);
  if (byDefaults) r.byDefaultGrants = byDefaults;
  return { report: r, observed: report.observed, observedAny: observedAny(report) };
}

/**
 * With `--subject`/`--exclude-subject`, only the chosen principals' grants are judged unused: the policies read hold
 * others too (an account's every role, a whole tree), whose calls the filter left out of the logs, so their grants
 * would all read as unused. Findings of the policy side are kept for the principals the filters choose.
 */
function keepChosenSubjects(r: CiReport, profile: Profile): void {
  const f = profile.filters?.length === 1 ? profile.filters[0]! : undefined;
  if (!f?.subjects?.length && !f?.excludeSubjects?.length) return;
  const include = (f.subjects ?? []).map((g) => compileGlob(g));
  const exclude = (f.excludeSubjects ?? []).map((g) => compileGlob(g));
  const chosen = (principal: string) =>
    (include.length === 0 || include.some((g) => g.test(principal))) && !exclude.some((g) => g.test(principal));
  r.unused = r.unused.filter((x) => chosen(x.principal));
  r.undetermined = r.undetermined.filter((x) => chosen(x.principal));
  r.unusedShare = Object.fromEntries(Object.entries(r.unusedShare).filter(([p]) => chosen(p)));
}
