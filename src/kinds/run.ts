import { InputError } from '../model/issue.js';
import type { Profile } from '../model/profile.js';
import { inMemory } from '../profile/io.js';
import type { ProfileStream } from '../profile/read.js';
import type { AnyKind, FileSink, Generated, KindRun, Made, ProfileRest } from './types.js';

/** A profile read principal by principal, as often as a generator needs: each call opens it anew. */
export type ProfileSource = () => Promise<ProfileStream>;

/** A profile in memory as a source. */
export const sourceOf =
  (profile: Profile): ProfileSource =>
  async () =>
    inMemory(profile);

/**
 * Kinds' generators over a profile in two passes, all kinds together: every principal to each `survey`, then every
 * principal again to each `principal`, then `finish` with the header and the sections after the principals. Memory
 * is one principal at a time beside what the generators keep (file names, counts, the summary's lines), so a
 * profile file larger than the heap is generated from the file. With `onlyWithEvidence`, a kind the profile holds
 * nothing for is not finished (undefined in its place): it made no file either.
 */
export async function runKinds(
  source: ProfileSource,
  runs: KindRun[],
  onlyWithEvidence: boolean,
): Promise<{ made: (Made | undefined)[]; rest: ProfileRest; principals: number }> {
  const first = await source();
  let surveyed = 0;
  for await (const p of first.principals) {
    surveyed++;
    for (const r of runs) await r.survey(p);
  }
  const firstTail = first.tail();
  for (const r of runs) r.surveyTail?.(firstTail);
  const second = await source();
  let generated = 0;
  for await (const p of second.principals) {
    generated++;
    for (const r of runs) await r.principal(p);
  }
  // The tail first: a filtered stream's header counts what it left out only once its principals are read.
  const tail = second.tail();
  const rest: ProfileRest = { ...second.head, ...tail };
  // A file replaced between the two passes would name files from one profile and fill them from another.
  if (generated !== surveyed)
    throw new InputError(`the profile changed while it was read: ${surveyed} principals, then ${generated}`);
  const made: (Made | undefined)[] = [];
  for (const r of runs) made.push(onlyWithEvidence && !r.hasEvidence(rest) ? undefined : await r.finish(rest));
  return { made, rest, principals: generated };
}

/** What a kind made, with its files collected in memory. */
function collected(made: Made, files: Map<string, string>): Generated {
  return { ...made, files, stdout: () => made.stdout(files) };
}

/** A sink that collects a kind's files in a map (a path made twice is a generator's bug). */
function mapSink(files: Map<string, string>): FileSink {
  return async (path, content) => {
    if (files.has(path)) throw new Error(`internal error: ${path} generated twice`);
    files.set(path, content);
  };
}

/** One kind generated from a profile, its files in memory (whether or not the profile holds anything of the kind). */
export async function generateKind(
  kind: AnyKind,
  source: ProfileSource,
  options: unknown,
): Promise<{ generated: Generated | undefined; rest: ProfileRest }> {
  const files = new Map<string, string>();
  const { made, rest } = await runKinds(source, [kind.start(options, mapSink(files))], true);
  return { generated: made[0] && collected(made[0], files), rest };
}

/** Each of `kinds` the profile holds evidence for, its files in memory. */
export async function generateKinds(
  kinds: { kind: AnyKind; options: unknown }[],
  source: ProfileSource,
): Promise<{ generated: Generated[]; rest: ProfileRest }> {
  const files = kinds.map(() => new Map<string, string>());
  const { made, rest } = await runKinds(
    source,
    kinds.map((k, i) => k.kind.start(k.options, mapSink(files[i]!))),
    true,
  );
  const generated: Generated[] = [];
  made.forEach((m, i) => {
    if (m) generated.push(collected(m, files[i]!));
  });
  return { generated, rest };
}
