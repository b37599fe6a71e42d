import { parseArn } from '../knowledge/aws/arn.js';
import { bounded, escapeName } from '../util/paths.js';

/**
 * The output layout that writers and readers share: where the IAM policy of a principal lies
 * (`iam/<account>/<name>.json`, split parts `<name>.2.json`...). `generate iam` writes there, and
 * verify, diff and check find a principal's policies there.
 */

/**
 * `arn:aws:iam::111122223333:role/apps/shop-cart` → account and file name (`shop-cart`, `root`, `federated-user.bob`).
 */
export function policyName(arn: string): { account: string; name: string } {
  const a = parseArn(arn);
  if (!a || (a.service !== 'iam' && a.service !== 'sts') || a.region) return { account: 'unknown', name: safe(arn) };
  const { account, resource: rest } = a;
  if (rest === 'root') return { account, name: 'root' };
  if (rest.startsWith('federated-user/'))
    return { account, name: `federated-user.${safe(rest.slice('federated-user/'.length))}` };
  const last = rest.slice(rest.lastIndexOf('/') + 1);
  return { account: account || 'unknown', name: safe(last) };
}

/** A principal's name as a file stem: IAM's own name characters stay, `.` is escaped (split parts end in `.2.json`). */
function safe(s: string): string {
  return bounded(escapeName(s, /[A-Za-z0-9+=,@_-]/));
}
