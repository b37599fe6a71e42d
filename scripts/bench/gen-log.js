// Writes a large, seeded, realistic Kubernetes audit log (JSON lines, 1–2 KB events) for the benchmark.
import { createWriteStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mulberry32 } from '../lib/prng.js';

const VERBS = ['get', 'get', 'get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const RESOURCES = [
  ['', 'configmaps'],
  ['', 'secrets'],
  ['', 'pods'],
  ['', 'services'],
  ['', 'endpoints'],
  ['', 'events'],
  ['apps', 'deployments'],
  ['apps', 'replicasets'],
  ['apps', 'statefulsets'],
  ['batch', 'jobs'],
  ['coordination.k8s.io', 'leases'],
  ['networking.k8s.io', 'ingresses'],
  ['cert-manager.io', 'certificates'],
];
const SYSTEM = [
  'system:kube-controller-manager',
  'system:kube-scheduler',
  'system:node:ip-10-0-1-23.ec2.internal',
  'system:node:ip-10-0-2-41.ec2.internal',
  'system:serviceaccount:kube-system:replicaset-controller',
  'system:serviceaccount:kube-system:endpoint-controller',
];

/** The default shape: 8 service accounts per namespace, 6 behaviours each, 4 names per resource. */
export const DEFAULT_SHAPE = { accounts: 8, repertoire: 6, names: 4 };
/**
 * The high-cardinality shape (issue 16): 50 service accounts in each of 40 namespaces, each reading and updating 60
 * objects out of 1,000 names per resource: about 120,000 distinct accesses at 500 MB instead of a few thousand.
 */
export const HIGH_CARDINALITY = { accounts: 50, repertoire: 60, names: 1000 };

/**
 * Generate `sizeBytes` of audit log into `file` (reused when its meta matches). Returns {events, bytes}.
 * `shape` sets the service accounts per namespace, the behaviours of each and the names per resource.
 */
