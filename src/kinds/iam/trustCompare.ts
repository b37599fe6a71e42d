import type { CiFinding, IamCiAccess } from '../../model/finding.js';
import { globWithin } from '../../util/glob.js';
import type { IamPolicySet } from '../../verify/iam.js';
import { evaluateTrust, IRSA_AUDIENCE, readTrustOnce } from '../../verify/iam/trust.js';
import { evaluateCallerTrust, evaluateServiceTrust } from '../../verify/iam/trustCallers.js';
import type { Entry } from './trust.js';
import { samlDecision } from './trustSaml.js';

/**
 * For `diff`: whether a trust entry of one side (who it lets become the role) is let in by the other side's trust too,
 * and which session actions beside the assumption it loses there. An entry naming one subject is asked of both trusts;
 * one naming a pattern, any subject or an account is compared by its subjects and then by its stand-in
 * (trustWitness.ts), asked of both as an exact entry is.
 */

/**
 * Whether the other side's trust lets in what an entry does: for an entry naming one subject (a service account's or
 * web identity's token, an IAM principal, an AWS service, a SAML user), both trusts asked (`exactCovered`); else the
 * same grant, or for a pattern or any subject, the other letting in any subject of that issuer too.
 */
export function covered(
  e: Entry,
  own: IamPolicySet,
  other: IamPolicySet,
  known: ReadonlySet<string>,
  patterns: readonly Entry[],
): boolean {
  if (namesOne(e)) return exactCovered(e, own, other, known);
  const subjects =
    known.has(e.key) ||
    (e.subject?.wildcard && patterns.some((o) => globWithin(e.subject!.value, o.subject!.value))) ||
    (e.via === 'irsa' &&
      (known.has(JSON.stringify([e.role, e.issuer.toLowerCase(), ''])) ||
        known.has(JSON.stringify([e.role, '*', '']))));
  if (!subjects) return false;
  // The same subjects let in: the entry's stand-ins asked of both sides, as an exact entry is (trustWitness.ts).
  return stands(e).every((w) => decide(w, other) !== 'deny' || decide(w, own) === 'deny');
}

/** An entry that names no one subject, as its stand-ins (trustWitness.ts); none where it has none. */
const stands = (e: Entry): Entry[] => (e.witness ?? []).map((w) => ({ ...e, ...w, witness: undefined }));

/**
 * An entry naming one subject, judged by both trusts, not by the subject named alone: the same subject with another
 * audience (`:aud`, `SAML:aud`) or without an action its assumption needs lets no one in, so a change that breaks
 * the assumption is removed access. Covered where the other trust allows it, or where its own does not (a statement
 * that lets no one in grants nothing to lose); not where the other denies it; where the other cannot be judged (a
 * condition replay does not know, a trust not read), covered only by the same grant on both sides.
 */
function exactCovered(e: Entry, own: IamPolicySet, other: IamPolicySet, known: ReadonlySet<string>): boolean {
  const theirs = decide(e, other);
  if (theirs === 'allow' || decide(e, own) === 'deny') return true;
  return theirs === 'deny' ? false : known.has(e.subjectKey ?? e.key);
}

/** Whether an entry names one subject (a token's, an IAM principal, an AWS service, a SAML user), not a pattern. */
const namesOne = (e: Entry) =>
  e.exact !== undefined || e.token !== undefined || e.caller !== undefined || e.service !== undefined || !!e.saml;

/** A side's trust asked about an entry's one subject (an action of it alone, where given); undefined: not asked. */
function decide(e: Entry, set: IamPolicySet, action?: string): 'allow' | 'deny' | 'undetermined' | undefined {
  if (e.saml) return samlDecision(e, set, action);
  const statements = readTrustOnce(set.trusts.get(e.role));
  if (!statements) return undefined;
  // The external ID is a key of sts:AssumeRole's request alone (trustCallers.ts).
  if (e.caller !== undefined)
    return evaluateCallerTrust(statements, e.caller, [action ?? 'sts:AssumeRole'], e.externalId).result;
  if (e.service !== undefined) return evaluateServiceTrust(statements, e.service, [action ?? 'sts:AssumeRole']).result;
  // Pod Identity asks both of its actions at once; a token of any issuer has no keys to ask one by one.
  if (action && (e.via === 'pod-identity' || e.issuer === '*')) return undefined;
  const req = e.exact
    ? action
      ? ({
          via: 'web-identity',
          issuer: e.issuer,
          subject: `system:serviceaccount:${e.exact.namespace}:${e.exact.serviceAccount}`,
          audience: IRSA_AUDIENCE,
          actions: [action],
        } as const)
      : e.via === 'pod-identity'
        ? ({ via: 'pod-identity', ...e.exact, ...(e.cluster !== undefined ? { cluster: e.cluster } : {}) } as const)
        : ({ via: 'irsa', ...e.exact } as const)
    : ({ via: 'web-identity', issuer: e.issuer, ...e.token!, ...(action ? { actions: [action] } : {}) } as const);
  return evaluateTrust(statements, req, e.issuer).result;
}

/**
 * What a trust may let a subject do beside assuming the role (pass session tags, set a source identity: the IAM User
 * Guide asks each of the trust), asked of each side one by one for an entry naming one subject: those its own side
 * allows and the other denies are removed (or new) access of their own.
 */
export const SESSION_ACTIONS = ['sts:TagSession', 'sts:SetSourceIdentity'];

/** An entry named only for session actions (`sessionOnly`) counts where its side lets the subject assume the role. */
export function sessionLost(e: Entry, own: IamPolicySet, other: IamPolicySet): string[] {
  const ws = (namesOne(e) ? [e] : stands(e)).filter((w) => !e.sessionOnly || decide(w, own) !== 'deny');
  return SESSION_ACTIONS.filter((a) => ws.some((w) => decide(w, own, a) === 'allow' && decide(w, other, a) === 'deny'));
}

/** A trust entry's finding for another action of the same subject. */
export function asAction(f: CiFinding, action: string): CiFinding {
  const access = f.access as IamCiAccess;
  return {
    ...f,
    access: { ...access, action },
    summary: `${action}${f.summary.slice(access.action.length)}`,
  } as CiFinding;
}
