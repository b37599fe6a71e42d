import { callPermissions } from '../../generate/iam/permissions.js';
import { parseArn } from '../../knowledge/aws/arn.js';
import { riskWords } from '../../model/finding.js';
import { cmp } from '../../model/issue.js';
import { policyName } from '../../model/layout.js';
import type { Profile } from '../../model/profile.js';
import { isAwsKind } from '../../model/subject.js';
import { sparseWarning, type Permission, type ReportContext, type ReportPart } from '../../report/types.js';
import { actionFacts, awsRiskList } from './risks.js';

/**
 * The report's AWS principals: the permissions their calls needed as the generated policy grants them
 * (the generator's resource decisions included), risky ones flagged; unmapped calls are dropped inputs.
 */
export async function iamReport(profile: Profile, ctx: ReportContext): Promise<ReportPart> {
  const part: ReportPart = { sections: [], risks: [], coverage: [], sparse: [], dropped: [], denied: 0, once: 0 };
  const unmapped = new Map<string, number>();
  for (const p of profile.principals.filter((x) => isAwsKind(x.subject.kind))) {
    const perms: Permission[] = [];
    const account = policyName(p.username).account;
    const buckets = new Set<string>();
    const rows: {
      action: string;
      resource: string;
      ev: NonNullable<typeof p.aws>[number]['allowed'];
      denied: boolean;
    }[] = [];
    for (const e of p.aws ?? []) {
      if (e.denied && !e.allowed) {
        part.denied++;
        perms.push({
          text: `${e.eventSource} ${e.eventName} (denied)`,
          count: e.denied.count,
          firstSeen: e.denied.firstSeen,
          lastSeen: e.denied.lastSeen,
          denied: true,
          risks: [],
        });
      }
      if (!e.allowed) continue;
      const needed = await callPermissions(e);
      if (needed.kind === 'unmapped') {
        unmapped.set(
          `${e.eventSource} ${e.eventName}`,
          (unmapped.get(`${e.eventSource} ${e.eventName}`) ?? 0) + e.allowed.count,
        );
        continue;
      }
      if (needed.kind !== 'actions') continue;
      for (const perm of needed.permissions) {
        for (const r of perm.resources) {
          rows.push({ action: perm.action, resource: r, ev: e.allowed, denied: false });
          const a = parseArn(r);
          if (a?.service === 's3' && !a.region && perm.action.startsWith('s3:')) buckets.add(a.resource.split('/')[0]!);
        }
      }
    }
    const merged = new Map<string, Permission>();
    for (const r of rows) {
      const f = await actionFacts(r.action);
      const text = `${r.action} on ${r.resource}`;
      const prev = merged.get(text);
      const ev = r.ev!;
      if (prev) {
        prev.count += ev.count;
        prev.firstSeen =
          prev.firstSeen && ev.firstSeen
            ? prev.firstSeen < ev.firstSeen
              ? prev.firstSeen
              : ev.firstSeen
            : prev.firstSeen || ev.firstSeen;
        prev.lastSeen = prev.lastSeen > ev.lastSeen ? prev.lastSeen : ev.lastSeen;
      } else
        merged.set(text, {
          text,
          count: ev.count,
          firstSeen: ev.firstSeen,
          lastSeen: ev.lastSeen,
          denied: false,
          risks: awsRiskList(r.action, r.resource, account, buckets.size, f).map(riskWords),
        });
    }
    for (const perm of [...merged.values()].sort((a, b) => cmp(a.text, b.text))) {
      perms.push(perm);
      if (perm.risks.length) part.risks.push({ principal: p.username, permission: perm.text, reasons: perm.risks });
      if (perm.count === 1) part.once++;
    }
    const assumedBy = profile.principals
      .filter((x) => x.assumes?.some((l) => l.roleArn === p.username))
      .map((x) => `assumed by ${x.username}`);
    const section = {
      kind: 'aws',
      name: p.username,
      subjectKind: p.subject.kind,
      permissions: perms,
      links: assumedBy,
      events: perms.reduce((n, x) => n + x.count, 0),
      widenings: ctx.widened.get(p.username) ?? [],
    };
    part.sections.push(section);
    const thin = sparseWarning(section);
    if (thin) part.sparse.push(thin);
  }
  for (const [ev, n] of [...unmapped].sort((a, b) => cmp(a[0], b[0])))
    part.dropped.push({
      reason: 'unmapped CloudTrail event',
      count: n,
      detail: `${ev}: no IAM action in the catalogue, so not granted`,
    });
  return part;
}
