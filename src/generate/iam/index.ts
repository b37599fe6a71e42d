import type { Evidence } from '../../model/evidence.js';
import { cmp } from '../../model/issue.js';
import {
  API_VERSION,
  type LeftOutIdentity,
  type Profile,
  type OutsideAssumptions,
  type Principal,
} from '../../model/profile.js';
import {
  awsIdentityKey,
  iamIdentity,
  iamKindOf,
  identityCenterPermissionSet,
  type IamIdentity,
} from '../../model/subject.js';
import { callPermissions } from './permissions.js';
import { principalPolicy } from './principal.js';
import { ATTACHED_POLICIES, splitPolicy, type PolicyDocument } from './policy.js';
import { attachWarning, type AttachWarning } from './attach.js';
import { roleTrust, type TrustDocument, type TrustLink } from './trust.js';
import { roleAssumptions } from '../../model/roleAssumption.js';
import {
  IAM_INDEX_KIND,
  iamEvidencePath,
  iamIndexPath,
  iamPolicyDir,
  iamTrustPath,
  iamPolicyPaths,
  policyStem,
  type IamIndex,
} from '../../model/layout.js';
import { pushAll } from '../../util/array.js';
import { tupleKey } from '../../util/key.js';
import { stemsByDir } from './stems.js';

/** Widening options of `generate iam`; all off by default. */
export interface IamOptions {
  /** More than N object keys under one prefix of a bucket → `bucket/prefix/*`. */
  s3PrefixWildcard?: number;
  /** More than N ARNs for one action → the narrowest wildcard covering them. */
  widenResources?: number;
  /** Keep every object key and log stream as seen, even those with dates and run ids in them. */
  exact?: boolean;
  /** SAML trusts name no user (`SAML:sub`): any the identity provider sends for the role. */
  samlAnyUser?: boolean;
}

/** A statement broader than what was observed, and why. */
export interface IamWidening {
  principal: string;
  action: string;
  /**
   * The option that asked for it; `undetermined-resource` when the event did not name the resource (the grant keeps
   * what is known: partition, region, account); `no-resource-type` for a grant on `*` where nothing narrower exists;
   * `beyond-catalogue` for a grant on a resource of a type AWS documents for the action but the catalogue does not list
   * (knowledge/aws/beyondCatalogue.ts).
   */
  option:
    | 's3-prefix-wildcard'
    | 'widen-resources'
    | 'undetermined-resource'
    | 'generated-keys'
    | 'no-resource-type'
    | 'beyond-catalogue'
    | 'saml-any-user';
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
  /** A role's trust policy, from the service accounts seen assuming it: `iam/<account>/role/<name>.trust.json`. */
  trust?: { path: string; document: TrustDocument };
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
  /** IAM Identity Center roles given a policy: it belongs in their permission set (IAM refuses changes to the role). */
  permissionSets: { principal: string; permissionSet: string; paths: string[] }[];
  /**
   * Roles service accounts assumed: the trust written (`path`, its `size`), and the service accounts whose records
   * named no OIDC provider, so that no IRSA statement could be written for them.
   */
  trusts: {
    principal: string;
    path?: string;
    size?: number;
    noProvider: string[];
    noAudience: string[];
    /** SAML providers of transient NameIDs: any such user of theirs is let in. */
    anySubject?: string[];
    /** An IAM Identity Center role: its trust is Identity Center's, none is written. */
    identityCenter?: true;
  }[];
}

export interface Grant {
  ev: Evidence;
  events: Set<string>;
  implied: Set<string>;
  widened?: string;
  /**
   * The values of the Condition key it is granted under (`grantConditionKey`): for a tag action the creates whose tags
   * it authorizes (`<service>:CreateAction`), for `iam:PassRole` the services it hands roles to
   * (`iam:PassedToService`)...
   */
  keyed?: Set<string>;
  /** ...unless a request without the key needed it too (a call of its own, a pass to a service not known). */
  direct?: true;
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
  permissionSets: [],
  trusts: [],
});

/** What one principal adds to the IAM policies: its artefact (if it is given any permission) and what is listed. */
export type IamPart = Pick<
  IamResult,
  'widenings' | 'unmapped' | 'denied' | 'oversized' | 'permissionSets' | 'trusts'
> & {
  artefact?: IamArtefact;
};

/**
 * Least-privilege identity policies for the AWS principals of a profile, principal by principal, in two passes
 * (so a profile too large to hold is generated from its file). `survey` sees every principal first: the links of
 * service accounts to the roles they assume (evidence of the role), and which identities get a policy file, since a
 * file's name depends on the others in its directory (stems told apart by case). `principal` then makes each one's
 * policy and evidence; `finish` the per-account indexes. Deterministic.
 */
