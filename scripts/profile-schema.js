#!/usr/bin/env node
// `npm run schema`: write the profile's JSON Schema (src/profile/schema.ts, built) to docs/profile.schema.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProfileSchema } from '../dist/profile/schema.js';

const root = join(fileURLToPath(import.meta.url), '../..');
writeFileSync(join(root, 'docs/profile.schema.json'), JSON.stringify(ProfileSchema, null, 2) + '\n');
