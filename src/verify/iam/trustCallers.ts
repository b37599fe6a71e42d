import type { IamAccess } from '../../model/finding.js';
import type { RoleAssumption } from '../../model/roleAssumption.js';
import type { SamlAssumption, ServiceAssumption } from '../../model/profile.js';
import { iamIdentity, type IamIdentity } from '../../model/subject.js';
import type { NamedPolicy } from './evaluate.js';
import {
  actionMatches,
  principalMatches,
  principalsOf,
  readTrust,
  type TrustDecision,
  type TrustStatement,
} from './trust.js';
import { arnLike, principalContext, statementHolds, type Tri } from './conditions.js';
import { positiveValues } from './trustBreadth.js';

/**
 * Who may become a role with `sts:AssumeRole` as an IAM principal: a session of another role (role chaining), an IAM
 * user, of the role's account or of another. Written from the IAM User Guide ("AWS JSON policy elements: Principal",
 * "Policy evaluation logic", "AWS global condition context keys"), sharing no code with a generator:
 *
 * - `AWS: "*"` (or `Principal: "*"`) lets everyone in; an account, as `arn:PARTITION:iam::ACCOUNT:root` or `ACCOUNT`,
 *   every principal of that account (its identity policies decide which: judged with the caller's own policy, not
 *   here); a role's ARN every session of the role; a user's ARN the user. An assumed-role session's ARN names one
 *   session, whose name the profile does not keep: undetermined.
 * - Conditions read: `aws:PrincipalArn` (a role session's is its role's ARN), `aws:PrincipalAccount`,
 *   `aws:PrincipalType` (`AssumedRole`, `User`) and a user's `aws:username`, under the String and Arn operators, and
 *   `sts:ExternalId` in the request for `sts:AssumeRole` where the calls passed one (each external ID seen asked on
 *   its own; STS lists the key for AssumeRole alone, so for `sts:TagSession` it is not known here). Any other key
 *   (`aws:PrincipalOrgID`, `aws:MultiFactorAuthPresent`, the session's tags), or the external ID of calls that passed
 *   none or of a profile that predates them, is not in the profile: the statement is undetermined, never allowed.
 * - Every action the caller needed (`sts:AssumeRole`, and `sts:TagSession` / `sts:SetSourceIdentity` where it passed
 *   session tags or a source identity) must be allowed.
 */

const SESSION = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/;

function valueMatches(v: string, id: IamIdentity, caller: string): Tri {
  if (v === '*' || v.toLowerCase() === caller.toLowerCase()) return true;
  if (v === id.account || v === `arn:${id.partition}:iam::${id.account}:root`) return true;
  const s = SESSION.exec(v);
  if (
    s &&
    id.kind === 'role' &&
    s[1] === id.partition &&
    s[2] === id.account &&
    s[3]!.toLowerCase() === id.name.toLowerCase()
  )
    return 'unknown';
  return false;
}

function callerMatches(st: TrustStatement, id: IamIdentity, caller: string): Tri {
  let hit: Tri = st.principal === '*';
  if (!hit)
    for (const v of principalsOf(st, 'AWS')) {
      const m = valueMatches(v, id, caller);
      if (m === true) {
        hit = true;
        break;
      }
      if (m === 'unknown') hit = 'unknown';
    }
  if (!st.notPrincipal) return hit;
  return hit === 'unknown' ? 'unknown' : !hit;
}

function decide(
  statements: readonly TrustStatement[],
  action: string,
  id: IamIdentity,
  caller: string,
  externalId?: string,
): TrustDecision {
  const { keys, absent } = principalContext(id, caller);
  // The external ID is a key of sts:AssumeRole's request (STS's condition keys), not of its session tags'.
  const context =
    externalId !== undefined && action === 'sts:AssumeRole' ? new Map([...keys, ['sts:externalid', externalId]]) : keys;
  return decideBy(statements, action, (st) => callerMatches(st, id, caller), context, absent);
}

/** The trust's answer to one action, by who the statements name (`matches`) and what the request says. */
function decideBy(
  statements: readonly TrustStatement[],
  action: string,
  matches: (st: TrustStatement) => Tri,
  context: ReadonlyMap<string, string>,
  absent: (k: string) => boolean,
): TrustDecision {
  let allow: TrustStatement | undefined;
  const unsure: string[] = [];
  for (const st of statements) {
    if (!actionMatches(st, action)) continue;
    const who = matches(st);
    if (who === false) continue;
    const holds = statementHolds(st, context, absent);
    if (holds === false) continue;
    const sure = who === true && holds === true;
    const why = who === true ? 'under a Condition not judged here' : 'for one session of the role, not known here';
    if (st.effect === 'Deny') {
      if (sure) return { result: 'deny', reason: `statement ${st.sid} denies ${action}` };
      unsure.push(`statement ${st.sid} denies ${action} ${why}`);
    } else if (sure) allow ??= st;
    else unsure.push(`statement ${st.sid} allows ${action} ${why}`);
  }
  if (allow && unsure.every((u) => !u.includes(' denies ')))
    return { result: 'allow', reason: `statement ${allow.sid}` };
  if (unsure.length) return { result: 'undetermined', reason: unsure.join('; ') };
  return { result: 'deny', reason: `no statement allows ${action} for it` };
}

