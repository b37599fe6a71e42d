import type { EvidenceStore } from '../model/evidenceStore.js';
import type { AwsCallObservation } from '../model/observation.js';
import type { AwsCall, AwsEdge, CallOrigin } from '../model/profile.js';
import { addOrigin, originFields, type OriginSet } from '../model/callOrigin.js';
import { grown } from '../util/array.js';
import { awsCallOf, compareAwsCalls } from './order.js';
import { awsLineOf } from './lines.js';
import { awsOrderKey } from './orderKeys.js';

/**
 * The AWS calls of a builder: per number, the call, the evidence of its allowed and denied records (-1: none) and
 * where its allowed records came from.
 */
export class AwsCallTable {
  private readonly calls: AwsCall[] = [];
  private slots = new Int32Array(2 * 1024);
  /** Per number, where its allowed records came from: the one origin most calls have, or the set of them. */
  private readonly origins = new Map<number, CallOrigin | OriginSet>();
  /** Origins by their fields, so that edges share them (at most INTERNED; a call from everywhere is not kept). */
  private readonly interned = new Map<string, CallOrigin>();

  /** Event sources, names, regions and accounts, so that calls share them (at most INTERNED). */
  private readonly names = new Map<string, string>();

  constructor(private readonly ev: EvidenceStore) {}

  private readonly name = (s: string): string => {
    const known = this.names.get(s);
    if (known !== undefined) return known;
    if (this.names.size < INTERNED) this.names.set(s, s);
    return s;
  };

  /** Count one record of `obs` on the call `key` of `calls` (made on first use). */
  count(calls: Map<string, number>, key: string, obs: AwsCallObservation): void {
    let n = calls.get(key);
    if (n === undefined) {
      n = this.calls.length;
      this.calls.push(awsCallOf(obs, this.name));
      if (2 * n + 2 > this.slots.length) this.slots = grown(this.slots);
      this.slots.fill(-1, 2 * n, 2 * n + 2);
      calls.set(key, n);
    }
    const slot = 2 * n + (obs.decision === 'allow' ? 0 : 1);
    let e = this.slots[slot]!;
    if (e < 0) this.slots[slot] = e = this.ev.create();
    this.ev.add(e, 'ResponseComplete', obs.time, obs.id);
    // Replay asks only what was allowed: a denied record's origin would make it ask what was in fact refused.
    if (obs.decision !== 'allow') return;
    const o = obs.origin && this.intern(obs.origin);
    const had = this.origins.get(n);
    if (had === undefined) this.origins.set(n, o ?? { list: [], more: true });
    else if (!Array.isArray(had)) addOrigin(had, o);
    else if (o !== had) {
      const set: OriginSet = { list: [had], more: false };
      addOrigin(set, o);
      this.origins.set(n, set);
    }
  }

  private intern(o: CallOrigin): CallOrigin {
    const k = o.join('\u0000');
    const known = this.interned.get(k);
    if (known) return known;
    if (this.interned.size < INTERNED) this.interned.set(k, o);
    return o;
  }

  /** The calls of one principal's map in the profile's order, by number. */
  private sorted(calls: Map<string, number>): number[] {
    return [...calls.values()].sort((x, y) => compareAwsCalls(this.calls[x]!, this.calls[y]!));
  }

  /** Where call `n`'s allowed records came from, as its edge has it (undefined: nothing kept). */
  private originsOf(n: number): { origins?: CallOrigin[]; originsMore?: true } | undefined {
    const o = this.origins.get(n);
    return o === undefined ? undefined : originFields(Array.isArray(o) ? { list: [o], more: false } : o);
  }

  /** The calls of one principal's map as the profile has them, in its order. */
  edgesOf(calls: Map<string, number>): AwsEdge[] {
    return this.sorted(calls).map((n) => {
      const e: AwsEdge = { ...this.calls[n]! };
      const [a, d] = [this.slots[2 * n]!, this.slots[2 * n + 1]!];
      if (a >= 0) e.allowed = this.ev.toEvidence(a);
      if (d >= 0) e.denied = this.ev.toEvidence(d);
      return Object.assign(e, this.originsOf(n));
    });
  }

  /**
   * Their lines as `awsLine` writes them, made from the columns as they are asked for (as K8sEdgeTable.lines); with
   * `keys`, each line's order key is pushed to it.
   */
  *lines(calls: Map<string, number>, keys?: string[]): Generator<string> {
    for (const n of this.sorted(calls)) {
      keys?.push(awsOrderKey(this.calls[n]!));
      const o = this.originsOf(n);
      const call = o ? { ...this.calls[n]!, ...o } : this.calls[n]!;
      yield awsLineOf(call, this.ev.tupleOf(this.slots[2 * n]!), this.ev.tupleOf(this.slots[2 * n + 1]!));
    }
  }
}

/** Most distinct origins, and names, a builder shares between edges. */
const INTERNED = 1 << 16;
