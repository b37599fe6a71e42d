import { callPermissions } from '../generate/iam/permissions.js';
import { policyName } from '../generate/iam/index.js';
import { mergeEvidence, type Evidence } from '../model/evidence.js';
import type { IamFinding, VerifyReport } from '../model/finding.js';
import type { InputIssue } from '../model/issue.js';
import { cmp } from '../model/issue.js';
import type { Profile } from '../model/profile.js';
import { isAwsKind } from '../model/subject.js';
import type { PolicyDoc } from '../policy/load.js';
import { evaluateIdentityPolicies, readStatements, type NamedPolicy } from './iam/evaluate.js';
import { findingEvidence } from './rbac.js';
import { tupleKey } from '../util/key.js';

/** Identity policies by the principal they attach to: `<account>/<name>`. */
export interface IamPolicySet {
  byPrincipal: Map<string, NamedPolicy[]>;
  count: number;
}

/**
 * IAM policy documents among the policy files: a JSON object with `Statement`. Which principal a
 * document belongs to comes from where it lies, as `generate iam` writes it:
 * `.../<account>/<role-or-user-name>.json` (split parts `<name>.2.json`...).
 */
export function buildIamPolicySet(docs: PolicyDoc[]): { set: IamPolicySet; issues: InputIssue[] } {
  const byPrincipal = new Map<string, NamedPolicy[]>();
  const issues: InputIssue[] = [];
  let count = 0;
  for (const d of docs) {
    const o = d.object;
    if (typeof o !== 'object' || o === null || Array.isArray(o) || !('Statement' in o)) continue;
    const problem = readStatements(o);
    if (typeof problem === 'string') {
      issues.push({ kind: 'issue', code: 'iam.invalid-policy', file: d.file, line: 1, message: problem });
      continue;
    }
    const m = /(?:^|[\\/])([^\\/]+)[\\/]([^\\/]+?)(?:\.\d+)?\.json$/i.exec(d.file);
    if (!m) {
      issues.push({ kind: 'issue', code: 'iam.unattached-policy', file: d.file, line: 1, message: 'cannot tell which principal this policy is for: lay it out as <account>/<role-or-user-name>.json' });
      continue;
    }
    const key = `${m[1]}/${m[2]}`;
    const list = byPrincipal.get(key) ?? [];
    list.push({ name: d.file, document: o });
    byPrincipal.set(key, list);
    count++;
  }
  return { set: { byPrincipal, count }, issues };
}

/**
 * Replay every authorized AWS call of the profile against the identity policies of its principal,
 * with the evaluator in ./iam/evaluate.ts (which shares no code with the generator). One finding per
 * principal, action and resource; calls that map to no IAM action are undetermined.
 */
export async function verifyIam(profile: Profile, set: IamPolicySet, report: VerifyReport): Promise<void> {
  let observed = 0;
  let allowed = 0;
  for (const p of profile.principals) {
    if (!isAwsKind(p.subject.kind) || !p.aws?.length) continue;
    const { account, name } = policyName(p.username);
    const policies = set.byPrincipal.get(`${account}/${name}`) ?? set.byPrincipal.get(`${account}/user.${name}`) ?? [];
    const needs = new Map<string, { action: string; resource: string; ev: Evidence; events: Set<string>; implied: Set<string> }>();
    for (const e of p.aws) {
      const event = `${e.eventSource} ${e.eventName}`;
      if (e.denied && !e.allowed) report.denied.push(iamFinding(p.username, p.subject.kind, { action: '', resource: '', events: [event] }, e.denied));
      if (!e.allowed) continue;
      const needed = await callPermissions(e);
      if (needed.kind === 'no-permission') continue;
      if (needed.kind === 'unmapped') {
        observed++;
        report.undetermined.push({ ...iamFinding(p.username, p.subject.kind, { action: '', resource: '', events: [event] }, e.allowed), detail: needed.reason });
        continue;
      }
      for (const perm of needed.permissions) {
        for (const resource of perm.resources) {
          const k = tupleKey(perm.action, resource);
          const n = needs.get(k);
          if (!n) needs.set(k, { action: perm.action, resource, ev: e.allowed, events: new Set([event]), implied: new Set(perm.implied ? [perm.implied] : []) });
          else {
            n.ev = mergeEvidence(n.ev, e.allowed);
            n.events.add(event);
            if (perm.implied) n.implied.add(perm.implied);
          }
        }
      }
    }
    for (const k of [...needs.keys()].sort(cmp)) {
      const n = needs.get(k)!;
      observed++;
      const access = { action: n.action, resource: n.resource, events: [...n.events].sort(cmp), ...(n.implied.size ? { implied: [...n.implied].sort(cmp) } : {}) };
      const f = iamFinding(p.username, p.subject.kind, access, n.ev);
      if (policies.length === 0) {
        report.notAllowed.push({ ...f, detail: `no policy for ${account}/${name}` });
        continue;
      }
      const d = evaluateIdentityPolicies(policies, { action: n.action, resource: n.resource });
      if (d.result === 'allow') allowed++;
      else if (d.result === 'undetermined') report.undetermined.push({ ...f, detail: d.reasons.join('; ') });
      else if (/[*?]/.test(n.resource) && !d.explicit) {
        // The event did not name the resource fully (`*`, a secret's `-??????` suffix): a narrower grant may still cover the real one.
        report.undetermined.push({ ...f, detail: `the event does not name the resource fully (${n.resource}); no statement allows it as a whole` });
      } else report.notAllowed.push({ ...f, detail: d.explicit ? `explicitly denied by ${d.policy} ${d.sid}` : 'no statement allows it' });
    }
  }
  report.observed += observed;
  report.allowed += allowed;
  report.byKind['iam'] = { observed, allowed };
}

function iamFinding(subject: string, subjectKind: string, access: IamFinding['access'], ev: Evidence): IamFinding {
  return { kind: 'iam', subject, subjectKind, access, evidence: findingEvidence(ev) };
}
