import { createReadStream } from 'node:fs';
import type { InputFile } from '../inputs.js';
import { foreignSource } from '../sourceOf.js';
import type { Task } from '../task.js';
import { RecordScanner, type ScanResume, type ScanSink } from './scanner.js';

/**
 * CloudTrail files as tasks: a large plain file whose first value is a `{"Records":[...]}` document is cut into byte
 * ranges at record boundaries, one per worker, so one large document keeps every core busy; anything else (gzip,
 * JSON lines, a small file) is one task. Each range reads the records that start in it; the profile is the same
 * whatever the split (merging is exact, and lines are counted per range and made absolute as for audit logs).
 */
export async function cloudTrailTasks(files: InputFile[], workers: number, splitBytes: number): Promise<Task[]> {
  const tasks: Task[] = [];
  for (const f of files) {
    const whole: Task = {
      path: f.path,
      abs: f.abs,
      gzip: f.gzip,
      format: 'cloudtrail',
      ...(f.parquet ? { parquet: true } : {}),
    };
    const parts = workers > 1 && !f.gzip && !f.parquet ? Math.min(workers, Math.floor(f.size / splitBytes)) : 1;
    const bounds = parts > 1 ? await recordBoundaries(f.abs, f.size, parts) : [];
    if (!bounds.length) {
      tasks.push(whole);
      continue;
    }
    const at = [0, ...bounds.map((b) => b.offset), f.size];
    for (let k = 0; k + 1 < at.length; k++) {
      const range: Task = { ...whole, start: at[k]!, end: at[k + 1]! };
      if (k > 0) range.resume = bounds[k - 1]!.resume;
      tasks.push(range);
    }
  }
  return tasks;
}

/**
 * The first record starting at or after each of `parts - 1` evenly spaced offsets, found by scanning (strings,
 * escapes, brackets; nothing parsed but the keys before the Records). Empty when the file's first value is no
 * Records document, is not ours (another source's keys), breaks JSON's grammar before the last boundary, or ends
 * too early: the file is then read as one task, which reports what is wrong with it.
 */
export async function recordBoundaries(
  abs: string,
  size: number,
  parts: number,
): Promise<{ offset: number; resume: ScanResume }[]> {
  const targets = Array.from({ length: parts - 1 }, (_, k) => Math.floor((size * (k + 1)) / parts));
  const found: { offset: number; resume: ScanResume }[] = [];
  let bad = false;
  const sink: ScanSink = {
    value: () => {
      bad = true;
    },
    // Not the fast path: the scanner reads the line byte by byte (a first line `{` opens a pretty document).
    line: () => false,
    stream: (head) => {
      let v: unknown;
      try {
        v = head === undefined ? undefined : JSON.parse(head);
      } catch {
        v = undefined;
      }
      if (v === undefined || foreignSource(v, 'cloudtrail')) bad = true;
    },
    issue: () => {
      bad = true;
    },
  };
  const scanner = new RecordScanner(sink, {
    captureElements: false,
    onElement: (offset, resume) => {
      if (resume.container !== 'records' || offset < targets[found.length]!) return false;
      found.push({ offset, resume });
      return found.length === targets.length;
    },
  });
  const stream = createReadStream(abs, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      scanner.push(chunk);
      if (bad || scanner.done) break;
    }
  } catch {
    return [];
  } finally {
    stream.destroy();
  }
  return bad || found.length < targets.length ? [] : found;
}
