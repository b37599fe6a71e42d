// vitest's setup file (vitest.config.ts): runs in every test file's worker, before the file. The temporary
// directories the file's tests made with `tmp` are removed when the file is done, passed or failed; a run of the
// whole suite used to leave about 200 behind, some of 40 MB.
import { afterAll } from 'vitest';
import { removeTmp } from './cli.js';

afterAll(() => removeTmp());
