import type { IamSession } from '../../model/observation.js';
import { roleArnProblem } from '../../knowledge/aws/names.js';
import { userNameProblem } from '../../knowledge/kubernetes/names.js';
import { isObj } from '../../util/json.js';
import type { Emit, Loc } from './decode.js';

/**
 * The IAM role session a request's user signed in as, from `user.extra`. aws-iam-authenticator (EKS's authenticator)
 * puts there `arn`, `canonicalArn`, `sessionName` and `accessKeyId`, each a list of one string
 * (knowledge/kubernetes/sessionUsers.ts); an IAM user's `canonicalArn` is its own ARN and its `sessionName` is empty.
 *
 * Read only as far as needed: a record without `extra`, or whose `extra` has no `canonicalArn` (a service account's,
 * any other authenticator's), costs two lookups and makes nothing. Nothing here grants or denies: a value of the wrong
 * form is a notice (the record is kept, its user not read as a session), as a time of the wrong form is.
 */
export function iamSession(user: Record<string, unknown>, loc: Loc, emit: Emit): IamSession | undefined {
  const extra = user['extra'];
  if (extra === undefined || extra === null) return undefined;
  if (!isObj(extra)) return notice(loc, emit, 'user.extra is not an object');
  const arn = extra['canonicalArn'];
  if (arn === undefined) return undefined;
  const role = one(arn);
  if (role === undefined) return notice(loc, emit, BAD('canonicalArn'));
  const session = one(extra['sessionName']);
  if (session === undefined) return notice(loc, emit, BAD('sessionName'));
  const accessKeyId = one(extra['accessKeyId']);
  if (accessKeyId === undefined) return notice(loc, emit, BAD('accessKeyId'));
  // An IAM user's, or a record with no session: the username is the same for every sign-in.
  if (session === '' || roleArnProblem(role)) return undefined;
  return { role, session, accessKeyId };
}

const BAD = (key: string) => `user.extra.${key} is not a list of one name (at most 1,024 characters, no control ones)`;

/** The one string of an extra value (a list, as TokenReview's), '' when absent or empty, undefined when malformed. */
function one(v: unknown): string | undefined {
  if (v === undefined || v === null) return '';
  if (!Array.isArray(v) || v.length > 1) return undefined;
  if (v.length === 0) return '';
  const s: unknown = v[0];
  if (typeof s !== 'string') return undefined;
  return s === '' || !userNameProblem(s) ? s : undefined;
}

function notice(loc: Loc, emit: Emit, what: string): undefined {
  emit({
    kind: 'issue',
    level: 'notice',
    code: 'k8s.bad-extra',
    file: loc.file,
    line: loc.line,
    message: `${what}: the record is kept, its user not read as an IAM role's session`,
  });
  return undefined;
}
