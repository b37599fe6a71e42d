import type { InputFile } from './inputs.js';
import type { SourceFormat, Task } from './task.js';

/** How the inputs are cut into tasks, and whether they are worth more than one thread. */

/** Whole files, and plain files big enough to be worth splitting into one range per worker. */
export function planTasks(
  files: InputFile[],
  workers: number,
  splitBytes: number,
  format: SourceFormat = 'k8s-audit',
): Task[] {
  const tasks: Task[] = [];
  for (const f of files) {
    const parts = workers > 1 && f.splittable ? Math.min(workers, Math.floor(f.size / splitBytes)) : 1;
    if (parts <= 1) {
      tasks.push({ path: f.path, abs: f.abs, gzip: f.gzip, format, ...(f.parquet ? { parquet: true } : {}) });
      continue;
    }
    const step = Math.ceil(f.size / parts);
    for (let s = 0; s < f.size; s += step)
      tasks.push({ path: f.path, abs: f.abs, gzip: false, format, start: s, end: Math.min(f.size, s + step) });
  }
  return tasks;
}

/**
 * Below this many bytes of input one thread reads it faster than two (measured on 2 cores: audit logs of 128 MB, 0.89
 * against 1.0 s, and 70 MB less; 256 MB, even; 512 MB, two threads 15% faster: docs/performance.md).
 */
const SMALL_INPUT = 256 * 1024 * 1024;
/** A gzip file's text is about this many times its size (audit logs 7.8, CloudTrail delivery files about 10). */
const GZIP_RATIO = 8;

export function isSmall(files: { size: number; gzip: boolean }[]): boolean {
  return files.reduce((n, f) => n + f.size * (f.gzip ? GZIP_RATIO : 1), 0) < SMALL_INPUT;
}
