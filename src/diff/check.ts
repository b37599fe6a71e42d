import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KINDS } from '../kinds/index.js';
import type { workloadsOfInventory } from '../inventory/workloads.js';
import type { Profile } from '../model/profile.js';
import type { PolicyDoc } from '../policy/load.js';
import { emptyReport } from '../verify/rbac.js';
import type { Kind, PolicySide } from './grants.js';
import { universeOf } from './netGrants.js';
import { checkPolicies, type CiReport } from './index.js';

/** The text of every policy file, for file:line locations of findings. */
export async function texts(docs: PolicyDoc[], cwd: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const f of new Set(docs.map((d) => d.file))) m.set(f, await readFile(resolve(cwd, f), 'utf8').catch(() => ''));
  return m;
}

/** /32 and /128 ipBlocks of the policies: the external peers they name. */
function policyAddresses(docs: PolicyDoc[]): string[] {
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    for (const key of ['cidr', 'toCIDR', 'fromCIDR']) {
      for (const c of ([] as unknown[]).concat(o[key] ?? []))
        if (typeof c === 'string' && /\/(32|128)$/.test(c)) out.push(c.replace(/\/\d+$/, ''));
    }
    Object.values(o).forEach(visit);
  };
  for (const d of docs) visit(d.object);
  return out;
}

export function universeFor(
  profile: Profile | undefined,
  inventoryWorkloads: ReturnType<typeof workloadsOfInventory>,
  namespaces: { name: string; labels: Record<string, string> }[],
  sides: PolicyDoc[][],
) {
  const workloads = profile?.workloads?.length ? profile.workloads : inventoryWorkloads;
  const addresses = [
    ...(profile?.network ?? []).flatMap((e) => [e.from, e.to]).flatMap((p) => (p.kind === 'workload' ? [] : [p.ip])),
    ...sides.flatMap(policyAddresses),
  ];
  return universeOf(workloads, addresses, profile?.namespaces ?? namespaces, profile?.dnsNames ?? [], sides);
}

/** `check` on a profile: each kind's evaluator on the observed accesses, then the unused grants. */
export async function runCheck(
  profile: Profile,
  docs: PolicyDoc[],
  side: PolicySide,
  kinds: Kind[],
  universe: ReturnType<typeof universeOf>,
  cwd: string,
): Promise<{ report: CiReport; observed: number }> {
  const report = emptyReport(profile);
  if (!kinds.includes('rbac')) report.skipped = {};
  for (const k of kinds) {
    // The side already holds the RBAC and IAM sets built from these documents.
    const policies =
      k === 'rbac'
        ? { set: side.rbac, issues: [], count: side.rbac.counts.roles + side.rbac.counts.clusterRoles, label: '' }
        : k === 'iam'
          ? { set: side.iam, issues: [], count: side.iam.count, label: '' }
          : KINDS[k].readPolicies(docs);
    // RBAC is judged whatever the profile holds (an empty replay still lists its unused grants).
    if (k === 'rbac' || KINDS[k].hasEvidence(profile) || policies.count > 0)
      await KINDS[k].verify(profile, policies, report);
  }
  const r = await checkPolicies(side, report, { kinds, universe, profile, texts: await texts(docs, cwd) });
  return { report: r, observed: report.observed };
}
