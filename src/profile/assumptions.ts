import type { EvidenceStore } from '../model/evidenceStore.js';
import { mergeEvidence, type Evidence } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import type { AwsCallObservation } from '../model/observation.js';
import type {
  OutsideAssumptions as Sections,
  Profile,
  SamlAssumption,
  ServiceAssumption,
  WebIdentityAssumption,
} from '../model/profile.js';
import { tupleKey } from '../util/key.js';

/** One assumption of a section without its evidence. */
type Bare<A> = Omit<A, 'evidence'>;

/** What makes an assumption one: the fields its entry is told apart by. */
const serviceKey = (a: Bare<ServiceAssumption>) => tupleKey(a.roleArn, a.service, serviceActions(a).join(','));

/** The trust actions a service's assumption needed (absent in the profile: only the first). */
export const serviceActions = (a: Pick<ServiceAssumption, 'actions'>): string[] => a.actions ?? ['sts:AssumeRole'];
const tokenKey = (a: Bare<WebIdentityAssumption>) =>
  tupleKey(a.roleArn, a.provider, a.subject, a.audience ?? '', tokenActions(a).join(','));

/** The trust actions a web identity's assumption needed (absent in the profile: only the first). */
export const tokenActions = (a: Pick<WebIdentityAssumption, 'actions'>): string[] =>
  a.actions ?? ['sts:AssumeRoleWithWebIdentity'];
const samlKey = (a: Bare<SamlAssumption>) =>
  tupleKey(a.roleArn, a.provider, a.subject, a.subjectType ?? '', a.audience ?? '', a.actions.join(','));

/**
 * Roles assumed by callers that are no principal of the profile: AWS services (Lambda, EC2, ECS tasks), web
 * identities that are no service account (GitHub Actions, another OIDC issuer) and SAML users (Okta, Entra ID, ADFS).
 * Their own records stay skipped (`aws-service`, `federation`); what they assumed is kept for the roles' trust
 * policies, in three sections after the principals.
 */
export class OutsideAssumptions {
  private readonly services = new Map<string, { a: Bare<ServiceAssumption>; ev: number }>();
  private readonly tokens = new Map<string, { a: Bare<WebIdentityAssumption>; ev: number }>();
  private readonly saml = new Map<string, { a: Bare<SamlAssumption>; ev: number }>();

  constructor(private readonly ev: EvidenceStore) {}

  /** An observation's assumption of a role, kept if `inScope` (the role's ARN) says so. */
  add(obs: AwsCallObservation, inScope: (roleArn: string) => boolean): void {
    const keep = <A extends { roleArn: string }>(
      into: Map<string, { a: A; ev: number }>,
      a: A | undefined,
      key: (a: A) => string,
    ) => {
      if (!a || !inScope(a.roleArn)) return;
      const k = key(a);
      let s = into.get(k);
      if (!s) into.set(k, (s = { a: { ...a }, ev: this.ev.create() }));
      this.ev.add(s.ev, 'ResponseComplete', obs.time, obs.id);
    };
    keep(this.services, obs.serviceLink, serviceKey);
    keep(this.tokens, obs.webIdentityLink, tokenKey);
    keep(this.saml, obs.samlLink, samlKey);
  }

  /** The three sections, sorted; each absent when empty. */
  sections(): Sections {
    const list = <A>(m: Map<string, { a: Bare<A>; ev: number }>, order: (x: Bare<A>, y: Bare<A>) => number) =>
      [...m.values()].map((l) => ({ ...l.a, evidence: this.ev.toEvidence(l.ev) }) as A).sort(order);
    return {
      ...(this.services.size ? { serviceAssumptions: list(this.services, compareServiceAssumptions) } : {}),
      ...(this.tokens.size ? { webIdentityAssumptions: list(this.tokens, compareWebIdentityAssumptions) } : {}),
      ...(this.saml.size ? { samlAssumptions: list(this.saml, compareSamlAssumptions) } : {}),
    };
  }
}

/** Service assumptions by role, service, then actions. */
export function compareServiceAssumptions(a: Bare<ServiceAssumption>, b: Bare<ServiceAssumption>): number {
  return (
    cmp(a.roleArn, b.roleArn) ||
    cmp(a.service, b.service) ||
    cmp(serviceActions(a).join(','), serviceActions(b).join(','))
  );
}

/** Web identity assumptions by role, provider, subject, audience (none first), then actions. */
export function compareWebIdentityAssumptions(a: Bare<WebIdentityAssumption>, b: Bare<WebIdentityAssumption>): number {
  return (
    cmp(a.roleArn, b.roleArn) ||
    cmp(a.provider, b.provider) ||
    cmp(a.subject, b.subject) ||
    cmp(a.audience ?? '', b.audience ?? '') ||
    cmp(tokenActions(a).join(','), tokenActions(b).join(','))
  );
}

/** SAML assumptions by role, provider, subject, subject type, audience (none first), then actions. */
export function compareSamlAssumptions(a: Bare<SamlAssumption>, b: Bare<SamlAssumption>): number {
  return (
    cmp(a.roleArn, b.roleArn) ||
    cmp(a.provider, b.provider) ||
    cmp(a.subject, b.subject) ||
    cmp(a.subjectType ?? '', b.subjectType ?? '') ||
    cmp(a.audience ?? '', b.audience ?? '') ||
    cmp(a.actions.join(','), b.actions.join(','))
  );
}

/** The three sections of several profiles, each assumption once, its evidence merged. */
export function mergeAssumptions(profiles: readonly Profile[]): Sections {
  const merged = <A extends { evidence: Evidence }>(
    lists: readonly (readonly A[] | undefined)[],
    key: (a: A) => string,
    order: (x: A, y: A) => number,
  ): A[] | undefined => {
    const m = new Map<string, A>();
    for (const list of lists)
      for (const a of list ?? []) {
        const prev = m.get(key(a));
        m.set(key(a), prev ? { ...prev, evidence: mergeEvidence(prev.evidence, a.evidence) } : a);
      }
    return m.size ? [...m.values()].sort(order) : undefined;
  };
  const services = merged(
    profiles.map((p) => p.serviceAssumptions),
    serviceKey,
    compareServiceAssumptions,
  );
  const tokens = merged(
    profiles.map((p) => p.webIdentityAssumptions),
    tokenKey,
    compareWebIdentityAssumptions,
  );
  const saml = merged(
    profiles.map((p) => p.samlAssumptions),
    samlKey,
    compareSamlAssumptions,
  );
  return {
    ...(services ? { serviceAssumptions: services } : {}),
    ...(tokens ? { webIdentityAssumptions: tokens } : {}),
    ...(saml ? { samlAssumptions: saml } : {}),
  };
}
