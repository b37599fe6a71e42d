import { compileGlob } from '../../util/glob.js';
import { cmp } from '../../model/issue.js';
import { pushAll } from '../../util/array.js';
import {
  actionMatches,
  anyFederated,
  distinct,
  issuersOf,
  POD_IDENTITY_SERVICE,
  principalMatches,
  strings,
  type TrustStatement,
} from './trust.js';

/**
 * Who a trust policy lets become its role beyond the service accounts seen (verify/iam/trust.ts judges those seen):
 * for `check`, the trust's grants no service account of the logs used; for `diff`, what one side lets in that the
 * other does not.
 */

/** Who an Allow lets assume a role, and which of the observed subjects each value lets in. */
export interface TrustBreadth {
  sid: string;
  /**
   * IRSA: the OIDC issuer (`*` for any); Pod Identity: `pods.eks.amazonaws.com`, whose trust may narrow the role to
   * service accounts by the session tags (the EKS User Guide: without them, any Pod Identity association of the
   * account may hand the role to a pod).
   */
  via: 'irsa' | 'pod-identity';
  issuer: string;
  /**
   * `any`: no condition on the token's subject (every service account of every cluster with that issuer); else each
   * subject value, whether it is a pattern (StringLike with `*` or `?`), and the observed subjects it lets in.
   */
  subjects: 'any' | { value: string; wildcard: boolean; observed: string[] }[];
  /** With `any`: the observed subjects (all of them). */
  observed: string[];
  /** The audience the statement asks of the token (`<issuer>:aud` under StringEquals), where it names exactly one. */
  audience?: string;
  /** Pod Identity: the clusters the statement pins (`clusterPins`), where it pins any. */
  clusters?: ClusterPins;
}

/**
 * The clusters a Pod Identity Allow pins by the session tags `eks-cluster-arn` and `eks-cluster-name` (the EKS User
 * Guide's "Setting Conditions"), each as written (a pattern under a Like operator stays one), under positive String
 * or Arn operators; undefined where it names neither tag so.
 */
export interface ClusterPins {
  arns: string[];
  names: string[];
}

const POSITIVE = /^(?:ForAnyValue:|ForAllValues:)?(?:String|Arn)(?:Equals|EqualsIgnoreCase|Like)$/;

/** The values positive String or Arn operators of an Allow ask of one condition key (lower case); undefined: none. */
export function positiveValues(st: TrustStatement, key: string): string[] | undefined {
  let values: string[] | undefined;
  for (const [op, keys] of Object.entries(st.condition)) {
    if (!POSITIVE.test(op)) continue;
    for (const [k, v] of Object.entries(keys))
      if (k.toLowerCase() === key) values = [...(values ?? []), ...(strings(v) ?? [])];
  }
  return values;
}

export function clusterPins(st: TrustStatement): ClusterPins | undefined {
  const arns = positiveValues(st, 'aws:requesttag/eks-cluster-arn');
  const names = positiveValues(st, 'aws:requesttag/eks-cluster-name');
  return arns || names ? { arns: arns ?? [], names: names ?? [] } : undefined;
}

/** A subject value of a trust's condition, and how it compares. */
export interface SubjectValue {
  value: string;
  op: 'Equals' | 'EqualsIgnoreCase' | 'Like';
}

/** The subject condition of an Allow for an issuer: the values of positive string operators on `<issuer>:sub`. */
export function subjectValues(st: TrustStatement, issuer: string): SubjectValue[] | 'any' {
  const values: SubjectValue[] = [];
  for (const [op, keys] of Object.entries(st.condition)) {
    const m = /^(?:ForAnyValue:|ForAllValues:)?String(Equals|EqualsIgnoreCase|Like)(IfExists)?$/.exec(op);
    // A negated operator or IfExists does not narrow who may come.
    if (!m || m[2]) continue;
    for (const [k, v] of Object.entries(keys))
      if (k.toLowerCase() === `${issuer.toLowerCase()}:sub`)
        for (const value of strings(v) ?? []) values.push({ value, op: m[1] as SubjectValue['op'] });
  }
  return values.length ? values : 'any';
}

