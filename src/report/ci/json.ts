import { API_VERSION } from '../../model/profile.js';
import type { Formatter } from './common.js';

/** One JSON document: the sections of the command. */
export const json: Formatter = (r) =>
  JSON.stringify(
    r.command === 'diff'
      ? {
          apiVersion: API_VERSION,
          newAccess: r.newAccess,
          removedAccess: r.removedAccess,
          undetermined: r.undetermined,
          ...(r.skipped ? { skipped: r.skipped } : {}),
        }
      : {
          apiVersion: API_VERSION,
          wouldDeny: r.wouldDeny,
          unused: r.unused,
          ...(r.kept?.length ? { keptWidenings: r.kept } : {}),
          undetermined: r.undetermined,
          unusedShare: r.unusedShare,
          ...(r.notJudged ? { notJudged: r.notJudged } : {}),
          ...(r.byDefaultGrants ? { byDefaultGrants: r.byDefaultGrants } : {}),
          ...(r.skipped ? { skipped: r.skipped } : {}),
        },
    null,
    2,
  ) + '\n';
