import { Chalk, type ChalkInstance } from 'chalk';
import type { Io } from './io.js';

/** What every command gets: the process surface, colour, and a place to put its exit code. */
export interface Ctx {
  io: Io;
  /** Colour on stderr: only on a terminal, never with NO_COLOR. */
  c: ChalkInstance;
  exitCode: number;
}

export function makeCtx(io: Io): Ctx {
  const color = io.stderrIsTTY && !('NO_COLOR' in io.env && io.env['NO_COLOR'] !== '') && io.env['TERM'] !== 'dumb';
  return { io, c: new Chalk({ level: color ? 1 : 0 }), exitCode: 0 };
}
