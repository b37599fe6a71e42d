/** A mistake on the command line: one line on stderr, exit 2. */
export class UsageError extends Error {}

/** Fixed exit codes, as everywhere in the tool. */
export const EXIT = { ok: 0, findings: 1, error: 2 } as const;
