#!/usr/bin/env node
// `npm run schema`: write the profile's JSON Schemas (built from src/profile/lineSchema.ts and schema.ts) to docs/:
// profile.schema.json, one line of a v1alpha2 profile; profile-v1alpha1.schema.json, the v1alpha1 document still read.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProfileLineSchema } from '../dist/profile/lineSchema.js';
import { ProfileSchema } from '../dist/profile/schema.js';

const root = join(fileURLToPath(import.meta.url), '../..');
writeFileSync(join(root, 'docs/profile.schema.json'), JSON.stringify(ProfileLineSchema, null, 2) + '\n');
writeFileSync(join(root, 'docs/profile-v1alpha1.schema.json'), JSON.stringify(ProfileSchema, null, 2) + '\n');
