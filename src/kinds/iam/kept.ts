import { join, sep } from 'node:path';
import { widenedTrustSubject } from '../../generate/iam/trustWidenings.js';
import { isObj } from '../../util/json.js';
import type { KeptHook } from '../keptTypes.js';

/**
 * A role's trust: a release-tag subject pattern or a Cognito identity pool's statement the evidence lists among its
 * widenings, some subject of which the logs show assuming the role; none is an unused trust.
 */
export const iamKept: KeptHook = {
  usedKeys: () => [],
  // A role's trust policy and the parts of its policy share the role's evidence
  // (`iam/<account>/role/<stem>.trust.json`, `<stem>.2.json`: model/layout.ts), at
  // `DIR/evidence/iam/<account>/role/<stem>.json`.
  evidenceBeside(file) {
    const parts = file.split(sep);
    const n = parts.length;
    if (n < 4 || parts[n - 4] !== 'iam' || (parts[n - 2] !== 'role' && parts[n - 2] !== 'user')) return undefined;
    // A stem holds no `.` (policyStem escapes it): the name up to the first one is the principal's.
    const stem = parts[n - 1]!.split('.')[0]!;
    return join(parts.slice(0, n - 4).join(sep), 'evidence', 'iam', parts[n - 3]!, parts[n - 2]!, `${stem}.json`);
  },
  candidate: (f, opts) => opts.partlyUsed.has(f),
  listed(f, ev, file, opts) {
    const grant = opts.partlyUsed.get(f);
    if (grant === undefined || ev['kind'] !== 'IamPolicyEvidence') return undefined;
    const trustFile = ev['trustFile'];
    if (typeof trustFile !== 'string' || !file.split(sep).join('/').endsWith(`/${trustFile}`)) return undefined;
    const action = (f.access as { action?: string }).action;
    const w = (Array.isArray(ev['widenings']) ? ev['widenings'] : []).find(
      (w) =>
        isObj(w) &&
        w['action'] === action &&
        typeof w['detail'] === 'string' &&
        widenedTrustSubject(String(action), w['detail']) === grant,
    ) as { detail: string } | undefined;
    return w && { what: w.detail, beside: 'beyond the subjects they show' };
  },
};
