import { splitPartitionKey } from '../../model/layout.js';
import type { CiFinding, RiskLevel } from '../../model/finding.js';
import { cmp } from '../../model/issue.js';
import type { Profile } from '../../model/profile.js';
import { iamIdentity } from '../../model/subject.js';
import { COGNITO_IDENTITY } from '../../knowledge/aws/names.js';
import { cognitoPool } from '../../generate/iam/trustWidenings.js';
import type { IamPolicySet } from '../../verify/iam.js';
import { readTrustOnce, type TrustStatement } from '../../verify/iam/trust.js';
import { trustBreadth, type TrustBreadth } from '../../verify/iam/trustBreadth.js';
import { callerBreadth, type CallerBreadth } from '../../verify/iam/trustCallers.js';
import { samlEntries } from './trustSaml.js';
import { externalIdEntries } from './trustPins.js';
import { asAction, covered, SESSION_ACTIONS, sessionLost } from './trustCompare.js';
import { podIdentityEntries, serviceEntries } from './trustServices.js';
import { noneSeen, observedSubjects, type Seen } from './trustSeen.js';
import {
  callerWitness,
  externalIdStandIns,
  podIdentityWitness,
  tokenWitness,
  witnessed,
  type Witness,
} from './trustWitness.js';

/**
 * Who may become a role beyond what the logs show: per role whose trust policy was read (an account's answer, a
 * Terraform plan or state), each subject its Allow statements let in: service accounts (IRSA, Pod Identity), IAM
 * principals (an account, `*`, a pattern, a role or user: callerEntries) and AWS services (serviceEntries). For
 * `check`, those no service account of the logs used (`unused`): a trust without a condition on the token's subject,
 * which lets every service account of every cluster with that issuer become the role, is a high risk; a pattern
 * (`system:serviceaccount:shop:*`) a medium one. An EKS Pod Identity trust with no condition on the session tags
 * `kubernetes-namespace` and `kubernetes-service-account` lets any Pod Identity association of the account hand the
 * role to a pod (the EKS User Guide): a medium risk, the association being a control of its own; one naming them but
 * no cluster, a low one (trustPins.ts). For `diff`, those one side lets in and the other does not, as changes, and the
 * clusters and external IDs a statement pins compared beside whom it names (trustPins.ts).
 */
export function trustFindings(
  set: IamPolicySet,
  other: IamPolicySet | undefined,
  profile: Profile | undefined,
  label: (key: string) => string,
): { unused: CiFinding[]; changes: CiFinding[]; partlyUsed: { finding: CiFinding; grant: string }[] } {
  const observed = observedSubjects(profile);
  const unused: CiFinding[] = [];
  const partlyUsed: { finding: CiFinding; grant: string }[] = [];
  const changes: CiFinding[] = [];
  // What the logs show is said only where logs were given (a `diff` without a profile has none).
  const words = profile ? observedWords : () => '';
  const theirs = other ? entries(other, observed, label, words, !!profile) : undefined;
  const known = new Set(theirs?.map((e) => e.key));
  // The other side's subject patterns by role and issuer: a pattern within one of them is no change.
  const patterns = (e: Entry) =>
    (theirs ?? []).filter(
      (o) => o.subject?.wildcard && o.role === e.role && o.issuer.toLowerCase() === e.issuer.toLowerCase(),
    );
  // Subjects let in on this side only: a pin of theirs (trustPins.ts, made after its subject's entry) is no more news.
  const gone = new Set<string>();
  for (const e of entries(set, observed, label, words, !!profile)) {
    if (!other) {
      if (!e.used && !e.sessionOnly && !e.diffOnly) {
        unused.push(e.finding);
        if (e.partly !== undefined) partlyUsed.push({ finding: e.finding, grant: e.partly });
      }
    } else if (!unread(other, e.role) && !(e.subjectKey !== undefined && gone.has(e.subjectKey))) {
      if (!e.sessionOnly && !covered(e, set, other, known, patterns(e))) {
        changes.push(e.finding);
        gone.add(e.key);
      } else if (!e.diffOnly)
        for (const action of sessionLost(e, set, other)) changes.push(asAction(e.finding, action));
    }
  }
  return { unused, changes, partlyUsed };
}

/**
 * A role the other side holds without its trust policy (a tree `generate iam` wrote has none): its trust is not
 * compared. A role the other side does not hold at all is new or gone, its trust with it.
 */
function unread(other: IamPolicySet, qualified: string): boolean {
  if (other.trusts.has(qualified)) return false;
  return other.byIdentity.has(qualified) || other.byPrincipal.has(splitPartitionKey(qualified).key);
}

