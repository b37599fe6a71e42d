import { cmp, type InputIssue } from '../model/issue.js';
import { sortedRecord, type L4Protocol } from '../model/network.js';
import {
  labelKeyProblem,
  labelValueProblem,
  namespaceProblem,
  portNameProblem,
  shown,
  subdomainProblem,
} from '../knowledge/kubernetes/names.js';
import { ipProblem, portProblem } from '../knowledge/network/names.js';
import type { Inventory, InvPod } from './inventory.js';
import { isObj } from '../util/json.js';
import { SCC_ANNOTATION } from '../knowledge/kubernetes/openShift.js';
import { instanceIdOfProviderId } from '../knowledge/aws/nodeInstances.js';

const CONTROLLER_KINDS = new Set(['ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const labelsOf = (v: unknown): Record<string, string> =>
  isObj(v)
    ? sortedRecord(Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string') as [string, string][]))
    : {};
const proto = (v: unknown): L4Protocol => (v === 'UDP' || v === 'SCTP' ? v : 'TCP');

/**
 * Objects (from files or the API) → an inventory. Objects of other kinds are ignored; an object
 * without `kind` is an issue (some exporters strip it: guessing would be wrong), as is one that lacks
 * what its kind needs.
 */
export function addObject(
  inv: Inventory,
  o: unknown,
  where: { file: string; line: number },
  issues: InputIssue[],
  kindHint?: string,
): void {
  const issue = (code: string, message: string): void =>
    void issues.push({ kind: 'issue', code, file: where.file, line: where.line, message });
  if (!isObj(o)) return issue('inventory.not-an-object', 'expected a Kubernetes object or a List');
  const kind = str(o['kind']) || kindHint || '';
  if (kind === 'List' || kind.endsWith('List')) {
    if (!Array.isArray(o['items'])) return issue('inventory.bad-list', `${kind} without items`);
    const itemKind = kind !== 'List' ? kind.slice(0, -4) : undefined;
    for (const item of o['items']) addObject(inv, item, where, issues, itemKind);
    return;
  }
  const meta = isObj(o['metadata']) ? o['metadata'] : {};
  const name = str(meta['name']);
  const namespace = str(meta['namespace']);
  if (!kind)
    return issue(
      'inventory.no-kind',
      `object ${JSON.stringify(name || '?')} has no kind: the exporter stripped it; re-export with kind and apiVersion (kubectl get -o json keeps them)`,
    );
  if (!name) return issue('inventory.no-name', `${kind} without metadata.name`);
  const spec = isObj(o['spec']) ? o['spec'] : {};
  const status = isObj(o['status']) ? o['status'] : {};
  const owner = ownerOf(meta);
  // Names and labels that no API server would accept make no workload: they could only come from a
  // tampered file, and would reach policies and file names.
  const bad =
    kind === 'Pod' || kind === 'Service' || CONTROLLER_KINDS.has(kind)
      ? objectProblem(namespace, name, meta, owner)
      : undefined;
  if (bad) return issue('inventory.bad-name', `${kind} ${shown(name)}: ${bad}`);
  switch (kind) {
    case 'Namespace': {
      const labels = labelsOf(meta['labels']);
      const p = named('namespace', name, namespaceProblem) ?? labelsProblem(labels);
      if (p) return issue('inventory.bad-name', `Namespace: ${p}`);
      inv.namespaces.push({ name, labels });
      return;
    }
    case 'Node': {
      const addrs = Array.isArray(status['addresses']) ? status['addresses'].filter(isObj) : [];
      const ips = addrs
        .filter((a) => a['type'] === 'InternalIP' || a['type'] === 'ExternalIP')
        .map((a) => str(a['address']))
        .filter(Boolean)
        .sort(cmp);
      const p = ips.map((ip) => named('node address', ip, ipProblem)).find(Boolean);
      if (p) return issue('inventory.bad-name', `Node ${shown(name)}: ${p}`);
      // Its labels are what a Cilium host policy's nodeSelector reads. Labels no API server would accept are an
      // issue, and the node is kept with its addresses but no labels: its selection by a host policy is a maybe.
      const labels = labelsOf(meta['labels']);
      const bad = labelsProblem(labels);
      if (bad) issue('inventory.bad-name', `Node ${shown(name)}: ${bad}; its labels are left out`);
      // On AWS, the EC2 instance it is: calls its agents make on it name the instance (knowledge/aws/nodeInstances.ts).
      const instanceId = instanceIdOfProviderId(str(spec['providerID']));
      inv.nodes.push({ name, ips, ...(bad ? {} : { labels }), ...(instanceId ? { instanceId } : {}) });
      return;
    }
    case 'Pod': {
      const ips = new Set<string>();
      if (str(status['podIP'])) ips.add(str(status['podIP']));
      if (Array.isArray(status['podIPs']))
        for (const p of status['podIPs']) if (isObj(p) && str(p['ip'])) ips.add(str(p['ip']));
      const ports: InvPod['ports'] = [];
      const containers = Array.isArray(spec['containers']) ? spec['containers'].filter(isObj) : [];
      for (const c of containers) {
        for (const p of Array.isArray(c['ports']) ? c['ports'].filter(isObj) : []) {
          if (typeof p['containerPort'] === 'number')
            ports.push({ name: str(p['name']), port: p['containerPort'], protocol: proto(p['protocol']) });
        }
      }
      const serviceAccount = str(spec['serviceAccountName']) || 'default';
      const scc = isObj(meta['annotations']) ? str(meta['annotations'][SCC_ANNOTATION]) : '';
      const p =
        [...ips].map((ip) => named('pod address', ip, ipProblem)).find(Boolean) ??
        named('service account', serviceAccount, subdomainProblem) ??
        (scc ? named(`annotation ${SCC_ANNOTATION}`, scc, subdomainProblem) : undefined) ??
        ports
          .map((x) =>
            x.name
              ? named('port name', x.name, portNameProblem)
              : portProblem(x.port)
                ? `port ${x.port} is not a port`
                : undefined,
          )
          .find(Boolean);
      if (p) return issue('inventory.bad-name', `Pod ${shown(name)}: ${p}`);
      inv.pods.push({
        namespace,
        name,
        ips: [...ips].sort(cmp),
        labels: labelsOf(meta['labels']),
        node: str(spec['nodeName']),
        hostNetwork: spec['hostNetwork'] === true,
        serviceAccount,
        ...(owner ? { owner } : {}),
        ports: ports.sort((a, b) => a.port - b.port || cmp(a.name, b.name)),
        ...(scc ? { scc } : {}),
      });
      return;
    }
    case 'Service': {
      const ips = new Set<string>();
      if (str(spec['clusterIP']) && spec['clusterIP'] !== 'None') ips.add(str(spec['clusterIP']));
      if (Array.isArray(spec['clusterIPs']))
        for (const ip of spec['clusterIPs']) if (typeof ip === 'string' && ip !== 'None') ips.add(ip);
      const ports = (Array.isArray(spec['ports']) ? spec['ports'].filter(isObj) : []).map((p) => ({
        name: str(p['name']),
        port: typeof p['port'] === 'number' ? p['port'] : 0,
        targetPort:
          typeof p['targetPort'] === 'number' || typeof p['targetPort'] === 'string'
            ? (p['targetPort'] as number | string)
            : typeof p['port'] === 'number'
              ? p['port']
              : 0,
        protocol: proto(p['protocol']),
        // Every node answers on a NodePort: VPC flow logs show it as the server's side of a record.
        ...(typeof p['nodePort'] === 'number' && !portProblem(p['nodePort']) && p['nodePort'] > 0
          ? { nodePort: p['nodePort'] }
          : {}),
      }));
      const selector = labelsOf(spec['selector']);
      const p = [...ips].map((ip) => named('cluster IP', ip, ipProblem)).find(Boolean) ?? labelsProblem(selector);
      if (p) return issue('inventory.bad-name', `Service ${shown(name)}: ${p}`);
      // Its labels were checked with its name (objectProblem); kept for toServices' k8sServiceSelector.
      const labels = labelsOf(meta['labels']);
      inv.services.push({ namespace, name, clusterIPs: [...ips].sort(cmp), selector, labels, ports });
      return;
    }
    default:
      if (CONTROLLER_KINDS.has(kind)) {
        const sel = isObj(spec['selector']) ? spec['selector'] : undefined;
        const matchLabels = sel && isObj(sel['matchLabels']) ? labelsOf(sel['matchLabels']) : undefined;
        // A selector with matchExpressions cannot be carried as labels: the pods' stable labels stand in.
        const usable =
          matchLabels &&
          Object.keys(matchLabels).length > 0 &&
          !(sel && Array.isArray(sel['matchExpressions']) && sel['matchExpressions'].length);
        const jobSpec =
          kind === 'CronJob' && isObj(spec['jobTemplate']) && isObj(spec['jobTemplate']['spec'])
            ? spec['jobTemplate']['spec']
            : spec;
        const tpl = isObj(jobSpec['template']) ? jobSpec['template'] : undefined;
        const tplMeta = tpl && isObj(tpl['metadata']) ? tpl['metadata'] : {};
        const tplSpec = tpl && isObj(tpl['spec']) ? tpl['spec'] : {};
        const template = tpl
          ? { labels: labelsOf(tplMeta['labels']), serviceAccount: str(tplSpec['serviceAccountName']) || 'default' }
          : undefined;
        const p =
          labelsProblem(matchLabels ?? {}) ??
          (template
            ? (labelsProblem(template.labels) ?? named('service account', template.serviceAccount, subdomainProblem))
            : undefined);
        if (p) return issue('inventory.bad-name', `${kind} ${shown(name)}: ${p}`);
        inv.controllers.push({
          namespace,
          kind,
          name,
          ...(owner ? { owner } : {}),
          ...(usable ? { selector: matchLabels } : {}),
          ...(template ? { template } : {}),
        });
      }
  }
}

function named(what: string, v: string, check: (x: string) => string | undefined): string | undefined {
  const p = check(v);
  return p ? `${what} ${shown(v)} ${p}` : undefined;
}

function labelsProblem(labels: Record<string, string>): string | undefined {
  for (const [k, v] of Object.entries(labels)) {
    const p = named('label key', k, labelKeyProblem) ?? named(`label ${k}`, v, labelValueProblem);
    if (p) return p;
  }
  return undefined;
}

/** A namespaced object's namespace, name, labels and owner. */
function objectProblem(
  namespace: string,
  name: string,
  meta: Obj,
  owner: { kind: string; name: string } | undefined,
): string | undefined {
  return (
    named('namespace', namespace, namespaceProblem) ??
    named('name', name, subdomainProblem) ??
    labelsProblem(labelsOf(meta['labels'])) ??
    (owner
      ? (named('owner kind', owner.kind, (k) => (/^[A-Z][A-Za-z0-9]{0,62}$/.test(k) ? undefined : 'is not a kind')) ??
        named('owner', owner.name, subdomainProblem))
      : undefined)
  );
}

function ownerOf(meta: Obj): { kind: string; name: string } | undefined {
  const refs = Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'].filter(isObj) : [];
  const ref = refs.find((r) => r['controller'] === true) ?? refs[0];
  return ref && str(ref['kind']) && str(ref['name']) ? { kind: str(ref['kind']), name: str(ref['name']) } : undefined;
}
