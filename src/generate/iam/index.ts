import { mergeEvidence, type Evidence } from '../../model/evidence.js';
import { cmp } from '../../model/issue.js';
import { API_VERSION, type LeftOutIdentity, type Principal, type Profile } from '../../model/profile.js';
import { awsIdentityKey, iamIdentity, iamKindOf, type IamIdentity } from '../../model/subject.js';
import { callPermissions } from './permissions.js';
import { ATTACHED_POLICIES, splitPolicy, type PolicyDocument, type Statement } from './policy.js';
import { attachWarning, type AttachWarning } from './attach.js';
import { tupleKey, tupleKeyOf } from '../../util/key.js';
import { fold, generalizeKeys, widenMany, widenS3Prefixes } from './widen.js';
import {
  IAM_INDEX_KIND,
  iamEvidencePath,
  iamIndexPath,
  iamPolicyDir,
  iamPolicyPaths,
  policyStem,
  type IamIndex,
} from '../../model/layout.js';
import { caseDistinct } from '../../util/paths.js';
import { pushAll } from '../../util/array.js';

/** Widening options of `generate iam`; all off by default. */
export interface IamOptions {
  /** More than N object keys under one prefix of a bucket → `bucket/prefix/*`. */
  s3PrefixWildcard?: number;
  /** More than N ARNs for one action → the narrowest wildcard covering them. */
  widenResources?: number;
  /** Keep every object key and log stream as seen, even those with dates and run ids in them. */
  exact?: boolean;
}

/** A statement broader than what was observed, and why. */
export interface IamWidening {
  principal: string;
  action: string;
  /**
   * The option that asked for it; `undetermined-resource` when the event did not name the resource (the grant keeps
   * what is known: partition, region, account); `no-resource-type` for a grant on `*` where nothing narrower exists.
   */
  option: 's3-prefix-wildcard' | 'widen-resources' | 'undetermined-resource' | 'generated-keys' | 'no-resource-type';
  detail: string;
}

/** Observed calls that map to no IAM action in the catalogue: reported with their count, never guessed. */
export interface UnmappedCall {
  principal: string;
  eventSource: string;
  eventName: string;
  reason: string;
  count: number;
}

export interface IamArtefact {
  principal: string;
  /**
   * `iam/<account>/role/<name>.json` (a user's under `user/`), then `<name>.2.json`... when split over the
   * managed-policy size limit (model/layout.ts).
   */
  policies: { path: string; document: PolicyDocument }[];
  evidencePath: string;
  evidence: Record<string, unknown>;
}

export interface IamResult {
  artefacts: IamArtefact[];
  widenings: IamWidening[];
  unmapped: UnmappedCall[];
  /** Calls the logs show as denied: listed, never granted. */
  denied: { principal: string; eventSource: string; eventName: string; count: number }[];
  /** Service account → role chains (from IRSA and Pod Identity links). */
  chains: { serviceAccount: string; via: string; roleArn: string; count: number }[];
  /** Per account, `iam/<account>/index.json`: which principal each policy file is for. */
  indexes: { path: string; document: IamIndex }[];
  /** Identities no identity policy attaches to, with their calls (the profile's `leftOut`): no file. */
  leftOut: LeftOutIdentity[];
  /** Records whose identity type takes a policy but that carry no identity ARN (the profile's `no-identity`). */
  noIdentity: number;
  /** Principals needing more managed policies than AWS attaches to one role or user, with a fix where one exists. */
  oversized: AttachWarning[];
}

export interface Grant {
  ev: Evidence;
  events: Set<string>;
  implied: Set<string>;
  widened?: string;
}

const emptyResult = (profile: Profile): IamResult => ({
  artefacts: [],
  widenings: [],
  unmapped: [],
  denied: [],
  chains: [],
  indexes: [],
  leftOut: profile.leftOut ?? [],
  noIdentity: profile.skipped['no-identity'] ?? 0,
  oversized: [],
});

