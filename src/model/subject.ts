import { cmp } from './issue.js';
import { tupleKey } from '../util/key.js';
import { bounded, escapeName } from '../util/paths.js';

/** Who made a request, normalised: Kubernetes subjects, and the AWS identities policies attach to. */
export type SubjectKind = K8sSubjectKind | AwsSubjectKind;
export type K8sSubjectKind = 'ServiceAccount' | 'User' | 'Group';
export type AwsSubjectKind = 'IAMRole' | 'IAMUser' | 'AWSAccount' | 'FederatedUser';

export const AWS_SUBJECT_KINDS: readonly AwsSubjectKind[] = ['IAMRole', 'IAMUser', 'AWSAccount', 'FederatedUser'];

export function isAwsKind(kind: SubjectKind): kind is AwsSubjectKind {
  return (AWS_SUBJECT_KINDS as readonly string[]).includes(kind);
}

export interface Subject {
  kind: SubjectKind;
  /** ServiceAccount name, user name or group name; the ARN of an AWS identity. */
  name: string;
  /** Only for ServiceAccounts. */
  namespace?: string;
}

const SA_PREFIX = 'system:serviceaccount:';

/** Turn a Kubernetes username into a subject: `system:serviceaccount:NS:NAME` is a ServiceAccount. */
export function subjectFromUsername(username: string): Subject {
  if (username.startsWith(SA_PREFIX)) {
    const rest = username.slice(SA_PREFIX.length);
    const colon = rest.indexOf(':');
    if (colon > 0 && colon < rest.length - 1) {
      return { kind: 'ServiceAccount', namespace: rest.slice(0, colon), name: rest.slice(colon + 1) };
    }
  }
  return { kind: 'User', name: username };
}

/**
 * The groups the API server gives every request of a service account (its token authenticator's:
 * `system:serviceaccounts`, `system:serviceaccounts:NS`, and `system:authenticated` as for any authenticated user);
 * none for any other subject.
 */
export function serviceAccountGroups(s: Subject): string[] {
  if (s.kind !== 'ServiceAccount' || !s.namespace) return [];
  return ['system:authenticated', 'system:serviceaccounts', `system:serviceaccounts:${s.namespace}`];
}

/**
 * Who a Kubernetes request made by a principal is judged as, its groups explicit (an evaluator adds none): a group
 * as an anonymous member of it; anyone else as `username` with the groups its requests carried (an audit record's
 * user.groups), exactly, when there are any; a service account whose requests carried none (a binding's subject in
 * `diff`, a log without user.groups), with the groups its token gives (`serviceAccountGroups`).
 */
export function k8sRequester(
  s: Subject,
  username: string,
  recorded: readonly string[] = [],
): { username: string; groups: string[] } {
  if (s.kind === 'Group') return { username: '', groups: [username] };
  return { username, groups: recorded.length ? [...recorded] : serviceAccountGroups(s) };
}

/** Stable key, also the sort key of principals: `serviceaccount:shop:web`, `user:alice`, `group:devs`. */
export function subjectKey(s: Subject): string {
  switch (s.kind) {
    case 'ServiceAccount':
      return `serviceaccount:${s.namespace ?? ''}:${s.name}`;
    case 'User':
      return `user:${s.name}`;
    case 'Group':
      return `group:${s.name}`;
    default:
      return `${s.kind.toLowerCase()}:${s.name}`;
  }
}

/** A subject as a map key that no name can shift (a namespace holding `:` included). */
export function subjectId(s: Subject): string {
  return tupleKey(s.kind, s.namespace ?? '', s.name);
}

/** Principals in `subjectKey` order (ties, possible only for invalid names, broken by the fields). */
export function compareSubjects(a: Subject, b: Subject): number {
  return cmp(subjectKey(a), subjectKey(b)) || cmp(subjectId(a), subjectId(b));
}

/**
 * A filesystem-safe form of the subject, used as a file name: `serviceaccount.shop.web`, `user.alice`.
 * Characters outside [A-Za-z0-9_-] are escaped as `~XX` so that two subjects never share a file (`.`
 * separates the parts); a long name is cut with a hash of the whole (see util/paths.ts).
 */
