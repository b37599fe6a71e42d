import { resolve } from 'node:path';
import { writeFileAtomic } from '../emit/writeTree.js';
import { batched, gzipped, profileLines, writeAll, type ProfileParts } from '../profile/write.js';
import type { Ctx } from './context.js';

/**
 * A profile to `-o FILE` (replaced at once; gzip when the name ends in `.gz`) or to stdout, line by line as its parts
 * come: never one string of the whole.
 */
export async function writeProfileOutput(ctx: Ctx, output: string | undefined, parts: ProfileParts): Promise<void> {
  const text = batched(profileLines(parts));
  if (output) await writeFileAtomic(resolve(ctx.io.cwd, output), output.endsWith('.gz') ? gzipped(text) : text);
  else await writeAll(ctx.io.stdout, text);
}