/** Least-privilege identity policies for every AWS principal of the profile. Deterministic. */
export async function generateIam(profile: Profile, opts: IamOptions = {}): Promise<IamResult> {
  const result = emptyResult(profile);
  // Links name the role as the AssumeRole* request did: matched to the role by account and name, not by path.
  const assumedBy = new Map<string, { serviceAccount: string; via: string; evidence: Evidence }[]>();
  for (const p of profile.principals) {
    for (const l of p.assumes ?? []) {
      const sa = `${p.subject.namespace ?? ''}/${p.subject.name}`;
      const list = assumedBy.get(awsIdentityKey(l.roleArn)) ?? [];
      list.push({ serviceAccount: sa, via: l.via, evidence: l.evidence });
      assumedBy.set(awsIdentityKey(l.roleArn), list);
      result.chains.push({ serviceAccount: sa, via: l.via, roleArn: l.roleArn, count: l.evidence.count });
    }
  }
  const made: { p: Principal; id: IamIdentity; art: { statements: Statement[]; evidence: Record<string, unknown> } }[] =
    [];
  for (const p of profile.principals) {
    // Only roles and users take identity policies; the profile lists the others in leftOut.
    const kind = iamKindOf(p.subject.kind);
    const id = kind && p.aws?.length ? iamIdentity(p.username) : undefined;
    if (!id || id.kind !== kind) continue;
    const art = await principalPolicy(p, opts, result, assumedBy.get(awsIdentityKey(p.username)) ?? []);
    if (art) made.push({ p, id, art });
  }
  // File stems per directory: from the name alone, told apart where a case-insensitive file system would merge them.
  const stems = new Map<string, Map<string, string>>();
  for (const dir of new Set(made.map((m) => iamPolicyDir(m.id.account, m.id.kind))))
    stems.set(
      dir,
      caseDistinct(made.filter((m) => iamPolicyDir(m.id.account, m.id.kind) === dir).map((m) => policyStem(m.id.name))),
    );
  const indexes = new Map<string, IamIndex>();
  for (const { p, id, art } of made) {
    const stem = stems.get(iamPolicyDir(id.account, id.kind))!.get(policyStem(id.name))!;
    const docs = splitPolicy(art.statements);
    const paths = iamPolicyPaths(id.account, id.kind, stem, docs.length);
    const policies = docs.map((document, i) => ({ path: paths[i]!, document }));
    art.evidence['policyFiles'] = paths;
    if (docs.length > ATTACHED_POLICIES) {
      // Too many to attach: what other options would give, from generations of this principal alone (not kept).
      const trial = async (o: IamOptions) => {
        const t = await principalPolicy(p, o, emptyResult(profile), []);
        return t ? splitPolicy(t.statements).length : 0;
      };
      const perms = art.evidence['permissions'] as { action: string; resource: string }[];
      const w = await attachWarning(p.username, docs.length, perms, opts, trial);
      result.oversized.push(w);
      const { principal: _, ...rest } = w;
      art.evidence['attachment'] = rest;
    }
    result.artefacts.push({
      principal: p.username,
      policies,
      evidencePath: iamEvidencePath(id.account, id.kind, stem),
      evidence: art.evidence,
    });
    let index = indexes.get(id.account);
    if (!index)
      indexes.set(
        id.account,
        (index = { apiVersion: API_VERSION, kind: IAM_INDEX_KIND, account: id.account, principals: [] }),
      );
    const prefix = `iam/${id.account}/`;
    index.principals.push({
      arn: p.username,
      kind: id.kind,
      name: id.name,
      path: id.path,
      policies: paths.map((x) => x.slice(prefix.length)),
    });
  }
  for (const [account, document] of [...indexes].sort((a, b) => cmp(a[0], b[0]))) {
    document.principals.sort((a, b) => cmp(a.kind, b.kind) || cmp(a.name, b.name) || cmp(a.arn, b.arn));
    result.indexes.push({ path: iamIndexPath(account), document });
  }
  result.chains.sort(
    (a, b) => cmp(a.serviceAccount, b.serviceAccount) || cmp(a.roleArn, b.roleArn) || cmp(a.via, b.via),
  );
  return result;
}

async function principalPolicy(
  p: Principal,
  opts: IamOptions,
  result: IamResult,
  links: { serviceAccount: string; via: string; evidence: Evidence }[],
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
      const why = perm.widened ?? perm.star;
      for (const r of perm.resources) {
        const g = byRes.get(r);
        if (!g)
          byRes.set(r, {
            ev: e.allowed,
            events: new Set([event]),
            implied: new Set(perm.implied ? [perm.implied] : []),
            ...(why ? { widened: why } : {}),
          });
        else {
          g.ev = mergeEvidence(g.ev, e.allowed);
          g.events.add(event);
          if (perm.implied) g.implied.add(perm.implied);
          if (why && !g.widened) g.widened = why;
        }
      }
      if (why)
        widenings.push({
          principal: p.username,
          action: perm.action,
          option: perm.star ? 'no-resource-type' : 'undetermined-resource',
          detail: why,
        });
    }
  }
  const createdStreams = new Set(
    (p.aws ?? [])
      .filter((e) => e.allowed && e.eventName === 'CreateLogStream')
      .flatMap((e) => e.resources.filter((r) => r.includes(':log-stream:'))),
  );
  for (const [action, byRes] of grants) {
    if (!opts.exact) generalizeKeys(p.username, action, byRes, createdStreams, widenings);
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

  // Statements: actions grouped by identical resource sets.
  const bySet = new Map<string, { resources: string[]; actions: string[] }>();
  for (const action of [...grants.keys()].sort(cmp)) {
    const resources = [...grants.get(action)!.keys()].sort(cmp);
    const key = tupleKeyOf(resources);
    const s = bySet.get(key) ?? { resources, actions: [] };
    s.actions.push(action);
    bySet.set(key, s);
  }
  const groups = [...bySet.values()].sort(
    (a, b) => cmp(a.actions[0]!, b.actions[0]!) || cmp(a.resources.join(','), b.resources.join(',')),
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
        serviceAccount: l.serviceAccount,
        via: l.via,
        count: l.evidence.count,
        firstSeen: l.evidence.firstSeen,
        lastSeen: l.evidence.lastSeen,
        samples: l.evidence.samples.map((s) => s.id),
      }))
      .sort((a, b) => cmp(a.serviceAccount, b.serviceAccount) || cmp(a.via, b.via)),
    permissions,
    widenings: result.widenings.filter((w) => w.principal === p.username).map(({ principal: _, ...w }) => w),
    denied: denied.map(({ principal: _, ...d }) => d),
    unmapped: [...unmapped.values()].map(({ principal: _, ...u }) => u),
  };
  return { statements, evidence };
}

function pascal(service: string): string {
  return service
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}
