import { dirname, join, normalize } from 'node:path';
import { callNeeds } from '../knowledge/aws/permissions.js';
import { tagOnCreateOf } from '../knowledge/aws/createAction.js';
import { iamIndexProblem, iamKey, iamKeyOfArn, iamPlace, isIamIndex, partitionKey } from '../model/layout.js';
import { mergeEvidence, type Evidence } from '../model/evidence.js';
import { tally, type IamFinding, type VerifyReport } from '../model/finding.js';
import { cmp, type InputIssue } from '../model/issue.js';
import type { OutsideAssumptions, Principal, Profile } from '../model/profile.js';
import { iamIdentity, iamKindOf, type SubjectKind } from '../model/subject.js';
import type { PolicyDoc } from '../policy/load.js';
import { authorizationPolicies, isAuthorizationDetails } from '../policy/iamAuthorization.js';
import { terraformPolicies } from '../policy/terraform.js';
import { isTerraformJson } from '../policy/terraformJson.js';
import type { JsonObject } from '../util/json.js';
import { evaluateIdentityPolicies, readStatements, type NamedPolicy } from './iam/evaluate.js';
import { callContexts, factsKey, originsOf, serviceAsRoleWords, type NeedFacts } from './iam/requestFacts.js';
import { noPolicy, targets } from './iam/calls.js';
import { kmsViaOf, passedToOf } from '../knowledge/aws/passedTo.js';
import { readTrustFiles, replayOutsideTrusts, replayTrusts } from './iam/trusts.js';
import { findingEvidence } from './rbac.js';
import { pushAll } from '../util/array.js';
import { tupleKey } from '../util/key.js';

/** Identity policies by the principal they attach to: `<account>/role/<name>`, `<account>/user/<name>`. */
export interface IamPolicySet {
  byPrincipal: Map<string, NamedPolicy[]>;
  /** The principals' ARNs as the indexes give them, by key (a principal found only by its file's place has none). */
  arns: Map<string, string>;
  /** The same by `partitionKey` (of twins, `arns` holds one). */
  identityArns: Map<string, string>;
  /** The files each index lists for a principal, by key, as the index's directory resolves them. */
  listed: Map<string, string[]>;
  /**
   * Keys that name principals of more than one partition (twins: the same account id, kind and name in `aws` and
   * `aws-cn`, say; partitions have separate IAMs). Their policies are found by `partitionKey` in `byIdentity`, so each
   * twin is judged by its own files only; `byPrincipal` holds both.
   */
  twins: Set<string>;
  /**
   * The partition a key's policies are said to be for, where the tree says (an index's ARN, a file's `~aws-cn`
   * suffix): a principal of another partition is judged by none of them. A file found only by a place without a
   * suffix says nothing, and judges the principal of its account and name in whichever partition.
   */
  keyPartition: Map<string, string>;
  byIdentity: Map<string, NamedPolicy[]>;
  /** The principals an account's authorization details or a Terraform plan declare, by key: the file. */
  authorized: Map<string, string>;
  /**
   * Roles' trust policies (who may assume them), by `partitionKey` of the role: the files an index lists as trusts
   * (`trustFiles` of them), and those an account's answer or a Terraform document holds.
   */
  trusts: Map<string, NamedPolicy>;
  trustFiles: number;
  count: number;
}

/**
 * IAM policy documents among the policy files: a JSON object with `Statement`. Which principal a document is for
 * comes from the index written beside the policies (`iam/<account>/index.json`: principal ARN → policy files), never
 * from a file name; a policy file no index lists is attributed by its place, `.../<account>/role/<name>.json` or
 * `.../<account>/user/<name>.json` (model/layout.ts). A policy elsewhere is an issue, as is an index that lists a
 * file for two principals.
 */
