import type { Principal } from '../model/profile.js';
import { principalId } from '../model/subject.js';
import { mergeProfiles, profileOf } from './merge.js';
import { mergePrincipals } from './keyedLines.js';
import { comparePrincipals } from './order.js';
import type { ProfileParts } from './write.js';
import type { ProfileHead, ProfileTail } from './lines.js';

/**
 * `merge` over profile streams: the headers merged first, then a k-way merge of the principals (each input is sorted
 * by `comparePrincipals`, which places one identity at one place whatever ARN names it), one principal of each input
 * in memory at a time, each group merged by `mergeProfiles` restricted to it (the same operation as on whole profiles:
 * principals merge independently; edges offered as lines are merged as lines, keyedLines.ts), then the trailing
 * sections, merged in memory (left-out identities, workloads, connections, DNS names, namespaces, nodes: small beside
 * the principals). The result is `mergeProfiles` of the whole inputs, byte for byte.
 */
export function mergeStreams(inputs: ProfileParts[]): ProfileParts & { principalCount: () => number } {
  const heads = mergeProfiles(inputs.map((s) => profileOf({ ...pick(s.head) })));
  const head: ProfileHead = {
    window: heads.window,
    sources: heads.sources,
    skipped: heads.skipped,
    ...(heads.filters ? { filters: heads.filters } : {}),
  };
  let count = 0;
  async function* principals(): AsyncGenerator<Principal> {
    const its = inputs.map((s) => iteratorOf(s.principals));
    const cur: (Principal | undefined)[] = [];
    for (const it of its) cur.push(await value(it));
    for (;;) {
      let min: Principal | undefined;
      for (const p of cur) if (p && (!min || comparePrincipals(p.subject, min.subject) < 0)) min = p;
      if (!min) return;
      const id = principalId(min.subject);
      const group: Principal[] = [];
      for (let i = 0; i < cur.length; i++) {
        const p = cur[i];
        if (!p || principalId(p.subject) !== id) continue;
        group.push(p);
        cur[i] = await value(its[i]!);
      }
      count++;
      yield group.length === 1 ? group[0]! : mergePrincipals(group);
    }
  }
  const tail = (): ProfileTail => {
    const m = mergeProfiles(inputs.map((s) => profileOf(tailOf(s.tail()))));
    const out: ProfileTail = {};
    if (m.leftOut) out.leftOut = m.leftOut;
    if (m.workloads) out.workloads = m.workloads;
    if (m.network) out.network = m.network;
    if (m.dnsNames) out.dnsNames = m.dnsNames;
    if (m.namespaces) out.namespaces = m.namespaces;
    if (m.nodeInstances) out.nodeInstances = m.nodeInstances;
    if (m.serviceAssumptions) out.serviceAssumptions = m.serviceAssumptions;
    if (m.webIdentityAssumptions) out.webIdentityAssumptions = m.webIdentityAssumptions;
    if (m.samlAssumptions) out.samlAssumptions = m.samlAssumptions;
    return out;
  };
  return { head, principals: principals(), tail, principalCount: () => count };
}

function tailOf(t: ProfileTail): ProfileTail {
  const { leftOut, workloads, network, dnsNames, namespaces, nodeInstances } = t;
  const { serviceAssumptions, webIdentityAssumptions, samlAssumptions } = t;
  return {
    ...(serviceAssumptions ? { serviceAssumptions } : {}),
    ...(webIdentityAssumptions ? { webIdentityAssumptions } : {}),
    ...(samlAssumptions ? { samlAssumptions } : {}),
    ...(leftOut ? { leftOut } : {}),
    ...(workloads ? { workloads } : {}),
    ...(network ? { network } : {}),
    ...(dnsNames ? { dnsNames } : {}),
    ...(namespaces ? { namespaces } : {}),
    ...(nodeInstances ? { nodeInstances } : {}),
  };
}

function pick(h: ProfileHead): ProfileHead {
  return { window: h.window, sources: h.sources, skipped: h.skipped, ...(h.filters ? { filters: h.filters } : {}) };
}

async function value(it: AsyncIterator<Principal> | Iterator<Principal>): Promise<Principal | undefined> {
  const r = await it.next();
  return r.done ? undefined : r.value;
}

/** An iterator over principals, whether they come one by one (a file being read) or from an array. */
function iteratorOf<T>(it: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in it ? it[Symbol.asyncIterator]() : it[Symbol.iterator]();
}
