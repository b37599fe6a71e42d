// Merge under hostile input (issue 17): every input profile is checked against the schema before merging (a
// string count, a count past 2^53 - 1, a numeric subject kind, a count its stages contradict are refused, naming
// the file and the field), counts that add up past 2^53 - 1 stay readable, and attributes the inputs disagree on
// resolve by a rule that does not depend on the order of the inputs (docs/formats.md, "Merging").
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LEGACY_PROFILE_API_VERSION } from '../src/model/profile.js';
import { cli, tmp } from './helpers/cli.js';
import { profileOfText } from './helpers/profile.js';

const T1 = '2026-11-02T08:00:00.000000Z';
const T2 = '2026-11-03T08:00:00.000000Z';
const ev = (count: number, id: string, time = T1) => ({
  count,
  firstSeen: time,
  lastSeen: time,
  stages: { ResponseComplete: count },
  samples: [{ id, time }],
});

type Json = Record<string, unknown>;

/** A profile of the documented shape with one service account, one IAM role, workloads and namespaces. */
function profile(over: { principals?: Json[]; workloads?: Json[]; namespaces?: Json[] } = {}): Json {
  return {
    apiVersion: LEGACY_PROFILE_API_VERSION,
    kind: 'Profile',
    window: { start: T1, end: T2 },
    sources: [],
    skipped: {},
    principals: over.principals ?? [
      {
        subject: { kind: 'ServiceAccount', name: 'web', namespace: 'shop' },
        username: 'system:serviceaccount:shop:web',
        groups: ['system:serviceaccounts'],
        k8s: [
          {
            verb: 'get',
            apiGroup: '',
            resource: 'configmaps',
            subresource: '',
            namespace: 'shop',
            name: 'web-config',
            nonResourceURL: '',
            allowed: ev(3, 'a1'),
          },
        ],
      },
      {
        subject: { kind: 'IAMRole', name: 'arn:aws:iam::111122223333:role/etl' },
        username: 'arn:aws:iam::111122223333:role/etl',
        groups: [],
        k8s: [],
        aws: [
          {
            eventSource: 's3.amazonaws.com',
            eventName: 'GetObject',
            resources: ['arn:aws:s3:::lake/a.csv'],
            implied: [],
            region: 'eu-west-1',
            account: '111122223333',
            allowed: ev(5, 'c1'),
          },
        ],
      },
    ],
    workloads: over.workloads ?? [],
    network: [],
    ...(over.namespaces ? { namespaces: over.namespaces } : {}),
  };
}

function write(dir: string, name: string, v: unknown): string {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(v));
  return f;
}

/** `merge` of the files in this order: the merged bytes. */
function merge(files: string[]): string {
  const out = join(tmp(), 'merged.json');
  const r = cli(['merge', ...files, '-o', out, '-q']);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(out, 'utf8');
}

/** A merged profile's text as the reader reads it (v1alpha2 lines), as plain JSON values. */
const parsed = async (text: string): Promise<Json> => (await profileOfText(text)) as unknown as Json;

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** The role's one call's evidence (principals are sorted on output: found by kind). */
const awsAllowed = (p: Json) =>
  ((p['principals'] as Json[]).find((x) => (x['subject'] as Json)['kind'] === 'IAMRole')!['aws'] as Json[])[0]![
    'allowed'
  ] as Json;