export interface Entry {
  /** The role, as `partitionKey`. */
  role: string;
  via: 'irsa' | 'pod-identity' | 'assume-role' | 'service' | 'saml';
  issuer: string;
  /** An exact subject that names a service account: it, for a `diff` to ask the other side's trust. */
  exact?: { namespace: string; serviceAccount: string };
  /** A subject value of an issuer's tokens, and whether it is a pattern (StringLike with `*` or `?`). */
  subject?: { value: string; wildcard: boolean };
  /** An exact subject that is no service account's (GitHub Actions): it, and the audience the statement asks for. */
  token?: { subject: string; audience?: string; amr?: string };
  /** An IAM role or user named exactly (`sts:AssumeRole`): its ARN, for a `diff` to ask the other side's trust. */
  caller?: string;
  /** An AWS service named (`lambda.amazonaws.com`), for a `diff` to ask the other side's trust. */
  service?: string;
  /** A SAML user named exactly: the provider, the subject, the audience the statement asks (samlEntries). */
  saml?: { provider: string; subject: string; audience?: string };
  /** For an entry naming no one subject: some it lets in, for a `diff` to ask both sides' trusts (trustWitness.ts). */
  witness?: Witness[];
  /** Pod Identity: the cluster (`eks-cluster-arn`) its request comes from (none: not known: trustPins.ts). */
  cluster?: string;
  /** `sts:AssumeRole` by an IAM principal: the external ID its request passes (none: not known: trustPins.ts). */
  externalId?: string;
  /**
   * An entry made to compare one narrowing condition (a Pod Identity cluster pin, an external ID: trustPins.ts) of a
   * subject another entry names: compared by the assumption alone, never an unused grant of `check`.
   */
  diffOnly?: true;
  /** Of such an entry: its subject's own key, which covers it where the other side cannot be judged. */
  subjectKey?: string;
  /**
   * IAM principals named only by Allows of session actions (`sts:TagSession`, `sts:SetSourceIdentity`), who assume the
   * role through another statement (their account's): compared by those actions alone, never an unused grant.
   */
  sessionOnly?: true;
  key: string;
  used: boolean;
  /**
   * Of an unused entry that lets in more than the logs show but some it lets in assumed the role (a subject pattern,
   * a Cognito pool): whom it lets in, as `generate` lists the widening when it wrote it so (`check` keeps it).
   */
  partly?: string;
  finding: CiFinding;
}

