import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../src/cli/run.js';
import { tmp } from './helpers/cli.js';
import { profileOfText } from './helpers/profile.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({ write: (c, _e, cb) => (chunks.push(Buffer.from(c)), cb()) }),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

async function profileWith(stderrIsTTY: boolean, extra: string[] = []) {
  const dir = tmp();
  const line = JSON.stringify({
    kind: 'Event',
    auditID: 'a',
    stage: 'ResponseComplete',
    verb: 'get',
    user: { username: 'alice' },
    objectRef: { resource: 'pods', namespace: 'x', name: 'p' },
    responseStatus: { code: 200 },
  });
  writeFileSync(join(dir, 'a.log'), (line + '\n').repeat(5000));
  const out = capture();
  const err = capture();
  const code = await run(['profile', '--k8s-audit', join(dir, 'a.log'), '--workers', '1', ...extra], {
    stdout: out.stream,
    stderr: err.stream,
    stdin: new PassThrough(),
    env: {},
    stderrIsTTY,
    cwd: dir,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('progress and colour', () => {
  it('draws progress on a terminal stderr only, and clears it; stdout stays pure data', async () => {
    const tty = await profileWith(true);
    expect(tty.code).toBe(0);
    // eslint-disable-next-line no-control-regex -- the progress line is drawn with an escape sequence
    expect(tty.stderr).toMatch(/\r\x1b\[K[\d.]+ MB\/[\d.]+ MB \(\d+%\), [\d,]+ records/);
    expect((await profileOfText(tty.stdout)).kind).toBe('Profile');
    const pipe = await profileWith(false);
    expect(pipe.stderr).not.toContain('\r');
    expect(pipe.stderr).not.toContain('\x1b[');
    const principals = async (s: string) => (await profileOfText(s)).principals;
    expect(await principals(pipe.stdout)).toEqual(await principals(tty.stdout));
  });

  it('--quiet silences the summary and the progress', async () => {
    const q = await profileWith(true, ['--quiet']);
    expect(q.stderr).toBe('');
  });
});
