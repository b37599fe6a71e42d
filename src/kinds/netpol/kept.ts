import { join, sep } from 'node:path';
import { DNS_NOTE } from '../../generate/netpol/evidence.js';
import type { CiFinding, NetCiAccess } from '../../model/finding.js';
import { isObj } from '../../util/json.js';
import type { KeptHook } from '../keptTypes.js';

/** The port of the cluster DNS, whose UDP and TCP `generate netpol` allows together (generate/netpol/index.ts). */
const DNS_PORT = 53;

/** A NetworkPolicy grant as `check` finds it used or unused: source, destination, protocol, port. */
function usedKeys(f: CiFinding): string[] {
  if (!('from' in f.access)) return [];
  const a = f.access as NetCiAccess;
  const ports = new Set([String(a.port), ...(a.ports ?? [])]);
  return [...ports].map((p) => JSON.stringify([a.from, a.to, a.protocol, p]));
}

/**
 * A rule to or from the cluster DNS (its evidence's note, DNS_NOTE: UDP and TCP 53 both allowed, whichever was seen)
 * is kept for the one of UDP and TCP 53 unused while the other is used; both unused is a client that did no DNS.
 */
export const netpolKept: KeptHook = {
  usedKeys,
  // `DIR/netpol/<namespace>/<workload>.yaml` → `DIR/evidence/netpol/<namespace>/<workload>.yaml`.
  evidenceBeside(file) {
    const parts = file.split(sep);
    const n = parts.length;
    if (n < 3 || parts[n - 3] !== 'netpol' || !parts[n - 1]!.endsWith('.yaml')) return undefined;
    return join(parts.slice(0, n - 3).join(sep), 'evidence', ...parts.slice(-3));
  },
  candidate(f, opts) {
    const a = f.access as NetCiAccess;
    const other = a.protocol === 'UDP' ? 'TCP' : a.protocol === 'TCP' ? 'UDP' : undefined;
    return a.port === DNS_PORT && !!other && opts.used.has(JSON.stringify([a.from, a.to, other, String(DNS_PORT)]));
  },
  listed(f, ev) {
    if (ev['kind'] !== 'NetworkPolicyEvidence') return undefined;
    const a = f.access as NetCiAccess;
    const other = a.protocol === 'UDP' ? 'TCP' : 'UDP';
    const [entries, peer] =
      ev['workload'] === a.from ? [ev['egress'], a.to] : ev['workload'] === a.to ? [ev['ingress'], a.from] : [];
    const dns = Array.isArray(entries) && entries.some((e) => isObj(e) && e['peer'] === peer && e['note'] === DNS_NOTE);
    return dns ? { what: DNS_NOTE, beside: `beside the ${other}/${DNS_PORT} they show` } : undefined;
  },
};