/** Each role's trust grants, one per subject value (or `any`) of each issuer. */
function entries(
  set: IamPolicySet,
  observed: Map<string, Seen>,
  label: (key: string) => string,
  words: (b: TrustBreadth) => string,
  logs: boolean,
): Entry[] {
  const out: Entry[] = [];
  for (const [qualified, trust] of [...set.trusts].sort((a, b) => cmp(a[0], b[0]))) {
    const statements = readTrustOnce(trust);
    if (!statements) continue;
    const { partition, key } = splitPartitionKey(qualified);
    const principal = label(set.twins.has(key) && partition !== 'aws' ? qualified : key);
    const roleArn = set.identityArns.get(qualified) ?? principal;
    const seen = observed.get(qualified) ?? noneSeen();
    const at = trust.at ?? { file: trust.name, line: 1 };
    const finding: Finding = (who, level, reason, summary, action = 'sts:AssumeRoleWithWebIdentity') => ({
      type: 'unused',
      kind: 'iam',
      principal,
      access: { action, resources: [roleArn] },
      summary: `${action} by ${who}: ${summary}`,
      ...(level ? { risk: { level, reasons: [reason] } } : {}),
      locations: [at],
    });
    for (const b of trustBreadth(statements, seen.irsa, seen.podIdentity, seen.tokens)) {
      const by = words(b);
      const then = by ? `; ${by}` : '';
      if (b.via === 'pod-identity') {
        out.push({
          role: qualified,
          via: 'pod-identity',
          issuer: b.issuer,
          ...witnessed(podIdentityWitness(b.clusters, roleArn)),
          key: JSON.stringify([qualified, b.issuer, '']),
          used: false,
          finding: finding(
            'any EKS Pod Identity association',
            'medium',
            'a Pod Identity trust without conditions on the session tags lets any association of the account hand the role to a pod',
            `statement ${b.sid} sets no condition on the session tags kubernetes-namespace and kubernetes-service-account${then}`,
            'sts:AssumeRole',
          ),
        });
        continue;
      }
      const cluster = b.issuer === '*' || EKS_ISSUER.test(b.issuer);
      if (b.subjects === 'any' && b.issuer.toLowerCase() === COGNITO_IDENTITY) {
        out.push(cognitoEntry(qualified, b, finding, then));
        continue;
      }
      if (b.subjects === 'any') {
        const issuer = b.issuer === '*' ? 'any issuer' : b.issuer;
        out.push({
          role: qualified,
          via: 'irsa',
          issuer: b.issuer,
          ...witnessed(tokenWitness(b.issuer, undefined, b.audience)),
          key: JSON.stringify([qualified, b.issuer.toLowerCase(), '']),
          used: false,
          finding: finding(
            cluster ? `any service account (${issuer})` : `any token of ${issuer}`,
            'high',
            cluster
              ? 'a trust policy without a condition on the token subject (:sub) lets every service account of a cluster with that issuer assume the role'
              : 'a trust policy without a condition on the token subject (:sub) lets every identity the issuer vouches for assume the role (for GitHub Actions, a workflow of any repository)',
            `statement ${b.sid} sets no condition on the token's subject${b.issuer === '*' ? '' : ` (${b.issuer}:sub)`}${then}`,
          ),
        });
        continue;
      }
      for (const s of b.subjects) {
        const used = s.observed.length > 0 && !s.wildcard;
        const sa = s.wildcard ? undefined : SERVICE_ACCOUNT.exec(s.value);
        const token =
          s.wildcard || sa || b.issuer === '*'
            ? undefined
            : { subject: s.value, ...(b.audience !== undefined ? { audience: b.audience } : {}) };
        out.push({
          role: qualified,
          via: 'irsa',
          issuer: b.issuer,
          subject: { value: s.value, wildcard: s.wildcard },
          ...(sa ? { exact: { namespace: sa[1]!, serviceAccount: sa[2]! } } : {}),
          ...(token ? { token } : {}),
          ...(s.wildcard ? witnessed(tokenWitness(b.issuer, s.value, b.audience)) : {}),
          key: JSON.stringify([qualified, b.issuer.toLowerCase(), s.value]),
          used,
          ...(s.wildcard && s.observed.length > 0 ? { partly: s.value } : {}),
          finding: s.wildcard
            ? finding(
                s.value,
                'medium',
                cluster
                  ? 'a wildcard in the trust policy lets service accounts never seen assume the role'
                  : 'a wildcard in the trust policy lets subjects never seen (other repositories, branches, environments) assume the role',
                `statement ${b.sid} lets in every ${cluster ? 'service account' : 'subject'} the pattern matches${then}`,
              )
            : finding(
                s.value,
                undefined,
                '',
                `statement ${b.sid} lets it in${by ? `; ${exactWords(s.observed)}` : ''}`,
              ),
        });
      }
    }
    callerEntries(statements, qualified, roleArn, seen.callers, finding, logs, out);
    serviceEntries(statements, qualified, seen.services, finding, logs, out);
    podIdentityEntries(statements, qualified, roleArn, seen, finding, logs, out);
    samlEntries(statements, qualified, roleArn, seen.saml, finding, logs, out);
  }
  return out;
}

/** The entries of a trust's Allows to IAM principals (`sts:AssumeRole`): an account or anyone is a risk of its own. */
function callerEntries(
  statements: TrustStatement[] | string,
  role: string,
  roleArn: string,
  callers: string[],
  finding: Finding,
  logs: boolean,
  out: Entry[],
): void {
  if (typeof statements === 'string') return;
  const own = iamIdentity(roleArn)?.account;
  for (const b of callerBreadth(statements, callers)) {
    const seen = !logs
      ? ''
      : b.observed.length
        ? `; assumed in the logs by ${b.observed.join(', ')}`
        : '; never assumed in the logs';
    const entry = (who: string, level: RiskLevel | undefined, reason: string, summary: string, used = false) =>
      out.push({
        ...callerEntry(b, role, roleArn),
        used,
        finding: finding(who, level, reason, summary, 'sts:AssumeRole'),
      });
    if (b.scope === 'anyone')
      entry(
        ANYONE,
        'high',
        'a trust policy with the principal * lets a principal of any AWS account assume the role, its Condition the only check',
        `statement ${b.sid} names every principal${seen}`,
      );
    else if (b.scope === 'account')
      entry(
        ofAccount(b.value),
        b.value === own ? 'medium' : 'high',
        b.value === own
          ? "naming the role's own account lets every principal of it whose identity policy allows sts:AssumeRole assume the role"
          : 'naming another account lets every principal of it whose identity policies allow sts:AssumeRole assume the role',
        `statement ${b.sid} names the account, not a principal${seen}`,
      );
    else if (b.wildcard)
      entry(
        b.value,
        'medium',
        'a pattern of principals in the trust policy lets roles and users never seen assume the role',
        `statement ${b.sid} lets in every principal the pattern matches${seen}`,
      );
    else {
      entry(
        b.value,
        undefined,
        '',
        `statement ${b.sid} lets it in${logs ? `; ${exactWords(b.observed)}` : ''}`,
        b.observed.length > 0,
      );
      externalIdEntries(b, role, roleArn, finding, out);
    }
  }
  // Principals named only for a session action (another statement, their account's, lets them assume the role):
  // compared by that action alone (sessionLost).
  const keys = new Set(out.map((e) => e.key));
  for (const action of SESSION_ACTIONS)
    for (const b of callerBreadth(statements, callers, action)) {
      const e = callerEntry(b, role, roleArn, false);
      if (keys.has(e.key)) continue;
      keys.add(e.key);
      const who = b.scope === 'anyone' ? ANYONE : b.scope === 'account' ? ofAccount(b.value) : b.value;
      const summary = `statement ${b.sid} names it for ${action}`;
      out.push({
        ...e,
        used: false,
        sessionOnly: true,
        finding: finding(who, undefined, '', summary, 'sts:AssumeRole'),
      });
    }
}

