import { open } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';

/**
 * The first `bytes` bytes of a file, a gzip's decompressed as far as they go (the first bytes of a stream cut short);
 * undefined when the file cannot be read or its gzip cannot be decompressed.
 */
export async function fileHead(abs: string, bytes: number): Promise<Buffer | undefined> {
  let head: Buffer;
  try {
    const fh = await open(abs, 'r');
    try {
      const buf = Buffer.alloc(bytes);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return undefined;
    }
  }
  return head;
}

/**
 * Whether a file is a profile audit2policy wrote (JSON or gzip), by its first bytes: the output (`-o`) found among the
 * inputs is skipped when it is, and refused when it holds a log, which writing the output over it would destroy.
 */
export async function isOwnProfile(abs: string): Promise<boolean> {
  const head = await fileHead(abs, 4096);
  return !!head && /^\s*\{\s*"apiVersion"\s*:\s*"audit2policy\.dev\//.test(head.subarray(0, 200).toString('utf8'));
}
