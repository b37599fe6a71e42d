import { pushAll } from '../util/array.js';
import { cmp, type InputIssue } from '../model/issue.js';
import { iamIdentity, isServiceLinkedRole } from '../model/subject.js';
import { isObj, type JsonObject } from '../util/json.js';
import { readStatements, type NamedPolicy } from '../verify/iam/evaluate.js';
import { readTrust } from '../verify/iam/trust.js';

/**
 * The IAM policies an account enforces, as `aws iam get-account-authorization-details` writes them (IAM API
 * reference, GetAccountAuthorizationDetails): `RoleDetailList`, `UserDetailList`, `GroupDetailList` and `Policies`
 * (managed policies with their versions). A role's policies are its inline policies (`RolePolicyList`), the default
 * version of each managed policy attached to it (`AttachedManagedPolicies`) and its permissions boundary
 * (`PermissionsBoundary`); a user's add those of its groups (`GroupList`, by name in `GroupDetailList`). Policy
 * documents are read as objects (the CLI's and boto3's answer), as JSON text, or URL-encoded as the API returns them
 * (RFC 3986; the JavaScript SDK hands them on so). The pages of a paginated answer may be given as separate files:
 * all are read together.
 *
 * Nothing is assumed of what is not in the files: a managed policy attached but not listed (fetched with a `--filter`
 * that left it out, on a page not given), a group not listed, a document that cannot be read, each is a policy not
 * read (`NamedPolicy.unknown`), which leaves undetermined what the rest would deny. Service-linked roles are not read
 * (only AWS changes their policies; profiles leave their calls out). A role's trust policy
 * (`AssumeRolePolicyDocument`) is read beside its policies: who may become the role (verify/iam/trust.ts). Service
 * control policies, session policies and resource policies are not in the answer and not judged.
 */

/** A parsed policy file that is an account's authorization details: one of the four lists at its top. */
export function isAuthorizationDetails(o: unknown): o is JsonObject {
  if (!isObj(o) || 'Statement' in o || 'apiVersion' in o || 'kind' in o) return false;
  return LISTS.some((k) => Array.isArray(o[k]));
}

const LISTS = ['RoleDetailList', 'UserDetailList', 'GroupDetailList', 'Policies'] as const;

export interface AuthorizationDoc {
  file: string;
  object: JsonObject;
  /** The file's text, for the lines issues and locations name. */
  text?: string;
}

export interface AuthorizedPrincipal {
  /** The role's or user's ARN, with its path. */
  arn: string;
  /** The file that lists it. */
  file: string;
  policies: NamedPolicy[];
  /** A role's trust policy (who may assume it), when the input holds one: read, or not read with why. */
  trust?: NamedPolicy;
}

