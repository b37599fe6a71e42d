import { isAbsolute, join, relative, sep } from 'node:path';
import type { CiReport, Location } from '../model/finding.js';

/**
 * Marks the locations of a diff that are in BASE's files (`side: 'base'`), and gives each the HEAD file at the same
 * path under HEAD's root (`head`), when HEAD has it. A review job diffs a worktree of the base branch against the
 * checkout (`diff ../base/policy policy`): removed access is located on `../base/policy/…`, which a GitHub
 * annotation or a SARIF result cannot point at, since both attach to the pull request's own files. The formats that
 * annotate (github, sarif) then put it on HEAD's file and name BASE's line in the message.
 *
 * `basePath`/`headPath` are the two arguments as given; `baseFiles`/`headFiles` the policy files read from each, named
 * as the loader names them (`join(path, entry...)`). A file both sides read (the same path given twice) is HEAD's.
 * When both arguments are files, HEAD's file is the counterpart of BASE's.
 */
export function markBaseLocations(
  r: CiReport,
  basePath: string,
  headPath: string,
  baseFiles: ReadonlySet<string>,
  headFiles: ReadonlySet<string>,
): void {
  const counterpart = (file: string): string | undefined => {
    if (baseFiles.size === 1 && headFiles.size === 1 && baseFiles.has(basePath) && headFiles.has(headPath))
      return headPath;
    const rel = relative(basePath, file);
    if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
    const h = join(headPath, rel);
    return headFiles.has(h) ? h : undefined;
  };
  const mark = (l: Location) => {
    if (!baseFiles.has(l.file) || headFiles.has(l.file)) return;
    l.side = 'base';
    const h = counterpart(l.file);
    if (h !== undefined) l.head = h;
  };
  for (const list of [r.newAccess, r.removedAccess, r.undetermined, r.wouldDeny, r.unused])
    for (const f of list) for (const l of f.locations) mark(l);
}

/** Where a review annotation of `l` goes: its own file and line, or, for a BASE location, HEAD's file (no line). */
export function annotationPlace(l: Location | undefined): { file?: string; line?: number; note: string } {
  if (!l) return { note: '' };
  if (l.side !== 'base') return { file: l.file, line: l.line, note: '' };
  const note = `in BASE ${l.file}:${l.line}${l.head ? '' : ', a file HEAD does not have'}: `;
  return l.head !== undefined ? { file: l.head, note } : { note };
}
