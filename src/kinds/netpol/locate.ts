import type { Location } from '../../model/finding.js';
import { STAGED_KIND } from '../../knowledge/network/staged.js';
import type { PolicyDoc } from '../../policy/load.js';
import { isObj } from '../../util/json.js';
import { eachObject, type ItemPath } from '../../policy/listItems.js';
import { YES } from '../../verify/netpol/cilium-peers.js';
import type { Connection, Decision, NetworkPolicySet, Policy } from '../../verify/netpol/evaluate.js';

// ---- where a NetworkPolicy finding goes ----------------------------------------------------------------------------
//
// A connection passes when the source's egress and the destination's ingress both let it (Kubernetes "Network
// Policies"), so a grant has up to two rules and a denial up to two places a fix could go. A finding points at those
// of the directions that matter: in a diff, the directions where the other side says less (the rule that is new, or
// gone); in check, both rules of an unused grant, and for a would-be denial the policy selecting the endpoint in the
// direction that denies it, where the missing rule goes. Egress first, then ingress: the same inputs, the same order.

type Dir = 'Ingress' | 'Egress';
const DIRS: readonly Dir[] = ['Egress', 'Ingress'];

/** A policy's place: its document's file and line range, and its item in a list (eachObject). */
interface Origin {
  file: string;
  /** 1-based first and last line of its document; undefined when the file's document lines were not told. */
  start?: number;
  end?: number;
  item?: ItemPath;
}

const KINDS = new Set(['NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy', STAGED_KIND]);

/** One content line of a YAML or JSON text: its 1-based number, its indent, the text after the indent. */
interface Line {
  n: number;
  indent: number;
  text: string;
}

export class NetpolLocator {
  /** Each policy's place, by the spec object the evaluator holds (read from the document, never copied). */
  private readonly origins = new WeakMap<object, Origin>();
  private readonly lines = new Map<string, string[]>();
  /** Each document's content lines, and the lines of paths asked (a diff locates many grants of one rule). */
  private readonly blocks = new Map<string, Line[]>();
  private readonly found = new Map<string, number | undefined>();

  constructor(
    private readonly sides: { docs: PolicyDoc[]; set: NetworkPolicySet }[],
    private readonly texts: Map<string, string>,
  ) {
    for (const { docs } of sides) {
      // A document ends where the next one of its file starts (documents come in file order, a file's in line order).
      const ends = new Map<PolicyDoc, number>();
      let last: PolicyDoc | undefined;
      for (const d of docs) {
        if (d.line === undefined) continue;
        if (last?.file === d.file) ends.set(last, d.line - 1);
        last = d;
      }
      for (const d of docs) {
        const place = {
          file: d.file,
          ...(d.line === undefined ? {} : { start: d.line, end: ends.get(d) ?? Infinity }),
        };
        eachObject(d.object, (o, item) => {
          if (!isObj(o) || !isObj(o['spec']) || !KINDS.has(o['kind'] as string)) return;
          if (!this.origins.has(o['spec'])) this.origins.set(o['spec'], { ...place, ...(item.length ? { item } : {}) });
        });
      }
    }
  }

  /**
   * A grant of side `side`: the rules letting it through in the directions that matter. `other`, in a diff: only the
   * directions where the other side says less; where this side has no rule there (the endpoint is not isolated), the
   * other side's policy that isolates it or its deny rule, which is what changed.
   */
  grant(side: number, other: number | undefined, c: Connection): Location[] {
    const mine = DIRS.map((dir) => this.sides[side]!.set.decision(c, dir));
    const theirs = other === undefined ? undefined : DIRS.map((dir) => this.sides[other]!.set.decision(c, dir));
    let dirs = [0, 1].filter((i) => !theirs || theirs[i]!.answer < mine[i]!.answer);
    if (dirs.length === 0) dirs = [0, 1];
    const out: Location[] = [];
    for (const i of dirs) {
      const rule = mine[i]!.rule;
      if (rule) out.push(this.ruleLine(rule.policy, rule.list, rule.index));
      else if (theirs) {
        const why = this.fixPlace(theirs[i]!, DIRS[i]!);
        if (why) out.push(why);
      }
    }
    return locationsOnce(out.length ? out : this.fallback(side, c));
  }

  /**
   * An observed connection a side does not surely allow (`check`'s would-be denial, or undetermined): per direction
   * that does not let it through, the deny rule that stops it, the rule that may allow it, or the policy selecting
   * the endpoint there, where the missing rule goes.
   */
  denial(side: number, c: Connection): Location[] {
    const out: Location[] = [];
    for (const dir of DIRS) {
      const d = this.sides[side]!.set.decision(c, dir);
      if (d.answer === YES) continue;
      const at = d.rule ? this.ruleLine(d.rule.policy, d.rule.list, d.rule.index) : this.fixPlace(d, dir);
      if (at) out.push(at);
    }
    return locationsOnce(out.length ? out : this.fallback(side, c));
  }

  /**
   * Where the rule a direction lacks goes: the deny rule that stops it, else a policy isolating the endpoint there: one
   * made for it (a non-empty selector) with rules in that direction first, then any with rules there, then the first
   * (the namespace's default deny). Its `egress:`/`ingress:` line, else its name's.
   */
  private fixPlace(d: Decision, dir: Dir): Location | undefined {
    if (d.rule) return this.ruleLine(d.rule.policy, d.rule.list, d.rule.index);
    const list = dir.toLowerCase();
    const hasRules = (p: Policy) => Array.isArray(p.spec[list]) && (p.spec[list] as unknown[]).length > 0;
    const own = (p: Policy) =>
      !emptySelector(
        p.kind === 'NetworkPolicy' ? p.spec['podSelector'] : p.spec[p.host ? 'nodeSelector' : 'endpointSelector'],
      );
    const p = d.isolating.find((x) => own(x) && hasRules(x)) ?? d.isolating.find(hasRules) ?? d.isolating[0];
    return p ? this.policyLine(p, list) : undefined;
  }