/** Every role's and user's policies in the authorization details given, and the issues met reading them. */
export function authorizationPolicies(docs: AuthorizationDoc[]): {
  principals: AuthorizedPrincipal[];
  issues: InputIssue[];
} {
  const issues: InputIssue[] = [];
  const lines = new Map<AuthorizationDoc, LineFinder>();
  const lineOf = (d: AuthorizationDoc, key: string, value: string) => {
    let f = lines.get(d);
    if (!f) lines.set(d, (f = lineFinder(d.text)));
    return f(key, value);
  };
  const issue = (d: AuthorizationDoc, line: number, code: string, message: string) =>
    issues.push({ kind: 'issue', code, file: d.file, line, message });

  // Managed policies by ARN (the first file's where pages repeat one), and groups by account and name.
  const managed = new Map<string, { doc: AuthorizationDoc; entry: JsonObject }>();
  const groups = new Map<string, { doc: AuthorizationDoc; entry: JsonObject }>();
  for (const d of docs) {
    if (d.object['IsTruncated'] === true)
      issues.push({
        kind: 'issue',
        level: 'notice',
        code: 'iam.authorization-page',
        file: d.file,
        line: 1,
        message:
          'one page of a paginated answer (IsTruncated): give every page, or what `aws iam get-account-authorization-details` writes, which holds them all; what the other pages hold is not read',
      });
    for (const e of list(d.object['Policies'])) {
      const arn = str(e['Arn']);
      if (arn && !managed.has(arn)) managed.set(arn, { doc: d, entry: e });
    }
    for (const e of list(d.object['GroupDetailList'])) {
      const id = iamArnParts(str(e['Arn']));
      const name = str(e['GroupName']);
      if (id && name) groups.set(`${id.partition}:${id.account}/${name}`, { doc: d, entry: e });
    }
  }

  const policy = (d: AuthorizationDoc, line: number, name: string, raw: unknown, extra: Partial<NamedPolicy> = {}) =>
    readPolicy(d.file, line, name, raw, issues, extra);

  // A managed policy attached to many principals is read once (and a bad one is one issue), as itself or as a boundary.
  const read = new Map<string, NamedPolicy>();
  const managedPolicy = (d: AuthorizationDoc, owner: string, arn: string, given: Partial<NamedPolicy> = {}) => {
    const name = `${d.file}: ${arn}`;
    const extra = { ...given, ref: arn };
    const found = managed.get(arn);
    const key = `${arn}\u0000${extra.boundary ? 'boundary' : ''}`;
    if (found && read.has(key)) return read.get(key)!;
    if (!found)
      return {
        name,
        document: {},
        unknown: `attached to ${owner}, but not among the managed policies (Policies) of the files read`,
        at: { file: d.file, line: lineOf(d, 'Arn', owner) },
        ...extra,
      } satisfies NamedPolicy;
    const versions = list(found.entry['PolicyVersionList']);
    const def = str(found.entry['DefaultVersionId']);
    const version =
      versions.find((v) => v['IsDefaultVersion'] === true) ??
      (def !== undefined ? versions.find((v) => v['VersionId'] === def) : undefined);
    const line = lineOf(found.doc, 'Arn', arn);
    if (!version)
      return {
        name: `${found.doc.file}: ${arn}`,
        document: {},
        unknown: 'its default version is not in the file',
        at: { file: found.doc.file, line },
        ...extra,
      } satisfies NamedPolicy;
    const p = policy(found.doc, line, `${found.doc.file}: ${arn}`, version['Document'], extra);
    read.set(key, p);
    return p;
  };

  /** Inline policies of a list (`RolePolicyList`...), named after their owner. */
  const inline = (d: AuthorizationDoc, label: string, entries: JsonObject[], line: number) =>
    entries.map((e) =>
      policy(d, line, `${d.file}: ${label} inline policy ${str(e['PolicyName']) ?? '(no name)'}`, e['PolicyDocument']),
    );

  const attached = (d: AuthorizationDoc, owner: string, e: JsonObject) =>
    list(e['AttachedManagedPolicies']).flatMap((a) => {
      const arn = str(a['PolicyArn']);
      return arn ? [managedPolicy(d, owner, arn)] : [];
    });

  const principals: AuthorizedPrincipal[] = [];
  const seen = new Set<string>();
  for (const d of docs) {
    for (const [field, kind, policies] of [
      ['RoleDetailList', 'role', 'RolePolicyList'],
      ['UserDetailList', 'user', 'UserPolicyList'],
    ] as const) {
      for (const [i, e] of list(d.object[field]).entries()) {
        const arn = str(e['Arn']);
        const id = arn ? iamIdentity(arn) : undefined;
        if (!arn || id?.kind !== kind) {
          issue(
            d,
            arn ? lineOf(d, 'Arn', arn) : 1,
            'iam.invalid-authorization',
            `${field}[${i}] has no Arn of a ${kind}`,
          );
          continue;
        }
        // AWS alone changes a service-linked role's policies, and its calls are left out of every profile.
        if (seen.has(arn) || isServiceLinkedRole(arn)) continue;
        seen.add(arn);
        const line = lineOf(d, 'Arn', arn);
        const label = `${kind}/${id.name}`;
        const own = [...inline(d, label, list(e[policies]), line), ...attached(d, arn, e)];
        if (kind === 'user')
          for (const g of (Array.isArray(e['GroupList']) ? e['GroupList'] : []).filter((x) => typeof x === 'string')) {
            const group = groups.get(`${id.partition}:${id.account}/${g}`);
            if (!group) {
              own.push({
                name: `${d.file}: group ${g}`,
                document: {},
                unknown: `${label} is in it, but it is not among the groups (GroupDetailList) of the files read`,
                at: { file: d.file, line },
              });
              continue;
            }
            const gl = lineOf(group.doc, 'Arn', str(group.entry['Arn'])!);
            pushAll(own, inline(group.doc, `group/${g}`, list(group.entry['GroupPolicyList']), gl));
            pushAll(own, attached(group.doc, str(group.entry['Arn'])!, group.entry));
          }
        const boundary = e['PermissionsBoundary'];
        const boundaryArn = isObj(boundary) ? str(boundary['PermissionsBoundaryArn']) : undefined;
        if (boundaryArn) own.push(managedPolicy(d, arn, boundaryArn, { boundary: true }));
        const trust = kind === 'role' ? e['AssumeRolePolicyDocument'] : undefined;
        principals.push({
          arn,
          file: d.file,
          policies: own,
          ...(trust !== undefined
            ? { trust: readPolicy(d.file, line, `${label} trust policy`, trust, issues, {}, true) }
            : {}),
        });
      }
    }
  }
  principals.sort((a, b) => cmp(a.arn, b.arn));
  return { principals, issues };
}