export class IamGenerator {
  // Links name the role as the AssumeRole* request did: matched to the role by account and name, not by path.
  private readonly assumedBy = new Map<string, TrustLink[]>();
  private readonly chains: IamResult['chains'] = [];
  private readonly withPolicy: IamIdentity[] = [];
  private stems: Map<string, Map<string, string>> | undefined;
  private readonly indexes = new Map<string, IamIndex>();
  /** The instance ids of the profile's Kubernetes nodes (`nodeInstances`), known after the first pass. */
  private readonly nodes = new Set<string>();

  constructor(private readonly opts: IamOptions = {}) {}

  /** The identity a principal's policy is for: only roles and users take identity policies. */
  private static identity(p: Principal): IamIdentity | undefined {
    const kind = iamKindOf(p.subject.kind);
    const id = kind && p.aws?.length ? iamIdentity(p.username) : undefined;
    return id && id.kind === kind ? id : undefined;
  }

  /** First pass: every principal, in the profile's order. */
  async survey(p: Principal): Promise<void> {
    for (const l of p.assumes ?? []) {
      const sa = `${p.subject.namespace ?? ''}/${p.subject.name}`;
      const list = this.assumedBy.get(awsIdentityKey(l.roleArn)) ?? [];
      list.push({
        serviceAccount: sa,
        via: l.via,
        evidence: l.evidence,
        ...(l.providers ? { providers: l.providers } : {}),
        ...(l.clusters ? { clusters: l.clusters } : {}),
      });
      this.assumedBy.set(awsIdentityKey(l.roleArn), list);
      this.chains.push({ serviceAccount: sa, via: l.via, roleArn: l.roleArn, count: l.evidence.count });
    }
    // IAM roles and users that assumed a role with sts:AssumeRole: its trust lets them in.
    for (const a of roleAssumptions(p)) {
      const list = this.assumedBy.get(awsIdentityKey(a.roleArn)) ?? [];
      // An external ID every call passed: the trust asks it (sts:ExternalId); one some calls lacked, it cannot.
      const ids = a.externalIds && !a.withoutExternalId ? { externalIds: a.externalIds } : {};
      list.push({ principal: p.username, via: 'assume-role', actions: a.actions, ...ids, evidence: a.evidence });
      this.assumedBy.set(awsIdentityKey(a.roleArn), list);
    }
    const id = IamGenerator.identity(p);
    if (id && (await grantsAny(p))) this.withPolicy.push(id);
  }

  /**
   * After the first pass: the roles AWS services and web identities that are no service account assumed (the
   * profile's `serviceAssumptions`, `webIdentityAssumptions`), and the instances that are nodes (`nodeInstances`).
   */
  surveyOutside(tail: OutsideAssumptions & Pick<Profile, 'nodeInstances'>): void {
    for (const n of tail.nodeInstances ?? []) this.nodes.add(n.instanceId);
    const add = (roleArn: string, link: TrustLink) => {
      const list = this.assumedBy.get(awsIdentityKey(roleArn)) ?? [];
      list.push(link);
      this.assumedBy.set(awsIdentityKey(roleArn), list);
    };
    for (const a of tail.serviceAssumptions ?? [])
      add(a.roleArn, {
        service: a.service,
        via: 'service',
        ...(a.actions !== undefined && a.actions.length > 1 ? { actions: a.actions } : {}),
        evidence: a.evidence,
      });
    for (const a of tail.webIdentityAssumptions ?? [])
      add(a.roleArn, {
        subject: a.subject,
        via: 'web-identity',
        provider: a.provider,
        ...(a.audience !== undefined ? { audience: a.audience } : {}),
        ...(a.actions !== undefined && a.actions.length > 1 ? { actions: a.actions } : {}),
        evidence: a.evidence,
      });
    for (const a of tail.samlAssumptions ?? [])
      add(a.roleArn, {
        subject: a.subject,
        via: 'saml',
        provider: a.provider,
        ...(a.subjectType !== undefined ? { subjectType: a.subjectType } : {}),
        ...(a.audience !== undefined ? { audience: a.audience } : {}),
        actions: a.actions,
        evidence: a.evidence,
      });
  }

