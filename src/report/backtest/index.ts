import type { BacktestResult } from '../../backtest/index.js';
import { backtestJson } from './json.js';
import { backtestMarkdown } from './markdown.js';
import { backtestText } from './text.js';

/** `backtest --format` choices: one pure function each. */
export const BACKTEST_FORMATS: Record<string, (r: BacktestResult) => string> = {
  text: backtestText,
  json: backtestJson,
  markdown: backtestMarkdown,
};
export { headline } from './text.js';
