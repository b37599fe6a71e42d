import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

// The real @kubernetes/client-node client against a local API server that serves the list
// endpoints from the demo inventory, a few objects per page (so `continue` tokens are followed).
const INV = join(ROOT, 'fixtures/demo/inventory');
const FLOWS = join(ROOT, 'fixtures/demo/flows');
const PAGE = 3;

const PATHS: Record<string, { kind: string; apiVersion: string }> = {
  '/api/v1/namespaces': { kind: 'Namespace', apiVersion: 'v1' },
  '/api/v1/nodes': { kind: 'Node', apiVersion: 'v1' },
  '/api/v1/pods': { kind: 'Pod', apiVersion: 'v1' },
  '/api/v1/services': { kind: 'Service', apiVersion: 'v1' },
  '/apis/apps/v1/replicasets': { kind: 'ReplicaSet', apiVersion: 'apps/v1' },
  '/apis/apps/v1/deployments': { kind: 'Deployment', apiVersion: 'apps/v1' },
  '/apis/apps/v1/statefulsets': { kind: 'StatefulSet', apiVersion: 'apps/v1' },
  '/apis/apps/v1/daemonsets': { kind: 'DaemonSet', apiVersion: 'apps/v1' },
  '/apis/batch/v1/jobs': { kind: 'Job', apiVersion: 'batch/v1' },
  '/apis/batch/v1/cronjobs': { kind: 'CronJob', apiVersion: 'batch/v1' },
};

const items = (JSON.parse(readFileSync(join(INV, 'acme-staging.json'), 'utf8')) as { items: Record<string, unknown>[] })
  .items;
const seen: { path: string; cont: string; auth: string }[] = [];
let server: ReturnType<typeof createServer>;
let kubeconfig = '';

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const list = PATHS[url.pathname];
    seen.push({
      path: url.pathname,
      cont: url.searchParams.get('continue') ?? '',
      auth: String(req.headers['authorization'] ?? ''),
    });
    if (!list) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404 }));
      return;
    }
    // As the API server does: list items carry no kind or apiVersion.
    const all = items.filter((i) => i['kind'] === list.kind).map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    const start = Number(url.searchParams.get('continue') ?? '0');
    const page = all.slice(start, start + PAGE);
    const next = start + PAGE < all.length ? String(start + PAGE) : undefined;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: `${list.kind}List`,
        apiVersion: list.apiVersion,
        metadata: { resourceVersion: '42', ...(next ? { continue: next } : {}) },
        items: page,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const dir = tmp();
  kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: local',
      '  cluster:',
      `    server: http://127.0.0.1:${port}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: tester',
      '  user:',
      '    token: test-token',
      'contexts:',
      '- name: acme-staging',
      '  context:',
      '    cluster: local',
      '    user: tester',
      'current-context: acme-staging',
      '',
    ].join('\n'),
  );
});
afterAll(() => server.close());

/** Run the CLI without blocking this process: the test's server must keep answering. */
function cliAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', HOME: tmp() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

describe('live inventory through @kubernetes/client-node against a local API server', () => {
  it('--cluster gives the same profile as the inventory file; the snapshot reads back the same too', async () => {
    const dir = tmp();
    const live = await cliAsync([
      'profile',
      '--flows',
      FLOWS,
      '--cluster',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'acme-staging',
      '-o',
      join(dir, 'live.json'),
    ]);
    expect(live.code, live.stderr).toBe(0);
    expect(live.stderr).toMatch(/inventory: 6 namespaces, 20 pods, \d+ controllers, 4 services, 3 nodes \(live\)/);
    const file = await cliAsync(['profile', '--flows', FLOWS, '--inventory', INV, '-o', join(dir, 'file.json'), '-q']);
    expect(file.code).toBe(0);
    const noSources = async (f: string) => ({ ...(await readProfileFile(join(dir, f))), sources: null });
    expect(await noSources('live.json')).toEqual(await noSources('file.json'));
    // Every list was paged through its continue tokens, with the kubeconfig's credentials.
    const pods = seen.filter((s) => s.path === '/api/v1/pods');
    expect(pods.map((s) => s.cont)).toEqual(['', '3', '6', '9', '12', '15', '18']);
    expect(seen.every((s) => s.auth === 'Bearer test-token')).toBe(true);

    const snap = await cliAsync(['inventory', '--kubeconfig', kubeconfig, '-o', join(dir, 'snap.json')]);
    expect(snap.code, snap.stderr).toBe(0);
    expect(snap.stderr).toMatch(/20 Pod/);
    // The snapshot is a Kubernetes List (kubectl reads it too): its apiVersion is the List's, first.
    const snapshot = JSON.parse(readFileSync(join(dir, 'snap.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(snapshot).slice(0, 2)).toEqual(['apiVersion', 'kind']);
    expect([snapshot['apiVersion'], snapshot['kind']]).toEqual(['v1', 'List']);
    const fromSnap = await cliAsync([
      'profile',
      '--flows',
      FLOWS,
      '--inventory',
      join(dir, 'snap.json'),
      '-o',
      join(dir, 'snap-profile.json'),
      '-q',
    ]);
    expect(fromSnap.code).toBe(0);
    expect(noSources('snap-profile.json')).toEqual(noSources('file.json'));
  }, 30_000);

  it('an unknown context is a clear error, exit 2', async () => {
    const r = await cliAsync(['inventory', '--kubeconfig', kubeconfig, '--context', 'prod']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no context "prod" in the kubeconfig/);
  });
});