/** A document as an answer or a plan holds it: an object, JSON text, or JSON text URL-encoded. */
function decode(v: unknown): unknown {
  if (isObj(v)) return v;
  if (typeof v !== 'string') return undefined;
  for (const text of [v, () => decodeURIComponent(v)]) {
    try {
      const parsed: unknown = JSON.parse(typeof text === 'string' ? text : text());
      if (isObj(parsed)) return parsed;
    } catch {
      // Not this form: the next.
    }
  }
  return undefined;
}

/**
 * A policy document of an account's answer or a plan as a NamedPolicy: read, or not read with why (and an
 * `iam.invalid-policy` issue at its line, since that is the file's fault).
 */
export function readPolicy(
  file: string,
  line: number,
  name: string,
  raw: unknown,
  issues: InputIssue[],
  extra: Partial<NamedPolicy> = {},
  /** A role's trust policy: Principal and no Resource (read by verify/iam/trust.ts). */
  trust = false,
): NamedPolicy {
  const at = { file, line };
  const issue = (message: string) =>
    issues.push({ kind: 'issue', code: 'iam.invalid-policy', file, line, message: `${name}: ${message}` });
  const document = decode(raw);
  if (document === undefined) {
    issue('its document is not a JSON object, as text or URL-encoded');
    return { name, document: {}, unknown: 'its document could not be read', at, ...extra };
  }
  const problem = trust ? readTrust(document) : readStatements(document);
  if (typeof problem === 'string') {
    issue(problem);
    return { name, document: {}, unknown: 'its document is not a valid policy', at, ...extra };
  }
  return { name, document, at, ...extra };
}

export const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObj) : []);
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The partition and account of an IAM ARN (a group's). */
function iamArnParts(arn: string | undefined): { partition: string; account: string } | undefined {
  const m = arn ? /^arn:([\w-]+):iam::(\d{12}):/.exec(arn) : null;
  return m ? { partition: m[1]!, account: m[2]! } : undefined;
}

export type LineFinder = (key: string, value: string) => number;

/**
 * The 1-based line of the first `"key": "value"` in a JSON text (1 when not found or no text). Each key's values are
 * found in one pass over the text, the first time the key is asked for: an account's answer of tens of megabytes is
 * asked for thousands of lines.
 */
export function lineFinder(text: string | undefined): LineFinder {
  const byKey = new Map<string, Map<string, number>>();
  return (key, value) => {
    if (!text) return 1;
    let lines = byKey.get(key);
    if (!lines) {
      byKey.set(key, (lines = new Map()));
      const re = new RegExp(`"${key}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`, 'g');
      let line = 1;
      let at = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        for (let i = text.indexOf('\n', at); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) line++;
        at = m.index;
        let v: string;
        try {
          v = JSON.parse(`"${m[1]!}"`) as string;
        } catch {
          continue;
        }
        if (!lines.has(v)) lines.set(v, line);
      }
    }
    return lines.get(value) ?? 1;
  };
}
