import type { BacktestResult } from '../../backtest/index.js';
import { backtestJson } from './json.js';
import { backtestMarkdown } from './markdown.js';
import { backtestText } from './text.js';
import { escapeStrings, jsonSafe } from '../../util/escape.js';
import type { BacktestFormat } from '../formats.js';

/**
 * `backtest --format` choices (BACKTEST_FORMAT_NAMES in ../formats.ts, its keys): one pure function each; strings
 * from logs escaped here (src/util/escape.ts).
 */
export const BACKTEST_FORMATS: Record<string, (r: BacktestResult) => string> = {
  text: (r) => backtestText(escapeStrings(r)),
  json: (r) => jsonSafe(backtestJson(r)),
  markdown: (r) => backtestMarkdown(escapeStrings(r)),
} satisfies Record<BacktestFormat, (r: BacktestResult) => string>;
export { headline } from './text.js';
