import { sections, type Formatter } from './common.js';

/** One finding per line, for log pipelines. */
export const ndjson: Formatter = (r) =>
  sections(r)
    .flatMap(([, l]) => l)
    .map((f) => JSON.stringify(f) + '\n')
    .join('');