export function subjectFileName(s: Subject): string {
  const parts =
    s.kind === 'ServiceAccount' ? ['serviceaccount', s.namespace ?? '', s.name] : [s.kind.toLowerCase(), s.name];
  return bounded(parts.map((x) => escapeName(x, /[A-Za-z0-9_-]/)).join('.'));
}

/**
 * An IAM role or user ARN in parts. IAM role and user names are unique per account, so an identity is
 * (partition, account, kind, name); the path is an attribute of it that not every record shows (an
 * assumed-role session ARN carries none: its session issuer does).
 */
export interface IamIdentity {
  partition: string;
  account: string;
  kind: 'role' | 'user';
  /** `/`, or `/apps/`. */
  path: string;
  name: string;
}

const IAM_IDENTITY = /^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):(role|user)(\/(?:[\s\S]*\/)?)([^/]+)$/;

/** `arn:aws:iam::111122223333:role/apps/shop-cart` → its parts; undefined for anything but a role or user ARN. */
export function iamIdentity(arn: string): IamIdentity | undefined {
  const m = IAM_IDENTITY.exec(arn);
  if (!m) return undefined;
  return { partition: m[1]!, account: m[2]!, kind: m[3] as 'role' | 'user', path: m[4]!, name: m[5]! };
}

/** The IAM kind a subject kind names a policy for: IAMRole → role, IAMUser → user. */
export function iamKindOf(kind: SubjectKind): 'role' | 'user' | undefined {
  return kind === 'IAMRole' ? 'role' : kind === 'IAMUser' ? 'user' : undefined;
}

/**
 * One key per AWS identity: a role or user ARN by (partition, account, kind, name), whatever its path;
 * any other ARN as it is.
 */
export function awsIdentityKey(arn: string): string {
  const id = iamIdentity(arn);
  return id ? tupleKey('iam', id.partition, id.account, id.kind, id.name) : tupleKey('arn', arn);
}

/**
 * A principal's key in a profile: `subjectId`, except that an IAM role or user is its account and name
 * (`awsIdentityKey`), so the records of one role with and without its path are one principal, and a user
 * and a role of the same name are two.
 */
export function principalId(s: Subject): string {
  const kind = iamKindOf(s.kind);
  const id = kind ? iamIdentity(s.name) : undefined;
  return id && id.kind === kind ? tupleKey(s.kind, awsIdentityKey(s.name)) : subjectId(s);
}

/**
 * Of two ARNs of one IAM identity, the one to name it by: the one with a path other than `/` (a record
 * that shows no path does not say the path is `/`), then the smaller path in code-unit order, then the
 * smaller ARN. A minimum over a total order, so neither the order of the records nor the grouping of a
 * merge decides it.
 */
export function preferredIamArn(a: string, b: string): string {
  const pa = iamIdentity(a)?.path ?? '/';
  const pb = iamIdentity(b)?.path ?? '/';
  const rank = (Number(pa === '/') - Number(pb === '/')) as number;
  if (rank !== 0) return rank < 0 ? a : b;
  const c = cmp(pa, pb) || cmp(a, b);
  return c <= 0 ? a : b;
}

/**
 * A service-linked role: AWS creates it at `/aws-service-role/` and names it `AWSServiceRoleFor...`;
 * only the service may change its policies, so none is written for it.
 */
export function isServiceLinkedRole(arn: string): boolean {
  const id = iamIdentity(arn);
  return (
    !!id && id.kind === 'role' && (id.path.startsWith('/aws-service-role/') || id.name.startsWith('AWSServiceRoleFor'))
  );
}

/**
 * The permission set an IAM Identity Center role stands for, or undefined: Identity Center makes one role per
 * permission set and account, `AWSReservedSSO_<set>_<suffix>` at `/aws-reserved/sso.amazonaws.com/` (then the region,
 * for newer ones). IAM refuses changes to it; its policies are the permission set's. A session ARN carries no path,
 * so the name alone decides when the path is not known (`/`).
 */
export function identityCenterPermissionSet(arn: string): string | undefined {
  const id = iamIdentity(arn);
  if (!id || id.kind !== 'role') return undefined;
  if (id.path !== '/' && !id.path.startsWith('/aws-reserved/sso.amazonaws.com/')) return undefined;
  return /^AWSReservedSSO_(.+)_[0-9a-f]+$/.exec(id.name)?.[1];
}