export function buildIamPolicySet(docs: PolicyDoc[]): { set: IamPolicySet; issues: InputIssue[] } {
  const byPrincipal = new Map<string, NamedPolicy[]>();
  const arns = new Map<string, string>();
  const identityArns = new Map<string, string>();
  const listed = new Map<string, string[]>();
  const owner = new Map<string, string>();
  // The partition of each file an index lists, and the partitions seen per key (of index entries and places).
  const partitionOf = new Map<string, string>();
  const partitions = new Map<string, Set<string>>();
  const said = new Map<string, string>();
  const seen = (key: string, partition: string, explicit = true) => {
    partitions.set(key, (partitions.get(key) ?? new Set()).add(partition));
    if (explicit) said.set(key, partition);
  };
  const issues: InputIssue[] = [];
  // Trust policies: by the file an index lists as a role's trust (or a role's `.trust.json` by its place).
  const trustListed = new Map<string, string>();
  const issue = (code: string, file: string, message: string) =>
    issues.push({ kind: 'issue', code, file, line: 1, message });
  for (const d of docs) {
    if (!isIamIndex(d.object)) continue;
    const problem = iamIndexProblem(d.object);
    if (problem) {
      issue('iam.invalid-index', d.file, `not a valid policy index: ${problem}`);
      continue;
    }
    for (const e of d.object.principals) {
      const key = iamKeyOfArn(e.arn)!;
      const partition = iamIdentity(e.arn)!.partition;
      seen(key, partition);
      const files = e.policies.map((f) => normalize(join(dirname(d.file), f)));
      for (const f of files) {
        const prev = owner.get(f);
        if (prev !== undefined && (prev !== key || partitionOf.get(f) !== partition))
          issue('iam.invalid-index', d.file, `${f} is listed for two principals (${prev} and ${key})`);
        else {
          owner.set(f, key);
          partitionOf.set(f, partition);
        }
      }
      if (typeof e.trust === 'string')
        trustListed.set(normalize(join(dirname(d.file), e.trust)), partitionKey(partition, key));
      arns.set(key, e.arn);
      identityArns.set(partitionKey(partition, key), e.arn);
      listed.set(key, [...(listed.get(key) ?? []), ...files]);
    }
  }
  let count = 0;
  const byIdentity = new Map<string, NamedPolicy[]>();
  const { trusts, read: trustDocs } = readTrustFiles(docs, trustListed, issues);
  for (const d of docs) {
    const o = d.object;
    if (typeof o !== 'object' || o === null || Array.isArray(o) || !('Statement' in o) || trustDocs.has(d)) continue;
    const problem = readStatements(o);
    if (typeof problem === 'string') {
      issue('iam.invalid-policy', d.file, problem);
      continue;
    }
    const place = iamPlace(d.file);
    const listedKey = owner.get(normalize(d.file));
    const key = listedKey ?? (place && iamKey(place.account, place.kind, place.name));
    if (!key) {
      issue(
        'iam.unattached-policy',
        d.file,
        'cannot tell which principal this policy is for: no iam/<account>/index.json beside it lists it, and it does not lie at <account>/role/<name>.json or <account>/user/<name>.json',
      );
      continue;
    }
    const list = byPrincipal.get(key) ?? [];
    list.push({ name: d.file, document: o });
    byPrincipal.set(key, list);
    const partition = listedKey !== undefined ? partitionOf.get(normalize(d.file))! : place!.partition;
    if (listedKey === undefined) seen(key, partition, partition !== 'aws');
    const own = partitionKey(partition, key);
    byIdentity.set(own, [...(byIdentity.get(own) ?? []), { name: d.file, document: o }]);
    count++;
  }
  // An account's authorization details: each role's and user's policies as IAM holds them, by its ARN.
  // And a Terraform plan's or state's: each role's and user's policies as the configuration declares them.
  const of = (is: (o: unknown) => boolean) =>
    docs.flatMap((d) =>
      is(d.object) ? [{ file: d.file, object: d.object as JsonObject, ...(d.text ? { text: d.text } : {}) }] : [],
    );
  const authorization = authorizationPolicies(of(isAuthorizationDetails));
  const terraform = terraformPolicies(of(isTerraformJson));
  pushAll(pushAll(issues, authorization.issues), terraform.issues);
  const authorized = new Map<string, string>();
  const read = new Set<NamedPolicy>();
  for (const p of [...authorization.principals, ...terraform.principals]) {
    const key = iamKeyOfArn(p.arn);
    if (key === undefined) continue;
    const partition = iamIdentity(p.arn)!.partition;
    seen(key, partition);
    if (!arns.has(key)) arns.set(key, p.arn);
    identityArns.set(partitionKey(partition, key), p.arn);
    authorized.set(key, p.file);
    byPrincipal.set(key, [...(byPrincipal.get(key) ?? []), ...p.policies]);
    const own = partitionKey(partition, key);
    byIdentity.set(own, [...(byIdentity.get(own) ?? []), ...p.policies]);
    for (const x of p.policies) if (x.unknown === undefined) read.add(x);
    if (p.trust) trusts.set(own, p.trust);
  }
  // A managed policy attached to many principals is one policy (its reader shares the object).
  count += read.size;
  const twins = new Set([...partitions].filter(([, ps]) => ps.size > 1).map(([k]) => k));
  const keyPartition = new Map([...said].filter(([k]) => !twins.has(k)));
  return {
    set: {
      byPrincipal,
      arns,
      identityArns,
      listed,
      twins,
      keyPartition,
      byIdentity,
      authorized,
      trusts,
      trustFiles: trustDocs.size,
      count,
    },
    issues,
  };
}

