import { TRUST_POLICY_LIMIT } from '../../generate/iam/trust.js';
import type { IamResult } from '../../generate/iam/index.js';
import type { SummaryLine } from '../types.js';

/** What `generate iam` says of the trust policies it wrote: how many, and what it could not write or is too long. */
export function trustSummary(trusts: IamResult['trusts'], output: string | undefined): SummaryLine[] {
  const lines: SummaryLine[] = [];
  const written = trusts.filter((t) => t.path);
  if (written.length)
    lines.push({
      text: `trust policies: ${written.length} role${written.length === 1 ? '' : 's'} may be assumed by the service accounts, IAM principals, AWS services, web identities and SAML users seen, and no others but as listed (${written
        .map((t) => (output ? `${output}/${t.path!}` : t.path!))
        .join(', ')})`,
      tone: 'plain',
    });
  for (const t of trusts) {
    if (t.noProvider.length)
      lines.push({
        text: `  ${t.principal}: no IRSA statement for ${t.noProvider.join(', ')}: the records name no OIDC provider (profiles written before audit2policy kept it; profile the logs again)`,
        tone: 'warn',
      });
    if (t.noAudience.length)
      lines.push({
        text: `  ${t.principal}: no audience condition for ${t.noAudience.join(', ')}: the records name no token audience, so any audience of the issuer with that subject is let in`,
        tone: 'warn',
      });
    if (t.anySubject?.length)
      lines.push({
        text: `  ${t.principal}: any user ${t.anySubject.join(', ')} signs in with a transient NameID is let in (SAML:sub_type transient): such a subject is made up at each sign-in, so the IdP alone decides who`,
        tone: 'warn',
      });
    if (t.identityCenter)
      lines.push({
        text: `  ${t.principal}: no trust policy written: the role is IAM Identity Center's, which owns its trust`,
        tone: 'plain',
      });
    if (t.size !== undefined && t.size > TRUST_POLICY_LIMIT)
      lines.push({
        text: `  ${t.principal}: its trust policy is ${t.size} characters, over IAM's default ${TRUST_POLICY_LIMIT.toLocaleString('en-US')} (a quota raises it to 4,096)`,
        tone: 'warn',
      });
  }
  return lines;
}