  /** Second pass: one principal's policy files, evidence and what is listed about it. */
  async principal(p: Principal): Promise<IamPart> {
    const part: IamPart = { widenings: [], unmapped: [], denied: [], oversized: [], permissionSets: [], trusts: [] };
    const id = IamGenerator.identity(p);
    if (!id) return part;
    const links = this.assumedBy.get(awsIdentityKey(p.username)) ?? [];
    const art = await principalPolicy(p, this.opts, part, links, this.nodes);
    if (!art) return part;
    // File stems per directory: from the name alone, told apart where a case-insensitive file system would merge them.
    this.stems ??= stemsByDir(this.withPolicy);
    const stem = this.stems.get(iamPolicyDir(id.account, id.kind))?.get(tupleKey(id.partition, policyStem(id.name)));
    if (stem === undefined) throw new Error(`IAM: ${p.username} was not in the first pass over the profile`);
    const docs = splitPolicy(art.statements);
    const paths = iamPolicyPaths(id.account, id.kind, stem, docs.length);
    const policies = docs.map((document, i) => ({ path: paths[i]!, document }));
    art.evidence['policyFiles'] = paths;
    if (docs.length > ATTACHED_POLICIES) {
      // Too many to attach: what other options would give, from generations of this principal alone (not kept).
      const trial = async (o: IamOptions) => {
        const t = await principalPolicy(p, o, { widenings: [], unmapped: [], denied: [] }, [], this.nodes);
        return t ? splitPolicy(t.statements).length : 0;
      };
      const perms = art.evidence['permissions'] as { action: string; resource: string }[];
      const w = await attachWarning(p.username, docs.length, perms, this.opts, trial);
      part.oversized.push(w);
      const { principal: _, ...rest } = w;
      art.evidence['attachment'] = rest;
    }
    const permissionSet = identityCenterPermissionSet(p.username);
    if (permissionSet !== undefined) {
      art.evidence['permissionSet'] = permissionSet;
      part.permissionSets.push({ principal: p.username, permissionSet, paths });
    }
    part.artefact = {
      principal: p.username,
      policies,
      evidencePath: iamEvidencePath(id.account, id.kind, stem),
      evidence: art.evidence,
    };
    // Who may become the role: those seen assuming it (trust.ts roleTrust).
    if (id.kind === 'role' && links.length) {
      const t = roleTrust(p.username, links, this.opts, permissionSet !== undefined);
      pushAll(part.widenings, t.widenings);
      if (t.widenings.length)
        art.evidence['widenings'] = [
          ...(art.evidence['widenings'] as object[]),
          ...t.widenings.map(({ principal: _, ...w }) => w),
        ];
      const path = t.document ? iamTrustPath(id.account, stem) : undefined;
      if (path) {
        part.artefact.trust = { path, document: t.document! };
        art.evidence['trustFile'] = path;
      }
      part.trusts.push({ ...t.entry, ...(path ? { path } : {}) });
    }
    let index = this.indexes.get(id.account);
    if (!index)
      this.indexes.set(
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
      ...(part.artefact.trust ? { trust: part.artefact.trust.path.slice(prefix.length) } : {}),
    });
    return part;
  }

  /** After both passes: the per-account indexes and the role chains, sorted. */
  finish(): Pick<IamResult, 'indexes' | 'chains'> {
    const indexes: IamResult['indexes'] = [];
    for (const [account, document] of [...this.indexes].sort((a, b) => cmp(a[0], b[0]))) {
      document.principals.sort((a, b) => cmp(a.kind, b.kind) || cmp(a.name, b.name) || cmp(a.arn, b.arn));
      indexes.push({ path: iamIndexPath(account), document });
    }
    const chains = [...this.chains].sort(
      (a, b) => cmp(a.serviceAccount, b.serviceAccount) || cmp(a.roleArn, b.roleArn) || cmp(a.via, b.via),
    );
    return { indexes, chains };
  }
}

/** Whether a principal is granted anything: an allowed call that maps to at least one action (see principalPolicy). */
async function grantsAny(p: Principal): Promise<boolean> {
  for (const e of p.aws ?? []) {
    if (!e.allowed) continue;
    const needed = await callPermissions(e);
    if (needed.kind === 'actions' && needed.permissions.length > 0) return true;
  }
  return false;
}

/** Least-privilege identity policies for every AWS principal of a whole profile: `IamGenerator`'s two passes. */
export async function generateIam(profile: Profile, opts: IamOptions = {}): Promise<IamResult> {
  const g = new IamGenerator(opts);
  for (const p of profile.principals) await g.survey(p);
  g.surveyOutside(profile);
  const result = emptyResult(profile);
  for (const p of profile.principals) {
    const part = await g.principal(p);
    if (part.artefact) result.artefacts.push(part.artefact);
    pushAll(result.widenings, part.widenings);
    pushAll(result.unmapped, part.unmapped);
    pushAll(result.denied, part.denied);
    pushAll(result.oversized, part.oversized);
    pushAll(result.permissionSets, part.permissionSets);
    pushAll(result.trusts, part.trusts);
  }
  return { ...result, ...g.finish() };
}
