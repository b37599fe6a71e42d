import type { Evidence } from '../../model/evidence.js';
import { cmp } from '../../model/issue.js';
import { jsonSafe } from '../../util/escape.js';
import { releaseTagPattern } from '../../knowledge/aws/webIdentitySubjects.js';
import { COGNITO_IDENTITY } from '../../knowledge/aws/names.js';
import type { IamOptions, IamResult, IamWidening } from './index.js';
import { cognitoWidening, releaseTagWidening } from './trustWidenings.js';

/**
 * A role's trust policy from those the logs show assuming it, as the EKS User Guide and the IAM User Guide write
 * them, and no more: for IRSA, one statement per OIDC provider the tokens came from,
 * `sts:AssumeRoleWithWebIdentity` under StringEquals on `ISSUER:sub` (exactly the service accounts seen) and
 * `ISSUER:aud` (`sts.amazonaws.com`); for EKS Pod Identity, `sts:AssumeRole` and `sts:TagSession` by
 * `pods.eks.amazonaws.com` under StringEquals on the session tags `kubernetes-namespace`, `kubernetes-service-account`
 * and `eks-cluster-arn` (the clusters seen, as IRSA's names each cluster's issuer; none for a link of an older profile
 * that named none), one statement per namespace and set of clusters (two lists in one statement would let a service
 * account of one namespace, or cluster, in under the other's name); for IAM roles and users that called
 * `sts:AssumeRole` (role chaining, a user switching into the role), their ARNs as `AWS` principals (never the
 * account's `:root`, which would let in every principal its identity policies allow), one statement per set of actions
 * they needed (`sts:TagSession`, `sts:SetSourceIdentity` where they passed session tags or a source identity); where
 * every call of one passed an external ID, its `sts:AssumeRole` in a statement per set of them under StringEquals on
 * `sts:ExternalId` (the confused deputy's guard), its other actions apart (STS lists `sts:ExternalId` for AssumeRole
 * alone; the EKS User Guide's target-role trust keeps `sts:TagSession` in a statement of its own); for AWS services
 * that assumed it (Lambda, EC2, ECS tasks), one statement per set of actions naming them (`sts:AssumeRole`, with
 * `sts:TagSession` and `sts:SetSourceIdentity` where the service passed session tags or a source identity, as IAM
 * Roles Anywhere does); for web identities that are no service account (GitHub Actions, another OIDC issuer),
 * `sts:AssumeRoleWithWebIdentity` by the provider under StringEquals on `ISSUER:sub` (exactly the subjects seen) and
 * `ISSUER:aud` (the audience seen), one statement per provider, audience and actions (a token's subject and audience
 * are allowed only in the pairs seen; `sts:TagSession` where its token passed session tags); for a Cognito identity
 * pool, whose identity ids are made up per user, one statement per pool under `cognito-identity.amazonaws.com:aud`
 * with every action its identities needed and no subject (listed; `exact` names them); for SAML users,
 * `sts:AssumeRoleWithSAML` (with `sts:TagSession`, `sts:SetSourceIdentity` where the assertions passed session tags
 * or a source identity) by the SAML provider under StringEquals on `SAML:aud` (the audience seen) and `SAML:sub`
 * (exactly the subjects seen), one statement per provider, audience and set of actions; subjects of a transient
 * NameID are made up at each sign-in, so their statement asks `SAML:sub_type` to be `transient` instead (any user
 * the IdP sends that way: listed). A link whose records named no provider (a profile written before providers were
 * kept) cannot be written as IRSA: it is listed, not guessed.
 */
