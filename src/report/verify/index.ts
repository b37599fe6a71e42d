import type { VerifyReport } from '../../model/finding.js';
import { verifyJson } from './json.js';
import { verifyText } from './text.js';
import { escapeStrings, jsonSafe } from '../../util/escape.js';
import type { VerifyFormat } from '../formats.js';

/**
 * Output formats of `verify`; `--format` choices are VERIFY_FORMAT_NAMES (../formats.ts), its keys. Strings from logs
 * and policies are escaped at this boundary (src/util/escape.ts): visibly for text, as JSON escapes for JSON.
 */
export const VERIFY_FORMATS: Record<string, (r: VerifyReport) => string> = {
  text: (r) => verifyText(escapeStrings(r)),
  json: (r) => jsonSafe(verifyJson(r)),
} satisfies Record<VerifyFormat, (r: VerifyReport) => string>;