/**
 * Whether a role's trust policy lets an AWS service (`lambda.amazonaws.com`) assume it: each action it needed
 * (`sts:AssumeRole`, and `sts:TagSession` / `sts:SetSourceIdentity` where it passed session tags or a source identity)
 * by a `Service` principal naming it (or `*`). The request's keys (`aws:SourceAccount`, `aws:SourceArn`: which
 * function, instance or trust anchor) are not in the profile: a statement with a Condition is undetermined.
 */
export function evaluateServiceTrust(
  statements: readonly TrustStatement[],
  service: string,
  actions: readonly string[] = ['sts:AssumeRole'],
): TrustDecision {
  const none = () => false;
  const ds = actions.map((action) =>
    decideBy(statements, action, (st) => principalMatches(st, 'Service', service), new Map(), none),
  );
  return ds.find((d) => d.result === 'deny') ?? ds.find((d) => d.result === 'undetermined') ?? ds[0]!;
}

type Judged = { access: IamAccess; result: 'allow' | 'deny' | 'undetermined'; detail: string };

/** An assumption of `roleArn` judged by its trust: read, decided by `decision`, said with `who`. */
function judgeAssume(
  roleArn: string,
  trust: NamedPolicy,
  decision: (statements: TrustStatement[]) => TrustDecision,
  who: string,
  call: 'AssumeRole' | 'AssumeRoleWithSAML' = 'AssumeRole',
): Judged {
  const access = { action: `sts:${call}`, resource: roleArn, events: [`sts.amazonaws.com ${call}`] };
  const of = `the trust policy of ${roleArn} (${trust.name})`;
  if (trust.unknown !== undefined)
    return { access, result: 'undetermined', detail: `${of} was not read: ${trust.unknown}` };
  const statements = readTrust(trust.document);
  if (typeof statements === 'string') return { access, result: 'undetermined', detail: `${of}: ${statements}` };
  const d = decision(statements);
  const detail =
    d.result === 'allow'
      ? `${of} allows it: ${d.reason}`
      : d.result === 'deny'
        ? `${of} does not let ${who}: ${d.reason}`
        : `${of} may or may not let ${who}: ${d.reason}`;
  return { access, result: d.result, detail };
}

/** An AWS service's assumption of a role judged by the role's trust policy: the call as an access, and why. */
export function judgeServiceTrust(a: ServiceAssumption, trust: NamedPolicy): Judged {
  const actions = a.actions ?? ['sts:AssumeRole'];
  const who = `the service assume the role${actions.length > 1 ? ` (${actions.join(', ')})` : ''}`;
  return judgeAssume(a.roleArn, trust, (st) => evaluateServiceTrust(st, a.service, actions), who);
}

/**
 * Whether a role's trust policy lets a SAML user in the way it came: every action it needed by a `Federated` principal
 * naming its SAML provider (or `*`), with the assertion's keys `SAML:sub`, `SAML:sub_type` and `SAML:aud` where the
 * records said them (a Condition on one they did not, or on `SAML:iss`, `SAML:namequalifier`, an attribute, leaves
 * the statement undetermined). An OIDC issuer's keys (`ISSUER:sub`) are not in a SAML request.
 */
export function evaluateSamlTrust(
  statements: readonly TrustStatement[],
  a: Pick<SamlAssumption, 'provider' | 'subject' | 'subjectType' | 'audience' | 'actions'>,
): TrustDecision {
  const context = new Map([['saml:sub', a.subject]]);
  if (a.subjectType !== undefined) context.set('saml:sub_type', a.subjectType);
  if (a.audience !== undefined) context.set('saml:aud', a.audience);
  const absent = (k: string) => /^[^:]+:(sub|aud|amr|oaud)$/.test(k) && !k.startsWith('saml:');
  const ds = a.actions.map((action) =>
    decideBy(statements, action, (st) => principalMatches(st, 'Federated', a.provider), context, absent),
  );
  return ds.find((d) => d.result === 'deny') ?? ds.find((d) => d.result === 'undetermined') ?? ds[0]!;
}

/** A SAML user's assumption of a role judged by the role's trust policy: the call as an access, and why. */
export function judgeSamlTrust(a: SamlAssumption, trust: NamedPolicy): Judged {
  const who = `the SAML user of ${a.provider} assume the role (${a.actions.join(', ')})`;
  return judgeAssume(a.roleArn, trust, (st) => evaluateSamlTrust(st, a), who, 'AssumeRoleWithSAML');
}

/**
 * Whether a role's trust policy lets an IAM role or user (`caller`, its ARN) assume it with these actions, passing
 * `externalId` (undefined: not known).
 */