/** The one audience an Allow asks of an issuer's token (StringEquals on `<issuer>:aud`), if it names exactly one. */
function audienceOf(st: TrustStatement, issuer: string): string | undefined {
  const values: string[] = [];
  for (const [op, keys] of Object.entries(st.condition))
    if (/^(?:ForAnyValue:)?StringEquals$/.test(op))
      for (const [k, v] of Object.entries(keys))
        if (k.toLowerCase() === `${issuer.toLowerCase()}:aud`) pushAll(values, strings(v) ?? []);
  return values.length === 1 ? values[0] : undefined;
}

export const subjectMatches = (v: SubjectValue, s: string) =>
  v.op === 'Like'
    ? compileGlob(v.value).test(s)
    : v.op === 'EqualsIgnoreCase'
      ? v.value.toLowerCase() === s.toLowerCase()
      : v.value === s;

/**
 * What each IRSA Allow of a trust policy lets in, with the observed subjects it covers: for `check`, the trust's
 * grants to subjects never seen. `observed` are `system:serviceaccount:NS:NAME` of the links to this role.
 */
export function trustBreadth(
  statements: readonly TrustStatement[],
  observed: readonly string[],
  podIdentity: readonly string[] = [],
  /** Web identities' subjects seen, by issuer in lower case (GitHub Actions' `repo:...`): observed for it too. */
  tokens: ReadonlyMap<string, readonly string[]> = new Map(),
): TrustBreadth[] {
  const out: TrustBreadth[] = [];
  for (const st of statements) {
    // Pod Identity: an Allow of sts:AssumeRole to EKS's service with no condition on either session tag.
    if (st.effect !== 'Allow' || !actionMatches(st, 'sts:AssumeRole')) continue;
    if (!principalMatches(st, 'Service', POD_IDENTITY_SERVICE) || st.principal === '*') continue;
    const narrowed = Object.entries(st.condition).some(
      ([op, keys]) =>
        /^(?:ForAnyValue:|ForAllValues:)?String(Equals|EqualsIgnoreCase|Like)$/.test(op) &&
        Object.keys(keys).some((k) => /^aws:requesttag\/kubernetes-(namespace|service-account)$/i.test(k)),
    );
    const clusters = clusterPins(st);
    if (!narrowed)
      out.push({
        sid: st.sid,
        via: 'pod-identity',
        issuer: POD_IDENTITY_SERVICE,
        subjects: 'any',
        observed: [...podIdentity],
        ...(clusters ? { clusters } : {}),
      });
  }
  for (const st of statements) {
    if (st.effect !== 'Allow' || st.notPrincipal || !actionMatches(st, 'sts:AssumeRoleWithWebIdentity')) continue;
    const issuers = distinct(issuersOf(st));
    // `*` (or a Federated `*`) without an issuer's key in its Condition: any token of any issuer.
    if (issuers.length === 0 && anyFederated(st)) issuers.push('*');
    for (const issuer of issuers) {
      const seen =
        issuer === '*'
          ? [...observed, ...[...tokens.values()].flat()]
          : [...observed, ...(tokens.get(issuer.toLowerCase()) ?? [])];
      const sub = subjectValues(st, issuer);
      const aud = audienceOf(st, issuer);
      const audience = aud !== undefined ? { audience: aud } : {};
      if (sub === 'any') {
        out.push({
          sid: st.sid,
          via: 'irsa',
          issuer,
          subjects: 'any',
          observed: [...new Set(seen)].sort(cmp),
          ...audience,
        });
        continue;
      }
      const subjects = sub.map((v) => ({
        value: v.value,
        wildcard: v.op === 'Like' && /[*?]/.test(v.value),
        observed: seen.filter((s) => subjectMatches(v, s)),
      }));
      out.push({
        sid: st.sid,
        via: 'irsa',
        issuer,
        subjects,
        observed: [...new Set(subjects.flatMap((x) => x.observed))],
        ...audience,
      });
    }
  }
  return out;
}
