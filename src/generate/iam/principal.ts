import { mergeEvidence } from '../../model/evidence.js';
import { cmp } from '../../model/issue.js';
import { API_VERSION, type Principal } from '../../model/profile.js';
import { pushAll } from '../../util/array.js';
import { tupleKey, tupleKeyOf } from '../../util/key.js';
import type { Grant, IamOptions, IamResult, IamWidening, UnmappedCall } from './index.js';
import { callPermissions } from './permissions.js';
import { createActionKey } from '../../knowledge/aws/createAction.js';
import { PASSED_TO_KEY } from '../../knowledge/aws/passedTo.js';
import type { Statement } from './policy.js';
import type { TrustLink } from './trust.js';
import { fold, generalizeKeys, ownResources, widenMany, widenS3Prefixes } from './widen.js';

/** The Condition key a grant of `action` may be made under: tag on create's, or the service a role is passed to. */
const grantConditionKey = (action: string): string | undefined =>
  createActionKey(action) ?? (action === 'iam:PassRole' ? PASSED_TO_KEY : undefined);

/**
 * One principal's statements and evidence document from its observed calls (undefined when it is granted nothing),
 * adding what is listed about it (widenings, unmapped and denied calls) to `result`. `links` are the service
 * accounts that assume it, for its evidence; `nodes` the instance ids of the profile's Kubernetes nodes.
 */
export async function principalPolicy(
  p: Principal,
  opts: IamOptions,
  result: Pick<IamResult, 'widenings' | 'unmapped' | 'denied'>,
  links: readonly TrustLink[],
  nodes: ReadonlySet<string> = new Set(),
): Promise<{ statements: Statement[]; evidence: Record<string, unknown> } | undefined> {
  const grants = new Map<string, Map<string, Grant>>();
  const widenings: IamWidening[] = [];
  const unmapped = new Map<string, UnmappedCall>();
  const denied: IamResult['denied'] = [];
  for (const e of p.aws ?? []) {
    const event = `${e.eventSource} ${e.eventName}`;
    if (e.denied)
      denied.push({ principal: p.username, eventSource: e.eventSource, eventName: e.eventName, count: e.denied.count });
    if (!e.allowed) continue;
    const needed = await callPermissions(e);
    if (needed.kind !== 'actions') {
      if (needed.kind === 'unmapped') {
        const u = unmapped.get(event) ?? {
          principal: p.username,
          eventSource: e.eventSource,
          eventName: e.eventName,
          reason: needed.reason,
          count: 0,
        };
        u.count += e.allowed.count;
        unmapped.set(event, u);
      }
      continue;
    }
    for (const perm of needed.permissions) {
      let byRes = grants.get(perm.action);
      if (!byRes) grants.set(perm.action, (byRes = new Map()));
      const why = perm.widened ?? perm.star ?? perm.beyond;
      const keyed = perm.onCreate ?? perm.passedTo;
      for (const r of perm.resources) {
        const g = byRes.get(r);
        if (!g)
          byRes.set(r, {
            ev: e.allowed,
            events: new Set([event]),
            implied: new Set(perm.implied ? [perm.implied] : []),
            ...(why ? { widened: why } : {}),
            ...(keyed ? { keyed: new Set([keyed]) } : { direct: true }),
          });
        else {
          g.ev = mergeEvidence(g.ev, e.allowed);
          g.events.add(event);
          if (perm.implied) g.implied.add(perm.implied);
          if (why && !g.widened) g.widened = why;
          if (keyed) (g.keyed ??= new Set()).add(keyed);
          else g.direct = true;
        }
      }
      if (perm.widened ?? perm.star)
        widenings.push({
          principal: p.username,
          action: perm.action,
          option: perm.star ? 'no-resource-type' : 'undetermined-resource',
          detail: (perm.widened ?? perm.star)!,
        });
      if (perm.beyond)
        widenings.push({ principal: p.username, action: perm.action, option: 'beyond-catalogue', detail: perm.beyond });
    }
  }
  const own = ownResources(
    p,
    [...grants.values()].flatMap((byRes) => [...byRes.keys()]),
    nodes,
  );
  for (const [action, byRes] of grants) {
    if (!opts.exact) generalizeKeys(p.username, action, byRes, own, widenings);
    if (opts.s3PrefixWildcard !== undefined && action.startsWith('s3:'))
      widenS3Prefixes(p.username, action, byRes, opts.s3PrefixWildcard, widenings);
    if (opts.widenResources !== undefined) widenMany(p.username, action, byRes, opts.widenResources, widenings);
    // `*` covers every other resource of the action: fold them in.
    const star = byRes.get('*');
    if (star && byRes.size > 1) {
      for (const [r, g] of byRes) if (r !== '*') fold(star, g);
      for (const r of [...byRes.keys()]) if (r !== '*') byRes.delete(r);
    }
  }
  result.unmapped.push(
    ...[...unmapped.values()].sort((a, b) => cmp(a.eventSource, b.eventSource) || cmp(a.eventName, b.eventName)),
  );
  pushAll(result.denied, denied);
  const seenW = new Set<string>();
  for (const w of widenings) {
    const k = tupleKey(w.action, w.option, w.detail);
    if (seenW.has(k)) continue;
    seenW.add(k);
    result.widenings.push(w);
  }
  if (grants.size === 0) return undefined;

  // Statements: actions grouped by identical resource sets and Condition (tag on create: the creates it is for).
  const bySet = new Map<string, { resources: string[]; actions: string[]; on?: [string, string[]] }>();
  for (const action of [...grants.keys()].sort(cmp)) {
    const byCondition = new Map<string, { resources: string[]; on?: [string, string[]] }>();
    const conditionKey = grantConditionKey(action);
    for (const r of [...grants.get(action)!.keys()].sort(cmp)) {
      const g = grants.get(action)!.get(r)!;
      const on: [string, string[]] | undefined =
        conditionKey && !g.direct && g.keyed?.size ? [conditionKey, [...g.keyed].sort(cmp)] : undefined;
      const k = on ? tupleKeyOf([on[0], ...on[1]]) : '';
      const c = byCondition.get(k) ?? { resources: [], ...(on ? { on } : {}) };
      c.resources.push(r);
      byCondition.set(k, c);
    }
    for (const c of byCondition.values()) {
      const key = tupleKeyOf([...c.resources, '', ...(c.on ? [c.on[0], ...c.on[1]] : [])]);
      const s = bySet.get(key) ?? { resources: c.resources, actions: [], ...(c.on ? { on: c.on } : {}) };
      s.actions.push(action);
      bySet.set(key, s);
    }
  }
  const groups = [...bySet.values()].sort(
    (a, b) =>
      cmp(a.actions[0]!, b.actions[0]!) ||
      cmp(a.resources.join(','), b.resources.join(',')) ||
      cmp(JSON.stringify(a.on ?? []), JSON.stringify(b.on ?? [])),
  );
  const counters = new Map<string, number>();
  const statements: Statement[] = groups.map((g) => {
    const base = [...new Set(g.actions.map((a) => a.split(':')[0]!))].map(pascal).join('');
    const n = (counters.get(base) ?? 0) + 1;
    counters.set(base, n);
    return {
      Sid: `${base}Access${n}`,
      Effect: 'Allow',
      Action: g.actions,
      Resource: g.resources.length === 1 && g.resources[0] === '*' ? '*' : g.resources,
      ...(g.on ? { Condition: { StringEquals: { [g.on[0]]: g.on[1] } } } : {}),
    };
  });

  const permissions = [];
  for (const action of [...grants.keys()].sort(cmp)) {
    const byRes = grants.get(action)!;
    for (const r of [...byRes.keys()].sort(cmp)) {
      const g = byRes.get(r)!;
      const entry: Record<string, unknown> = {
        action,
        resource: r,
        count: g.ev.count,
        firstSeen: g.ev.firstSeen,
        lastSeen: g.ev.lastSeen,
        samples: g.ev.samples.map((s) => s.id),
        events: [...g.events].sort(cmp),
      };
      if (g.implied.size) entry['implied'] = [...g.implied].sort(cmp);
      // Granted under a `<service>:CreateAction` Condition: for the tags of these creates only; under
      // `iam:PassedToService`: for these services only.
      if (g.keyed?.size && !g.direct && grantConditionKey(action))
        entry[action === 'iam:PassRole' ? 'passedTo' : 'onCreate'] = [...g.keyed].sort(cmp);
      if (g.widened) entry['widened'] = g.widened;
      permissions.push(entry);
    }
  }
  const evidence: Record<string, unknown> = {
    apiVersion: API_VERSION,
    kind: 'IamPolicyEvidence',
    principal: p.username,
    principalKind: p.subject.kind,
    policyFiles: [],
    assumedBy: links
      .map((l) => ({
        ...assumedByEntry(l),
        count: l.evidence.count,
        firstSeen: l.evidence.firstSeen,
        lastSeen: l.evidence.lastSeen,
        samples: l.evidence.samples.map((s) => s.id),
      }))
      .sort((a, b) => cmp(who(a), who(b)) || cmp(a.via, b.via)),
    permissions,
    widenings: result.widenings.filter((w) => w.principal === p.username).map(({ principal: _, ...w }) => w),
    denied: denied.map(({ principal: _, ...d }) => d),
    unmapped: [...unmapped.values()].map(({ principal: _, ...u }) => u),
  };
  return { statements, evidence };
}