export function evaluateCallerTrust(
  statements: readonly TrustStatement[],
  caller: string,
  actions: readonly string[],
  externalId?: string,
): TrustDecision {
  const id = iamIdentity(caller);
  if (!id) return { result: 'undetermined', reason: `${caller} is no IAM role or user` };
  const ds = actions.map((a) => decide(statements, a, id, caller, externalId));
  return ds.find((d) => d.result === 'deny') ?? ds.find((d) => d.result === 'undetermined') ?? ds[0]!;
}

/**
 * An IAM principal's assumption of a role judged by the role's trust policy: the call as an access, and why. Each
 * external ID its calls passed is asked on its own, and, where some calls passed none, the request without one.
 */
export function judgeCallerTrust(caller: string, a: RoleAssumption, trust: NamedPolicy): Judged {
  const who = `it assume the role (${a.actions.join(', ')})`;
  const ids: (string | undefined)[] = [...(a.externalIds ?? [])];
  if (!ids.length || a.withoutExternalId) ids.push(undefined);
  const decision = (st: TrustStatement[]) => {
    const ds = ids.map((x) => {
      const d = evaluateCallerTrust(st, caller, a.actions, x);
      return x !== undefined ? { ...d, reason: `${d.reason} (external ID ${x})` } : d;
    });
    return ds.find((d) => d.result === 'deny') ?? ds.find((d) => d.result === 'undetermined') ?? ds[0]!;
  };
  return judgeAssume(a.roleArn, trust, decision, who);
}

/** Who one Allow lets assume the role as an IAM principal, beyond the callers seen (`check`), or for a `diff`. */
export interface CallerBreadth {
  sid: string;
  /**
   * `anyone`: any principal of any account; `account`: every principal of an account its identity policies allow
   * (`value` is the account); `principal`: one role, user or session, or a pattern of them (`wildcard`), by its ARN.
   */
  scope: 'anyone' | 'account' | 'principal';
  value: string;
  wildcard: boolean;
  /** The callers seen that it lets in. */
  observed: string[];
  /** The external IDs the statement asks (`sts:ExternalId` under a positive String operator), where it asks any. */
  externalIds?: string[];
}

/** The positive values of an Allow's Condition on `aws:PrincipalArn` (they narrow who its principals are). */
function principalArnValues(st: TrustStatement): { value: string; like: boolean }[] {
  const out: { value: string; like: boolean }[] = [];
  for (const [op, keys] of Object.entries(st.condition)) {
    const m = /^(?:ForAnyValue:)?(String|Arn)(Equals|EqualsIgnoreCase|Like)$/.exec(op);
    if (!m) continue;
    for (const [k, v] of Object.entries(keys))
      if (k.toLowerCase() === 'aws:principalarn')
        for (const value of Array.isArray(v) ? v : [v])
          if (typeof value === 'string') out.push({ value, like: m[1] === 'Arn' || m[2] === 'Like' });
  }
  return out;
}

const ACCOUNT_ROOT = /^arn:[^:]+:iam::(\d{12}):root$/;

/**
 * What each Allow of `sts:AssumeRole` (or of `action`) to AWS principals lets in, with the callers seen it covers
 * (`observed`: ARNs of the IAM roles and users that assumed the role). A Condition on `aws:PrincipalArn` narrows an
 * account or `*` to its values.
 */
export function callerBreadth(
  statements: readonly TrustStatement[],
  observed: readonly string[],
  action = 'sts:AssumeRole',
): CallerBreadth[] {
  const out: CallerBreadth[] = [];
  for (const st of statements) {
    if (st.effect !== 'Allow' || st.notPrincipal || !actionMatches(st, action)) continue;
    const values = st.principal === '*' ? ['*'] : principalsOf(st, 'AWS');
    if (!values.length) continue;
    const narrowed = principalArnValues(st);
    const ext = positiveValues(st, 'sts:externalid');
    const externalIds = ext ? { externalIds: ext } : {};
    const lets = (caller: string) => {
      const id = iamIdentity(caller);
      return !!id && values.some((v) => valueMatches(v, id, caller) !== false);
    };
    if (narrowed.length) {
      for (const n of narrowed) {
        const wildcard = n.like && /[*?]/.test(n.value);
        const covers = (c: string) =>
          lets(c) && (n.like ? arnLike(n.value, c) : n.value.toLowerCase() === c.toLowerCase());
        out.push({
          sid: st.sid,
          scope: 'principal',
          value: n.value,
          wildcard,
          observed: observed.filter(covers),
          ...externalIds,
        });
      }
      continue;
    }
    for (const v of values) {
      const account = /^\d{12}$/.test(v) ? v : ACCOUNT_ROOT.exec(v)?.[1];
      const scope = v === '*' ? 'anyone' : account !== undefined ? 'account' : 'principal';
      const covers = (c: string) => {
        const id = iamIdentity(c);
        return !!id && valueMatches(v, id, c) !== false;
      };
      out.push({
        sid: st.sid,
        scope,
        value: account ?? v,
        wildcard: false,
        observed: observed.filter(covers),
        ...externalIds,
      });
    }
  }
  return out;
}
