import { providerIssuer } from '../../generate/iam/trust.js';
import { callPermissions } from '../../generate/iam/permissions.js';
import { generateIam } from '../../generate/iam/index.js';
import { attachWords } from '../../generate/iam/attach.js';
import { parseArn } from '../../knowledge/aws/arn.js';
import { COGNITO_IDENTITY } from '../../knowledge/aws/names.js';
import { riskWords, type Risk } from '../../model/finding.js';
import { cmp } from '../../model/issue.js';
import { addSample, maxTime, minTime, type Evidence, type Sample } from '../../model/evidence.js';
import type { AwsCall, LeftOutIdentity, Profile } from '../../model/profile.js';
import { awsIdentityKey, isAwsKind } from '../../model/subject.js';
import { riskRow, sparseWarning, type Permission, type ReportContext, type ReportPart } from '../../report/types.js';
import { roleAssumptions } from '../../model/roleAssumption.js';
import { pushAll } from '../../util/array.js';
import { actionFacts, awsRiskList } from './risks.js';
import { originWords } from './origins.js';

/**
 * The report's AWS principals: the permissions their calls needed as the generated policy grants them
 * (the generator's resource decisions included), risky ones flagged; unmapped calls are dropped inputs.
 */
export async function iamReport(profile: Profile, ctx: ReportContext): Promise<ReportPart> {
  const part: ReportPart = { sections: [], risks: [], coverage: [], sparse: [], dropped: [], denied: 0, once: 0 };
  const unmapped = new Map<string, number>();
  // IAM roles and users that became a role with sts:AssumeRole (role chaining, a user switching into it), by role.
  const callers = new Map<string, string[]>();
  for (const x of profile.principals)
    for (const a of roleAssumptions(x)) {
      const k = awsIdentityKey(a.roleArn);
      callers.set(k, [...(callers.get(k) ?? []), `assumed by ${x.username} (sts:AssumeRole, ${a.evidence.count}×)`]);
    }
  for (const a of profile.serviceAssumptions ?? []) {
    const k = awsIdentityKey(a.roleArn);
    callers.set(k, [...(callers.get(k) ?? []), `assumed by ${a.service} (AWS service, ${a.evidence.count}×)`]);
  }
  // A Cognito pool's identities are one per user or guest: said as the pool, with how many.
  const pools = new Map<string, { identities: Set<string>; count: number }>();
  for (const a of profile.webIdentityAssumptions ?? []) {
    const k = awsIdentityKey(a.roleArn);
    if (a.provider === COGNITO_IDENTITY && a.audience !== undefined) {
      const pk = JSON.stringify([k, a.audience]);
      const p = pools.get(pk) ?? { identities: new Set<string>(), count: 0 };
      p.identities.add(a.subject);
      p.count += a.evidence.count;
      pools.set(pk, p);
      continue;
    }
    const by = `assumed by ${a.subject} (web identity of ${providerIssuer(a.provider)}, ${a.evidence.count}×)`;
    callers.set(k, [...(callers.get(k) ?? []), by]);
  }
  for (const [pk, p] of pools) {
    const [k, pool] = JSON.parse(pk) as [string, string];
    const n = p.identities.size;
    const by = `assumed by ${n} identit${n === 1 ? 'y' : 'ies'} of Cognito identity pool ${pool} (${p.count}×)`;
    callers.set(k, [...(callers.get(k) ?? []), by]);
  }
  for (const a of profile.samlAssumptions ?? []) {
    const k = awsIdentityKey(a.roleArn);
    const idp = a.provider.slice(a.provider.indexOf(':saml-provider/') + 1);
    callers.set(k, [...(callers.get(k) ?? []), `assumed by ${a.subject} (SAML user of ${idp}, ${a.evidence.count}×)`]);
  }
  for (const p of profile.principals.filter((x) => isAwsKind(x.subject.kind))) {
    const perms: Permission[] = [];
    const account = parseArn(p.username)?.account ?? '';
    const buckets = new Set<string>();
    const rows: {
      action: string;
      resource: string;
      ev: NonNullable<typeof p.aws>[number]['allowed'];
      denied: boolean;
      /** Tag on create: the create whose tags it is for. */
      on?: string;
      /** iam:PassRole granted to this service only (`iam:PassedToService`). */
      to?: string;
    }[] = [];
    // Denied calls as the permission IAM refused (the action as IAM spells it, on what the call named), by text.
    const refused = new Map<string, Permission>();
    for (const e of p.aws ?? []) {
      if (e.denied && !e.allowed) {
        part.denied++;
        const text = await deniedWords(e);
        const prev = refused.get(text);
        if (prev) addEvidence(prev, e.denied);
        else refused.set(text, permissionOf(text, e.denied, true, []));
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
        const on = perm.onCreate;
        const to = perm.passedTo;
        for (const r of perm.resources) {
          rows.push({
            action: perm.action,
            resource: r,
            ev: e.allowed,
            denied: false,
            ...(on ? { on } : {}),
            ...(to ? { to } : {}),
          });
          const a = parseArn(r);
          if (a?.service === 's3' && !a.region && perm.action.startsWith('s3:')) buckets.add(a.resource.split('/')[0]!);
        }
      }
    }
    pushAll(
      perms,
      [...refused.values()].sort((a, b) => cmp(a.text, b.text)),
    );
    const merged = new Map<string, Permission>();
    const found = new Map<string, Risk[]>();
    const principal = { passesRole: rows.some((r) => r.action.toLowerCase() === 'iam:passrole') };
    for (const r of rows) {
      const f = await actionFacts(r.action);
      const text = `${r.action} on ${r.resource}${r.on ? ` (tagging what ${r.on} creates)` : r.to ? ` (passed to ${r.to})` : ''}`;
      const prev = merged.get(text);
      const ev = r.ev!;
      if (prev) addEvidence(prev, ev);
      else {
        const risks = awsRiskList(r.action, r.resource, account, buckets.size, f, principal);
        found.set(text, risks);
        merged.set(text, permissionOf(text, ev, false, risks.map(riskWords)));
      }
    }
    for (const perm of [...merged.values()].sort((a, b) => cmp(a.text, b.text))) {
      perms.push(perm);
      const row = riskRow(p.username, perm.text, found.get(perm.text) ?? []);
      if (row) part.risks.push(row);
      if (perm.count === 1) part.once++;
    }
    const key = awsIdentityKey(p.username);
    const assumedBy = profile.principals
      .filter((x) => x.assumes?.some((l) => awsIdentityKey(l.roleArn) === key))
      .map((x) => `assumed by ${x.username}`);
    pushAll(assumedBy, callers.get(key) ?? []);
    const from = originWords(p.aws ?? []);
    if (from) assumedBy.push(from);
    // Federated sessions this user issued: left out (no policy of their own), said where the user is.
    for (const l of profile.leftOut ?? [])
      if (l.reason === 'federated-session' && awsIdentityKey(l.arn) === key)
        assumedBy.push(
          `issued federated-user sessions: ${l.count} call${l.count === 1 ? '' : 's'}, left out (${l.events.join(', ')})`,
        );
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
  // Policies too many to attach, as the default generation packs them.
  if (part.sections.length)
    for (const w of (await generateIam(profile)).oversized) part.coverage.push(`too many policies: ${attachWords(w)}`);
  for (const l of profile.leftOut ?? [])
    part.dropped.push({ reason: `left out: ${l.reason}`, count: l.count, detail: leftOutWords(l) });
  for (const [ev, n] of [...unmapped].sort((a, b) => cmp(a[0], b[0])))
    part.dropped.push({
      reason: 'unmapped CloudTrail event',
      count: n,
      detail: `${ev}: no IAM action in the catalogue, so not granted`,
    });
  return part;
}

/** A row of the report from its first call's evidence; its samples' times are kept beside it for addEvidence. */
function permissionOf(text: string, ev: Evidence, denied: boolean, risks: string[]): Permission {
  const row: Permission = {
    text,
    count: ev.count,
    firstSeen: ev.firstSeen,
    lastSeen: ev.lastSeen,
    samples: ev.samples.map((s) => s.id),
    denied,
    risks,
  };
  sampled.set(row, [...ev.samples]);
  return row;
}

/** The samples of the rows permissionOf made, with their times: so those of calls merged on a row keep their order. */
const sampled = new WeakMap<Permission, Sample[]>();

/**
 * One more call's evidence on a row: counts added, the earliest first and latest last seen, the earliest samples of
 * both (at most SAMPLE_LIMIT, as mergeEvidence keeps them).
 */
function addEvidence(row: Permission, ev: Evidence): void {
  row.count += ev.count;
  row.firstSeen = minTime(row.firstSeen, ev.firstSeen);
  row.lastSeen = maxTime(row.lastSeen, ev.lastSeen);
  const kept = sampled.get(row)!;
  for (const s of ev.samples) addSample(kept, s);
  row.samples = kept.map((s) => s.id);
}

/**
 * A denied call as the permission it needed: `lambda:DeleteFunction on arn:aws:lambda:...:function:thumbnailer`
 * (its own actions, not those implied beside them). A call the catalogue does not map keeps its event name and the
 * resources the record named.
 */
async function deniedWords(e: AwsCall): Promise<string> {
  const needed = await callPermissions(e);
  if (needed.kind === 'actions') {
    const own = needed.permissions.filter((x) => !x.implied);
    const list = own.length ? own : needed.permissions;
    if (list.length) return list.map((x) => `${x.action} on ${x.resources.join(', ')}`).join('; ');
  }
  return `${e.eventSource} ${e.eventName}${e.resources.length ? ` on ${e.resources.join(', ')}` : ''}`;
}

/** A left-out identity in words: who, how many calls, which. */
export function leftOutWords(l: LeftOutIdentity): string {
  const who =
    l.reason === 'root-user'
      ? `the root user ${l.arn}`
      : l.reason === 'service-linked-role'
        ? `the service-linked role ${l.arn} (only its service changes its policies)`
        : /:federated-user\//.test(l.arn)
          ? `the federated user ${l.arn} (the records do not say who issued the session)`
          : `federated-user sessions issued by ${l.arn} (a session may do only what this identity's policies and the session policy both allow)`;
  const events = l.events.slice(0, 5).join(', ') + (l.events.length > 5 ? `, … (${l.events.length} kinds)` : '');
  return `${who}: ${l.count} call${l.count === 1 ? '' : 's'} (${events})`;
}
