import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { openProfile, readProfile, serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';
import { generateK8sAudit } from './helpers/k8s-audit-gen.js';

const dir = tmp('a2p-profbatch-');
/** The size of one read of a file stream (Node's default highWaterMark). */
const CHUNK = 64 * 1024;

/**
 * A profile file is read a chunk's lines at a time (src/profile/read.ts `fileLineBatches`): lines that span chunks, a
 * first chunk without a whole line, and a bad line in a later chunk must read as they did line by line.
 */
describe('reading a profile file of many chunks', () => {
  it('reads every line of every chunk, plain or gzip, its header longer than a chunk; a bad line far in is named', async () => {
    const log = join(dir, 'many.log');
    writeFileSync(log, generateK8sAudit({ seed: 11, namespaces: 8, serviceAccounts: 800, variant: 'A' }));
    const { profile } = await ingest({ k8sAudit: [log], scope: new Scope(defaultScope()), workers: 1, cwd: ROOT });
    // A header longer than a chunk: the first chunk holds no whole line.
    const source = profile.sources[0]!;
    profile.sources = Array.from({ length: 1000 }, (_, i) => ({
      ...source,
      path: `shard-${String(i).padStart(4, '0')}`,
    }));
    const text = serializeProfile(profile);
    expect(text.indexOf('\n')).toBeGreaterThan(CHUNK);
    expect(text.length).toBeGreaterThan(10 * CHUNK);

    const plain = join(dir, 'many.json');
    const gz = join(dir, 'many.json.gz');
    writeFileSync(plain, text);
    writeFileSync(gz, gzipSync(text));
    expect(serializeProfile(await readProfile(plain))).toBe(text);
    expect(serializeProfile(await readProfile(gz))).toBe(text);

    // Streamed: every principal with every access, in order.
    const s = await openProfile(plain);
    const seen: string[] = [];
    let accesses = 0;
    for await (const p of s.principals) {
      seen.push(p.username);
      accesses += p.k8s.length;
    }
    expect(seen).toEqual(profile.principals.map((p) => p.username));
    expect(accesses).toBe(profile.principals.reduce((n, p) => n + p.k8s.length, 0));
    expect(s.tail()).toBeDefined();

    // A bad line in the last chunks names its own line number.
    const lines = text.split('\n');
    const k = lines.findLastIndex((l) => l.startsWith('{"k8s":'));
    expect(lines.slice(0, k).join('\n').length).toBeGreaterThan(8 * CHUNK);
    lines[k] = lines[k]!.replace(/^\{"k8s":\["[^"]*"/, '{"k8s":["g*t"');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, lines.join('\n'));
    await expect(readProfile(bad)).rejects.toThrow(`${bad}:${k + 1}: not a valid profile: `);
    writeFileSync(`${bad}.gz`, gzipSync(lines.join('\n')));
    await expect(readProfile(`${bad}.gz`)).rejects.toThrow(`${bad}.gz:${k + 1}: not a valid profile: `);
  });
});
