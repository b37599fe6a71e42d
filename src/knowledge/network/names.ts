import { isIP } from 'node:net';
import {
  labelKeyProblem,
  labelValueProblem,
  namespaceProblem,
  portNameProblem,
  shown,
  subdomainProblem,
} from '../kubernetes/names.js';
import { frozenWhole, type FlowObservation, type Peer, type WorkloadInfo } from '../../model/network.js';

/**
 * What a flow record may carry into a NetworkPolicy: workloads named as Kubernetes names them, labels
 * in label syntax, addresses that parse, ports in range, DNS names in DNS syntax. Anything else is an
 * input issue and the record allows nothing.
 */

const DNS_LABEL = '[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?';
const DNS_NAME = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);

export function dnsNameProblem(v: string): string | undefined {
  return v.length <= 253 && DNS_NAME.test(v) ? undefined : 'is not a DNS name';
}

/** An address as a policy's CIDR can hold it: Node's isIP takes an IPv6 zone (`fe80::1%eth0`), which no CIDR has. */
export function ipProblem(v: string): string | undefined {
  if (v.includes('%')) return 'is an address with a zone (`%`), which no CIDR can hold';
  return isIP(v) !== 0 ? undefined : 'is not an IP address';
}

export function portProblem(p: number): string | undefined {
  return Number.isInteger(p) && p >= 0 && p <= 65535 ? undefined : 'is not a port (0 to 65535)';
}

function peerProblem(p: Peer): string | undefined {
  if (p.kind !== 'workload') return at(`${p.kind} address`, p.ip, ipProblem);
  return at('namespace', p.namespace, namespaceProblem) ?? at('workload', p.name, subdomainProblem);
}

/**
 * A workload's names, kind, labels, selector, ports and service account. A workload frozen whole (a pod a flow
 * decoder made once and shares between its flows: ingest/flows/flowPods.ts) cannot change, so it is checked once.
 */
export function workloadProblem(w: WorkloadInfo): string | undefined {
  // Looked up first: only a workload frozen whole is kept, and it stays so (nothing unfreezes an object).
  const known = checkedOnce.get(w);
  if (known !== undefined) return known === FINE ? undefined : known;
  if (!frozenWhole(w)) return workloadCheck(w);
  const problem = workloadCheck(w);
  checkedOnce.set(w, problem ?? FINE);
  return problem;
}

/** A frozen workload's answer: its problem, or FINE. */
const checkedOnce = new WeakMap<WorkloadInfo, string | typeof FINE>();
const FINE = Symbol('fine');

function workloadCheck(w: WorkloadInfo): string | undefined {
  const first =
    at('namespace', w.namespace, namespaceProblem) ??
    at('workload', w.name, subdomainProblem) ??
    at('workload kind', w.kind, (k) => (/^[A-Z][A-Za-z0-9]{0,62}$/.test(k) ? undefined : 'is not a kind')) ??
    (w.serviceAccount ? at('service account', w.serviceAccount, subdomainProblem) : undefined);
  if (first) return first;
  for (const m of [w.selector, w.labels]) {
    for (const [k, v] of Object.entries(m)) {
      const p = at('label key', k, labelKeyProblem) ?? at(`label ${k}`, v, labelValueProblem);
      if (p) return p;
    }
  }
  for (const port of w.ports) {
    const p =
      (port.name ? at('port name', port.name, portNameProblem) : undefined) ??
      (portProblem(port.port) ? `port ${port.port} is not a port` : undefined);
    if (p) return p;
  }
  return undefined;
}

/** DNS names seen for addresses (a flow's destination names, a DNS answer). */
export function namesProblem(names: { ip: string; names: string[] }[]): string | undefined {
  for (const n of names) {
    const p = at('address', n.ip, ipProblem);
    if (p) return p;
    for (const x of n.names) {
      const q = at('DNS name', x, dnsNameProblem);
      if (q) return q;
    }
  }
  return undefined;
}

/** The first name in a flow that no real record carries, or undefined. */
export function flowProblem(f: FlowObservation): string | undefined {
  return (
    peerProblem(f.from) ??
    peerProblem(f.to) ??
    (portProblem(f.port) ? `destination port ${shown(String(f.port))} is not a port (0 to 65535)` : undefined) ??
    f.workloads.map(workloadProblem).find((x) => x !== undefined) ??
    namesProblem(f.names)
  );
}

function at(what: string, v: string, check: (v: string) => string | undefined): string | undefined {
  const p = check(v);
  return p ? `${what} ${shown(v)} ${p}` : undefined;
}
