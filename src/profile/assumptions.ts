import type { EvidenceStore } from '../model/evidenceStore.js';
import { mergeEvidence } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import type { AwsCallObservation } from '../model/observation.js';
import type { Profile, ServiceAssumption, WebIdentityAssumption } from '../model/profile.js';
import { tupleKey } from '../util/key.js';

/**
 * Roles assumed by callers that are no principal of the profile: AWS services (Lambda, EC2, ECS tasks) and web
 * identities that are no service account (GitHub Actions, another OIDC issuer). Their own records stay skipped
 * (`aws-service`, `federation`); what they assumed is kept for the roles' trust policies, in two sections after the
 * principals.
 */
export class OutsideAssumptions {
  private readonly services = new Map<string, { roleArn: string; service: string; ev: number }>();
  private readonly tokens = new Map<string, { a: Omit<WebIdentityAssumption, 'evidence'>; ev: number }>();

  constructor(private readonly ev: EvidenceStore) {}

  /** An observation's assumption of a role, kept if `inScope` (the role's ARN) says so. */
  add(obs: AwsCallObservation, inScope: (roleArn: string) => boolean): void {
    if (obs.serviceLink && inScope(obs.serviceLink.roleArn)) {
      const key = tupleKey(obs.serviceLink.roleArn, obs.serviceLink.service);
      let s = this.services.get(key);
      if (!s) this.services.set(key, (s = { ...obs.serviceLink, ev: this.ev.create() }));
      this.ev.add(s.ev, 'ResponseComplete', obs.time, obs.id);
    }
    const w = obs.webIdentityLink;
    if (w && inScope(w.roleArn)) {
      const key = tupleKey(w.roleArn, w.provider, w.subject, w.audience ?? '');
      let s = this.tokens.get(key);
      if (!s) this.tokens.set(key, (s = { a: { ...w }, ev: this.ev.create() }));
      this.ev.add(s.ev, 'ResponseComplete', obs.time, obs.id);
    }
  }

  /** The two sections, sorted; absent when empty. */
  sections(): Pick<Profile, 'serviceAssumptions' | 'webIdentityAssumptions'> {
    const out: Pick<Profile, 'serviceAssumptions' | 'webIdentityAssumptions'> = {};
    if (this.services.size)
      out.serviceAssumptions = [...this.services.values()]
        .map((l) => ({ roleArn: l.roleArn, service: l.service, evidence: this.ev.toEvidence(l.ev) }))
        .sort(compareServiceAssumptions);
    if (this.tokens.size)
      out.webIdentityAssumptions = [...this.tokens.values()]
        .map((l) => ({ ...l.a, evidence: this.ev.toEvidence(l.ev) }))
        .sort(compareWebIdentityAssumptions);
    return out;
  }
}

/** Service assumptions by role, then service. */
export function compareServiceAssumptions(
  a: { roleArn: string; service: string },
  b: { roleArn: string; service: string },
): number {
  return cmp(a.roleArn, b.roleArn) || cmp(a.service, b.service);
}

/** Web identity assumptions by role, provider, subject, then audience (none first). */
export function compareWebIdentityAssumptions(
  a: Omit<WebIdentityAssumption, 'evidence'>,
  b: Omit<WebIdentityAssumption, 'evidence'>,
): number {
  return (
    cmp(a.roleArn, b.roleArn) ||
    cmp(a.provider, b.provider) ||
    cmp(a.subject, b.subject) ||
    cmp(a.audience ?? '', b.audience ?? '')
  );
}

/** The two sections of several profiles, each assumption once, its evidence merged. */
export function mergeAssumptions(
  profiles: readonly Profile[],
): Pick<Profile, 'serviceAssumptions' | 'webIdentityAssumptions'> {
  const services = new Map<string, ServiceAssumption>();
  const tokens = new Map<string, WebIdentityAssumption>();
  for (const p of profiles) {
    for (const a of p.serviceAssumptions ?? []) {
      const k = tupleKey(a.roleArn, a.service);
      const prev = services.get(k);
      services.set(k, prev ? { ...prev, evidence: mergeEvidence(prev.evidence, a.evidence) } : a);
    }
    for (const a of p.webIdentityAssumptions ?? []) {
      const k = tupleKey(a.roleArn, a.provider, a.subject, a.audience ?? '');
      const prev = tokens.get(k);
      tokens.set(k, prev ? { ...prev, evidence: mergeEvidence(prev.evidence, a.evidence) } : a);
    }
  }
  return {
    ...(services.size ? { serviceAssumptions: [...services.values()].sort(compareServiceAssumptions) } : {}),
    ...(tokens.size ? { webIdentityAssumptions: [...tokens.values()].sort(compareWebIdentityAssumptions) } : {}),
  };
}
