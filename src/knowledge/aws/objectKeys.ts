import { firstVariablePart, variableSegment } from './variableSegments.js';

/** The keys of one bucket as a tree of their segments: how many keys go on under a prefix, and with which segments. */
interface Node {
  /** Distinct keys that have a segment after this prefix. */
  keys: number;
  children: Map<string, Node>;
}

/**
 * Where one principal's object keys in one bucket start to vary per run: the segment a key becomes a wildcard at
 * (`bucket/<segments before it>/*`), judged from all the keys it used there, not from one key's shape alone.
 *
 * - A date, a Unix time or an EC2 host name varies whatever the keys show: the next day, or the next node, writes
 *   under another.
 * - An id (a UUID, a hex, generated or numeric id) varies when the principal's keys hold more than one under the same
 *   prefix (`runs/<id>/` of several runs). Every key holding the same one (`tenants/<uuid>/invoices/<date>/...` of a
 *   tenant's export, over days) names a tenant, an account, a dataset: it is kept, and the wildcard starts further on
 *   (`tenants/<uuid>/invoices/*`). Widening there would grant the other tenants' keys.
 * - One key alone under the prefix shows neither: the id is kept when a date, a Unix time or a host name follows it in
 *   the key (the run's part is that one, the id names what outlives the run), else it is taken as the run's
 *   (`runs/<id>/out.json` → `runs/*`), as from its shape alone.
 */
export class BucketKeys {
  private readonly root: Node = { keys: 0, children: new Map() };

  constructor(keys: Iterable<string>) {
    for (const key of new Set(keys)) {
      let n = this.root;
      for (const s of key.split('/')) {
        n.keys++;
        let c = n.children.get(s);
        if (!c) n.children.set(s, (c = { keys: 0, children: new Map() }));
        n = c;
      }
    }
  }

  /** The first segment of `key` (one of the keys given) that varies per run, with why; undefined when none does. */
  firstVariable(key: string): { index: number; why: string } | undefined {
    const segments = key.split('/');
    let n: Node | undefined = this.root;
    for (let i = 0; i < segments.length; i++) {
      const under: Node | undefined = n;
      n = n?.children.get(segments[i]!);
      const v = variableSegment(segments, i);
      if (!v) continue;
      if (v.kind !== 'id') return { index: i, why: v.why };
      const kept =
        under && under.keys >= 2 ? under.children.size === 1 : segments.some((_, j) => j > i && laterKind(segments, j));
      if (!kept) return { index: i, why: v.why };
    }
    return undefined;
  }

  /**
   * What `key` widens to under its bucket (`reports/*`), with why; undefined when it stays as seen. A key that varies
   * in its first segment keeps that segment's stable start, to the character (`invoice_20261108.pdf` → `invoice_*`),
   * as a log stream's name does: a wildcard at the bucket's root would grant every prefix the principal never
   * touched, on the strength of one name. Only a first segment that starts with its variable part (`2026/11/08/...`)
   * widens to the whole bucket, and says so.
   */
  widened(key: string): { prefix: string; why: string } | undefined {
    const v = this.firstVariable(key);
    if (!v) return undefined;
    const segments = key.split('/');
    if (v.index > 0) return { prefix: segments.slice(0, v.index).join('/') + '/', why: v.why };
    const part = firstVariablePart(segments);
    const at = part?.index === 0 ? part.at : 0;
    return at > 0
      ? { prefix: segments[0]!.slice(0, at), why: v.why }
      : { prefix: '', why: `${v.why} at the start of the key (the whole bucket)` };
  }
}

/** Whether segment `j` varies by time or node (what makes a single key's earlier id outlive the run). */
function laterKind(segments: string[], j: number): boolean {
  const k = variableSegment(segments, j)?.kind;
  return k === 'time' || k === 'host';
}
