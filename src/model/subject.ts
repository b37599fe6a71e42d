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

/**
 * A filesystem-safe form of the subject, used as a file name: `serviceaccount.shop.web`, `user.alice`.
 * Characters outside [A-Za-z0-9._-] are percent-style escaped as `~XX` so that two subjects never share a file.
 */
export function subjectFileName(s: Subject): string {
  const parts = s.kind === 'ServiceAccount' ? ['serviceaccount', s.namespace ?? '', s.name] : [s.kind.toLowerCase(), s.name];
  return parts.map(safeSegment).join('.');
}

function safeSegment(v: string): string {
  let out = '';
  for (const ch of v) {
    if (/[A-Za-z0-9_-]/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '~' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out === '' ? '~' : out;
}
