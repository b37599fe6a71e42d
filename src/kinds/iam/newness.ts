import type { IamFinding } from '../../model/finding.js';
import type { Profile } from '../../model/profile.js';
import { isAwsKind, principalId, type SubjectKind } from '../../model/subject.js';

/** Why a held-out call is new: a new principal, call or resource. */
export function iamNewness(f: IamFinding, train: Profile): string {
  // An IAM role or user is one principal whatever its path: training may have seen it without (no session issuer).
  const kind = f.subjectKind as SubjectKind;
  const key = isAwsKind(kind) ? principalId({ kind, name: f.subject }) : undefined;
  const p = train.principals.find((x) =>
    key === undefined ? x.username === f.subject : isAwsKind(x.subject.kind) && principalId(x.subject) === key,
  );
  // A service account's assumption of a role, judged by the role's trust (verify/iam/trusts.ts).
  if (f.subjectKind === 'ServiceAccount')
    return p?.assumes?.some((l) => l.roleArn === f.access.resource)
      ? `${f.access.resource} assumed another way (or with another cluster's token) than in training`
      : `a service account not seen assuming ${f.access.resource} in training`;
  if (!p) return 'a new principal: not seen in training';
  const events = new Set((p.aws ?? []).filter((e) => e.allowed).map((e) => `${e.eventSource} ${e.eventName}`));
  if (!f.access.events.some((e) => events.has(e)))
    return `a new call ${f.access.events.join(', ')} (action ${f.access.action})`;
  return `a new resource ${f.access.resource} for ${f.access.action}`;
}
