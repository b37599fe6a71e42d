import { iamKeyOfArn, partitionKey } from '../../model/layout.js';
import { cmp } from '../../model/issue.js';
import type { Profile } from '../../model/profile.js';
import { iamIdentity } from '../../model/subject.js';
import { roleAssumptions } from '../../model/roleAssumption.js';
import { providerIssuer } from '../../generate/iam/trust.js';

/** Who the logs show assuming a role, by how: what `check` compares a trust's grants with. */
export interface Seen {
  irsa: string[];
  /** SAML users' subjects, by the provider's ARN in lower case. */
  saml: Map<string, string[]>;
  /** Web identities' subjects (GitHub Actions' `repo:...`), by issuer in lower case. */
  tokens: Map<string, string[]>;
  podIdentity: string[];
  /** The clusters (`eks-cluster-arn`) each Pod Identity service account assumed the role from, where the logs say. */
  podIdentityClusters: Map<string, string[]>;
  /** AWS services that assumed the role (the profile's `serviceAssumptions`). */
  services: string[];
  /** IAM roles and users that assumed the role with sts:AssumeRole (their ARNs). */
  callers: string[];
}

export const noneSeen = (): Seen => ({
  irsa: [],
  saml: new Map(),
  tokens: new Map(),
  podIdentity: [],
  podIdentityClusters: new Map(),
  callers: [],
  services: [],
});
const listIn = (m: Map<string, string[]>, k: string) => m.get(k) ?? (m.set(k, []), m.get(k)!);

/**
 * Who assumed each role, by `partitionKey` of the role and how: service accounts (IRSA, Pod Identity), IAM roles and
 * users (sts:AssumeRole), AWS services, web identities and SAML users.
 */
export function observedSubjects(profile: Profile | undefined): Map<string, Seen> {
  const out = new Map<string, Seen>();
  const add = (roleArn: string, who: string, list: (s: Seen) => string[]) => {
    const key = iamKeyOfArn(roleArn);
    const id = iamIdentity(roleArn);
    if (!key || id?.kind !== 'role') return;
    const k = partitionKey(id.partition, key);
    let seen = out.get(k);
    if (!seen) out.set(k, (seen = noneSeen()));
    const l = list(seen);
    if (!l.includes(who)) l.push(who);
    l.sort(cmp);
  };
  for (const p of profile?.principals ?? []) {
    for (const l of p.assumes ?? [])
      if (p.username.startsWith('system:serviceaccount:')) {
        add(l.roleArn, p.username, (s) => (l.via === 'irsa' ? s.irsa : s.podIdentity));
        for (const c of l.via === 'pod-identity' ? (l.clusters ?? []) : [])
          add(l.roleArn, c, (s) => listIn(s.podIdentityClusters, p.username));
      }
    for (const a of roleAssumptions(p)) add(a.roleArn, p.username, (s) => s.callers);
  }
  for (const a of profile?.serviceAssumptions ?? []) add(a.roleArn, a.service, (s) => s.services);
  for (const a of profile?.webIdentityAssumptions ?? []) {
    const issuer = providerIssuer(a.provider).toLowerCase();
    add(a.roleArn, a.subject, (s) => listIn(s.tokens, issuer));
  }
  for (const a of profile?.samlAssumptions ?? [])
    add(a.roleArn, a.subject, (s) => listIn(s.saml, a.provider.toLowerCase()));
  return out;
}
