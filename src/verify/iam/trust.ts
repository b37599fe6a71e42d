import { compileGlob } from '../../util/glob.js';
import { statementHolds } from './conditions.js';
import { isObj, stringList } from '../../util/json.js';
import type { IamAccess } from '../../model/finding.js';
import type { RoleLink, WebIdentityAssumption } from '../../model/profile.js';
import { effectStatements, type NamedPolicy } from './evaluate.js';
import { webIdentityProviderProblem } from '../../knowledge/aws/names.js';

/**
 * Who may become a role: its trust policy, judged for the two ways a Kubernetes service account does (written from
 * the IAM User Guide's "Policy evaluation logic" and "IAM JSON policy elements: Condition operators", and the EKS
 * User Guide's IRSA and Pod Identity pages; it shares no code with a generator).
 *
 * - IRSA: `sts:AssumeRoleWithWebIdentity` by a `Federated` OIDC provider, the token's subject
 *   `system:serviceaccount:NS:NAME` in the `<issuer>:sub` key and its audience (`sts.amazonaws.com`, what EKS's
 *   webhook asks for by default) in `<issuer>:aud`.
 * - EKS Pod Identity: `sts:AssumeRole` and `sts:TagSession` by the service `pods.eks.amazonaws.com`, the session tags
 *   `kubernetes-namespace` and `kubernetes-service-account` in `aws:RequestTag/...`, and `eks-cluster-arn` and
 *   `eks-cluster-name` where the records named the cluster (each cluster seen asked on its own). The pod's name and
 *   uid are not kept: a Condition on them is undetermined.
 *
 * Which cluster's issuer the token came from is not compared: a soak runs in staging, whose issuer is not
 * production's, and the logs' provider is not kept. Every OIDC provider the trust names is tried. A Condition on a
 * key the request does not say (`aws:SourceIp`, a pod's name) or an operator not read here leaves the statement
 * undetermined, never allowed.
 */
export type TrustRequest =
  | { via: 'irsa'; namespace: string; serviceAccount: string }
  /** `cluster`: the session tag `eks-cluster-arn`, where known (unknown, a condition on it is undetermined). */
  | { via: 'pod-identity'; namespace: string; serviceAccount: string; cluster?: string }
  /**
   * A web identity that is no service account (GitHub Actions, another OIDC issuer): the token's issuer (as condition
   * keys begin), subject, and audience where known (unknown, a condition on it is undetermined), and the trust actions
   * it needed (`sts:AssumeRoleWithWebIdentity`, and `sts:TagSession` / `sts:SetSourceIdentity` where its token passed
   * session tags or a source identity: each must be allowed, with the token's keys in its request).
   */
  | {
      via: 'web-identity';
      issuer: string;
      subject: string;
      audience?: string;
      actions?: readonly string[];
      /**
       * How the identity signed in (`<issuer>:amr`, Cognito's `authenticated` or `unauthenticated`): for a `diff`'s
       * stand-in only, since CloudTrail's records do not carry it (a condition on it is then undetermined).
       */
      amr?: string;
    };

export type TrustDecision = { result: 'allow' | 'deny' | 'undetermined'; reason: string };

/** The default audience of an EKS service account token for IRSA. */
export const IRSA_AUDIENCE = 'sts.amazonaws.com';
export const POD_IDENTITY_SERVICE = 'pods.eks.amazonaws.com';

export interface TrustStatement {
  sid: string;
  effect: 'Allow' | 'Deny';
  actions: string[];
  /** NotAction instead of Action. */
  notAction: boolean;
  /** `*` for everyone; else by principal type (`Federated`, `Service`, `AWS`), the values. */
  principal: '*' | Record<string, string[]>;
  notPrincipal: boolean;
  condition: Record<string, Record<string, unknown>>;
}

export const strings = stringList;

const readOnce = new WeakMap<NamedPolicy, TrustStatement[] | undefined>();

/** A trust policy's statements, read once per policy object; undefined for none, one not read, or one unreadable. */
export function readTrustOnce(trust: NamedPolicy | undefined): TrustStatement[] | undefined {
  if (!trust || trust.unknown !== undefined) return undefined;
  if (!readOnce.has(trust)) {
    const read = readTrust(trust.document);
    readOnce.set(trust, typeof read === 'string' ? undefined : read);
  }
  return readOnce.get(trust);
}

