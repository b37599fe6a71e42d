/**
 * Each command's `--format` choices, without their formatters: the command line is built from these, and each
 * registry of formatters (./verify, ./ci, ./backtest) must have exactly these keys (the compiler checks), so a
 * command loads its formatters only when it runs.
 */
export const VERIFY_FORMAT_NAMES = ['text', 'json'] as const;
export const CI_FORMAT_NAMES = ['text', 'json', 'ndjson', 'markdown', 'sarif', 'github'] as const;
export const BACKTEST_FORMAT_NAMES = ['text', 'json', 'markdown'] as const;

export type VerifyFormat = (typeof VERIFY_FORMAT_NAMES)[number];
export type CiFormat = (typeof CI_FORMAT_NAMES)[number];
export type BacktestFormat = (typeof BACKTEST_FORMAT_NAMES)[number];
