import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, tmp } from './cli.js';
import { ACCOUNT } from './cloudtrailRecords.js';

/** An identity policy as `generate iam` writes it. */
export type Policy = { Version: string; Statement: { Action: string[]; Resource: string[] | string }[] };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

/**
 * `generate iam` from CloudTrail records of one principal (of ACCOUNT): its one policy, what generate printed (the
 * widenings), and the exit code of `verify` replaying the records against the tree.
 */
export function generateIam(records: Record<string, unknown>[]): { policy: Policy; stderr: string; verified: number } {
  const dir = tmp();
  const input = join(dir, 'trail.json');
  writeFileSync(input, JSON.stringify({ Records: records }));
  const out = join(dir, 'out');
  const gen = cli(['generate', 'iam', '--cloudtrail', input, '-o', out]);
  expect(gen.code, gen.stderr).toBe(0);
  const written = files(join(out, 'iam', ACCOUNT)).filter((f) => !f.endsWith('index.json'));
  expect(written).toHaveLength(1);
  const verify = cli(['verify', '--policies', out, '--cloudtrail', input]);
  return {
    policy: JSON.parse(readFileSync(written[0]!, 'utf8')) as Policy,
    stderr: gen.stdout + gen.stderr,
    verified: verify.code,
  };
}

/** The resources a policy grants an action on, sorted. */
export const grants = (p: Policy, action: string): string[] =>
  p.Statement.filter((s) => s.Action.includes(action))
    .flatMap((s) => (s.Resource === '*' ? ['*'] : s.Resource))
    .sort();