/** A trust policy's statements, or what is wrong with it. */
export function readTrust(doc: unknown): TrustStatement[] | string {
  const stmts = effectStatements(doc, 'a trust policy');
  if (typeof stmts === 'string') return stmts;
  const out: TrustStatement[] = [];
  for (const { i, s, effect } of stmts) {
    const notAction = s['Action'] === undefined && s['NotAction'] !== undefined;
    const actions = strings(notAction ? s['NotAction'] : s['Action']);
    if (!actions) return `Statement[${i}] needs Action or NotAction, a string or a list of strings`;
    const notPrincipal = s['Principal'] === undefined && s['NotPrincipal'] !== undefined;
    const p = notPrincipal ? s['NotPrincipal'] : s['Principal'];
    let principal: TrustStatement['principal'];
    if (p === '*') principal = '*';
    else if (isObj(p)) {
      // No prototype: a principal type read from a file is a key like any other (`__proto__` included).
      principal = Object.create(null) as Record<string, string[]>;
      for (const [type, v] of Object.entries(p)) {
        const values = strings(v);
        if (!values) return `Statement[${i}].Principal.${type} must be a string or a list of strings`;
        principal[type] = values;
      }
    } else return `Statement[${i}] needs Principal or NotPrincipal`;
    const c = s['Condition'];
    if (c !== undefined && !(isObj(c) && Object.values(c).every(isObj)))
      return `Statement[${i}].Condition must map operators to objects of keys`;
    const sid = typeof s['Sid'] === 'string' && s['Sid'] !== '' ? s['Sid'] : `#${i}`;
    out.push({
      sid,
      effect,
      actions,
      notAction,
      principal,
      notPrincipal,
      condition: (c ?? {}) as TrustStatement['condition'],
    });
  }
  return out;
}

/**
 * `oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE` of `arn:aws:iam::111122223333:oidc-provider/oidc.eks...`; a provider
 * IAM knows without an ARN (`accounts.google.com`, `cognito-identity.amazonaws.com`) is its own issuer.
 */
export function issuerOf(provider: string): string | undefined {
  const m = /^arn:[^:]+:iam::[^:]*:oidc-provider\/(.+)$/.exec(provider);
  if (m) return m[1]!;
  return webIdentityProviderProblem(provider) ? undefined : provider;
}

/** The values a principal type names (`*` names every one). */
export function principalsOf(st: TrustStatement, type: string): string[] {
  if (st.principal === '*') return ['*'];
  const k = Object.keys(st.principal).find((t) => t.toLowerCase() === type.toLowerCase());
  return k ? st.principal[k]! : [];
}

/** The OIDC issuers an Allow or Deny statement names: by its Federated principals, or with `*` by its keys. */
export function issuersOf(st: TrustStatement): string[] {
  const fed = principalsOf(st, 'Federated');
  const named = fed.flatMap((f) => {
    const issuer = f === '*' ? undefined : issuerOf(f);
    return issuer ? [issuer] : [];
  });
  if (!fed.includes('*')) return named;
  const keyed = Object.values(st.condition).flatMap((block) =>
    Object.keys(block).flatMap((k) => {
      const m = /^(.+):(sub|aud|amr)$/i.exec(k);
      return m && !m[1]!.includes(':') ? [m[1]!] : [];
    }),
  );
  return [...named, ...keyed];
}

/** A statement whose principal is everyone, or every federated identity. */
export const anyFederated = (st: TrustStatement) => !st.notPrincipal && principalsOf(st, 'Federated').includes('*');

/** Issuers each once (compared without case, as condition keys are), as first spelt. */
export function distinct(issuers: string[]): string[] {
  const seen = new Map<string, string>();
  for (const i of issuers) if (!seen.has(i.toLowerCase())) seen.set(i.toLowerCase(), i);
  return [...seen.values()];
}

/** The issuers a trust policy names anywhere, each once, in their order. */
export function trustIssuers(statements: readonly TrustStatement[]): string[] {
  return distinct(statements.flatMap(issuersOf));
}

export const actionMatches = (st: TrustStatement, action: string) => {
  const hit = st.actions.some((a) => compileGlob(a, { caseInsensitive: true }).test(action));
  return st.notAction ? !hit : hit;
};

export function principalMatches(st: TrustStatement, type: string, value: string): boolean {
  const named = principalsOf(st, type);
  const hit = named.some((v) => v === '*' || v.toLowerCase() === value.toLowerCase());
  return st.notPrincipal ? !hit : hit;
}

/** The request's asks: per action, the principal and the condition context it carries. */
interface Ask {
  action: string;
  type: string;
  principal: string;
  context: Map<string, string>;
  absent: (key: string) => boolean;
}