describe('merge checks every input against the schema', () => {
  const refused = (mutate: (p: Json) => void, field: RegExp) => {
    const dir = tmp();
    const good = write(dir, 'good.json', profile());
    const badProfile = profile();
    mutate(badProfile);
    const bad = write(dir, 'bad.json', badProfile);
    for (const files of [
      [good, bad],
      [bad, good],
    ]) {
      const r = cli(['merge', ...files, '-o', join(dir, 'out.json')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${bad}: not a valid profile`);
      expect(r.stderr).toMatch(field);
    }
  };

  it('refuses a count written as a string (it used to concatenate to "25305")', () => {
    refused((p) => (awsAllowed(p)['count'] = '25'), /\/principals\/1\/aws\/0\/allowed\/count: Expected integer/);
  });

  it('refuses a count of 1e308 (it used to sum to Infinity, written as null)', () => {
    refused((p) => (awsAllowed(p)['count'] = 1e308), /\/principals\/1\/aws\/0\/allowed\/count: Expected integer/);
  });

  it('refuses a numeric subject kind (it used to crash the merge)', () => {
    refused(
      (p) => (((p['principals'] as Json[])[0]!['subject'] as Json)['kind'] = 7),
      /\/principals\/0\/subject\/kind: Expected union value/,
    );
  });

  it('refuses a count its stages contradict (merge recounts from the stages: the count would silently change)', () => {
    refused(
      (p) => (awsAllowed(p)['count'] = 9_000_000),
      /\/principals\/1\/aws\/0\/allowed\/count: 9000000, but its stages count 5/,
    );
  });

  it('keeps counts that add up past 2^53 - 1 readable: they stop at 2^53 - 1', async () => {
    const dir = tmp();
    const max = Number.MAX_SAFE_INTEGER;
    const big = profile();
    const a = awsAllowed(big);
    a['count'] = max - 1;
    a['stages'] = { ResponseComplete: max - 1 };
    const f = write(dir, 'big.json', big);
    const merged = merge([f, f, f]);
    expect(awsAllowed(await parsed(merged))['count']).toBe(max);
    // Read back and merged again: a valid profile, the same count.
    const m = join(dir, 'merged.json');
    writeFileSync(m, merged);
    const again = merge([m, f]);
    expect(awsAllowed(await parsed(again))['count']).toBe(max);
  });
});

describe('conflicting attributes resolve the same in every input order', () => {
  const workload = (over: Json): Json => ({
    namespace: 'shop',
    name: 'web',
    kind: 'Deployment',
    selector: { app: 'web' },
    labels: { app: 'web' },
    ports: [],
    hostNetwork: false,
    source: 'inventory',
    ...over,
  });

  it('workload labels, selector, kind, service account, ports, host network and pods', async () => {
    const dir = tmp();
    // Three views: A and B share no label but `app`, B and C share `tier` only with each other; any two merged
    // first used to decide what the third could still agree with.
    const views = [
      workload({
        labels: { app: 'web', tier: 'front', track: 'stable' },
        selector: { app: 'web', tier: 'front' },
        serviceAccount: 'web',
        pods: 3,
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      }),
      workload({
        labels: { app: 'web2', tier: 'back' },
        selector: { app: 'web2' },
        kind: 'StatefulSet',
        serviceAccount: 'web-v2',
        pods: 5,
        hostNetwork: true,
      }),
      workload({
        labels: { app: 'web', tier: 'back', track: 'stable' },
        selector: { app: 'web', tier: 'back' },
        ports: [{ name: 'metrics', port: 9090, protocol: 'TCP' }],
      }),
    ];
    const files = views.map((w, i) => write(dir, `w${i}.json`, profile({ workloads: [w] })));
    const outs = new Set(permutations(files).map(merge));
    expect(outs.size).toBe(1);
    const [w] = (await parsed([...outs][0]!))['workloads'] as Json[];
    // The documented rule: labels and selector are what every view that carries any agrees on; kind and service
    // account the smallest in code-unit order; ports united; host network if any view says so; pods the largest.
    expect(w).toEqual({
      namespace: 'shop',
      name: 'web',
      kind: 'Deployment',
      selector: {},
      labels: {},
      ports: [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9090, protocol: 'TCP' },
      ],
      hostNetwork: true,
      serviceAccount: 'web',
      pods: 5,
      source: 'inventory',
    });
  });

  it('an inventory view wins over one guessed from flow labels, in any order', async () => {
    const dir = tmp();
    const files = [
      write(dir, 'a.json', profile({ workloads: [workload({ source: 'flow-labels', labels: { app: 'x' } })] })),
      write(dir, 'b.json', profile({ workloads: [workload({ labels: { app: 'web', v: '1' } })] })),
      write(dir, 'c.json', profile({ workloads: [workload({ labels: { app: 'web', v: '2' } })] })),
    ];
    const outs = new Set(permutations(files).map(merge));
    expect(outs.size).toBe(1);
    expect(((await parsed([...outs][0]!))['workloads'] as Json[])[0]!['labels']).toEqual({ app: 'web' });
  });

  it('namespace labels', async () => {
    const dir = tmp();
    const ns = (labels: Json) => profile({ namespaces: [{ name: 'shop', labels }] });
    const files = [
      write(dir, 'a.json', ns({ team: 'a', env: 'prod' })),
      write(dir, 'b.json', ns({ team: 'b' })),
      write(dir, 'c.json', ns({ team: 'a', env: 'prod', 'kubernetes.io/metadata.name': 'shop' })),
    ];
    const outs = new Set(permutations(files).map(merge));
    expect(outs.size).toBe(1);
    expect((await parsed([...outs][0]!))['namespaces']).toEqual([{ name: 'shop', labels: {} }]);
  });

  it('a principal’s groups and an IAM role’s path', async () => {
    const dir = tmp();
    const base = profile();
    const withGroups = profile();
    const ps = withGroups['principals'] as Json[];
    ps[0]!['groups'] = ['system:authenticated', 'system:serviceaccounts:shop'];
    ps[1]!['subject'] = { kind: 'IAMRole', name: 'arn:aws:iam::111122223333:role/data/etl' };
    ps[1]!['username'] = 'arn:aws:iam::111122223333:role/data/etl';
    const other = profile();
    const po = other['principals'] as Json[];
    po[1]!['subject'] = { kind: 'IAMRole', name: 'arn:aws:iam::111122223333:role/batch/etl' };
    po[1]!['username'] = 'arn:aws:iam::111122223333:role/batch/etl';
    const files = [write(dir, 'a.json', base), write(dir, 'b.json', withGroups), write(dir, 'c.json', other)];
    const outs = new Set(permutations(files).map(merge));
    expect(outs.size).toBe(1);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const merged = (await parsed([...outs][0]!)) as any;
    const sa = merged.principals.find((p: Json) => (p['subject'] as Json)['kind'] === 'ServiceAccount');
    expect(sa.groups).toEqual(['system:authenticated', 'system:serviceaccounts', 'system:serviceaccounts:shop']);
    const role = merged.principals.find((p: Json) => (p['subject'] as Json)['kind'] === 'IAMRole');
    // The path other than `/`, the smaller in code-unit order: /batch/.
    expect(role.username).toBe('arn:aws:iam::111122223333:role/batch/etl');
    expect(role.aws[0].allowed.count).toBe(15);
  });
});
