import { normalize } from 'node:path';
import { iamKey, iamKeyOfArn, iamTrustPlace, partitionKey } from '../../model/layout.js';
import type { InputIssue } from '../../model/issue.js';
import type { PolicyDoc } from '../../policy/load.js';
import { tally, type IamAccess, type VerifyReport } from '../../model/finding.js';
import type { OutsideAssumptions, Principal } from '../../model/profile.js';
import type { Evidence } from '../../model/evidence.js';
import { iamIdentity } from '../../model/subject.js';
import { findingEvidence } from '../rbac.js';
import type { NamedPolicy } from './evaluate.js';
import { judgeTrust, judgeWebIdentityTrust, readTrust } from './trust.js';
import { judgeCallerTrust, judgeSamlTrust, judgeServiceTrust } from './trustCallers.js';
import { roleAssumptions } from '../../model/roleAssumption.js';

/** A role's trust policy among those read (`IamPolicySet.trusts`), by the role's ARN (with or without its path). */
export function trustOf(trusts: ReadonlyMap<string, NamedPolicy>, roleArn: string): NamedPolicy | undefined {
  const key = iamKeyOfArn(roleArn);
  const id = iamIdentity(roleArn);
  return key && id?.kind === 'role' ? trusts.get(partitionKey(id.partition, key)) : undefined;
}

/**
 * A principal's assumptions of roles replayed against the roles' trust policies, where they were read: a service
 * account's (the profile's `assumes`: IRSA, Pod Identity), and an IAM role's or user's `sts:AssumeRole` calls (role
 * chaining, switching into a role). Each an IAM access of the principal, allowed, not allowed or undetermined. A role
 * whose trust was not read is not judged (a tree without trust files, an account answer that lacks the role).
 */
export function replayTrusts(
  trusts: ReadonlyMap<string, NamedPolicy>,
  p: Principal,
  report: VerifyReport,
): { observed: number; allowed: number } {
  let observed = 0;
  let allowed = 0;
  const judgements = [
    ...(p.assumes ?? []).map((l) => ({
      evidence: l.evidence,
      judge: (t: NamedPolicy) => judgeTrust(p.username, l, t),
      roleArn: l.roleArn,
    })),
    ...roleAssumptions(p).map((a) => ({
      evidence: a.evidence,
      judge: (t: NamedPolicy) => judgeCallerTrust(p.username, a, t),
      roleArn: a.roleArn,
    })),
  ];
  for (const l of judgements) {
    const t = trustOf(trusts, l.roleArn);
    const judged = t && l.judge(t);
    if (!judged) continue;
    observed++;
    tally(report, p.username, judged.result === 'allow');
    const f = {
      kind: 'iam' as const,
      subject: p.username,
      subjectKind: p.subject.kind,
      access: judged.access,
      evidence: findingEvidence(l.evidence),
    };
    if (judged.result === 'allow') allowed++;
    else (judged.result === 'deny' ? report.notAllowed : report.undetermined).push({ ...f, detail: judged.detail });
  }
  return { observed, allowed };
}

/**
 * The sections after the principals replayed against the roles' trusts, where read: AWS services' assumptions of
 * roles (`serviceAssumptions`: an access of the service, `lambda.amazonaws.com`, sts:AssumeRole on the role) and web
 * identities' (`webIdentityAssumptions`: an access of the token's subject, sts:AssumeRoleWithWebIdentity) and SAML
 * users' (`samlAssumptions`: an access of the assertion's subject, sts:AssumeRoleWithSAML).
 */
export function replayOutsideTrusts(
  trusts: ReadonlyMap<string, NamedPolicy>,
  rest: OutsideAssumptions,
  report: VerifyReport,
): { observed: number; allowed: number } {
  let observed = 0;
  let allowed = 0;
  const replay = <A extends { roleArn: string; evidence: Evidence }>(
    list: readonly A[],
    who: (a: A) => string,
    subjectKind: 'AWSService' | 'WebIdentityUser' | 'SAMLUser',
    judge: (a: A, t: NamedPolicy) => { access: IamAccess; result: string; detail: string },
  ) => {
    for (const a of list) {
      const t = trustOf(trusts, a.roleArn);
      if (!t) continue;
      const judged = judge(a, t);
      observed++;
      tally(report, who(a), judged.result === 'allow');
      if (judged.result === 'allow') {
        allowed++;
        continue;
      }
      const f = { kind: 'iam' as const, subject: who(a), subjectKind, access: judged.access };
      (judged.result === 'deny' ? report.notAllowed : report.undetermined).push({
        ...f,
        evidence: findingEvidence(a.evidence),
        detail: judged.detail,
      });
    }
  };
  replay(rest.serviceAssumptions ?? [], (a) => a.service, 'AWSService', judgeServiceTrust);
  replay(rest.webIdentityAssumptions ?? [], (a) => a.subject, 'WebIdentityUser', judgeWebIdentityTrust);
  replay(rest.samlAssumptions ?? [], (a) => a.subject, 'SAMLUser', judgeSamlTrust);
  return { observed, allowed };
}

/**
 * The trust policy files among the policy documents: those an index lists as a role's `trust` (`listed`: file → the
 * role's `partitionKey`), and without an index a role's `.../<account>/role/<name>.trust.json` by its place. Each
 * read as a trust (`Principal`, no `Resource`); one that is not is an `iam.invalid-policy` issue. `read`: the
 * documents taken as trusts, which are no identity policies.
 */
export function readTrustFiles(
  docs: readonly PolicyDoc[],
  listed: ReadonlyMap<string, string>,
  issues: InputIssue[],
): { trusts: Map<string, NamedPolicy>; read: Set<PolicyDoc> } {
  const trusts = new Map<string, NamedPolicy>();
  const read = new Set<PolicyDoc>();
  for (const d of docs) {
    const o = d.object;
    if (typeof o !== 'object' || o === null || Array.isArray(o) || !('Statement' in o)) continue;
    const place = iamTrustPlace(d.file);
    const key =
      listed.get(normalize(d.file)) ??
      (place && partitionKey(place.partition, iamKey(place.account, 'role', place.name)));
    if (key === undefined) continue;
    read.add(d);
    const bad = readTrust(o);
    if (typeof bad === 'string')
      issues.push({
        kind: 'issue',
        code: 'iam.invalid-policy',
        file: d.file,
        line: 1,
        message: `a trust policy: ${bad}`,
      });
    else trusts.set(key, { name: d.file, document: o });
  }
  return { trusts, read };
}