/** Who assumed the role, and how, as the evidence's `assumedBy` says it. */
function assumedByEntry(l: TrustLink): Record<string, unknown> & { via: string } {
  const audience = 'audience' in l && l.audience !== undefined ? { audience: l.audience } : {};
  switch (l.via) {
    case 'assume-role':
      return {
        principal: l.principal,
        via: l.via,
        actions: l.actions,
        ...(l.externalIds?.length ? { externalIds: l.externalIds } : {}),
      };
    case 'service':
      return { service: l.service, via: l.via, ...(l.actions !== undefined ? { actions: l.actions } : {}) };
    case 'web-identity':
      return {
        webIdentity: l.subject,
        via: l.via,
        provider: l.provider,
        ...audience,
        ...(l.actions !== undefined ? { actions: l.actions } : {}),
      };
    case 'saml':
      return {
        samlUser: l.subject,
        via: l.via,
        provider: l.provider,
        ...(l.subjectType !== undefined ? { subjectType: l.subjectType } : {}),
        ...audience,
        actions: l.actions,
      };
    default:
      return {
        serviceAccount: l.serviceAccount,
        via: l.via,
        ...(l.providers?.length ? { providers: l.providers } : {}),
        ...(l.clusters?.length ? { clusters: l.clusters } : {}),
      };
  }
}

/** The service account, IAM principal, service or federated user of an `assumedBy` entry. */
const who = (x: Record<string, unknown>) =>
  String(x['serviceAccount'] ?? x['principal'] ?? x['service'] ?? x['webIdentity'] ?? x['samlUser'] ?? '');

function pascal(service: string): string {
  return service
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}
