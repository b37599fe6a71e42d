import { actionsForService, allServices } from '../../knowledge/aws/catalogue.js';
import {
  RISK_ORDER,
  riskWords,
  topRisk,
  type CiEvidence,
  type CiFinding,
  type FindingType,
  type Location,
  type Risk,
} from '../../model/finding.js';
import { actionFacts, awsRiskList, type ActionFacts, type PrincipalContext } from './risks.js';
import { cmp } from '../../model/issue.js';
import type { SubjectKind } from '../../model/subject.js';
import { compileGlob, iamAsValue } from '../../util/glob.js';
import { iamPolicyKey, policiesOf, type IamPolicySet } from '../../verify/iam.js';
import { trustOf } from '../../verify/iam/trusts.js';
import { evaluateIdentityPolicies, readStatements, type Statement } from '../../verify/iam/evaluate.js';
import { callContext, passedToContext } from '../../verify/iam/requestFacts.js';
import { dedupe, uniqueLocations } from '../findings.js';
import { heldCombination } from './passrole.js';
import { usageEvidence, usageOf } from './usage.js';
import { iamSides, keyAccount } from './sides.js';
import { statementKey, statementKeys, statementLine } from './statements.js';
import { conditionText, underCondition } from './conditionTwins.js';
import { trustFindings } from './trust.js';
import { unreadChange } from './unread.js';
import type { CompareContext, CompareSide, Comparison, Coverage } from '../types.js';

/** One permission an Allow statement grants: an action (wildcards expanded) on a resource pattern. */
export interface IamGrant {
  /**
   * `<account>/role/<name>` or `<account>/user/<name>`: from the index beside the policy, or its place; a partition
   * twin outside `aws` qualified by its partition (sides.ts).
   */
  principal: string;
  action: string;
  resource: string;
  at: Location;
  /** The action as the statement writes it (`s3:*`): one change in a diff. */
  pattern: string;
  /** What the catalogue says of the action, for its risk. */
  facts: ActionFacts;
  /** The side whose grant it is. */
  side: number;
  /**
   * Tag on create: the create it is granted for, from a statement whose Condition names the `<service>:CreateAction`
   * alone (each value is a grant of its own); absent for a grant without a Condition.
   */
  createAction?: string;
  /** A role passed to this service only, from a statement whose Condition names `iam:PassedToService` alone. */
  passedTo?: string;
}

const serviceActions = new Map<string, Promise<string[]>>();

/** A service's actions from the catalogue, as `service:Action` (loaded once per service). */
function actionsOf(service: string): Promise<string[]> {
  const key = service.toLowerCase();
  let hit = serviceActions.get(key);
  if (!hit) {
    hit = (async () => (await actionsForService(key)).map((a) => `${key}:${a}`))();
    serviceActions.set(key, hit);
  }
  return hit;
}

/** `s3:Get*` → the catalogue's matching actions; `*` (every action of every service) stays as it is. */
export async function expandAction(pattern: string): Promise<string[]> {
  const colon = pattern.indexOf(':');
  if (colon < 0) return [pattern];
  const service = pattern.slice(0, colon);
  if (/[*?]/.test(service)) return [pattern];
  const actions = await actionsOf(service);
  if (!/[*?]/.test(pattern)) return [actions.find((a) => a.toLowerCase() === pattern.toLowerCase()) ?? pattern];
  const re = compileGlob(pattern, { caseInsensitive: true });
  const found = actions.filter((a) => re.test(a));
  return found.length ? found : [pattern];
}

const grantKey = (g: IamGrant) =>
  JSON.stringify([g.principal, g.action.toLowerCase(), g.resource, g.createAction ?? null, g.passedTo ?? null]);
const groupKey = (g: IamGrant) => JSON.stringify([g.principal, g.action.toLowerCase()]);
const changeKey = (g: IamGrant) =>
  JSON.stringify([g.principal, g.at.file, String(g.at.line).padStart(9, '0'), g.pattern.toLowerCase()]);

