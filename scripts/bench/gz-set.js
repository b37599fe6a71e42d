// A directory of generated .json.gz files for the benchmark, reused between runs while its meta file
// (seed, target size, total compressed bytes) still matches what is on disk.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The recorded meta of `dir` when its files are still those generated, else undefined (and `dir` emptied). */
export function reuseOrReset(dir, seed, sizeBytes) {
  const metaFile = metaPath(dir);
  if (existsSync(dir) && existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    const gz = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    if (meta.seed === seed && meta.target === sizeBytes && gz === meta.gzBytes) return { ...meta, reused: true };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return undefined;
}

export function saveMeta(dir, meta) {
  writeFileSync(metaPath(dir), JSON.stringify(meta) + '\n');
  return meta;
}

function metaPath(dir) {
  return join(dir, '..', `${dir.split('/').pop()}.meta.json`);
}