/**
 * The policies a principal is judged by, and the key naming it: its `iamPolicyKey`'s, or for a twin of another
 * partition its partition's own (`IamPolicySet.twins`).
 */
export function policiesOf(set: IamPolicySet, key: string, arn: string): { key: string; policies: NamedPolicy[] } {
  const partition = iamIdentity(arn)?.partition ?? 'aws';
  const only = set.keyPartition.get(key);
  if (only !== undefined && only !== partition) return { key: partitionKey(partition, key), policies: [] };
  if (!set.twins.has(key)) return { key, policies: set.byPrincipal.get(key) ?? [] };
  const own = partitionKey(partition, key);
  return { key: own, policies: set.byIdentity.get(own) ?? [] };
}

/** The key an AWS principal's policies are found under, or undefined for one no identity policy attaches to. */
export function iamPolicyKey(kind: SubjectKind, arn: string): string | undefined {
  const k = iamKindOf(kind);
  return k && iamIdentity(arn)?.kind === k ? iamKeyOfArn(arn) : undefined;
}

/**
 * Replay every authorized AWS call of the profile against the identity policies of its principal,
 * with the evaluator in ./iam/evaluate.ts (which shares no code with the generator). One finding per
 * principal, action and resource; calls that map to no IAM action are undetermined.
 */
export async function verifyIam(profile: Profile, set: IamPolicySet, report: VerifyReport): Promise<void> {
  const replay = iamReplay(set, report);
  for (const p of profile.principals) await replay.principal(p);
  replay.finish(profile);
}

/**
 * `verifyIam` a principal at a time, as a profile file is read (kinds/verify.ts): each principal's findings go to
 * `report` as it comes, the counts at `finish`.
 */
