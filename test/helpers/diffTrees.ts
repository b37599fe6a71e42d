/**
 * What the seeded diff property tests (diff-property, diff-cilium-trust-property) share: the cluster their
 * NetworkPolicies are compared over, written as an inventory, IPv4 arithmetic, and the exit code a report gives
 * under `--fail-on` (docs/ci.md).
 */

export interface Workload {
  ns: string;
  name: string;
  labels: Record<string, string>;
  ports: { name: string; port: number; protocol: 'TCP' | 'UDP' }[];
  ip: string;
}
export const NS_LABELS: Record<string, Record<string, string>> = {
  shop: { 'kubernetes.io/metadata.name': 'shop', tier: 'app' },
  payments: { 'kubernetes.io/metadata.name': 'payments', tier: 'app' },
  monitoring: { 'kubernetes.io/metadata.name': 'monitoring', tier: 'infra' },
  'kube-system': { 'kubernetes.io/metadata.name': 'kube-system', tier: 'infra' },
  ops: { 'kubernetes.io/metadata.name': 'ops' },
};
export const wname = (w: Workload) => `${w.ns}/${w.name}`;
export const selectorLabels = (w: Workload) => ({ [Object.keys(w.labels)[0]!]: Object.values(w.labels)[0]! });

/** The cluster the policies are compared over: namespaces, a Deployment and a running pod per workload. */
export function inventory(WORKLOADS: readonly Workload[]): string {
  const items: object[] = Object.entries(NS_LABELS).map(([name, labels]) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels },
  }));
  for (const w of WORKLOADS) {
    const containers = [
      {
        name: 'c',
        image: 'example/app:1',
        ports: w.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })),
      },
    ];
    items.push(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: w.name, namespace: w.ns },
        spec: {
          selector: { matchLabels: selectorLabels(w) },
          template: { metadata: { labels: w.labels }, spec: { containers } },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${w.name}-0`,
          namespace: w.ns,
          labels: w.labels,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: w.name, controller: true }],
        },
        spec: { containers },
        status: { phase: 'Running', podIP: w.ip, podIPs: [{ ip: w.ip }] },
      },
    );
  }
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 1);
}

/** IPv4 address ⇄ number, CIDR as [first, last]. */
export const ipNum = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
export const numIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
export function cidrRange(c: string): [number, number] {
  const [ip, len] = c.split('/') as [string, string?];
  const size = 2 ** (32 - Number(len ?? 32));
  const lo = Math.floor(ipNum(ip) / size) * size;
  return [lo, lo + size - 1];
}

export const FAIL_ON = ['new-access', 'removed-access', 'risky', 'any', 'none', 'granted', 'revoked'] as const;

/** The exit code docs/ci.md gives a report under --fail-on: 1 when something at or above it was found. */
export function expectedExit(
  rep: { newAccess: { risk?: unknown }[]; removedAccess: unknown[] },
  failOn: (typeof FAIL_ON)[number],
): number {
  const n = rep.newAccess.length > 0;
  const d = rep.removedAccess.length > 0;
  const hit = {
    none: false,
    any: n || d,
    'new-access': n,
    granted: n,
    'removed-access': d,
    revoked: d,
    risky: rep.newAccess.some((f) => f.risk !== undefined),
  }[failOn];
  return hit ? 1 : 0;
}
