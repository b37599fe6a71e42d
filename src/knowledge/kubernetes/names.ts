/**
 * What Kubernetes accepts as a name in each field an audit event or an inventory object carries
 * (apimachinery's validation: DNS-1123 labels and subdomains, path-segment names, label syntax). A
 * value outside these rules never came from a real API server, so it is reported as an input issue and
 * grants nothing: it cannot smuggle a wildcard (`*`), a separator or a path into a generated policy.
 */

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Control characters (C0, DEL, C1), line and paragraph separators, unpaired surrogates. */
// Control characters are what this pattern is for. An unpaired UTF-16 surrogate (JSON may write `\ud800` alone) is
// no character: no API server or AWS service logs one, and written out as UTF-8 it becomes U+FFFD, so two names
// that differ only there would become one subject and one file.
const CONTROL =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A namespace: a DNS-1123 label. */
export function namespaceProblem(v: string): string | undefined {
  return v.length <= 63 && LABEL.test(v)
    ? undefined
    : 'is not a DNS-1123 label (lowercase letters, digits and -, at most 63)';
}

/** A DNS-1123 subdomain: service account, pod and most object names. */
export function subdomainProblem(v: string): string | undefined {
  return v.length <= 253 && SUBDOMAIN.test(v)
    ? undefined
    : 'is not a DNS-1123 subdomain (lowercase letters, digits, - and ., at most 253)';
}

/**
 * An object name in a request path: any resource's name passes apimachinery's path-segment rule (not
 * `.` or `..`, no `/` or `%`); RBAC names such as `system:controller:x` are wider than subdomains.
 * Also refused here: `*` (a wildcard wherever a policy reads names), control characters and blanks.
 */
export function objectNameProblem(v: string): string | undefined {
  if (v === '' || v.length > 253) return 'must be 1 to 253 characters';
  if (v === '.' || v === '..') return 'may not be . or ..';
  if (/[/%*\s]/.test(v) || CONTROL.test(v)) return 'holds /, %, *, a blank or a control character';
  return undefined;
}

/** A resource or subresource: a lowercase DNS-1123 label (`pods`, `exec`, `certificatesigningrequests`). */
export function resourceProblem(v: string): string | undefined {
  return v.length <= 63 && LABEL.test(v) ? undefined : 'is not a resource name (lowercase letters, digits and -)';
}

/** An API group: '' (core) or a DNS-1123 subdomain. */
export function apiGroupProblem(v: string): string | undefined {
  return v === '' || (v.length <= 253 && SUBDOMAIN.test(v)) ? undefined : 'is not an API group (a DNS-1123 subdomain)';
}

/** A verb as the API server logs it: a lowercase word (`get`, `deletecollection`, `post` for non-resource requests). */
export function verbProblem(v: string): string | undefined {
  return /^[a-z]{1,40}$/.test(v) ? undefined : 'is not a verb (lowercase letters)';
}

/**
 * A non-resource URL path as the authorizer sees it: the decoded path (Go's `URL.Path`, so `/logs/kube apiserver.log`
 * for a request to `/logs/kube%20apiserver.log`), starting with `/`; no `*` (RBAC's nonResourceURLs read a trailing
 * `*` as a prefix wildcard) and no control characters. Blanks and non-ASCII letters are the path's own.
 */
export function nonResourceUrlProblem(v: string): string | undefined {
  if (!v.startsWith('/') || v.length > 2048) return 'must be a path starting with /';
  return v.includes('*') || CONTROL.test(v) ? 'holds * or a control character' : undefined;
}

/** A user or group name: any text the authenticator gave, but no control characters, and at most 1,024. */
export function userNameProblem(v: string): string | undefined {
  if (v === '' || v.length > 1024) return 'must be 1 to 1,024 characters';
  return CONTROL.test(v) ? 'holds a control character' : undefined;
}

/**
 * A user, group, uid or extra key or value named by impersonation, which a policy names in `resourceNames` (or
 * `userextras/<key>`): any text the authenticator gave, but no `*` and no control characters.
 */
export function identityNameProblem(v: string): string | undefined {
  return userNameProblem(v) ?? (v.includes('*') ? 'holds *' : undefined);
}

const SA_PREFIX = 'system:serviceaccount:';

/**
 * A username: when it claims to be a service account (`system:serviceaccount:NS:NAME`), the namespace
 * must be a label and the name a subdomain; any other user passes `userNameProblem`.
 */
export function usernameProblem(v: string): string | undefined {
  const p = userNameProblem(v);
  if (p) return p;
  if (!v.startsWith(SA_PREFIX)) return undefined;
  const rest = v.slice(SA_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) return 'names a service account without namespace:name';
  const ns = namespaceProblem(rest.slice(0, colon));
  if (ns) return `names a service account whose namespace ${ns}`;
  const name = subdomainProblem(rest.slice(colon + 1));
  return name ? `names a service account whose name ${name}` : undefined;
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** A label key: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters. */
export function labelKeyProblem(k: string): string | undefined {
  const slash = k.lastIndexOf('/');
  const name = slash < 0 ? k : k.slice(slash + 1);
  if (slash >= 0 && subdomainProblem(k.slice(0, slash))) return 'has a prefix that is not a DNS-1123 subdomain';
  return name.length <= 63 && LABEL_NAME.test(name) ? undefined : 'is not a label key';
}

/** A label value: empty, or at most 63 letters, digits, -, _ and ., starting and ending alphanumeric. */
export function labelValueProblem(v: string): string | undefined {
  return v === '' || (v.length <= 63 && LABEL_NAME.test(v)) ? undefined : 'is not a label value';
}

/**
 * A named container port (IANA_SVC_NAME): at most 15 lowercase letters, digits and single hyphens, one letter at least.
 */
export function portNameProblem(v: string): string | undefined {
  return v.length <= 15 && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(v) && /[a-z]/.test(v) ? undefined : 'is not a port name';
}

/** Show a hostile value safely in an issue message: JSON-escaped and cut to 120 characters. */
export function shown(v: string): string {
  const j = JSON.stringify(v.length > 120 ? v.slice(0, 120) + '…' : v);
  // JSON leaves C1 controls (a terminal's CSI among them) and the Unicode line separators as they are.
  return j.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