function asks(req: TrustRequest, issuer: string | undefined): Ask[] {
  if (req.via === 'irsa' || req.via === 'web-identity') {
    const i = issuer!.toLowerCase();
    const context =
      req.via === 'irsa'
        ? new Map([
            [`${i}:sub`, `system:serviceaccount:${req.namespace}:${req.serviceAccount}`],
            [`${i}:aud`, IRSA_AUDIENCE],
          ])
        : new Map([[`${i}:sub`, req.subject]]);
    if (req.via === 'web-identity' && req.audience !== undefined) context.set(`${i}:aud`, req.audience);
    if (req.via === 'web-identity' && req.amr !== undefined) context.set(`${i}:amr`, req.amr);
    // Another issuer's keys are not in a token of this one.
    const absent = (k: string) => /^[^:]+:(sub|aud|amr)$/.test(k) && !k.startsWith(`${i}:`);
    const actions = (req.via === 'web-identity' && req.actions) || ['sts:AssumeRoleWithWebIdentity'];
    return actions.map((action) => ({
      action,
      type: 'Federated',
      principal: `oidc-provider/${i}`,
      context,
      absent,
    }));
  }
  const context = new Map([
    ['aws:requesttag/kubernetes-namespace', req.namespace],
    ['aws:requesttag/kubernetes-service-account', req.serviceAccount],
  ]);
  // The cluster's tags: its ARN, and its name, the ARN's last part (EKS passes both).
  if (req.cluster !== undefined) {
    context.set('aws:requesttag/eks-cluster-arn', req.cluster);
    context.set('aws:requesttag/eks-cluster-name', req.cluster.slice(req.cluster.lastIndexOf('/') + 1));
  }
  const none = () => false;
  return ['sts:AssumeRole', 'sts:TagSession'].map((action) => ({
    action,
    type: 'Service',
    principal: POD_IDENTITY_SERVICE,
    context,
    absent: none,
  }));
}

/** A Federated principal names the issuer asked (or every one). */
function federatedMatches(st: TrustStatement, issuer: string): boolean {
  if (st.principal === '*') return !st.notPrincipal;
  const hit = principalsOf(st, 'Federated').some(
    (f) => f === '*' || issuerOf(f)?.toLowerCase() === issuer.toLowerCase(),
  );
  return st.notPrincipal ? !hit : hit;
}

function decideAsk(statements: readonly TrustStatement[], ask: Ask, issuer: string | undefined): TrustDecision {
  let allow: TrustStatement | undefined;
  const unsure: string[] = [];
  for (const st of statements) {
    if (!actionMatches(st, ask.action)) continue;
    const who = issuer !== undefined ? federatedMatches(st, issuer) : principalMatches(st, ask.type, ask.principal);
    if (!who) continue;
    const holds = statementHolds(st, ask.context, ask.absent);
    if (holds === false) continue;
    if (st.effect === 'Deny') {
      if (holds === true) return { result: 'deny', reason: `statement ${st.sid} denies ${ask.action}` };
      unsure.push(`statement ${st.sid} denies ${ask.action} under a Condition not judged here`);
    } else if (holds === true) allow ??= st;
    else unsure.push(`statement ${st.sid} allows ${ask.action} under a Condition not judged here`);
  }
  if (allow && unsure.every((u) => !u.includes(' denies ')))
    return { result: 'allow', reason: `statement ${allow.sid}` };
  if (unsure.length) return { result: 'undetermined', reason: unsure.join('; ') };
  return { result: 'deny', reason: `no statement allows ${ask.action} for it` };
}

/** Whether a role's trust policy lets the service account become the role, the way it did. */
export function evaluateTrust(
  statements: readonly TrustStatement[],
  req: TrustRequest,
  /** IRSA: a token of this issuer only (a `diff` compares two trusts issuer by issuer); else every issuer named. */
  onlyIssuer?: string,
): TrustDecision {
  if (req.via === 'pod-identity') {
    const ds = asks(req, undefined).map((a) => decideAsk(statements, a, undefined));
    return ds.find((d) => d.result === 'deny') ?? ds.find((d) => d.result === 'undetermined') ?? ds[0]!;
  }
  // A web identity's token comes from its one issuer.
  const only = req.via === 'web-identity' ? req.issuer : onlyIssuer;
  let issuers = only !== undefined ? [only] : trustIssuers(statements);
  if (issuers.length === 0) {
    if (!statements.some(anyFederated))
      return { result: 'deny', reason: 'it trusts no OIDC provider, so no service account token (IRSA) can assume it' };
    issuers = ['*'];
  }
  // Every action the request needed, by the same issuer: its first denial, else its first undetermined answer.
  const both = (i: string) => {
    const each = asks(req, i).map((a) => decideAsk(statements, a, i));
    return each.find((d) => d.result === 'deny') ?? each.find((d) => d.result === 'undetermined') ?? each[0]!;
  };
  const ds = issuers.map((i) => ({ i, d: both(i) }));
  const allowed = ds.find((x) => x.d.result === 'allow');
  if (allowed) return { result: 'allow', reason: `${allowed.d.reason} (issuer ${allowed.i})` };
  const unsure = ds.filter((x) => x.d.result === 'undetermined');
  if (unsure.length) return { result: 'undetermined', reason: unsure.map((x) => x.d.reason).join('; ') };
  return { result: 'deny', reason: ds.map((x) => `issuer ${x.i}: ${x.d.reason}`).join('; ') };
}

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/**
 * A service account's assumption of a role (IRSA, Pod Identity) judged by the role's trust policy: the call it made
 * as an access, and the decision in words; undefined for a username that is no service account's.
 */
