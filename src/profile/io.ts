import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { looksLike, sourceOf } from '../ingest/sourceOf.js';
import { InputError } from '../model/issue.js';
import { PROFILE_API_VERSION, type Principal, type Profile } from '../model/profile.js';
import { canonicalProfile } from './canonical.js';
import { profileNameProblem } from './names.js';
import { impliedProblem, schemaChecks, type SchemaChecks } from './checks.js';
import { liftLeftOut } from './identities.js';
import { mergeProfiles } from './merge.js';
import { fileLineBatches, isStreamHeader, streamOf, type Line, type ProfileStream } from './read.js';
import { profileLinesSync } from './write.js';
import { asAsync } from '../util/array.js';
import { fsProblem } from '../util/fsError.js';

export { canonicalProfile } from './canonical.js';

/**
 * A profile in memory as the text of its file (v1alpha2 lines), for profiles that fit in a string (tests, the
 * library). The commands stream instead (`profileLines`, src/profile/write.ts).
 */
export function serializeProfile(p: Profile): string {
  let s = '';
  for (const line of profileLinesSync(p)) s += line;
  return s;
}

/** Why a path cannot be read as a profile file, by error code (the other codes as any read's: util/fsError.ts). */
const PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'a directory, not a profile file',
  // A pipe or a device named as a file: a profile is read from a file (generate reads it twice); `-` spools stdin.
  ESPIPE: 'a pipe or a device, not a file: give - to read the profile from stdin, or save it to a file',
  ENXIO: 'a pipe or a device, not a file: give - to read the profile from stdin, or save it to a file',
};

/**
 * Open a profile file: v1alpha2 (JSON lines, gzip or not) streams, principal by principal; a v1alpha1 file (one JSON
 * document) is read whole and normalised as this version would have written it. Throws an InputError naming the file
 * (and the line, for v1alpha2) when it is not a profile; `name` stands for the file in them (`-` for stdin).
 */
export async function openProfile(path: string, name = path): Promise<ProfileStream> {
  let lines: AsyncGenerator<Line[]>;
  let first: IteratorResult<Line[]>;
  try {
    lines = fileLineBatches(path);
    first = await lines.next();
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read profile ${name}: ${fsProblem(e, PROBLEMS)}`);
  }
  // A batch is never empty: its first line is the file's first.
  const batch = first.done ? [] : first.value;
  const head = batch[0]?.text;
  if (head !== undefined && isStreamHeader(head)) return streamOf(name, batch, lines);
  // JSON lines that are no profile (a log given as --profile): said from the first line, without reading the rest.
  if (head !== undefined && head.trimStart().startsWith('{')) {
    const v = parsed(head);
    if (v !== undefined && (batch.length > 1 || !(await lines.next()).done)) {
      await lines.return(undefined);
      const { checkProfile } = await schemaChecks();
      throw new InputError(`${name}: not a profile: ${lookalike(v) ?? checkProfile(v) ?? 'JSON lines'}`);
    }
  }
  await lines.return(undefined);
  return inMemory(await readLegacyProfile(path, name));
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Read and check a whole profile file (either version) into memory. */
export async function readProfile(path: string, name = path): Promise<Profile> {
  return collect(await openProfile(path, name));
}

/** A profile's text (either version) read as `readProfile` reads a file; `name` stands for the file in errors. */
export async function parseProfile(text: string, name = '<text>'): Promise<Profile> {
  const nl = text.indexOf('\n');
  if (!isStreamHeader(nl < 0 ? text : text.slice(0, nl))) return legacyFromText(text, name, await schemaChecks());
  const lines = text.split('\n').map((t, i) => ({ text: t.endsWith('\r') ? t.slice(0, -1) : t, line: i + 1 }));
  return collect(await streamOf(name, lines));
}

async function collect(s: ProfileStream): Promise<Profile> {
  const principals: Principal[] = [];
  for await (const p of s.principals) principals.push(p);
  return canonicalProfile({
    apiVersion: PROFILE_API_VERSION,
    kind: 'Profile',
    ...s.head,
    principals,
    ...s.tail(),
  });
}

/** A profile in memory as a stream (a v1alpha1 file, read whole). */
export function inMemory(p: Profile): ProfileStream {
  return {
    head: p,
    principals: asAsync(p.principals),
    tail: () => p,
  };
}

/**
 * A v1alpha1 profile (one JSON document), checked, in the profile's current order and form: principals of one
 * identity merged, identities now left out moved to `leftOut`.
 */
async function readLegacyProfile(path: string, name: string): Promise<Profile> {
  let bytes = await readFile(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new InputError(`${name}: not a profile: a gzip file that does not decompress (${(e as Error).message})`);
    }
  }
  const profile = legacyFromText(bytes.toString('utf8'), name, await schemaChecks());
  for (const pr of profile.principals)
    for (const e of pr.aws ?? []) {
      const problem = e.implied.length ? await impliedProblem(e.implied) : undefined;
      if (problem) throw new InputError(`${name}: not a valid profile: ${pr.subject.name}: ${problem}`);
    }
  return profile;
}

function legacyFromText(text: string, path: string, { checkProfile }: SchemaChecks): Profile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    // JSON lines (a log) parse line by line: say whose they look like.
    let first: unknown;
    try {
      first = JSON.parse(text.slice(0, text.indexOf('\n') >>> 0));
    } catch {
      first = undefined;
    }
    throw new InputError(`${path}: not a profile: ${lookalike(first) ?? (e as Error).message}`);
  }
  const problem = checkProfile(v);
  if (problem) throw new InputError(`${path}: not a valid profile: ${lookalike(v) ?? problem}`);
  const names = profileNameProblem(v as Profile);
  if (names) throw new InputError(`${path}: not a valid profile: ${names}`);
  // Sorted in the current order, principals of one identity merged, root and federated users left out.
  return canonicalProfile(mergeProfiles([liftLeftOut(canonicalProfile(v as Profile))]));
}

/** `looks like CloudTrail: read it with --cloudtrail` for a file that is another input, or undefined. */
function lookalike(v: unknown): string | undefined {
  const s = sourceOf(v);
  return s && s !== 'profile' ? looksLike(s) : undefined;
}
