// Mutations of JSON values for the seeded fuzzers of files the project reads (profiles, committed policies): the
// places in a value, and a value changed the way a hand edit, a bad copy or a hostile writer changes one; and the
// profile both fuzzers start from.
import { join } from 'node:path';
import { ingest } from '../../src/ingest/index.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { Profile } from '../../src/model/profile.js';
import { defaultScope, Scope } from '../../src/profile/scope.js';
import { ROOT } from './cli.js';

/**
 * A day of the demo's audit log, its CloudTrail Lake export and a day of its flows, with its inventory: every kind
 * of profile line (accesses of both sources, IRSA, Pod Identity, web identity and SAML assumptions, the network
 * part), small enough for hundreds of runs.
 */
export async function demoSlice(): Promise<Profile> {
  const D = join(ROOT, 'fixtures/demo');
  const { inventory } = await loadInventory([join(D, 'inventory')], ROOT);
  const { profile } = await ingest({
    k8sAudit: [join(D, 'k8s-audit/kube-apiserver-audit-2026-11-02.log.gz')],
    cloudtrail: [join(D, 'cloudtrail/lake-export-2026-11-09.jsonl')],
    flows: [join(D, 'flows/hubble/hubble-2026-11-02.json.gz')],
    inventory,
    scope: new Scope(defaultScope()),
    workers: 1,
    cwd: ROOT,
  });
  return profile;
}

export type Rand = () => number;
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Every place in a JSON value: the path to it. */
export function places(
  v: Json,
  path: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => places(x, [...path, i], out));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) places(v[k]!, [...path, k], out);
  return out;
}

const TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d{6}Z$/;

/**
 * A value changed the way a hand edit, a bad copy or a hostile writer changes one; a third of the time to another
 * value of its type from elsewhere in the input (a valid name in the wrong place passes the name checks).
 */
export function changed(r: Rand, v: Json, elsewhere: Map<string, Json[]>): Json | undefined {
  const others = elsewhere.get(Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  if (others?.length && r() < 0.33) return pick(r, others);
  if (typeof v === 'number') return pick(r, [v + 1, v - 1, 0, -1, 2 ** 53, 0.5]);
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'string') {
    const t = TIME.exec(v);
    if (t) return pick(r, [`${t[1]}Z`, '2026-11-05T00:00:00.000000Z', '2030-01-01T00:00:00.000000Z', '']);
    return pick(r, ['', `${v}x`, v.slice(1), v.toUpperCase(), '*', `${v}*`, 'constructor', `${v}\n`]);
  }
  if (Array.isArray(v)) {
    if (!v.length) return pick(r, [[''], [0]]);
    return pick(r, [[...v].reverse(), [v[0]!, ...v], v.slice(1), [], [...v, v[v.length - 1]!]]);
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    const out = { ...v };
    if (keys.length && r() < 0.6) delete out[pick(r, keys)];
    else out['zz'] = 1;
    return out;
  }
  return undefined;
}

export function setAt(root: Json, path: (string | number)[], value: Json): Json {
  if (!path.length) return value;
  const [k, ...rest] = path;
  const copy = (Array.isArray(root) ? [...root] : { ...(root as object) }) as Record<string | number, Json>;
  copy[k!] = setAt(copy[k!]!, rest, value);
  return copy as Json;
}

export function getAt(root: Json, path: (string | number)[]): Json {
  let v = root;
  for (const k of path) v = (v as Record<string | number, Json>)[k]!;
  return v;
}

/** Every value below the top of each of the documents, by type: what `changed` moves from place to place. */
export function valuesOf(docs: Json[]): Map<string, Json[]> {
  const out = new Map<string, Json[]>();
  for (const v of docs) {
    for (const path of places(v)) {
      if (path.length < 2) continue;
      const x = getAt(v, path);
      const type = Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x;
      const list = out.get(type) ?? [];
      list.push(x);
      out.set(type, list);
    }
  }
  return out;
}