export function judgeTrust(
  username: string,
  link: RoleLink,
  trust: NamedPolicy,
): { access: IamAccess; result: 'allow' | 'deny' | 'undetermined'; detail: string } | undefined {
  const m = SERVICE_ACCOUNT.exec(username);
  if (!m) return undefined;
  const irsa = link.via === 'irsa';
  const access = {
    action: irsa ? 'sts:AssumeRoleWithWebIdentity' : 'sts:AssumeRole',
    resource: link.roleArn,
    events: [irsa ? 'sts.amazonaws.com AssumeRoleWithWebIdentity' : 'sts.amazonaws.com AssumeRole'],
  };
  const of = `the trust policy of ${link.roleArn} (${trust.name})`;
  if (trust.unknown !== undefined)
    return { access, result: 'undetermined', detail: `${of} was not read: ${trust.unknown}` };
  const statements = readTrust(trust.document);
  if (typeof statements === 'string') return { access, result: 'undetermined', detail: `${of}: ${statements}` };
  // Pod Identity: each cluster whose pods assumed the role, on its own (its first denial, else first undetermined).
  const clusters = link.via === 'pod-identity' && link.clusters?.length ? link.clusters : [undefined];
  const each = clusters.map((cluster) => {
    const req = { via: link.via, namespace: m[1]!, serviceAccount: m[2]!, ...(cluster ? { cluster } : {}) };
    const x = evaluateTrust(statements, req);
    return cluster ? { ...x, reason: `${x.reason} (a pod of ${cluster})` } : x;
  });
  const d = each.find((x) => x.result === 'deny') ?? each.find((x) => x.result === 'undetermined') ?? each[0]!;
  const how = irsa ? 'its token (IRSA)' : 'EKS Pod Identity';
  const detail =
    d.result === 'allow'
      ? `${of} allows it: ${d.reason}`
      : d.result === 'deny'
        ? `${of} does not let it assume the role with ${how}: ${d.reason}`
        : `${of} may or may not let it assume the role with ${how}: ${d.reason}`;
  return { access, result: d.result, detail };
}

/**
 * A web identity's assumption of a role (GitHub Actions, another OIDC issuer: the profile's `webIdentityAssumptions`)
 * judged by the role's trust policy: the call as an access, and the decision in words.
 */
export function judgeWebIdentityTrust(
  a: WebIdentityAssumption,
  trust: NamedPolicy,
): { access: IamAccess; result: 'allow' | 'deny' | 'undetermined'; detail: string } {
  const access = {
    action: 'sts:AssumeRoleWithWebIdentity',
    resource: a.roleArn,
    events: ['sts.amazonaws.com AssumeRoleWithWebIdentity'],
  };
  const of = `the trust policy of ${a.roleArn} (${trust.name})`;
  if (trust.unknown !== undefined)
    return { access, result: 'undetermined', detail: `${of} was not read: ${trust.unknown}` };
  const statements = readTrust(trust.document);
  if (typeof statements === 'string') return { access, result: 'undetermined', detail: `${of}: ${statements}` };
  const issuer = issuerOf(a.provider) ?? a.provider;
  const audience = a.audience !== undefined ? { audience: a.audience } : {};
  const actions = a.actions !== undefined ? { actions: a.actions } : {};
  const d = evaluateTrust(statements, { via: 'web-identity', issuer, subject: a.subject, ...audience, ...actions });
  const detail =
    d.result === 'allow'
      ? `${of} allows it: ${d.reason}`
      : d.result === 'deny'
        ? `${of} does not let the token of ${issuer} assume the role: ${d.reason}`
        : `${of} may or may not let the token of ${issuer} assume the role: ${d.reason}`;
  return { access, result: d.result, detail };
}