/** IAM as the Allow statements' permissions per principal, minus the side's own Denies, judged by the IAM evaluator. */
export async function compareIam(sides: CompareSide<IamPolicySet>[], ctx: CompareContext): Promise<Comparison> {
  const read = sides.map((s) => s.policies.set);
  // Twins apart: a principal's grants, coverage and evidence are its own under its key (sides.ts).
  const { sets, key, label, arnOf } = iamSides(read, ctx.profile);
  // A diff's new access is judged with what its principal holds on the proposed side (the iam:PassRole combination).
  const held = (side: number, principal: string) =>
    side === ctx.newSide ? heldCombination(sets[side]!, principal) : undefined;
  const comparison: Comparison<IamGrant> = {
    async grants(i) {
      const other = sets.length === 2 ? sets[1 - i] : undefined;
      const own = await iamGrants(sets[i]!, i, ctx.texts, label, other, held);
      // Who may become each role (its trust policy), where the input holds it: unused in `check`, changes in `diff`.
      const trust = trustFindings(sets[i]!, other, ctx.profile, label);
      return {
        ...own,
        changes: [...own.changes, ...trust.changes],
        unused: trust.unused,
        partlyUsed: trust.partlyUsed,
      };
    },
    covered(g, by): Coverage {
      const policies = sets[by]!.byPrincipal.get(g.principal) ?? [];
      if (policies.length === 0) return 'no';
      // A grant without a Condition is asked as a call of its own: a tag on create grant elsewhere does not cover it.
      // Who asks is known (a Condition on aws:PrincipalArn is judged); where and through what is not.
      const arn = arnOf(g.principal);
      const context =
        g.passedTo !== undefined
          ? passedToContext(arn ?? '', g.passedTo)
          : arn !== undefined
            ? callContext(arn)
            : undefined;
      const d = evaluateIdentityPolicies(policies, {
        action: g.action,
        resource: iamAsValue(g.resource),
        createAction: g.createAction ?? null,
        ...(context ? { context } : {}),
      });
      if (d.result === 'allow') return 'yes';
      if (d.result === 'deny') return 'no';
      // A policy of the other side that was not read: an open question, not a restriction that side makes.
      if (d.notRead) return { undetermined: d.reasons.join('; ') };
      return { undetermined: 'a Condition on the other side may or may not allow it', context: true };
    },
    groupKey,
    changeKey,
    finding: (type, items, evidence) =>
      finding(type, items, label, evidence, held(items[0]!.side, items[0]!.principal)),
    locate(f, side) {
      // A service account's assumption: the role's trust policy, where it was read.
      const trust =
        f.kind === 'iam' && f.subjectKind === 'ServiceAccount'
          ? trustOf(read[side]!.trusts, f.access.resource)
          : undefined;
      if (trust) return [trust.at ?? { file: trust.name, line: 1 }];
      // The file `verify` judged the principal by.
      const k = iamPolicyKey(f.subjectKind as SubjectKind, f.subject);
      const pol = k ? policiesOf(read[side]!, k, f.subject).policies[0] : undefined;
      return pol ? [pol.at ?? { file: pol.name, line: 1 }] : [];
    },
  };
  if (ctx.profile) {
    comparison.evidence = usageEvidence(await usageOf(ctx.profile, key), comparison.covered);
  }
  return comparison as Comparison;
}

/**
 * A side's grants. With the other side of a diff (`other`), an Allow this side cannot enumerate is no longer only
 * undetermined, which no `--fail-on` fails on: a NotAction or NotResource statement the other side does not have word
 * for word (Sid aside) is a change as a whole, a high risk; a conditional Allow's grants are asked of the other side
 * as if unconditional, and those it does not cover are a change "under a Condition". Without `other` (`check`), or
 * when the other side has the same statement, they stay undetermined.
 */
