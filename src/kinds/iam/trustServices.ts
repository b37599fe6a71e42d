import type { TrustStatement } from '../../verify/iam/trust.js';
import {
  actionMatches,
  POD_IDENTITY_SERVICE,
  principalMatches,
  principalsOf,
  strings,
} from '../../verify/iam/trust.js';
import type { Entry, Finding } from './trust.js';
import { clusterEntries } from './trustPins.js';
import type { Seen } from './trustSeen.js';

/**
 * The entries of a trust's Allows to AWS services (`Service: lambda.amazonaws.com`): each service it names, used where
 * the logs show the service assuming the role. No risk of their own. EKS Pod Identity's are `podIdentityEntries`.
 */
export function serviceEntries(
  statements: TrustStatement[] | string,
  role: string,
  services: string[],
  finding: Finding,
  logs: boolean,
  out: Entry[],
): void {
  for (const st of serviceAllows(statements))
    for (const service of principalsOf(st, 'Service')) {
      if (service === POD_IDENTITY_SERVICE) continue;
      const used = services.includes(service);
      out.push({
        role,
        via: 'service',
        issuer: '',
        service,
        key: JSON.stringify([role, 'service', service]),
        used,
        finding: finding(
          service,
          undefined,
          '',
          `statement ${st.sid} lets the service in${seenWords(logs, used)}`,
          'sts:AssumeRole',
        ),
      });
    }
}

/** The Allows of sts:AssumeRole to named principals (not `*`), where a service may be one. */
function serviceAllows(statements: TrustStatement[] | string): TrustStatement[] {
  if (typeof statements === 'string') return [];
  return statements.filter(
    (st) => st.effect === 'Allow' && !st.notPrincipal && st.principal !== '*' && actionMatches(st, 'sts:AssumeRole'),
  );
}

/** What the logs show of an entry, where logs were given. */
const seenWords = (logs: boolean, used: boolean) =>
  logs ? `; ${used ? 'assumed by it in the logs' : 'never assumed by it in the logs'}` : '';

/**
 * The entries of a trust's EKS Pod Identity Allows narrowed to service accounts by name: one per namespace and service
 * account the session tags name exactly (StringEquals on `aws:RequestTag/kubernetes-namespace` and
 * `…/kubernetes-service-account`, the EKS User Guide's form), so a `diff` asks the other side's trust about each and a
 * change that lets one in no longer (another name, an action gone: Pod Identity needs sts:AssumeRole and
 * sts:TagSession) is removed access, one that lets another in new access. A statement without both tags is the
 * broader entry (any association: trust.ts); one naming them otherwise (a pattern) is not compared.
 */
export function podIdentityEntries(
  statements: TrustStatement[] | string,
  role: string,
  roleArn: string,
  seen: Pick<Seen, 'podIdentity' | 'podIdentityClusters'>,
  finding: Finding,
  logs: boolean,
  out: Entry[],
): void {
  const podIdentity = seen.podIdentity;
  for (const st of serviceAllows(statements)) {
    if (!principalMatches(st, 'Service', POD_IDENTITY_SERVICE)) continue;
    const namespaces = tagValues(st, 'kubernetes-namespace');
    const accounts = tagValues(st, 'kubernetes-service-account');
    for (const namespace of namespaces ?? [])
      for (const serviceAccount of accounts ?? []) {
        const who = `system:serviceaccount:${namespace}:${serviceAccount}`;
        const used = podIdentity.includes(who);
        out.push({
          role,
          via: 'pod-identity',
          issuer: POD_IDENTITY_SERVICE,
          exact: { namespace, serviceAccount },
          key: JSON.stringify([role, POD_IDENTITY_SERVICE, who]),
          used,
          finding: finding(
            who,
            undefined,
            '',
            `statement ${st.sid} lets it in through EKS Pod Identity${seenWords(logs, used)}`,
            'sts:AssumeRole',
          ),
        });
        const from = used ? (seen.podIdentityClusters.get(who) ?? []) : undefined;
        clusterEntries(st, role, roleArn, { namespace, serviceAccount }, finding, from, logs, out);
      }
  }
}

/** The exact values a statement asks of a session tag (StringEquals), or undefined: not asked, or otherwise. */
function tagValues(st: TrustStatement, tag: string): string[] | undefined {
  let values: string[] | undefined;
  for (const [op, keys] of Object.entries(st.condition))
    for (const [k, v] of Object.entries(keys)) {
      if (k.toLowerCase() !== `aws:requesttag/${tag}`) continue;
      if (op !== 'StringEquals') return undefined;
      values = [...(values ?? []), ...(strings(v) ?? [])];
    }
  return values?.length ? [...new Set(values)] : undefined;
}
