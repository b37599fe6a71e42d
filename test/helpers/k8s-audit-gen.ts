import { rng } from './cli.js';

/** Shape of the generated log: service accounts spread over namespaces, a few requests each. */
export interface AuditGenOptions {
  seed: number;
  namespaces: number;
  serviceAccounts: number;
  /** Variant B: some other verbs and object names, some accounts gone, some new ones. */
  variant: 'A' | 'B';
}

const RESOURCES = ['configmaps', 'secrets', 'pods'] as const;

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
}

function uuid(r: () => number): string {
  return `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * A Kubernetes audit log (audit.k8s.io/v1 Events, JSON lines) in the format of the demo fixture: every
 * request allowed and answered 200. Deterministic for a seed and variant. Each (service account,
 * namespace) makes a few get/list requests on configmaps/secrets/pods, so `generate rbac` writes one
 * policy file and one evidence file per account. Variant B drops every 7th account, adds accounts, and
 * changes the verbs/names of every 3rd, so its tree differs from A's in file set and in content.
 */
export function generateK8sAudit(o: AuditGenOptions): string {
  const r = rng(o.seed);
  const lines: string[] = [];
  let t = Date.parse('2026-11-09T00:00:00Z');
  const total = o.variant === 'B' ? o.serviceAccounts + Math.ceil(o.serviceAccounts / 10) : o.serviceAccounts;
  for (let i = 0; i < total; i++) {
    const changed = o.variant === 'B' && i % 3 === 0;
    if (o.variant === 'B' && i % 7 === 0 && i < o.serviceAccounts) continue;
    const ns = `team-${String(i % o.namespaces).padStart(2, '0')}`;
    const sa = `svc-${String(i).padStart(5, '0')}`;
    const user = {
      username: `system:serviceaccount:${ns}:${sa}`,
      uid: uuid(rng(o.seed ^ (i * 2654435761))),
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
    };
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const requests = 2 + Math.floor(r() * 3);
    for (let j = 0; j < requests; j++) {
      const resource = RESOURCES[(i + j) % RESOURCES.length]!;
      const list = (i + j) % 2 === 1;
      const verb = changed ? (list ? 'watch' : 'update') : list ? 'list' : 'get';
      const name = list ? undefined : `${changed ? 'cfg-b' : 'cfg'}-${sa}-${j}`;
      const path = `/api/v1/namespaces/${ns}/${resource}${name ? `/${name}` : ''}`;
      t += 1 + Math.floor(r() * 40);
      lines.push(
        JSON.stringify({
          kind: 'Event',
          apiVersion: 'audit.k8s.io/v1',
          level: 'Metadata',
          auditID: uuid(r),
          stage: 'ResponseComplete',
          requestURI: verb === 'watch' ? `${path}?watch=true` : path,
          verb,
          user,
          sourceIPs: [ip],
          userAgent: `${sa}/1.0.0 (linux/amd64) kubernetes/v1.31.2`,
          objectRef: { resource, namespace: ns, ...(name ? { name } : {}), apiVersion: 'v1' },
          responseStatus: { metadata: {}, code: 200 },
          requestReceivedTimestamp: stamp(t),
          stageTimestamp: stamp(t + 9),
          annotations: { 'authorization.k8s.io/decision': 'allow' },
        }),
      );
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * One allowed `get configmaps/NAME` in namespace shop per username, as the API server logs it (audit.k8s.io/v1), a
 * second apart from 2026-11-09: the log the tests of names from logs feed the CLI. `name` gives each object's name,
 * `userAgent` each record's user agent.
 */
export function configMapGets(
  users: string[],
  name: (i: number) => string = (i) => `cfg${i}`,
  userAgent: (username: string) => string = () => 'kubectl/v1.31.2 (linux/amd64) kubernetes/abcdef',
): string {
  return (
    users
      .map((username, i) => {
        const ts = new Date(Date.parse('2026-11-09T00:00:00Z') + i * 1000).toISOString().replace('Z', '000Z');
        return JSON.stringify({
          kind: 'Event',
          apiVersion: 'audit.k8s.io/v1',
          level: 'Metadata',
          auditID: `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`,
          stage: 'ResponseComplete',
          requestURI: `/api/v1/namespaces/shop/configmaps/${encodeURIComponent(name(i))}`,
          verb: 'get',
          user: { username, groups: ['system:authenticated'] },
          sourceIPs: ['10.0.0.1'],
          userAgent: userAgent(username),
          objectRef: { resource: 'configmaps', namespace: 'shop', name: name(i), apiVersion: 'v1' },
          responseStatus: { metadata: {}, code: 200 },
          requestReceivedTimestamp: ts,
          stageTimestamp: ts,
          annotations: { 'authorization.k8s.io/decision': 'allow' },
        });
      })
      .join('\n') + '\n'
  );
}