export type TrustLink =
  | {
      /** `ns/name`. */
      serviceAccount: string;
      via: 'irsa' | 'pod-identity';
      providers?: string[];
      /** Pod Identity: the clusters (`eks-cluster-arn`) whose pods assumed the role; absent where none was said. */
      clusters?: string[];
      evidence: Evidence;
    }
  | {
      /** The ARN of the IAM role or user that assumed the role. */
      principal: string;
      via: 'assume-role';
      actions: string[];
      /** The external IDs its calls passed, sorted, where every call passed one: the trust asks `sts:ExternalId`. */
      externalIds?: string[];
      evidence: Evidence;
    }
  | {
      /** The AWS service that assumed the role (`lambda.amazonaws.com`). */
      service: string;
      via: 'service';
      /** Where it needed more than `sts:AssumeRole` (session tags, a source identity: IAM Roles Anywhere); sorted. */
      actions?: string[];
      evidence: Evidence;
    }
  | {
      /** The token's subject (`repo:acme/shop:ref:refs/heads/main`). */
      subject: string;
      via: 'web-identity';
      /** The `Federated` principal: an OIDC provider's ARN, or `accounts.google.com` and the like. */
      provider: string;
      audience?: string;
      /** Where it needed more than `sts:AssumeRoleWithWebIdentity` (session tags, a source identity); sorted. */
      actions?: string[];
      evidence: Evidence;
    }
  | {
      /** The assertion's subject, its NameID (`jane@example.com`). */
      subject: string;
      via: 'saml';
      /** The IAM SAML provider's ARN. */
      provider: string;
      subjectType?: string;
      audience?: string;
      /** `sts:AssumeRoleWithSAML`, and `sts:SetSourceIdentity`, `sts:TagSession` where needed; sorted. */
      actions: string[];
      evidence: Evidence;
    };

/** The issuer of a `Federated` provider, as its condition keys begin: the OIDC provider's host and path. */
export function providerIssuer(provider: string): string {
  const at = provider.indexOf(':oidc-provider/');
  return at < 0 ? provider : provider.slice(at + ':oidc-provider/'.length);
}

export interface TrustStatementOut {
  Sid: string;
  Effect: 'Allow';
  Principal: { Federated: string } | { Service: string | string[] } | { AWS: string | string[] };
  Action: string | string[];
  Condition?: {
    StringEquals?: Record<string, string | string[]>;
    StringLike?: Record<string, string | string[]>;
  };
}

export interface TrustDocument {
  Version: '2012-10-17';
  Statement: TrustStatementOut[];
}

/** IAM's default limit on a role's trust policy, counted without white space (a quota raises it to 4,096). */
export const TRUST_POLICY_LIMIT = 2048;

/**
 * What a role's links make: its trust (absent when no link can be written), the service accounts left out, and the
 * web identity subjects whose records named no audience (their statement sets none: any audience of the issuer).
 */
