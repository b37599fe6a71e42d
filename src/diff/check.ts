import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KINDS, type KindName } from '../kinds/index.js';
import type { CiReport } from '../model/finding.js';
import type { Profile } from '../model/profile.js';
import type { PolicyDoc } from '../policy/load.js';
import { emptyReport } from '../verify/rbac.js';
import { checkPolicies, type CompareOptions, type PolicySide } from './index.js';

/** The text of every policy file, for file:line locations of findings. */
export async function texts(docs: PolicyDoc[], cwd: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const f of new Set(docs.map((d) => d.file))) m.set(f, await readFile(resolve(cwd, f), 'utf8').catch(() => ''));
  return m;
}

/** `check` on a profile: each kind's evaluator on the observed accesses, then the unused grants. */
export async function runCheck(
  profile: Profile,
  side: PolicySide,
  kinds: KindName[],
  opts: { cwd: string; inventory?: CompareOptions['inventory'] },
): Promise<{ report: CiReport; observed: number }> {
  const report = emptyReport(profile);
  if (!kinds.includes('rbac')) report.skipped = {};
  for (const k of kinds) {
    const policies = side.policies.get(k)!;
    // RBAC is judged whatever the profile holds (an empty replay still lists its unused grants).
    if (k === 'rbac' || KINDS[k].hasEvidence(profile) || policies.count > 0)
      await KINDS[k].verify(profile, policies, report);
  }
  const r = await checkPolicies(side, report, {
    kinds,
    profile,
    texts: await texts(side.docs, opts.cwd),
    ...(opts.inventory ? { inventory: opts.inventory } : {}),
  });
  return { report: r, observed: report.observed };
}
