import type { AwsEdge, K8sEdge, Principal } from '../model/profile.js';

/** A principal's edges of one kind as their lines, in the profile's order, each with its order key (orderKeys.ts). */
export interface KeyedLines {
  lines: string[];
  keys: string[];
}

/**
 * A principal as a builder gives it out (or as a worker's lines make it, keyedLines.ts), with its edges (Kubernetes
 * accesses, AWS calls) made as objects only when something reads them (a profile held in memory, a test). Until then
 * the profile's writer takes their lines straight from the builder's columns (`linesOf`), which is most of the
 * output's time on a profile of many distinct accesses (ADR 0010), and a worker's message and a merge take them with
 * their order keys (`keyedOf`). Whatever reads `k8s` or `aws` gets the edges, as from any other principal, and their
 * lines are no longer offered: the writer then writes the objects, which may have been changed.
 */
export interface LazyEdges<T> {
  /** How many edges there are. */
  count: number;
  /** The edges as objects, in the profile's order. */
  edges: () => T[];
  /** Their lines, in the same order, each made as it is asked for. */
  lines: () => Iterable<string>;
  /** Their lines with their order keys, all at once: for a worker's message and a merge of sorted parts. */
  keyed: () => KeyedLines;
}

/**
 * The edges of a builder's table: `lines(keys)` makes their lines in order, pushing each one's order key to `keys`
 * when given.
 */
export function offered<T>(
  count: number,
  edges: () => T[],
  lines: (keys?: string[]) => Iterable<string>,
): LazyEdges<T> {
  return {
    count,
    edges,
    lines: () => lines(),
    keyed: () => {
      const keys: string[] = [];
      return { lines: [...lines(keys)], keys };
    },
  };
}

type Kind = 'k8s' | 'aws';
interface Offer {
  count: number;
  /** Both undefined once the edges were read as objects. */
  make: (() => Iterable<string>) | undefined;
  keyed: (() => KeyedLines) | undefined;
  /** Make the edges as objects now, as a read would. */
  edges: () => void;
}

const OFFERS = Symbol('lines');
type Offered = Principal & { [OFFERS]?: Partial<Record<Kind, Offer>> };

/**
 * `p` with its `k8s` and `aws`, each when given, made on first read. Each must be a placeholder already among `p`'s
 * keys, so that it keeps its place in their order.
 */
export function withLazyEdges(p: Principal, k8s?: LazyEdges<K8sEdge>, aws?: LazyEdges<AwsEdge>): Principal {
  const offers: Partial<Record<Kind, Offer>> = {};
  if (k8s) lazy(p, 'k8s', k8s, offers);
  if (aws) lazy(p, 'aws', aws, offers);
  Object.defineProperty(p, OFFERS, { value: offers });
  return p;
}

function lazy<K extends Kind>(
  p: Principal,
  kind: K,
  l: LazyEdges<NonNullable<Principal[K]>[number]>,
  offers: Partial<Record<Kind, Offer>>,
): void {
  // Once the edges are made (or replaced), what they were made from (a builder's state, lines) is let go.
  let source: LazyEdges<NonNullable<Principal[K]>[number]> | undefined = l;
  let made: Principal[K] | undefined;
  const edges = () => {
    if (source) made = source.edges() as Principal[K];
    source = offer.make = offer.keyed = undefined;
  };
  const offer: Offer = { count: l.count, make: l.lines, keyed: l.keyed, edges };
  offers[kind] = offer;
  Object.defineProperty(p, kind, {
    enumerable: true,
    configurable: true,
    get: () => {
      edges();
      return made;
    },
    set: (v: Principal[K]) => {
      source = offer.make = offer.keyed = undefined;
      made = v;
    },
  });
}

/** How many edges of a kind `p` has, without making them. */
export function edgeCount(p: Principal, kind: Kind): number {
  const offer = (p as Offered)[OFFERS]?.[kind];
  return offer?.make ? offer.count : (p[kind]?.length ?? 0);
}

/** The lines of `p`'s edges of a kind as the writer writes them, when they were never read as objects. */
export function linesOf(p: Principal, kind: Kind): Iterable<string> | undefined {
  return (p as Offered)[OFFERS]?.[kind]?.make?.();
}

/** The lines of `p`'s edges of a kind with their order keys, when they were never read as objects. */
export function keyedOf(p: Principal, kind: Kind): KeyedLines | undefined {
  const offer = (p as Offered)[OFFERS]?.[kind];
  return offer?.keyed?.();
}

/** Whether `p` still offers the lines of its edges of some kind. */
export function offersLines(p: Principal): boolean {
  const offers = (p as Offered)[OFFERS];
  return !!(offers?.k8s?.make || offers?.aws?.make);
}

/** `p` with its edges made as objects now, letting go of what they were to be made from (lines, a builder's state). */
export function edgesMade(p: Principal): Principal {
  const offers = (p as Offered)[OFFERS];
  offers?.k8s?.edges();
  offers?.aws?.edges();
  return p;
}
