import { iamIdentity } from '../../model/subject.js';
import { POD_IDENTITY_SERVICE, type TrustStatement } from '../../verify/iam/trust.js';
import { clusterPins } from '../../verify/iam/trustBreadth.js';
import type { CallerBreadth } from '../../verify/iam/trustCallers.js';
import type { Entry, Finding } from './trust.js';
import { clusterStandIns, externalIdStandIns } from './trustWitness.js';

/**
 * The narrowing conditions `generate iam` writes into a trust beside whom it names, compared as subjects of their own:
 * a Pod Identity statement's clusters (`aws:RequestTag/eks-cluster-arn`, the clusters seen) and an `sts:AssumeRole`
 * statement's external IDs (`sts:ExternalId`, those the calls passed). For a `diff`, each subject a statement names
 * exactly is asked of both sides' trusts with each value its statement pins (a pin changed: the old value is removed
 * access, the new one new) or, where it pins none, with a made-up value that a pin refuses: losing the pin is new
 * access, gaining it removed access (pods of another cluster, callers passing another external ID or none, refused).
 * Without the stand-in value the request says nothing of the key, the pinned side is undetermined, and the same
 * subject named on both sides hid the change. For `check`, a Pod Identity statement that pins no cluster is an unused
 * grant of its own, risk low (the association is still a control; see `clusterEntries`).
 */

/**
 * A Pod Identity statement's entries for one service account beside its own: one per cluster it pins (`diff` only),
 * or where it pins none, the service account from any cluster of the account, risk **low**: a pod of another cluster
 * (another environment's) with a service account of that name and an association naming the role gets its
 * credentials; creating the association (eks:CreatePodIdentityAssociation, iam:PassRole) is still needed, so lower
 * than a statement naming no service account (medium: trust.ts).
 */
export function clusterEntries(
  st: TrustStatement,
  role: string,
  roleArn: string,
  exact: { namespace: string; serviceAccount: string },
  finding: Finding,
  /** The clusters the logs show the service account assuming the role from; undefined: never seen; none: not said. */
  seenFrom: string[] | undefined,
  logs: boolean,
  out: Entry[],
): void {
  const who = `system:serviceaccount:${exact.namespace}:${exact.serviceAccount}`;
  const subjectKey = JSON.stringify([role, POD_IDENTITY_SERVICE, who]);
  const base = { role, via: 'pod-identity' as const, issuer: POD_IDENTITY_SERVICE, exact, subjectKey };
  const pins = clusterPins(st);
  if (pins) {
    for (const { arn, said } of clusterStandIns(pins, roleArn))
      out.push({
        ...base,
        cluster: arn,
        key: JSON.stringify([role, POD_IDENTITY_SERVICE, who, arn]),
        used: true,
        diffOnly: true,
        finding: finding(
          who,
          undefined,
          '',
          `statement ${st.sid} lets it in through EKS Pod Identity from the cluster ${said}`,
          'sts:AssumeRole',
        ),
      });
    return;
  }
  const words = !logs
    ? ''
    : seenFrom === undefined
      ? '; never assumed by it in the logs'
      : seenFrom.length
        ? `; assumed by it in the logs from ${seenFrom.join(', ')}`
        : '; assumed by it in the logs, from clusters they do not name';
  out.push({
    ...base,
    cluster: clusterStandIns(undefined, roleArn)[0]!.arn,
    key: JSON.stringify([role, POD_IDENTITY_SERVICE, who, '*']),
    used: false,
    finding: finding(
      `${who} of any EKS cluster`,
      'low',
      "a Pod Identity trust without a condition on the session tag eks-cluster-arn lets a pod of any EKS cluster of the account (another environment's) with a service account of that namespace and name assume the role, once an association names it",
      `statement ${st.sid} sets no condition on the session tag eks-cluster-arn${words}`,
      'sts:AssumeRole',
    ),
  });
}

/**
 * An `sts:AssumeRole` statement's entries (`diff` only) for the IAM principal it names exactly: one per external ID it
 * asks, or where it asks none, the principal passing any external ID or none: risk **medium** where the principal is of
 * another account (the IAM User Guide's confused deputy: the third party can be made to use the role on behalf of
 * another of its customers), **low** in the role's own (an EKS Pod Identity target role's ID is its association's:
 * without it, any association of the same role reaches the target).
 */
export function externalIdEntries(
  b: CallerBreadth,
  role: string,
  roleArn: string,
  finding: Finding,
  out: Entry[],
): void {
  const subjectKey = JSON.stringify([role, 'aws', b.scope, b.value.toLowerCase()]);
  const base = { role, via: 'assume-role' as const, issuer: '', caller: b.value, used: true, diffOnly: true as const };
  const key = (id: string) => JSON.stringify([role, 'aws', b.scope, b.value.toLowerCase(), 'external-id', id]);
  if (b.externalIds) {
    for (const id of externalIdStandIns(b.externalIds))
      out.push({
        ...base,
        subjectKey,
        externalId: id,
        key: key(id),
        finding: finding(
          b.value,
          undefined,
          '',
          `statement ${b.sid} lets it in with external ID ${id}`,
          'sts:AssumeRole',
        ),
      });
    return;
  }
  const other = iamIdentity(b.value)?.account !== iamIdentity(roleArn)?.account;
  out.push({
    ...base,
    subjectKey,
    externalId: externalIdStandIns(undefined)[0]!,
    key: key(''),
    finding: finding(
      `${b.value} with any external ID or none`,
      other ? 'medium' : 'low',
      other
        ? 'a trust without sts:ExternalId for a principal of another account lets it assume the role on behalf of anyone who names the role to it (the confused deputy)'
        : 'a trust without sts:ExternalId lets the principal assume the role without the external ID its callers pass (for an EKS Pod Identity target role, any association of the same role)',
      `statement ${b.sid} sets no condition on sts:ExternalId`,
      'sts:AssumeRole',
    ),
  });
}
