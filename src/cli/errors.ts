/** A mistake on the command line: one line, exit 2 (defined beside InputError, so library code can raise it). */
export { UsageError } from '../model/issue.js';

/** Fixed exit codes, as everywhere in the tool. */
export const EXIT = { ok: 0, findings: 1, error: 2 } as const;

/** Raised when input issues stop the run under `--on-error fail`: exit 2. */
export class InputAbort extends Error {}
