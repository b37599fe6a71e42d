import { API_VERSION } from './profile.js';
import { iamIdentity } from './subject.js';
import { bounded, escapeName, notDevice, unsafePathProblem } from '../util/paths.js';

/**
 * The IAM output layout that writers and readers share:
 *
 *   iam/<account>/role/<name>.json    a role's identity policy (split parts `<name>.2.json`...)
 *   iam/<account>/user/<name>.json    a user's
 *   iam/<account>/index.json          which principal (by ARN) each policy file belongs to
 *
 * A role and a user of the same name never share a file, and no file name depends on which principal
 * came first. `verify`, `check`, `diff` and the report find a principal's policies through the index;
 * a policy file that no index lists (written by hand) is attributed by its place in the tree,
 * `<account>/role/<name>.json` or `<account>/user/<name>.json` (`iamPlace`).
 */

export type IamKind = 'role' | 'user';

/** The key of an IAM principal's policies, whatever its path: `111122223333/role/shop-cart`. */
export function iamKey(account: string, kind: IamKind, name: string): string {
  return `${account}/${kind}/${name}`;
}

/** The key of a role or user ARN, or undefined for any other ARN (root, a federated user...). */
export function iamKeyOfArn(arn: string): string | undefined {
  const id = iamIdentity(arn);
  return id ? iamKey(id.account, id.kind, id.name) : undefined;
}

/**
 * A role or user name as a file stem: IAM name characters stay, `.` is escaped (split parts end in `.2.json`), a name
 * Windows reserves (`CON`) has its first letter escaped.
 */
export function policyStem(name: string): string {
  return notDevice(bounded(escapeName(name, /[A-Za-z0-9+=,@_-]/)));
}

/**
 * The stem of a policy of a role or user in a partition other than `aws` whose account id and name a principal of
 * another partition shares (twins: partitions have separate IAMs): `app~aws-cn`. `~` followed by no two hex digits
 * comes from no escaped name, so it reads back (`iamPlace`).
 */
export function partitionStem(stem: string, partition: string): string {
  return partition === 'aws' ? stem : `${stem}~${partition}`;
}

/** A policy key qualified by its partition, for twins (`iamKey` alone names one in `aws`, or the only one). */
export function partitionKey(partition: string, key: string): string {
  return `${partition}:${key}`;
}

/** `partitionKey` read back (a partition has no `:`). */
export function splitPartitionKey(qualified: string): { partition: string; key: string } {
  const colon = qualified.indexOf(':');
  return { partition: qualified.slice(0, colon), key: qualified.slice(colon + 1) };
}

/** The directory of an account's policies of one kind, relative to the output directory. */
export const iamPolicyDir = (account: string, kind: IamKind): string => `iam/${account}/${kind}`;

/** `iam/<account>/<kind>/<stem>.json`, then `<stem>.2.json`... for the parts of a split policy. */
export function iamPolicyPaths(account: string, kind: IamKind, stem: string, parts: number): string[] {
  return Array.from(
    { length: parts },
    (_, i) => `${iamPolicyDir(account, kind)}/${stem}${i === 0 ? '' : `.${i + 1}`}.json`,
  );
}

/**
 * A role's trust policy: `iam/<account>/role/<stem>.trust.json`. A stem holds no `.` (`policyStem` escapes it), so no
 * policy file of another role is named so.
 */
export const iamTrustPath = (account: string, stem: string): string =>
  `${iamPolicyDir(account, 'role')}/${stem}.trust.json`;

export const iamIndexPath = (account: string): string => `iam/${account}/index.json`;
export const iamEvidencePath = (account: string, kind: IamKind, stem: string): string =>
  `evidence/iam/${account}/${kind}/${stem}.json`;

export const IAM_INDEX_KIND = 'IamPolicyIndex';

/** One principal of an index: its ARN (with the path its records showed) and its policy files. */
export interface IamIndexEntry {
  arn: string;
  kind: IamKind;
  name: string;
  /** `/`, or `/apps/` (see `preferredIamArn`). */
  path: string;
  /** Relative to the index's directory: `role/shop-cart.json`, `role/shop-cart.2.json`. */
  policies: string[];
  /** A role's trust policy, relative to the index's directory: `role/shop-cart.trust.json` (absent when none). */
  trust?: string;
}

/** `iam/<account>/index.json`. */
export interface IamIndex {
  apiVersion: typeof API_VERSION;
  kind: typeof IAM_INDEX_KIND;
  account: string;
  principals: IamIndexEntry[];
}