async function iamGrants(
  set: IamPolicySet,
  side: number,
  texts: Map<string, string>,
  label: (p: string) => string,
  other: IamPolicySet | undefined,
  held: (side: number, principal: string) => PrincipalContext | undefined,
): Promise<{ grants: IamGrant[]; undetermined: CiFinding[]; changes: CiFinding[] }> {
  const grants: IamGrant[] = [];
  const undetermined: CiFinding[] = [];
  const changes: CiFinding[] = [];
  const twins = other ? statementKeys(other) : undefined;
  const unsure = (principal: string, detail: string, at: Location) =>
    undetermined.push({
      type: 'undetermined',
      kind: 'iam',
      principal: label(principal),
      access: {},
      summary: detail,
      locations: [at],
      detail,
    });
  for (const [principal, policies] of set.byPrincipal) {
    for (const pol of policies) {
      // A permissions boundary grants nothing (its limits are in the evaluation); a policy not read, nothing known.
      // In a diff, one the other side does not attach is a change as a whole (unread.ts).
      const whole = other && unreadChange(principal, label(principal), pol, other);
      if (whole) changes.push(whole);
      else if (pol.unknown !== undefined && !pol.boundary)
        unsure(principal, `${pol.name}: not compared, ${pol.unknown}`, pol.at ?? { file: pol.name, line: 1 });
      if (pol.boundary || pol.unknown !== undefined) continue;
      const stmts = readStatements(pol.document);
      if (typeof stmts === 'string') continue;
      for (const [index, st] of stmts.entries()) {
        if (st.effect !== 'Allow') continue;
        const at = pol.at ?? statementLine(pol.name, texts.get(pol.name), st.sid);
        const twin = !twins || twins.has(statementKey(principal, pol.document, index));
        if ((st.notActions || st.notResources) && !twin) {
          const not = st.notActions ? 'NotAction' : 'NotResource';
          const listed = (st.notActions ?? st.notResources)!.join(', ');
          changes.push({
            type: 'new-access',
            kind: 'iam',
            principal: label(principal),
            access: {
              action: st.notActions ? `NotAction ${listed}` : st.actions!.join(', '),
              resources: st.notResources ? [`NotResource ${listed}`] : st.resources!,
            },
            summary: `statement ${st.sid}: ${not} allows everything but ${listed}${st.conditional ? ', under a Condition' : ''}`,
            risk: { level: 'high', reasons: [`${not}: allows everything but what it lists`] },
            locations: [at],
          });
          continue;
        }
        if (st.notActions || st.notResources) {
          unsure(
            principal,
            `${pol.name} ${st.sid}: ${st.notActions ? 'NotAction' : 'NotResource'} allows everything but what it lists; compared only through the other side's grants`,
            at,
          );
          continue;
        }
        // Tag on create (a grant per create its `<service>:CreateAction` names) or a role passed to these services only
        // (a grant per service of its `iam:PassedToService`): each judged with its value in the request's context.
        const keyed: ({ createAction: string } | { passedTo: string })[] | undefined =
          st.createAction?.values.map((createAction) => ({ createAction })) ??
          st.passedTo?.map((passedTo) => ({ passedTo }));
        if (keyed) {
          for (const pattern of st.actions!)
            for (const action of await expandAction(pattern))
              for (const resource of st.resources!)
                for (const k of keyed) {
                  const own = evaluateIdentityPolicies(policies, {
                    action,
                    resource: iamAsValue(resource),
                    ...('createAction' in k
                      ? { createAction: k.createAction }
                      : { context: passedToContext(label(principal), k.passedTo) }),
                  });
                  const facts = await actionFacts(action);
                  if (own.result === 'allow')
                    grants.push({ principal, action, resource, at, pattern, facts, side, ...k });
                  else if (own.result === 'undetermined')
                    unsure(principal, `${action} on ${resource}: ${own.reasons.join('; ')}`, at);
                }
          continue;
        }
        if (st.conditional && !twin && other) {
          const uncovered: IamGrant[] = [];
          const theirs = other.byPrincipal.get(principal) ?? [];
          // The other side's statements of the same Condition, written otherwise: its grants there are no change.
          const text = st.condition && theirs.length ? conditionText(st.condition) : undefined;
          const same = text === undefined ? undefined : underCondition(theirs, text);
          let alike = false;
          for (const pattern of st.actions!)
            for (const action of await expandAction(pattern))
              for (const resource of st.resources!) {
                // What the side's own Deny statements take away is not granted, Condition or not.
                // A pattern is asked as the value it spells: IAM's escapes (`${*}`) as their characters.
                const asked = { action, resource: iamAsValue(resource) };
                if (evaluateIdentityPolicies(policies, asked).result === 'deny') continue;
                if (theirs.length && evaluateIdentityPolicies(theirs, asked).result === 'allow') continue;
                if (same && evaluateIdentityPolicies(same, asked).result === 'allow') {
                  alike = true;
                  continue;
                }
                uncovered.push({ principal, action, resource, at, pattern, facts: await actionFacts(action), side });
              }
          if (alike) unsure(principal, conditionalWords(pol.name, st), at);
          for (const group of groupByPattern(uncovered)) {
            const f = finding('new-access', group, label, undefined, held(side, principal));
            changes.push({ ...f, summary: `${f.summary}, under a Condition` });
          }
          continue;
        }
        if (st.conditional) {
          unsure(principal, conditionalWords(pol.name, st), at);
          continue;
        }
        for (const pattern of st.actions!) {
          // `check` (no other side) asks of `*` service by service, so that an administrator who used three services
          // is not counted as using every grant it has; a diff keeps it one grant (ADR 0007).
          const actions =
            !other && pattern === '*' ? (await allServices()).map((s) => `${s}:*`) : await expandAction(pattern);
          for (const action of actions) {
            for (const resource of st.resources!) {
              // What the side's own Deny statements take away is not granted.
              const own = evaluateIdentityPolicies(policies, { action, resource: iamAsValue(resource) });
              if (own.result === 'allow')
                grants.push({ principal, action, resource, at, pattern, facts: await actionFacts(action), side });
              else if (own.result === 'undetermined')
                unsure(principal, `${action} on ${resource}: ${own.reasons.join('; ')}`, at);
            }
          }
        }
      }
    }
  }
  return { grants: dedupe(grants, grantKey), undetermined, changes };
}

