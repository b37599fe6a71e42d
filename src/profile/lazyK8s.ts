import type { K8sEdge, Principal } from '../model/profile.js';

/**
 * A principal as a builder gives it out, with its Kubernetes edges made as objects only when something reads them
 * (a merge with another part, a worker's message, a test). Until then the profile's writer takes their lines straight
 * from the builder's columns (`k8sLinesOf`), which is most of the output's time on a profile of many distinct
 * accesses (ADR 0010). Whatever reads `k8s` gets the edges, as from any other principal, and the lines are no longer
 * offered: the writer then writes the objects, which may have been changed.
 */
interface Lines {
  /** How many edges there are. */
  count: number;
  /** Their lines in the profile's order; undefined once the edges were read as objects. */
  make: (() => Iterable<string>) | undefined;
}

const LINES = Symbol('k8sLines');

/** `p` (its `k8s` a placeholder, kept in its place among the keys) with its edges made on first read. */
export function withLazyK8s(
  p: Principal,
  count: number,
  edges: () => K8sEdge[],
  lines: () => Iterable<string>,
): Principal {
  const offer: Lines = { count, make: lines };
  let made: K8sEdge[] | undefined;
  Object.defineProperty(p, 'k8s', {
    enumerable: true,
    configurable: true,
    get: () => {
      offer.make = undefined;
      return (made ??= edges());
    },
    set: (v: K8sEdge[]) => {
      offer.make = undefined;
      made = v;
    },
  });
  Object.defineProperty(p, LINES, { value: offer });
  return p;
}

/** How many Kubernetes edges `p` has, without making them. */
export function k8sCount(p: Principal): number {
  const offer = (p as Principal & { [LINES]?: Lines })[LINES];
  return offer?.make ? offer.count : p.k8s.length;
}

/** The lines of `p`'s Kubernetes edges as `k8sLine` writes them, when they were never read as objects. */
export function k8sLinesOf(p: Principal): Iterable<string> | undefined {
  return (p as Principal & { [LINES]?: Lines })[LINES]?.make?.();
}
