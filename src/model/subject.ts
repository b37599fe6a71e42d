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
