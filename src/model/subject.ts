/** Who made a request, normalised. */
export type SubjectKind = 'ServiceAccount' | 'User' | 'Group';

export interface Subject {
  kind: SubjectKind;
  /** ServiceAccount name, user name or group name. */
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
