import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** What lies at a path, as the writer tells it apart: never opened unless a regular file. */
export type EntryKind = 'file' | 'directory' | 'symbolic link' | 'FIFO' | 'socket' | 'device' | 'special file';

export function entryKind(e: {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}): EntryKind {
  if (e.isFile()) return 'file';
  if (e.isDirectory()) return 'directory';
  if (e.isSymbolicLink()) return 'symbolic link';
  if (e.isFIFO()) return 'FIFO';
  if (e.isSocket()) return 'socket';
  if (e.isBlockDevice() || e.isCharacterDevice()) return 'device';
  return 'special file';
}

/**
 * The bytes of a regular file, or undefined when the path is missing or anything else. Opened without following
 * a link and without blocking (a FIFO put there after a check is never waited on), then checked on the open file.
 */
export async function readRegular(path: string): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENXIO' || code === 'EISDIR') return undefined;
    throw e;
  }
  try {
    if (!(await fh.stat()).isFile()) return undefined;
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
