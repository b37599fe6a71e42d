import type { AwsEdge, K8sEdge, Principal } from '../model/profile.js';
import { cmp } from '../model/issue.js';
import { awsEdgeOf, awsLine, k8sEdgeOf, k8sLine } from './lines.js';
import { keyedOf, offersLines, withLazyEdges, type KeyedLines, type LazyEdges } from './lazyEdges.js';
import { mergeAwsEdge, mergeEdge, mergeProfiles, profileOf } from './merge.js';
import { awsOrderKey, k8sOrderKey } from './orderKeys.js';

/**
 * A builder's principals as they cross from a worker thread to the main one, and as partial profiles' principals are
 * merged there: their edges as the lines the profile will hold, each with its order key (orderKeys.ts), never as
 * objects. A worker makes its lines from its columns, in parallel with the others; the main thread merges two
 * principals' sorted lists by their keys, reading only the lines of an access both saw, and the writer writes the
 * rest as they came (ADR 0010). Whatever reads a principal's `k8s` or `aws` gets the edges, read back from the lines.
 */

type Kind = 'k8s' | 'aws';

interface KindOps<T> {
  line: (e: T) => string;
  key: (e: T) => string;
  edge: (line: string) => T;
  merge: (a: T, b: T) => T;
}

/** A line this process wrote, read back. */
function readBack<T>(line: string, of: (v: never) => T | string): T {
  const e = of(JSON.parse(line) as never);
  if (typeof e === 'string') throw new Error(`a profile line made in this run does not read back (${e}): ${line}`);
  return e;
}

const OPS: { k8s: KindOps<K8sEdge>; aws: KindOps<AwsEdge> } = {
  k8s: { line: k8sLine, key: k8sOrderKey, edge: (l) => readBack(l, k8sEdgeOf), merge: mergeEdge },
  aws: { line: awsLine, key: awsOrderKey, edge: (l) => readBack(l, awsEdgeOf), merge: mergeAwsEdge },
};

/** The field a principal crosses a thread with, beside its own: its edges' keyed lines. */
const WIRE = 'keyedLines';
type Wired = Principal & { [WIRE]?: Partial<Record<Kind, KeyedLines>> };

/** `p` ready for a worker's message: the lines of the edges it offers instead of their objects (`fromWire`). */
export function toWire(p: Principal): Principal {
  const k8s = keyedOf(p, 'k8s');
  const aws = keyedOf(p, 'aws');
  if (!k8s && !aws) return p;
  const out: Record<string, unknown> = {};
  // Every field in its place; the edges sent as lines stay placeholders (never read, so never made).
  for (const key of Object.keys(p))
    out[key] = (key === 'k8s' && k8s) || (key === 'aws' && aws) ? [] : p[key as keyof Principal];
  out[WIRE] = { ...(k8s ? { k8s } : {}), ...(aws ? { aws } : {}) };
  return out as unknown as Principal;
}

/** A principal from a worker's message: edges sent as lines offered as lines, made as objects when read. */
export function fromWire(p: Principal): Principal {
  const wire = (p as Wired)[WIRE];
  if (!wire) return p;
  delete (p as Wired)[WIRE];
  return withLazyEdges(p, wire.k8s && offeredAs('k8s', wire.k8s), wire.aws && offeredAs('aws', wire.aws));
}

function offeredAs<K extends Kind>(kind: K, kl: KeyedLines): LazyEdges<NonNullable<Principal[K]>[number]> {
  const ops = OPS[kind] as unknown as KindOps<NonNullable<Principal[K]>[number]>;
  return { count: kl.lines.length, edges: () => kl.lines.map(ops.edge), lines: () => kl.lines, keyed: () => kl };
}

/** The keyed lines of `p`'s edges of a kind: as offered, or made from its edges (sorted, an access once). */
function keyedLinesOf(p: Principal, kind: Kind): KeyedLines {
  const offered = keyedOf(p, kind);
  if (offered) return offered;
  const ops = OPS[kind] as KindOps<K8sEdge | AwsEdge>;
  const edges: (K8sEdge | AwsEdge)[] = (kind === 'k8s' ? p.k8s : p.aws) ?? [];
  const keys = edges.map((e) => ops.key(e as never));
  const order = Array.from(keys.keys()).sort((x, y) => cmp(keys[x]!, keys[y]!));
  const out: KeyedLines = { lines: [], keys: [] };
  for (let i = 0; i < order.length;) {
    let e = edges[order[i]!]!;
    const key = keys[order[i]!]!;
    for (i++; i < order.length && keys[order[i]!] === key; i++) e = ops.merge(e as never, edges[order[i]!]! as never);
    out.keys.push(key);
    out.lines.push(ops.line(e as never));
  }
  return out;
}

/** Two principals' sorted keyed lines as one: an access both hold is read back, merged and written again. */
export function mergeKeyed(kind: Kind, a: KeyedLines, b: KeyedLines): KeyedLines {
  const ops = OPS[kind] as KindOps<K8sEdge | AwsEdge>;
  const lines: string[] = [];
  const keys: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.keys.length || j < b.keys.length) {
    const x = a.keys[i];
    const y = b.keys[j];
    if (y === undefined || (x !== undefined && x < y)) {
      keys.push(x!);
      lines.push(a.lines[i++]!);
    } else if (x === undefined || y < x) {
      keys.push(y);
      lines.push(b.lines[j++]!);
    } else {
      keys.push(x);
      lines.push(ops.line(ops.merge(ops.edge(a.lines[i++]!) as never, ops.edge(b.lines[j++]!) as never) as never));
    }
  }
  return { lines, keys };
}

/** `p`'s own fields, without its edges (which are not read). */
function bare(p: Principal): Principal {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(p)) if (key !== 'aws') out[key] = key === 'k8s' ? [] : p[key as keyof Principal];
  return out as unknown as Principal;
}

/**
 * The principals of one identity from several partial profiles, merged: `mergeProfiles` of them, byte for byte once
 * written. Where some of them offer their edges' lines, those are merged as lines (`mergeKeyed`) and the result offers
 * its lines in turn; otherwise the objects are merged.
 */
export function mergePrincipals(group: Principal[]): Principal {
  const merged = (ps: Principal[]) => mergeProfiles(ps.map((p) => profileOf({ principals: [p] }))).principals[0]!;
  if (!group.some(offersLines)) return merged(group);
  const fold = (kind: Kind) => group.map((p) => keyedLinesOf(p, kind)).reduce((a, b) => mergeKeyed(kind, a, b));
  const k8s = fold('k8s');
  const aws = fold('aws');
  const { subject, username, groups, k8s: _none, ...rest } = merged(group.map(bare));
  const out: Principal = { subject, username, groups, k8s: [], ...(aws.lines.length ? { aws: [] } : {}), ...rest };
  return withLazyEdges(out, offeredAs('k8s', k8s), aws.lines.length ? offeredAs('aws', aws) : undefined);
}
