import type { VerifyReport } from '../../model/finding.js';
import { verifyJson } from './json.js';
import { verifyText } from './text.js';

/** Output formats of `verify`; `--format` choices come from these keys. */
export const VERIFY_FORMATS: Record<string, (r: VerifyReport) => string> = {
  text: verifyText,
  json: verifyJson,
};
