import { readFileSync } from 'node:fs';
import { canonicalProfile } from '../../src/profile/canonical.js';
import { parseProfile, readProfile } from '../../src/profile/io.js';
import { LEGACY_PROFILE_API_VERSION, type Profile } from '../../src/model/profile.js';
import { wireEdge } from '../../src/model/apiServer.js';

/**
 * Profiles in tests, read by the real reader (src/profile/io.ts): a file `profile` or `merge` wrote, or their stdout.
 */
export const readProfileFile = (path: string): Promise<Profile> => readProfile(path);
export const profileOfText = (text: string, name = '<stdout>'): Promise<Profile> => parseProfile(text, name);

/** The lines of a profile file, each parsed: for tests about the format itself. */
export function profileLinesOf(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The entries of one tail section of a profile's text (`samlAssumption`, `webIdentityAssumption`), in file order. */
export function sectionEntries(text: string, key: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`{"${key}"`))
    .map((l) => (JSON.parse(l) as Record<string, Record<string, unknown>>)[key]!);
}

/**
 * The v1alpha1 writer, as it was: one JSON document with two-space indentation (old profiles for the reader); a peer
 * it never knew in its written form (the API server as an address with `apiserver: true`, src/model/apiServer.ts).
 */
export function legacyProfileText(p: Profile): string {
  const c = canonicalProfile(p);
  const doc = {
    ...c,
    ...(c.network ? { network: c.network.map(wireEdge) } : {}),
    apiVersion: LEGACY_PROFILE_API_VERSION,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