/** A conditional Allow, left undetermined, in words. */
const conditionalWords = (policy: string, st: Statement) =>
  `${policy} ${st.sid}: an Allow with a Condition (${st.actions!.join(', ')} on ${st.resources!.join(', ')})`;

/** Grants of one statement, one group per action pattern as written. */
function groupByPattern(items: IamGrant[]): IamGrant[][] {
  const by = new Map<string, IamGrant[]>();
  for (const g of items) {
    const list = by.get(g.pattern);
    if (list) list.push(g);
    else by.set(g.pattern, [g]);
  }
  return [...by.values()];
}

function finding(
  type: FindingType,
  items: IamGrant[],
  label: (p: string) => string,
  evidence?: CiEvidence,
  held?: PrincipalContext,
): CiFinding {
  const g = items[0]!;
  const resources = [...new Set(items.map((i) => i.resource))].sort(cmp);
  const actions = [...new Set(items.map((i) => i.action))].sort(cmp);
  const one = actions.length === 1;
  const on =
    resources.length > 3
      ? `${resources.slice(0, 3).join(', ')} and ${resources.length - 3} more`
      : resources.join(', ');
  const risk = type === 'undetermined' ? undefined : riskOf(items, held);
  // Tag on create: for which creates (their `<service>:CreateAction`).
  const creates = [...new Set(items.flatMap((i) => (i.createAction ? [i.createAction] : [])))].sort(cmp);
  const services = [...new Set(items.flatMap((i) => (i.passedTo ? [i.passedTo] : [])))].sort(cmp);
  const when = creates.length
    ? ` (tagging what ${creates.join(', ')} creates)`
    : services.length
      ? ` (passed to ${services.join(', ')})`
      : '';
  // A wildcard's expansion is one finding, its riskiest actions named first.
  const notable = one ? [] : [...actions].sort((a, b) => weight(items, a) - weight(items, b) || cmp(a, b)).slice(0, 3);
  return {
    type,
    kind: 'iam',
    principal: label(g.principal),
    access: { action: one ? g.action : g.pattern, ...(one ? {} : { actions }), resources },
    summary: one
      ? `${g.action} on ${on}${when}`
      : `${g.pattern} on ${on}${when}: ${actions.length} actions, including ${notable.join(', ')}${actions.length > 3 ? '…' : ''}`,
    ...(risk ? { risk } : {}),
    ...(evidence ? { evidence } : {}),
    locations: uniqueLocations(items.map((i) => i.at)),
  };
}

/** How much an action of a wildcard's expansion deserves naming: permissions, then deletes, writes, reads. */
function weight(items: IamGrant[], action: string): number {
  const level = items.find((i) => i.action === action)!.facts.accessLevel;
  if (level.includes('Permissions management')) return 0;
  if (level.includes('Write')) return /:Delete/.test(action) ? 1 : 2;
  if (level.includes('Tagging')) return 3;
  return level.includes('Read') ? 4 : 5;
}

/**
 * The catalogue's risks of a finding's permissions, each reason once. A wildcard action is risky when
 * its expansion writes or manages permissions; read-only wildcards on `*` that AWS requires are not. With `held`
 * (a diff's new access: what the principal holds on the proposed side), iam:PassRole and a compute create are the
 * privilege escalation they make together, whichever of them is new.
 */
function riskOf(items: IamGrant[], held: PrincipalContext = {}): CiFinding['risk'] {
  // Reasons about one permission each (an IAM write) are said once with the permissions they concern.
  const all = new Map<string, { risk: Risk; about: Set<string> }>();
  const add = (r: Risk) => {
    const hit = all.get(r.reason) ?? { risk: r, about: new Set<string>() };
    if (r.about) hit.about.add(r.about);
    all.set(r.reason, hit);
  };
  for (const i of items)
    for (const r of awsRiskList(i.action, i.resource, keyAccount(i.principal), 0, i.facts, held)) add(r);
  const g = items[0]!;
  if (/[*?]/.test(g.pattern) && items.some((i) => !/^(List|Read)$/.test(i.facts.accessLevel)))
    add({ level: 'high', reason: `a wildcard action (${g.pattern}) that includes writes` });
  const list = [...all.values()].sort((a, b) => RISK_ORDER[a.risk.level] - RISK_ORDER[b.risk.level]);
  const words = list.map(({ risk, about }) => {
    const names = [...about].sort(cmp);
    if (names.length <= 1) return riskWords(risk);
    return `${risk.reason}: ${names.length} actions (${names.slice(0, 3).join(', ')}${names.length > 3 ? '…' : ''})`;
  });
  const level = topRisk(list.map((x) => x.risk));
  return level ? { level, reasons: words } : undefined;
}
