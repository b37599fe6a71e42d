#!/usr/bin/env node
// `npm run schema`: write the profile's JSON Schemas (built from src/profile/lineSchema.ts and schema.ts) to docs/:
// profile.schema.json, one line of a v1alpha2 profile; profile-v1alpha1.schema.json, the v1alpha1 document still read;
// and each line kind's check as code, src/profile/lineChecks.gen.ts (scripts/lib/line-checks.js).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINE_SCHEMAS, ProfileLineSchema } from '../dist/profile/lineSchema.js';
import { LINE_CHECKS_FILE, lineChecksSource } from './lib/line-checks.js';
import { ProfileSchema } from '../dist/profile/schema.js';

const root = join(fileURLToPath(import.meta.url), '../..');
writeFileSync(join(root, 'docs/profile.schema.json'), JSON.stringify(ProfileLineSchema, null, 2) + '\n');
writeFileSync(join(root, 'docs/profile-v1alpha1.schema.json'), JSON.stringify(ProfileSchema, null, 2) + '\n');
writeFileSync(join(root, LINE_CHECKS_FILE), lineChecksSource(LINE_SCHEMAS));
