import { iamKeyOfArn, partitionKey, splitPartitionKey } from '../../model/layout.js';
import type { CiFinding, RiskLevel } from '../../model/finding.js';
import { cmp } from '../../model/issue.js';
import type { Profile } from '../../model/profile.js';
import { iamIdentity } from '../../model/subject.js';
import type { IamPolicySet } from '../../verify/iam.js';
import { readTrust, trustBreadth, type TrustBreadth } from '../../verify/iam/trust.js';

/**
 * Who may become a role through a service account's token (IRSA), beyond what the logs show: per role whose trust
 * policy was read (an account's answer, a Terraform plan or state), each subject its Allow statements let in. For
 * `check`, those no service account of the logs used (`unused`): a trust without a condition on the token's subject,
 * which lets every service account of every cluster with that issuer become the role, is a high risk; a pattern
 * (`system:serviceaccount:shop:*`) a medium one. For `diff`, those one side lets in and the other does not, as changes.
 * EKS Pod Identity is left out: its association, not the trust policy, says which service account gets the role.
 */
export function trustFindings(
  set: IamPolicySet,
  other: IamPolicySet | undefined,
  profile: Profile | undefined,
  label: (key: string) => string,
): { unused: CiFinding[]; changes: CiFinding[] } {
  const observed = observedSubjects(profile);
  const unused: CiFinding[] = [];
  const changes: CiFinding[] = [];
  const theirs = other ? entries(other, observed, label) : undefined;
  const known = new Set(theirs?.map((e) => e.key));
  for (const e of entries(set, observed, label)) {
    if (!other) {
      if (!e.used) unused.push(e.finding);
    } else if (!known.has(e.key) && !unread(other, e.role)) changes.push(e.finding);
  }
  return { unused, changes };
}

/**
 * A role the other side holds without its trust policy (a tree `generate iam` wrote has none): its trust is not
 * compared. A role the other side does not hold at all is new or gone, its trust with it.
 */
function unread(other: IamPolicySet, qualified: string): boolean {
  if (other.trusts.has(qualified)) return false;
  return other.byIdentity.has(qualified) || other.byPrincipal.has(splitPartitionKey(qualified).key);
}

interface Entry {
  /** The role, as `partitionKey`. */
  role: string;
  key: string;
  used: boolean;
  finding: CiFinding;
}

/** Each role's trust grants, one per subject value (or `any`) of each issuer. */
function entries(set: IamPolicySet, observed: Map<string, string[]>, label: (key: string) => string): Entry[] {
  const out: Entry[] = [];
  for (const [qualified, trust] of [...set.trusts].sort((a, b) => cmp(a[0], b[0]))) {
    if (trust.unknown !== undefined) continue;
    const statements = readTrust(trust.document);
    if (typeof statements === 'string') continue;
    const { partition, key } = splitPartitionKey(qualified);
    const principal = label(set.twins.has(key) && partition !== 'aws' ? qualified : key);
    const roleArn = set.identityArns.get(qualified) ?? principal;
    const seen = observed.get(qualified) ?? [];
    const at = trust.at ?? { file: trust.name, line: 1 };
    const finding = (who: string, level: RiskLevel | undefined, reason: string, summary: string): CiFinding => ({
      type: 'unused',
      kind: 'iam',
      principal,
      access: { action: 'sts:AssumeRoleWithWebIdentity', resources: [roleArn] },
      summary: `sts:AssumeRoleWithWebIdentity by ${who}: ${summary}`,
      ...(level ? { risk: { level, reasons: [reason] } } : {}),
      locations: [at],
    });
    for (const b of trustBreadth(statements, seen)) {
      const by = observedWords(b);
      if (b.subjects === 'any') {
        const issuer = b.issuer === '*' ? 'any issuer' : b.issuer;
        out.push({
          role: qualified,
          key: JSON.stringify([qualified, b.issuer.toLowerCase(), '']),
          used: false,
          finding: finding(
            `any service account (${issuer})`,
            'high',
            'a trust policy without a condition on the token subject (:sub) lets every service account of a cluster with that issuer assume the role',
            `statement ${b.sid} sets no condition on the token's subject${b.issuer === '*' ? '' : ` (${b.issuer}:sub)`}; ${by}`,
          ),
        });
        continue;
      }
      for (const s of b.subjects) {
        const used = s.observed.length > 0 && !s.wildcard;
        out.push({
          role: qualified,
          key: JSON.stringify([qualified, b.issuer.toLowerCase(), s.value]),
          used,
          finding: s.wildcard
            ? finding(
                s.value,
                'medium',
                'a wildcard in the trust policy lets service accounts never seen assume the role',
                `statement ${b.sid} lets in every service account the pattern matches; ${by}`,
              )
            : finding(s.value, undefined, '', `statement ${b.sid}: never assumed by it in the logs`),
        });
      }
    }
  }
  return out;
}

const observedWords = (b: TrustBreadth) =>
  b.observed.length ? `assumed in the logs by ${b.observed.join(', ')}` : 'never assumed in the logs';

/** The service accounts that assumed each role through IRSA, by `partitionKey` of the role. */
function observedSubjects(profile: Profile | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of profile?.principals ?? [])
    for (const l of p.assumes ?? []) {
      if (l.via !== 'irsa' || !p.username.startsWith('system:serviceaccount:')) continue;
      const key = iamKeyOfArn(l.roleArn);
      const id = iamIdentity(l.roleArn);
      if (!key || id?.kind !== 'role') continue;
      const k = partitionKey(id.partition, key);
      out.set(k, [...(out.get(k) ?? []), p.username].sort(cmp));
    }
  return out;
}