export function trustPolicy(
  links: readonly TrustLink[],
  /** Keep every web identity subject as seen: no release tag becomes a pattern. */
  exact = false,
  /** SAML statements name no user (`--saml-any-user`): the identity provider decides. */
  samlAnyUser = false,
): {
  document?: TrustDocument;
  noProvider: string[];
  noAudience: string[];
  /** Release tags' subjects written as a pattern (`generated-keys`), each with it. */
  widened: { subject: string; pattern: string }[];
  /** SAML providers whose users' NameIDs are transient: a statement lets in any such user of the provider. */
  anySubject: string[];
  /** Cognito identity pools whose statement names no identity (`generated-keys`), each with the identities seen. */
  pools: { pool: string; identities: number }[];
} {
  const byProvider = new Map<string, Set<string>>();
  const byNamespace = new Map<string, Set<string>>();
  const noProvider = new Set<string>();
  const byActions = new Map<string, Set<string>>();
  const withExternalId = new Map<string, Set<string>>();
  const services = new Map<string, Set<string>>();
  const tokens = new Map<string, Set<string>>();
  const patterns = new Map<string, Set<string>>();
  const noAudience = new Set<string>();
  const widened = new Map<string, string>();
  const saml = new Map<string, Set<string>>();
  const anySubject = new Set<string>();
  const samlActions = new Map<string, Set<string>>();
  const cognito = new Map<string, Set<string>>();
  const pools = new Map<string, Set<string>>();
  for (const l of links) {
    if (l.via === 'saml') {
      const transient = !samlAnyUser && l.subjectType === 'transient';
      if (transient) anySubject.add(l.provider);
      // Any user: one statement per provider and audience, with every action a user of it needed.
      const k = JSON.stringify([
        l.provider,
        l.audience ?? '',
        samlAnyUser ? '' : l.actions.join(','),
        samlAnyUser ? 'any' : transient,
      ]);
      saml.set(k, (saml.get(k) ?? new Set()).add(l.subject));
      if (samlAnyUser) for (const a of l.actions) samlActions.set(k, (samlActions.get(k) ?? new Set()).add(a));
      if (l.audience === undefined) noAudience.add(l.subject);
      continue;
    }
    if (l.via === 'web-identity') {
      const actions = (l.actions ?? ['sts:AssumeRoleWithWebIdentity']).join(',');
      if (!exact && l.provider === COGNITO_IDENTITY && l.audience !== undefined) {
        // The pool is who may come: its identity ids are Cognito's, one per user or guest. One statement per pool,
        // with every action its identities needed (who passes session tags is the pool's mapping, not the identity).
        const set = cognito.get(l.audience) ?? new Set<string>();
        for (const a of l.actions ?? ['sts:AssumeRoleWithWebIdentity']) set.add(a);
        cognito.set(l.audience, set);
        pools.set(l.audience, (pools.get(l.audience) ?? new Set()).add(l.subject));
        continue;
      }
      const k = JSON.stringify([l.provider, l.audience ?? '', actions]);
      const pattern = exact ? undefined : releaseTagPattern(l.subject);
      if (pattern) {
        patterns.set(k, (patterns.get(k) ?? new Set()).add(pattern));
        widened.set(l.subject, pattern);
      } else tokens.set(k, (tokens.get(k) ?? new Set()).add(l.subject));
      if (l.audience === undefined) noAudience.add(l.subject);
      continue;
    }
    if (l.via === 'service') {
      const k = (l.actions ?? ['sts:AssumeRole']).join(',');
      services.set(k, (services.get(k) ?? new Set()).add(l.service));
      continue;
    }
    if (l.via === 'assume-role') {
      let actions = l.actions;
      if (l.externalIds?.length) {
        const k = JSON.stringify([...new Set(l.externalIds)].sort(cmp));
        withExternalId.set(k, (withExternalId.get(k) ?? new Set()).add(l.principal));
        actions = actions.filter((a) => a !== 'sts:AssumeRole');
        if (!actions.length) continue;
      }
      const k = actions.join(',');
      byActions.set(k, (byActions.get(k) ?? new Set()).add(l.principal));
      continue;
    }
    const slash = l.serviceAccount.indexOf('/');
    const [ns, sa] = [l.serviceAccount.slice(0, slash), l.serviceAccount.slice(slash + 1)];
    if (l.via === 'pod-identity') {
      // Service accounts seen from the same clusters share a statement: its namespace, names and clusters are then
      // exactly the pairs seen.
      const k = JSON.stringify([ns, ...[...new Set(l.clusters ?? [])].sort(cmp)]);
      byNamespace.set(k, (byNamespace.get(k) ?? new Set()).add(sa));
      continue;
    }
    if (!l.providers?.length) noProvider.add(l.serviceAccount);
    for (const p of l.providers ?? [])
      byProvider.set(p, (byProvider.get(p) ?? new Set()).add(`system:serviceaccount:${ns}:${sa}`));
  }
  const one = (xs: Set<string>) => {
    const sorted = [...xs].sort(cmp);
    return sorted.length === 1 ? sorted[0]! : sorted;
  };
  const sid = (base: string, i: number) => (i === 0 ? base : `${base}${i + 1}`);
  const statements: TrustStatementOut[] = [];
  [...byProvider]
    .sort((a, b) => cmp(a[0], b[0]))
    .forEach(([provider, subs], i) => {
      const issuer = providerIssuer(provider);
      statements.push({
        Sid: sid('ServiceAccountTokens', i),
        Effect: 'Allow',
        Principal: { Federated: provider },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${issuer}:sub`]: one(subs), [`${issuer}:aud`]: 'sts.amazonaws.com' } },
      });
    });
  [...byNamespace]
    .sort((a, b) => cmp(a[0], b[0]))
    .forEach(([k, sas], i) => {
      const [ns, ...clusters] = JSON.parse(k) as string[];
      statements.push({
        Sid: sid('PodIdentity', i),
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:RequestTag/kubernetes-namespace': ns!,
            'aws:RequestTag/kubernetes-service-account': one(sas),
            ...(clusters.length ? { 'aws:RequestTag/eks-cluster-arn': one(new Set(clusters)) } : {}),
          },
        },
      });
    });
  // IAM principals and AWS services: one statement per set of actions (`sts:AssumeRole` alone first).
  const byActionSet = (by: Map<string, Set<string>>, base: string, type: 'AWS' | 'Service') =>
    [...by]
      .sort((a, b) => cmp(a[0], b[0]))
      .forEach(([actions, named], i) => {
        const list = actions.split(',');
        statements.push({
          Sid: sid(base, i),
          Effect: 'Allow',
          Principal: type === 'AWS' ? { AWS: one(named) } : { Service: one(named) },
          Action: list.length === 1 ? list[0]! : list,
        });
      });
  // sts:AssumeRole of the callers that passed external IDs: one statement per set of them.
  [...withExternalId]
    .sort((a, b) => cmp(a[0], b[0]))
    .forEach(([k, named], i) => {
      statements.push({
        Sid: sid('AssumedWithExternalId', i),
        Effect: 'Allow',
        Principal: { AWS: one(named) },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': one(new Set(JSON.parse(k) as string[])) } },
      });
    });
  byActionSet(byActions, 'AssumedByPrincipals', 'AWS');
  // Exact subjects under StringEquals; release tags' patterns in statements of their own (one statement with both
  // operators on the subject would ask a token to match both).
  const tokenStatements = (by: Map<string, Set<string>>, base: string, like: boolean) =>
    [...by]
      .sort((a, b) => cmp(a[0], b[0]))
      .forEach(([k, subjects], i) => {
        const [provider, audience, actions] = JSON.parse(k) as [string, string, string];
        const issuer = providerIssuer(provider);
        const sub = { [`${issuer}:sub`]: one(subjects) };
        const aud = audience ? { [`${issuer}:aud`]: audience } : undefined;
        const list = actions.split(',');
        statements.push({
          Sid: sid(base, i),
          Effect: 'Allow',
          Principal: { Federated: provider },
          Action: list.length === 1 ? list[0]! : list,
          Condition: like
            ? { ...(aud ? { StringEquals: aud } : {}), StringLike: sub }
            : { StringEquals: { ...sub, ...aud } },
        });
      });
  tokenStatements(tokens, 'WebIdentityTokens', false);
  tokenStatements(patterns, 'WebIdentityReleaseTags', true);
  [...cognito]
    .sort((a, b) => cmp(a[0], b[0]))
    .forEach(([pool, actions], i) => {
      const list = [...actions].sort(cmp);
      statements.push({
        Sid: sid('CognitoIdentityPools', i),
        Effect: 'Allow',
        Principal: { Federated: COGNITO_IDENTITY },
        Action: list.length === 1 ? list[0]! : list,
        Condition: { StringEquals: { [`${COGNITO_IDENTITY}:aud`]: pool } },
      });
    });
  [...saml]
    .sort((a, b) => cmp(a[0], b[0]))
    .forEach(([k, subjects], i) => {
      const [provider, audience, actions, who] = JSON.parse(k) as [string, string, string, boolean | 'any'];
      const list = who === 'any' ? [...samlActions.get(k)!].sort(cmp) : actions.split(',');
      const eq = {
        ...(audience ? { 'SAML:aud': audience } : {}),
        ...(who === 'any' ? {} : who ? { 'SAML:sub_type': 'transient' } : { 'SAML:sub': one(subjects) }),
      };
      statements.push({
        Sid: sid('SamlUsers', i),
        Effect: 'Allow',
        Principal: { Federated: provider },
        Action: list.length === 1 ? list[0]! : list,
        // No audience seen and any user: no Condition at all (IAM refuses an empty block).
        ...(Object.keys(eq).length ? { Condition: { StringEquals: eq } } : {}),
      });
    });
  byActionSet(services, 'AssumedByServices', 'Service');
  const out = {
    noProvider: [...noProvider].sort(cmp),
    noAudience: [...noAudience].sort(cmp),
    anySubject: [...anySubject].sort(cmp),
    pools: [...pools].sort((a, b) => cmp(a[0], b[0])).map(([pool, ids]) => ({ pool, identities: ids.size })),
    widened: [...widened].sort((a, b) => cmp(a[0], b[0])).map(([subject, pattern]) => ({ subject, pattern })),
  };
  return statements.length ? { ...out, document: { Version: '2012-10-17', Statement: statements } } : out;
}

/**
 * A role's trust as `generate iam` writes it: those seen assuming it, exactly (a release tag's subject as a pattern,
 * a listed widening); what is listed of it; none for an IAM Identity Center role, whose trust is Identity Center's
 * (IAM refuses a change), and that is said.
 */
export function roleTrust(
  principal: string,
  links: readonly TrustLink[],
  opts: Pick<IamOptions, 'exact' | 'samlAnyUser'>,
  identityCenter: boolean,
): { document?: TrustDocument; entry: IamResult['trusts'][number]; widenings: IamWidening[] } {
  if (identityCenter)
    return { entry: { principal, noProvider: [], noAudience: [], identityCenter: true }, widenings: [] };
  const trust = trustPolicy(links, opts.exact, opts.samlAnyUser);
  const widenings: IamWidening[] = trust.widened.map((w) => ({
    principal,
    action: 'sts:AssumeRoleWithWebIdentity',
    option: 'generated-keys' as const,
    detail: releaseTagWidening(w.subject, w.pattern),
  }));
  for (const p of trust.pools)
    widenings.push({
      principal,
      action: 'sts:AssumeRoleWithWebIdentity',
      option: 'generated-keys',
      detail: cognitoWidening(p.pool, p.identities),
    });
  // --saml-any-user: each provider's statement names no user; the users seen are said.
  const users = new Map<string, Set<string>>();
  for (const l of opts.samlAnyUser ? links : [])
    if (l.via === 'saml') users.set(l.provider, (users.get(l.provider) ?? new Set()).add(l.subject));
  for (const [provider, seen] of [...users].sort((a, b) => cmp(a[0], b[0])))
    widenings.push({
      principal,
      action: 'sts:AssumeRoleWithSAML',
      option: 'saml-any-user',
      detail: `sts:AssumeRoleWithSAML: any user of ${provider.slice(provider.indexOf(':saml-provider/') + 1)} (${seen.size} seen: ${[...seen].sort(cmp).join(', ')})`,
    });
  const entry = {
    principal,
    ...(trust.document ? { size: trustSize(trust.document) } : {}),
    noProvider: trust.noProvider,
    noAudience: trust.noAudience,
    ...(trust.anySubject.length ? { anySubject: trust.anySubject } : {}),
  };
  return { ...(trust.document ? { document: trust.document } : {}), entry, widenings };
}

/** A trust document as written: two-space JSON, non-ASCII escaped (`jsonSafe`), a final newline. */
export function serializeTrust(doc: TrustDocument): string {
  return jsonSafe(JSON.stringify(doc, null, 2)) + '\n';
}

/** Its size as IAM counts it (no white space). */
export const trustSize = (doc: TrustDocument): number => jsonSafe(JSON.stringify(doc)).length;