  /** The first policy document of the destination's namespace (else the source's), else the side's first file. */
  private fallback(side: number, c: Connection): Location[] {
    const ns = c.dst.kind === 'pod' ? c.dst.namespace : c.src.kind === 'pod' ? c.src.namespace : '';
    const p = this.sides[side]!.set.policies.find((x) => x.namespace === ns);
    if (p) return [this.policyLine(p)];
    const file = this.sides[side]!.docs[0]?.file;
    return file === undefined ? [] : [{ file, line: 1 }];
  }

  /** The line of a rule: the `index`-th item of the spec's `list`, else the policy's. */
  private ruleLine(p: Policy, list: string, index: number): Location {
    const o = this.origins.get(p.spec);
    const line = o && this.pathLine(o, ['spec', list, index]);
    return line ? { file: o.file, line } : this.policyLine(p, list);
  }

  /** The line of a policy's spec field `list` (`egress:`), else of its `name:`, else of its document. */
  private policyLine(p: Policy, list?: string): Location {
    const o = this.origins.get(p.spec);
    if (!o) return { file: this.sides[0]!.docs[0]?.file ?? '', line: 1 };
    const line = (list && this.pathLine(o, ['spec', list])) || this.pathLine(o, ['metadata', 'name']);
    return { file: o.file, line: line ?? o.start ?? 1 };
  }

  /** The line of a path in a policy's document, when its text is block YAML or indented JSON that holds it. */
  private pathLine(o: Origin, path: (string | number)[]): number | undefined {
    if (o.start === undefined) return undefined;
    const full = [...(o.item ?? []).flatMap((i) => ['items', i]), ...path];
    const doc = JSON.stringify([o.file, o.start]);
    const key = JSON.stringify([o.file, o.start, full]);
    if (this.found.has(key)) return this.found.get(key);
    let block = this.blocks.get(doc);
    if (!block) {
      let lines = this.lines.get(o.file);
      if (!lines) this.lines.set(o.file, (lines = (this.texts.get(o.file) ?? '').split('\n')));
      block = [];
      for (let n = o.start; n <= Math.min(o.end ?? lines.length, lines.length); n++) {
        const raw = lines[n - 1]!.replace(/\r$/, '');
        const text = raw.trimStart();
        if (text === '' || text.startsWith('#') || /^(---|\.\.\.)(\s|$)/.test(raw)) continue;
        block.push({ n, indent: raw.length - text.length, text });
      }
      this.blocks.set(doc, block);
    }
    const line = walk(block, full);
    this.found.set(key, line);
    return line;
  }
}

/** A label selector that selects everything (absent, or without labels and expressions). */
function emptySelector(v: unknown): boolean {
  if (!isObj(v)) return true;
  const labels = isObj(v['matchLabels']) ? Object.keys(v['matchLabels']).length : 0;
  return labels === 0 && !(Array.isArray(v['matchExpressions']) && v['matchExpressions'].length > 0);
}

/** Locations once each, in the order first given (the first is what one-location formats show). */
export function locationsOnce(ls: Location[]): Location[] {
  const seen = new Set<string>();
  return ls.filter((l) => {
    const k = `${l.file}:${l.line}`;
    return !seen.has(k) && !!seen.add(k);
  });
}

const KEY = /^["']?([^"':\s]+)["']?\s*:(\s|$)/;

/**
 * The line of a path of keys and list indexes in a block of lines, by indentation: a key at the block's key indent, its
 * value the lines after it indented further (or, YAML, a `- ` list at its own indent); an index the n-th item of a
 * list, a `- ` (YAML) or a line opening a value (JSON) at the block's least indent. Undefined when not found (a flow
 * collection, a line that holds more than the layout says).
 */
function walk(block: Line[], path: (string | number)[]): number | undefined {
  if (path.length === 0) return block[0]?.n;
  const head = path[0]!;
  const rest = path.slice(1);
  if (typeof head === 'string') {
    const keyLines = block.filter((l) => KEY.test(l.text));
    if (keyLines.length === 0) return undefined;
    const indent = Math.min(...keyLines.map((l) => l.indent));
    const at = block.findIndex((l) => l.indent === indent && KEY.exec(l.text)?.[1] === head);
    if (at < 0) return undefined;
    if (rest.length === 0) return block[at]!.n;
    const value: Line[] = [];
    for (const l of block.slice(at + 1)) {
      if (l.indent < indent || (l.indent === indent && !/^-(\s|$)/.test(l.text))) break;
      value.push(l);
    }
    return walk(value, rest);
  }
  if (block.length === 0) return undefined;
  const indent = Math.min(...block.map((l) => l.indent));
  const starts = block.flatMap((l, i) => (l.indent === indent && !/^[\]}]/.test(l.text) ? [i] : []));
  const first = starts[head];
  if (first === undefined) return undefined;
  const item = block.slice(first, starts[head + 1] ?? block.length);
  if (rest.length === 0) return item[0]!.n;
  // A YAML item's first line holds its first key after the dash: read it as a line of its own, indented past the dash.
  const m = /^-(\s+)(.*)$/.exec(item[0]!.text);
  const inner = m
    ? [{ n: item[0]!.n, indent: indent + 1 + m[1]!.length, text: m[2]! }, ...item.slice(1)]
    : item.slice(item[0]!.text === '-' ? 1 : 0);
  return walk(inner, rest);
}