/** Whether a parsed document is an index (it may still be a broken one: `iamIndexProblem`). */
export function isIamIndex(o: unknown): o is IamIndex {
  return typeof o === 'object' && o !== null && (o as Record<string, unknown>)['kind'] === IAM_INDEX_KIND;
}

/** What is wrong with an index, or undefined: a principal that is no role or user of its account, a path outside. */
export function iamIndexProblem(o: IamIndex): string | undefined {
  if (o.apiVersion !== API_VERSION) return `apiVersion is not ${API_VERSION}`;
  if (typeof o.account !== 'string' || !/^\d{12}$/.test(o.account)) return 'account is not a 12-digit account id';
  if (!Array.isArray(o.principals)) return 'principals is not a list';
  for (const [i, e] of o.principals.entries()) {
    const at = `principals[${i}]`;
    if (typeof e !== 'object' || e === null || typeof e.arn !== 'string') return `${at}.arn is not a string`;
    const id = iamIdentity(e.arn);
    if (!id || !IAM_NAME.test(id.name))
      return `${at}.arn ${JSON.stringify(e.arn)} is not the ARN of an IAM role or user`;
    if (id.account !== o.account) return `${at}.arn is not of account ${o.account}`;
    if (e.kind !== id.kind) return `${at}.kind is not ${JSON.stringify(id.kind)}, as its ARN says`;
    if (!Array.isArray(e.policies) || e.policies.some((p) => typeof p !== 'string'))
      return `${at}.policies is not a list of file names`;
    for (const p of e.policies) {
      const problem = unsafePathProblem(p) ?? (/\.json$/i.test(p) ? undefined : 'is not a .json file');
      if (problem) return `${at}.policies: ${JSON.stringify(p)} ${problem}`;
    }
    if (e.trust !== undefined) {
      if (typeof e.trust !== 'string') return `${at}.trust is not a file name`;
      if (e.kind !== 'role') return `${at}.trust: only a role has a trust policy`;
      const problem = unsafePathProblem(e.trust) ?? (/\.json$/i.test(e.trust) ? undefined : 'is not a .json file');
      if (problem) return `${at}.trust: ${JSON.stringify(e.trust)} ${problem}`;
      if (e.policies.includes(e.trust)) return `${at}.trust is also among its policies`;
    }
  }
  return undefined;
}

const IAM_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * The principal a policy file no index lists is for, by its place: `.../<account>/role/<name>.json` or
 * `.../<account>/user/<name>.json` (`<name>.2.json`... are parts of one policy; `~XX` escapes read back; a twin's
 * `~<partition>` suffix names its partition).
 * Undefined when the file lies anywhere else.
 */
export function iamPlace(
  file: string,
): { account: string; kind: IamKind; name: string; partition: string } | undefined {
  // A trust policy (`iamTrustPath`) is no policy of a principal named `<stem>.trust`: `iamTrustPlace`.
  if (TRUST_FILE.test(file)) return undefined;
  const m = /(?:^|[\\/])(\d{12})[\\/](role|user)[\\/]([^\\/]+?)(?:\.\d+)?\.json$/i.exec(file);
  if (!m) return undefined;
  // A twin's partition suffix (`partitionStem`); a stem without one is the `aws` partition's, or the only one's.
  const twin = /~(aws(?:-[a-z]+)+)$/.exec(m[3]!);
  const name = unescapeStem(twin ? m[3]!.slice(0, twin.index) : m[3]!);
  if (name === undefined || !IAM_NAME.test(name)) return undefined;
  return { account: m[1]!, kind: m[2]!.toLowerCase() as IamKind, name, partition: twin ? twin[1]! : 'aws' };
}

const TRUST_FILE = /\.trust\.json$/i;

/** The role a trust policy file is for by its place, `.../<account>/role/<stem>.trust.json`, or undefined. */
export function iamTrustPlace(
  file: string,
): { account: string; kind: 'role'; name: string; partition: string } | undefined {
  if (!TRUST_FILE.test(file)) return undefined;
  const place = iamPlace(file.replace(TRUST_FILE, '.json'));
  return place?.kind === 'role' ? { ...place, kind: 'role' } : undefined;
}

/** `a~2Eb` → `a.b`; a case-distinguishing `~h<hash>` suffix (util/paths.ts) is dropped. */
function unescapeStem(stem: string): string | undefined {
  const s = stem.replace(/~h[0-9a-f]{10}$/, '');
  if (!/^(?:[^~]|~[0-9A-F]{2})*$/.test(s)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '~') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}
