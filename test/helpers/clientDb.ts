// One small shop the NetworkPolicy CLI tests share: a pod `client` (10.0.1.10) that opens TCP 5432 to a pod `db`
// (10.0.1.20) in namespace shop, as one Hubble flow, and the inventory objects that hold them.

/** `hubble observe -o json`'s line for client → db on TCP 5432. */
export const CLIENT_DB_FLOW = {
  flow: {
    time: '2026-11-02T00:02:58.666086623Z',
    verdict: 'FORWARDED',
    IP: { source: '10.0.1.10', destination: '10.0.1.20', ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 40002, destination_port: 5432, flags: { SYN: true } } },
    source: { ID: 1, identity: 20001, namespace: 'shop', labels: ['k8s:app=client'], pod_name: 'client' },
    destination: { ID: 2, identity: 20002, namespace: 'shop', labels: ['k8s:app=db'], pod_name: 'db' },
    Type: 'L3_L4',
    node_name: 'n1',
    is_reply: false,
    traffic_direction: 'EGRESS',
  },
  node_name: 'n1',
  time: '2026-11-02T00:02:58.666Z',
};

/** A Pod of shop labelled app=<name>, at `ip`. */
export const shopPod = (name: string, ip: string, ports: { containerPort: number }[] = []) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', labels: { app: name } },
  spec: { containers: [{ name: 'c', ports }] },
  status: { podIP: ip },
});

/** A DaemonSet `name` in `namespace` (a network plugin's agent, as the inventory shows it). */
export const daemonSet = (namespace: string, name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } } } },
});

/** The inventory: namespace shop, its two pods, and `more` objects. */
export const clientDbInventory = (...more: unknown[]) => ({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    shopPod('client', '10.0.1.10'),
    shopPod('db', '10.0.1.20', [{ containerPort: 5432 }]),
    ...more,
  ],
});
