// Writes a seeded Kubernetes audit log in which every event is a new distinct access (a new object name), split
// round-robin into 4 shard files, for the distinct-accesses rows of the benchmark (issue 16). Events are compact
// (Metadata level, no `extra`, ~500 bytes) but of the same shape as the main bench log's.
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../lib/prng.js';

export const SHARDS = 4;
const NAMESPACES = 50;
const ACCOUNTS = 20; // per namespace: 1,000 service accounts
const VERBS = ['get', 'get', 'update', 'patch', 'delete'];
const RESOURCES = [
  ['', 'configmaps', 'cm'],
  ['', 'secrets', 'sec'],
  ['', 'pods', 'pod'],
  ['', 'services', 'svc'],
  ['apps', 'deployments', 'deploy'],
  ['batch', 'jobs', 'job'],
  ['coordination.k8s.io', 'leases', 'lease'],
];

/**
 * Generate `accesses` events into `dir` (shard-0.log .. shard-3.log), each a distinct access: the object's name
 * carries the event's index. Reused when the meta file beside `dir` matches. Returns {accesses, events, bytes, files}.
 */
export async function generateDistinct(dir, accesses, seed = 16) {
  const metaFile = `${dir}.meta.json`;
  if (existsSync(metaFile) && existsSync(dir)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    if (meta.seed === seed && meta.accesses === accesses && meta.bytes === bytes) return { ...meta, reused: true };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const r = mulberry32(seed);
  const int = (n) => Math.floor(r() * n);
  const hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(16)];
    return s;
  };
  const outs = Array.from({ length: SHARDS }, (_, i) =>
    createWriteStream(join(dir, `shard-${i}.log`), { highWaterMark: 8 << 20 }),
  );
  const chunks = outs.map(() => []);
  let bytes = 0;
  const start = Date.UTC(2026, 10, 2);
  const flush = async (k) => {
    const buf = Buffer.from(chunks[k].join(''));
    chunks[k] = [];
    bytes += buf.length;
    if (!outs[k].write(buf)) await new Promise((res) => outs[k].once('drain', res));
  };
  for (let i = 0; i < accesses; i++) {
    const sa = i % (NAMESPACES * ACCOUNTS);
    const ns = `team-${sa % NAMESPACES}`;
    const username = `system:serviceaccount:${ns}:svc-${Math.floor(sa / NAMESPACES)}`;
    const [group, resource, short] = RESOURCES[int(RESOURCES.length)];
    const verb = VERBS[int(VERBS.length)];
    const name = `${short}-${i.toString(36)}-${hex(5)}`;
    const t = start + Math.floor(i / 4);
    const ts = new Date(t).toISOString().slice(0, 23) + String(int(1000)).padStart(3, '0') + 'Z';
    const te = new Date(t + 2).toISOString().slice(0, 23) + String(int(1000)).padStart(3, '0') + 'Z';
    const base = group ? `/apis/${group}/v1` : '/api/v1';
    const line = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}","stage":"ResponseComplete","requestURI":"${base}/namespaces/${ns}/${resource}/${name}","verb":"${verb}","user":{"username":"${username}","groups":["system:serviceaccounts","system:serviceaccounts:${ns}","system:authenticated"]},"sourceIPs":["10.0.${int(4)}.${int(250)}"],"userAgent":"svc/v1.2.${int(9)}","objectRef":{"resource":"${resource}","namespace":"${ns}","name":"${name}"${group ? `,"apiGroup":"${group}"` : ''},"apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"${ts}","stageTimestamp":"${te}","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \\"app/${ns}\\""}}\n`;
    const k = i % SHARDS;
    chunks[k].push(line);
    if (chunks[k].length >= 8192) await flush(k);
  }
  for (let k = 0; k < SHARDS; k++) {
    await flush(k);
    outs[k].end();
    await new Promise((res) => outs[k].on('finish', res));
  }
  const meta = { seed, accesses, events: accesses, bytes, files: SHARDS };
  writeFileSync(metaFile, JSON.stringify(meta) + '\n');
  return { ...meta, reused: false };
}