const ANYONE = 'any AWS principal';
const ofAccount = (account: string) => `any principal of account ${account}`;

/**
 * An IAM principal's entry but for its finding: the one named, or a stand-in of those it lets in, passing each
 * external ID its statement asks, else a made-up one (`assume`; not for a statement of a session action alone, whose
 * principals assume the role through another).
 */
function callerEntry(b: CallerBreadth, role: string, roleArn: string, assume = true): Omit<Entry, 'used' | 'finding'> {
  const w = b.scope === 'principal' && !b.wildcard ? undefined : callerWitness(b.scope, b.value, roleArn);
  const ws = w && assume ? externalIdStandIns(b.externalIds).map((externalId) => ({ ...w, externalId })) : w;
  return {
    role,
    via: 'assume-role',
    issuer: '',
    ...(b.scope === 'principal' && !b.wildcard ? { caller: b.value } : witnessed(ws)),
    key: JSON.stringify([role, 'aws', b.scope, b.value.toLowerCase()]),
  };
}

/** An `unused` finding of a role's trust: who it lets in, the risk and why, what the statement does. */
export type Finding = (
  who: string,
  level: RiskLevel | undefined,
  reason: string,
  summary: string,
  action?: string,
) => CiFinding;

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:*?]+):([^:*?]+)$/;
/** An EKS cluster's issuer: its tokens are its service accounts'. */
const EKS_ISSUER = /^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\//i;

export const exactWords = (seen: string[]) =>
  seen.length ? 'assumed by it in the logs' : 'never assumed by it in the logs';

const observedWords = (b: TrustBreadth) =>
  b.observed.length ? `assumed in the logs by ${b.observed.join(', ')}` : 'never assumed in the logs';

/**
 * A Cognito identity pool's Allow with no condition on the identity (the Cognito Developer Guide's trust): the pool
 * named by `:aud` decides who gets its identities (its users, and guests where it allows them): risk **low**, as
 * SAML's role mapping; with no pool named, an identity of any pool of any account: **high** (IAM now refuses such a
 * trust, but older ones stand).
 */
function cognitoEntry(role: string, b: TrustBreadth, finding: Finding, words: string): Entry {
  const pool = b.audience;
  // A pool's identities are one per user: how many, not each.
  const n = b.observed.length;
  const then = !words ? '' : n ? `; assumed in the logs by ${n} identit${n === 1 ? 'y' : 'ies'}` : `; ${words}`;
  return {
    role,
    via: 'irsa',
    issuer: b.issuer,
    ...witnessed(tokenWitness(b.issuer, undefined, pool)),
    key: JSON.stringify([role, COGNITO_IDENTITY, '', ...(pool !== undefined ? [pool] : [])]),
    used: false,
    ...(pool !== undefined && n > 0 ? { partly: cognitoPool(pool) } : {}),
    finding:
      pool !== undefined
        ? finding(
            cognitoPool(pool),
            'low',
            'a Cognito trust naming its identity pool (:aud) and no identity lets every user the pool signs in (and its guests, where it allows them) assume the role: the pool is the check',
            `statement ${b.sid} sets no condition on the identity (${COGNITO_IDENTITY}:sub)${then}`,
          )
        : finding(
            'any identity of any Cognito identity pool',
            'high',
            'a Cognito trust without a condition on the identity pool (:aud) lets an identity of any pool, of any account, assume the role',
            `statement ${b.sid} sets no condition on the identity pool (${COGNITO_IDENTITY}:aud)${then}`,
          ),
  };
}