export function iamReplay(
  set: IamPolicySet,
  report: VerifyReport,
): { principal(p: Principal): Promise<void>; finish(rest?: OutsideAssumptions): void } {
  let observed = 0;
  let allowed = 0;
  const add = (t: { observed: number; allowed: number }) => ((observed += t.observed), (allowed += t.allowed));
  return {
    async principal(p) {
      add(replayTrusts(set.trusts, p, report));
      const policyKey = iamPolicyKey(p.subject.kind, p.username);
      if (!policyKey || !p.aws?.length) return;
      const { key, policies } = policiesOf(set, policyKey, p.username);
      // The request contexts of its calls: one per region, service passed to, service through and origin.
      const contextOf = callContexts(p.username);
      const needs = new Map<
        string,
        {
          action: string;
          resource: string;
          probes: string[];
          ev: Evidence;
          events: Set<string>;
          implied: Set<string>;
          /**
           * What each of its calls' requests said, by factsKey: the region (`aws:RequestedRegion`), for iam:PassRole
           * the service the role went to, for a KMS action a service asked for it the service, where it came from.
           */
          facts: Map<string, NeedFacts>;
          unnamed?: string;
          /** The create whose tags it authorizes (the `<service>:CreateAction` key), null for a call of its own. */
          createAction: string | null;
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
        const origins = originsOf(e, policies);
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
          // Tag on create: the tag action asked with the create in its context, once per create.
          const createAction = tagOnCreateOf(need, e.eventName) ?? null;
          // For iam:PassRole the service ('' not known; null where the service's request carries no key).
          const to = passedToOf(e, need);
          const passedTo = need.action === 'iam:PassRole' ? (to === undefined ? '' : to) : null;
          const via = kmsViaOf(e, need) ?? '';
          const facts = origins.map((origin): NeedFacts => ({ region: e.region ?? '', passedTo, via, origin }));
          for (const t of targets(need)) {
            const k = tupleKey(need.action, t.resource, createAction ?? '');
            const n = needs.get(k);
            if (!n)
              needs.set(k, {
                action: need.action,
                ...t,
                createAction,
                ev: e.allowed,
                events: new Set([event]),
                implied: new Set(need.implied ? [need.implied] : []),
                facts: new Map(facts.map((f) => [factsKey(f), f])),
              });
            else {
              n.ev = mergeEvidence(n.ev, e.allowed);
              n.events.add(event);
              for (const f of facts) n.facts.set(factsKey(f), f);
              if (need.implied) n.implied.add(need.implied);
            }
          }
        }
      }
      for (const n of [...needs.values()].sort(
        (a, b) =>
          cmp(a.action, b.action) || cmp(a.resource, b.resource) || cmp(a.createAction ?? '', b.createAction ?? ''),
      )) {
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
          report.notAllowed.push({ ...f, detail: noPolicy(set, key) });
          continue;
        }
        // Each resource it could be, with what each of its calls' requests said (region, service passed to, service
        // through, origin), in key order.
        const facts = [...n.facts.keys()].sort(cmp).map((k) => n.facts.get(k)!);
        const ds = n.probes.flatMap((probe) =>
          facts.map((f) =>
            evaluateIdentityPolicies(policies, {
              action: n.action,
              resource: probe,
              createAction: n.createAction,
              context: contextOf(f),
            }),
          ),
        );
        const denied = ds.find((d) => d.result === 'deny');
        tally(
          report,
          p.username,
          ds.every((d) => d.result === 'allow'),
        );
        if (ds.every((d) => d.result === 'allow')) allowed++;
        else if (denied?.explicit)
          report.notAllowed.push({ ...f, detail: `explicitly denied by ${denied.policy} ${denied.sid}` });
        else if (denied?.boundary)
          report.notAllowed.push({
            ...f,
            detail: `outside its permissions boundary ${denied.boundary}, which does not allow it`,
          });
        else if (ds.some((d) => d.result === 'undetermined')) {
          const why = [...new Set(ds.flatMap((d) => (d.result === 'undetermined' ? d.reasons : [])))].join('; ');
          const asRole = serviceAsRoleWords(p.username, facts, why);
          report.undetermined.push({ ...f, detail: asRole ? `${why}; ${asRole}` : why });
        } else if (n.unnamed && ds.some((d) => d.result === 'allow')) {
          report.undetermined.push({
            ...f,
            detail: `${n.unnamed}; the policy covers some of the resources it could be, not all`,
          });
        } else
          report.notAllowed.push({
            ...f,
            detail: n.unnamed
              ? `${n.unnamed}; no statement covers every resource it could be`
              : 'no statement allows it',
          });
      }
    },
    finish(rest) {
      // AWS services' and web identities' assumptions of roles (after the principals), judged by the roles' trusts.
      add(replayOutsideTrusts(set.trusts, rest ?? {}, report));
      report.observed += observed;
      report.allowed += allowed;
      report.byKind['iam'] = { observed, allowed };
    },
  };
}

function iamFinding(subject: string, subjectKind: string, access: IamFinding['access'], ev: Evidence): IamFinding {
  return { kind: 'iam', subject, subjectKind, access, evidence: findingEvidence(ev) };
}
