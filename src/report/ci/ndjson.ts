import { API_VERSION } from '../../model/profile.js';
import { sections, type Formatter } from './common.js';

/** One finding per line, for log pipelines; each line carries the apiVersion, as it may travel alone. */
export const ndjson: Formatter = (r) =>
  sections(r)
    .flatMap(([, l]) => l)
    .map((f) => JSON.stringify({ apiVersion: API_VERSION, ...f }) + '\n')
    .join('');
