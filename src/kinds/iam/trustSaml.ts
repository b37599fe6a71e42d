import type { RiskLevel } from '../../model/finding.js';
import { identityCenterPermissionSet } from '../../model/subject.js';
import { pushAll } from '../../util/array.js';
import { actionMatches, principalsOf, readTrustOnce, strings, type TrustStatement } from '../../verify/iam/trust.js';
import { subjectMatches, subjectValues } from '../../verify/iam/trustBreadth.js';
import { evaluateSamlTrust } from '../../verify/iam/trustCallers.js';
import type { IamPolicySet } from '../../verify/iam.js';
import type { Entry, Finding } from './trust.js';
import { samlWitness, witnessed } from './trustWitness.js';

/**
 * What a trust's Allows of `sts:AssumeRoleWithSAML` let in, per SAML provider (the IAM User Guide's SAML trust
 * policies: `Federated` names the provider, `SAML:sub` the users, `SAML:aud` where the assertion must go). For
 * `check`: no condition on `SAML:sub` lets in every user the IdP sends for the role (risk **low**: the IdP's role
 * mapping is the check, as most SAML trusts are written; **high** for `Federated: *`, any SAML provider of the
 * account), a pattern users never seen (**medium**), an exact subject never seen nothing of its own. `seen`: the
 * subjects that assumed the role, by provider ARN in lower case. An IAM Identity Center role's trust is Identity
 * Center's (who may come is its assignments'): not judged here.
 */
export function samlEntries(
  statements: readonly TrustStatement[],
  role: string,
  roleArn: string,
  seen: ReadonlyMap<string, readonly string[]>,
  finding: Finding,
  logs: boolean,
  out: Entry[],
): void {
  const action = 'sts:AssumeRoleWithSAML';
  if (identityCenterPermissionSet(roleArn) !== undefined) return;
  for (const st of statements) {
    if (st.effect !== 'Allow' || st.notPrincipal || !actionMatches(st, action)) continue;
    const providers = st.principal === '*' ? ['*'] : principalsOf(st, 'Federated');
    for (const provider of providers.filter((p) => p === '*' || p.includes(':saml-provider/'))) {
      const users = provider === '*' ? [...seen.values()].flat() : [...(seen.get(provider.toLowerCase()) ?? [])];
      const inLogs = !logs
        ? ''
        : users.length
          ? `; assumed in the logs by ${users.join(', ')}`
          : '; never assumed in the logs';
      const name = provider === '*' ? 'any SAML provider' : provider.slice(provider.indexOf(':saml-provider/') + 1);
      const sub = subjectValues(st, 'SAML');
      const aud = audiences(st);
      // `subject`: the value of SAML:sub ('' for none); `exact`: a value that is no pattern.
      const entry = (
        subject: string,
        exact: boolean,
        who: string,
        level: RiskLevel | undefined,
        reason: string,
        summary: string,
      ) =>
        out.push({
          role,
          via: 'saml',
          issuer: provider,
          ...(exact && provider !== '*'
            ? { saml: { provider, subject, ...aud } }
            : witnessed(samlWitness(provider, subject, aud.audience))),
          key: JSON.stringify([role, 'saml', provider.toLowerCase(), subject]),
          used: exact && users.includes(subject),
          finding: finding(who, level, reason, summary, action),
        });
      if (sub === 'any') {
        entry(
          '',
          false,
          `any user of ${name}`,
          provider === '*' ? 'high' : 'low',
          provider === '*'
            ? 'a SAML trust naming every federated principal lets a user of any SAML provider of the account assume the role'
            : 'a SAML trust without a condition on SAML:sub lets every user the identity provider sends assume the role: its role mapping is the only check',
          `statement ${st.sid} sets no condition on the assertion's subject (SAML:sub)${inLogs}`,
        );
        continue;
      }
      for (const v of sub) {
        const wildcard = v.op === 'Like' && /[*?]/.test(v.value);
        const covers = users.filter((u) => subjectMatches(v, u));
        if (wildcard)
          entry(
            v.value,
            false,
            `${v.value} (${name})`,
            'medium',
            'a wildcard on SAML:sub lets users never seen assume the role',
            `statement ${st.sid} lets in every user the pattern matches${inLogs}`,
          );
        else
          entry(
            v.value,
            true,
            `${v.value} (${name})`,
            undefined,
            '',
            `statement ${st.sid} lets the user in${logs ? `; ${covers.length ? 'assumed by it in the logs' : 'never assumed by it in the logs'}` : ''}`,
          );
      }
    }
  }
}

/** The one audience an Allow asks (StringEquals on `SAML:aud`), where it names exactly one. */
function audiences(st: TrustStatement): { audience?: string } {
  const values: string[] = [];
  for (const [op, keys] of Object.entries(st.condition))
    if (/^(?:ForAnyValue:)?StringEquals$/.test(op))
      for (const [k, v] of Object.entries(keys)) if (k.toLowerCase() === 'saml:aud') pushAll(values, strings(v) ?? []);
  return values.length === 1 ? { audience: values[0]! } : {};
}

/** For a `diff`: a side's trust asked whether it lets an exact SAML user in, with the audience the entry asks. */
export function samlDecision(
  e: Entry,
  set: IamPolicySet,
  action = 'sts:AssumeRoleWithSAML',
): 'allow' | 'deny' | 'undetermined' | undefined {
  const statements = readTrustOnce(set.trusts.get(e.role));
  if (!statements || !e.saml) return undefined;
  return evaluateSamlTrust(statements, { ...e.saml, actions: [action] }).result;
}