export async function generateLog(file, sizeBytes, seed = 7, shape = DEFAULT_SHAPE) {
  const metaFile = `${file}.meta.json`;
  const custom = shape !== DEFAULT_SHAPE;
  if (existsSync(file) && existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    const sameShape = JSON.stringify(meta.shape) === JSON.stringify(custom ? shape : undefined);
    if (meta.seed === seed && meta.target === sizeBytes && statSync(file).size === meta.bytes && sameShape)
      return { ...meta, reused: true };
  }
  const r = mulberry32(seed);
  const int = (n) => Math.floor(r() * n);
  const hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(16)];
    return s;
  };
  const out = createWriteStream(file, { highWaterMark: 8 << 20 });
  const start = Date.UTC(2026, 10, 2);
  let bytes = 0;
  let events = 0;
  let chunk = [];
  let chunkBytes = 0;
  // Each principal has a fixed repertoire, as real workloads do: a few resources, verbs and names.
  // Distinct edges stay bounded (a few thousand) however long the log grows.
  const repertoire = new Map();
  const behaviours = (key, n) => {
    let list = repertoire.get(key);
    if (!list) {
      list = [];
      for (let i = 0; i < n; i++) {
        const [group, resource] = RESOURCES[int(RESOURCES.length)];
        const verb = VERBS[int(VERBS.length)];
        const named = verb !== 'list' && verb !== 'watch' && verb !== 'create';
        const name = named ? `${resource.slice(0, -1)}-${int(shape.names)}` : '';
        const sub = resource === 'pods' && named && r() < 0.3 ? (r() < 0.5 ? 'log' : 'status') : '';
        list.push({ group, resource, verb, name, sub });
      }
      repertoire.set(key, list);
    }
    return list[int(list.length)];
  };
  while (bytes < sizeBytes) {
    const sys = r() < 0.3;
    const ns = `team-${int(40)}`;
    const username = sys
      ? SYSTEM[int(SYSTEM.length)]
      : r() < 0.05
        ? `user-${int(20)}@example.com`
        : `system:serviceaccount:${ns}:svc-${int(shape.accounts)}`;
    const { group, resource, verb, name, sub } = behaviours(
      username,
      sys ? 12 : username.startsWith('user-') ? 30 : shape.repertoire,
    );
    const code = r() < 0.01 ? 403 : verb === 'create' ? 201 : r() < 0.02 ? 404 : 200;
    const t = start + events * 37;
    const ts = new Date(t).toISOString().slice(0, 23) + String(int(1000)).padStart(3, '0') + 'Z';
    const te = new Date(t + 3).toISOString().slice(0, 23) + String(int(1000)).padStart(3, '0') + 'Z';
    const id = `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
    const base = group ? `/apis/${group}/v1` : '/api/v1';
    const uri = `${base}/namespaces/${ns}/${resource}${name ? '/' + name : ''}${sub ? '/' + sub : ''}${verb === 'watch' ? '?watch=true&resourceVersion=' + int(1e7) : verb === 'list' ? '?limit=500' : ''}`;
    const groups = username.startsWith('system:serviceaccount:')
      ? `["system:serviceaccounts","system:serviceaccounts:${ns}","system:authenticated"]`
      : '["system:authenticated"]';
    const objectRef = `{"resource":"${resource}","namespace":"${ns}"${name ? `,"name":"${name}"` : ''}${group ? `,"apiGroup":"${group}"` : ''},"apiVersion":"v1"${sub ? `,"subresource":"${sub}"` : ''}}`;
    const annotations =
      code === 403
        ? '{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}'
        : `{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \\"rb-${int(50)}/${ns}\\" of Role \\"role-${int(50)}\\" to ServiceAccount \\"svc/${ns}\\"","pod-security.kubernetes.io/enforce-policy":"restricted:latest"}`;
    const extra = username.startsWith('system:serviceaccount:')
      ? `,"extra":{"authentication.kubernetes.io/credential-id":["JTI=${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}"],"authentication.kubernetes.io/node-name":["ip-10-0-${int(4)}-${int(250)}.ec2.internal"],"authentication.kubernetes.io/node-uid":["${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}"],"authentication.kubernetes.io/pod-name":["svc-${hex(10)}-${hex(5)}"],"authentication.kubernetes.io/pod-uid":["${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}"]}`
      : '';
    const requestObject =
      (verb === 'patch' || verb === 'update' || verb === 'create') && r() < 0.5
        ? `,"requestObject":{"metadata":{"labels":{"app.kubernetes.io/name":"svc","app.kubernetes.io/instance":"svc-${int(9)}"},"annotations":{"deployment.kubernetes.io/revision":"${int(90)}","note":"${'x'.repeat(int(500))}"}},"spec":{"replicas":${int(5)}}}`
        : '';
    const level = requestObject ? 'Request' : 'Metadata';
    const stages = r() < 0.1 ? ['RequestReceived', 'ResponseComplete'] : ['ResponseComplete'];
    for (const stage of stages) {
      const status = stage === 'RequestReceived' ? '' : `,"responseStatus":{"metadata":{},"code":${code}}`;
      const ann = stage === 'RequestReceived' ? '' : `,"annotations":${annotations}`;
      const line = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"${level}","auditID":"${id}","stage":"${stage}","requestURI":"${uri}","verb":"${verb}","user":{"username":"${username}","uid":"${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}","groups":${groups}${extra}},"sourceIPs":["10.0.${int(4)}.${int(250)}"],"userAgent":"svc/v1.${int(9)}.${int(9)} (linux/amd64) kubernetes/${hex(7)}","objectRef":${objectRef}${status}${requestObject},"requestReceivedTimestamp":"${ts}","stageTimestamp":"${te}"${ann}}\n`;
      chunk.push(line);
      chunkBytes += line.length;
      events++;
    }
    if (chunkBytes > 4 << 20) {
      const buf = Buffer.from(chunk.join(''));
      bytes += buf.length;
      if (!out.write(buf)) await new Promise((res) => out.once('drain', res));
      chunk = [];
      chunkBytes = 0;
    }
  }
  const buf = Buffer.from(chunk.join(''));
  bytes += buf.length;
  out.end(buf);
  await new Promise((res) => out.on('finish', res));
  const meta = { seed, target: sizeBytes, bytes, events, ...(custom ? { shape } : {}) };
  writeFileSync(metaFile, JSON.stringify(meta) + '\n');
  return { ...meta, reused: false };
}
