import { callNeeds, concreteProbe, type Need } from '../knowledge/aws/permissions.js';
import { policyName } from '../model/layout.js';
import { mergeEvidence, type Evidence } from '../model/evidence.js';
import { tally, type IamFinding, type VerifyReport } from '../model/finding.js';
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
      issues.push({
        kind: 'issue',
        code: 'iam.unattached-policy',
        file: d.file,
        line: 1,
        message: 'cannot tell which principal this policy is for: lay it out as <account>/<role-or-user-name>.json',
      });
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
    const needs = new Map<
      string,
      {
        action: string;
        resource: string;
        probes: string[];
        ev: Evidence;
        events: Set<string>;
        implied: Set<string>;
        unnamed?: string;
      }
    >();
    for (const e of p.aws) {
      const event = `${e.eventSource} ${e.eventName}`;
      if (e.denied && !e.allowed)
        report.denied.push(
          iamFinding(p.username, p.subject.kind, { action: '', resource: '', events: [event] }, e.denied),
        );
      if (!e.allowed) continue;
      const needed = await callNeeds(e);
      if (needed.kind === 'no-permission') continue;
      if (needed.kind === 'unmapped') {
        observed++;
        tally(report, p.username, false);
        report.undetermined.push({
          ...iamFinding(p.username, p.subject.kind, { action: '', resource: '', events: [event] }, e.allowed),
          detail: needed.reason,
        });
        continue;
      }
      for (const need of needed.needs) {
        for (const t of targets(need)) {
          const k = tupleKey(need.action, t.resource);
          const n = needs.get(k);
          if (!n)
            needs.set(k, {
              action: need.action,
              ...t,
              ev: e.allowed,
              events: new Set([event]),
              implied: new Set(need.implied ? [need.implied] : []),
            });
          else {
            n.ev = mergeEvidence(n.ev, e.allowed);
            n.events.add(event);
            if (need.implied) n.implied.add(need.implied);
          }
        }
      }
    }
    for (const n of [...needs.values()].sort((a, b) => cmp(a.action, b.action) || cmp(a.resource, b.resource))) {
      observed++;
      const access = {
        action: n.action,
        resource: n.resource,
        events: [...n.events].sort(cmp),
        ...(n.implied.size ? { implied: [...n.implied].sort(cmp) } : {}),
      };
      const f = iamFinding(p.username, p.subject.kind, access, n.ev);
      if (policies.length === 0) {
        tally(report, p.username, false);
        report.notAllowed.push({ ...f, detail: `no policy for ${account}/${name}` });
        continue;
      }
      const ds = n.probes.map((probe) => evaluateIdentityPolicies(policies, { action: n.action, resource: probe }));
      const denied = ds.find((d) => d.result === 'deny');
      tally(
        report,
        p.username,
        ds.every((d) => d.result === 'allow'),
      );
      if (ds.every((d) => d.result === 'allow')) allowed++;
      else if (denied?.explicit)
        report.notAllowed.push({ ...f, detail: `explicitly denied by ${denied.policy} ${denied.sid}` });
      else if (ds.some((d) => d.result === 'undetermined'))
        report.undetermined.push({
          ...f,
          detail: ds.flatMap((d) => (d.result === 'undetermined' ? d.reasons : [])).join('; '),
        });
      else if (n.unnamed && ds.some((d) => d.result === 'allow')) {
        report.undetermined.push({
          ...f,
          detail: `${n.unnamed}; the policy covers some of the resources it could be, not all`,
        });
      } else
        report.notAllowed.push({
          ...f,
          detail: n.unnamed ? `${n.unnamed}; no statement covers every resource it could be` : 'no statement allows it',
        });
    }
  }
  report.observed += observed;
  report.allowed += allowed;
  report.byKind['iam'] = { observed, allowed };
}

/**
 * What to replay for one need: each named ARN (through a concrete stand-in for the parts of it the event
 * did not carry: a secret's random suffix, an IAM name's path), `*` for an action AWS authorizes on `*`,
 * or, for a resource the event did not name, the concrete ARNs that stand for it (an object of the
 * bucket, a db of the account and region): only a grant covering every such resource allows them, which
 * is what the event leaves open.
 */
function targets(need: Need): { resource: string; probes: string[]; unnamed?: string }[] {
  const out: { resource: string; probes: string[]; unnamed?: string }[] = need.resources.map((r) => ({
    resource: r,
    probes: [r === '*' ? '*' : concreteProbe(r)],
  }));
  for (const u of need.unnamed ?? [])
    u.patterns.forEach((p, i) => out.push({ resource: p, probes: [u.probes[i]!], unnamed: u.why }));
  return out;
}

function iamFinding(subject: string, subjectKind: string, access: IamFinding['access'], ev: Evidence): IamFinding {
  return { kind: 'iam', subject, subjectKind, access, evidence: findingEvidence(ev) };
}
