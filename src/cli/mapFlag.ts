import type { Profile } from '../model/profile.js';
import { mapProfile, NameMap } from '../profile/nameMap.js';
import { escapeControls } from '../util/escape.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';
import type { SourceFlags } from './options.js';

/** `--map`'s pairs, checked (a usage error), or undefined when none is given. */
export function nameMapOf(flags: SourceFlags): NameMap | undefined {
  if (!flags.map?.length) return undefined;
  try {
    return new NameMap(flags.map);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The profile with `--map` applied, and what the map did on stderr: a pair that matched nothing is said. */
export function mapped(profile: Profile, map: NameMap | undefined, flags: SourceFlags, io: Io): Profile {
  if (!map) return profile;
  const r = mapProfile(profile, map);
  const unused = map.unused();
  if (!flags.quiet) {
    const joined = r.joined ? `; ${r.joined} principal${r.joined === 1 ? '' : 's'} merged into another` : '';
    // The pairs are text from the command line or a config file: a line break in one must not start a line of its own.
    const pairs = escapeControls(map.describe().join(' '));
    const n = map.changed.size;
    io.stderr.write(`map ${pairs}: ${n} name${n === 1 ? '' : 's'} rewritten${joined}\n`);
  }
  // Said even with --quiet: a map that did nothing leaves staging's names in production's policy.
  for (const from of unused.map((f) => escapeControls(f)))
    io.stderr.write(`warning: --map ${from}=…: "${from}" is in no ARN, account, region or DNS name\n`);
  return r.profile;
}
