import { readFileSync } from 'node:fs';

/** The package's version, from package.json (one place to bump it). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
