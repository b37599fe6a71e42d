import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import { widenedTrustSubject } from '../generate/iam/trustWidenings.js';
import { DNS_NOTE } from '../generate/netpol/evidence.js';
import type { CiFinding, NetCiAccess } from '../model/finding.js';
import { isObj } from '../util/json.js';

/** The port of the cluster DNS, whose UDP and TCP `generate netpol` allows together (generate/netpol/index.ts). */
const DNS_PORT = 53;

/**
 * Where `generate -o DIR` wrote the evidence of a policy file it wrote: `DIR/evidence/` and the file's path under DIR
 * (kinds/*: each artefact's `evidencePath`); a role's trust policy and the parts of its policy share the role's
 * (`iam/<account>/role/<stem>.trust.json`, `<stem>.2.json`: model/layout.ts). Undefined for a file at no such place.
 */
export function evidenceBeside(file: string): string | undefined {
  const parts = file.split(sep);
  const n = parts.length;
  const under = (i: number, ...rest: string[]) => join(parts.slice(0, i).join(sep), 'evidence', ...rest);
  if (n >= 3 && parts[n - 3] === 'netpol' && parts[n - 1]!.endsWith('.yaml')) return under(n - 3, ...parts.slice(-3));
  if (n >= 4 && parts[n - 4] === 'iam' && (parts[n - 2] === 'role' || parts[n - 2] === 'user')) {
    // A stem holds no `.` (policyStem escapes it): the name up to the first one is the principal's.
    const stem = parts[n - 1]!.split('.')[0]!;
    return under(n - 4, 'iam', parts[n - 3]!, parts[n - 2]!, `${stem}.json`);
  }
  return undefined;
}

/** A NetworkPolicy grant as `check` finds it used or unused: source, destination, protocol, port. */
export function netGrantKeys(f: CiFinding): string[] {
  if (f.kind !== 'netpol' || !('from' in f.access)) return [];
  const a = f.access as NetCiAccess;
  const ports = new Set([String(a.port), ...(a.ports ?? [])]);
  return [...ports].map((p) => JSON.stringify([a.from, a.to, a.protocol, p]));
}

export interface KeptOptions {
  /** Where the policy files' paths are relative to. */
  cwd: string;
  /** `netGrantKeys` of the NetworkPolicy grants the logs used. */
  used: ReadonlySet<string>;
  /** The unused findings the logs used a part of (a trust's subject pattern), with whom they let in. */
  partlyUsed: ReadonlyMap<CiFinding, string>;
}

/**
 * Of `check`'s unused findings, those `generate` wrote on purpose, as a widening it listed, where the logs used what
 * it widens, each with its detail (`kept: a widening generate listed in ...`): reported as kept, not unused, since
 * a reader of "unused" removes it. The evidence `generate -o` wrote beside the policy file says which (read from the
 * file's place, and only when it names that file's workload or trust policy):
 *
 * - a rule to or from the cluster DNS (its note, DNS_NOTE: UDP and TCP 53 both allowed, whichever was seen), for the
 *   one of UDP and TCP 53 unused while the other is used; both unused is a client that did no DNS, unused;
 * - a role's trust: a release-tag subject pattern or a Cognito identity pool's statement the evidence lists among its
 *   widenings, some subject of which the logs show assuming the role; none is an unused trust.
 *
 * Hand-written policy, a tree without its evidence, a grant the evidence does not list stay unused.
 */
export async function keptWidenings(unused: readonly CiFinding[], opts: KeptOptions): Promise<Map<CiFinding, string>> {
  const read = new Map<string, Promise<Record<string, unknown> | undefined>>();
  const evidence = (path: string) => {
    let hit = read.get(path);
    if (!hit) read.set(path, (hit = readEvidence(resolve(opts.cwd, path))));
    return hit;
  };
  const kept = new Map<CiFinding, string>();
  for (const f of unused) {
    // Only what could be one is looked up: an account's thousands of unused grants read no evidence.
    if (!candidate(f, opts)) continue;
    for (const at of f.locations) {
      const path = evidenceBeside(at.file);
      const ev = path === undefined ? undefined : await evidence(path);
      const listed = ev ? listedWidening(f, ev, at.file, opts) : undefined;
      if (listed === undefined) continue;
      kept.set(f, `kept: a widening generate listed in ${path}: ${listed.what}; unseen in these logs ${listed.beside}`);
      break;
    }
  }
  return kept;
}

/** Whether a finding could be a listed widening the logs used a part of, before its evidence is read. */
function candidate(f: CiFinding, opts: KeptOptions): boolean {
  if (f.kind === 'iam') return opts.partlyUsed.has(f);
  if (f.kind !== 'netpol') return false;
  const a = f.access as NetCiAccess;
  const other = a.protocol === 'UDP' ? 'TCP' : a.protocol === 'TCP' ? 'UDP' : undefined;
  return a.port === DNS_PORT && !!other && opts.used.has(JSON.stringify([a.from, a.to, other, String(DNS_PORT)]));
}

/** What the evidence lists as the widening a finding is, in its words, or undefined. */
function listedWidening(
  f: CiFinding,
  ev: Record<string, unknown>,
  file: string,
  opts: KeptOptions,
): { what: string; beside: string } | undefined {
  if (f.kind === 'netpol' && ev['kind'] === 'NetworkPolicyEvidence') {
    const a = f.access as NetCiAccess;
    const other = a.protocol === 'UDP' ? 'TCP' : 'UDP';
    const [entries, peer] =
      ev['workload'] === a.from ? [ev['egress'], a.to] : ev['workload'] === a.to ? [ev['ingress'], a.from] : [];
    const dns = Array.isArray(entries) && entries.some((e) => isObj(e) && e['peer'] === peer && e['note'] === DNS_NOTE);
    return dns ? { what: DNS_NOTE, beside: `beside the ${other}/${DNS_PORT} they show` } : undefined;
  }
  const grant = opts.partlyUsed.get(f);
  if (grant !== undefined && ev['kind'] === 'IamPolicyEvidence') {
    const trustFile = ev['trustFile'];
    if (typeof trustFile !== 'string' || !file.split(sep).join('/').endsWith(`/${trustFile}`)) return undefined;
    const action = (f.access as { action?: string }).action;
    const w = (Array.isArray(ev['widenings']) ? ev['widenings'] : []).find(
      (w) =>
        isObj(w) &&
        w['action'] === action &&
        typeof w['detail'] === 'string' &&
        widenedTrustSubject(String(action), w['detail']) === grant,
    ) as { detail: string } | undefined;
    return w && { what: w.detail, beside: 'beyond the subjects they show' };
  }
  return undefined;
}

/** An evidence document (YAML or JSON), or undefined when there is none there or it is no object. */
async function readEvidence(abs: string): Promise<Record<string, unknown> | undefined> {
  try {
    const v = load(await readFile(abs, 'utf8'), { schema: CORE_SCHEMA });
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
