/**
 * Why a file-system call failed, in words (docs/error-handling.md): reads and writes say `cannot read PATH: permission
 * denied`, never Node's `EACCES: permission denied, open '/abs/path'` (the caller names the path as it was given).
 */
const WHY: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links on the way (a link loop?)',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'an input/output error of the device',
};

/** Node's text for an errno error: `CODE: what, syscall 'path'` (the path optional). */
const NODE_TEXT = /^[A-Z0-9_]+: (.+?), [a-z_]+(?: '.*')?$/s;

/**
 * The reason of a file-system error as text, by its code (`overrides` first: a caller's own words for a code), else
 * Node's description without its code, call and path; any other error's message as it is.
 */
export function fsProblem(e: unknown, overrides: Readonly<Record<string, string>> = {}): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') {
    if (Object.hasOwn(overrides, code)) return overrides[code]!;
    if (Object.hasOwn(WHY, code)) return WHY[code]!;
  }
  const message = e instanceof Error ? e.message : String(e);
  return NODE_TEXT.exec(message)?.[1] ?? message;
}
