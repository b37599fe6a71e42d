/**
 * Kubernetes label selector semantics, shared by the evaluators (RBAC's aggregation rules and
 * NetworkPolicy's pod and namespace selectors): matchLabels, and matchExpressions with In, NotIn,
 * Exists and DoesNotExist; an empty selector matches everything; an unknown operator nothing.
 */
export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: string; values: string[] }[];
}

export function labelSelectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A selector as it appears in a document; undefined when it is not an object. */
export function readLabelSelector(v: unknown): LabelSelector | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const ml =
    typeof o['matchLabels'] === 'object' && o['matchLabels'] !== null
      ? (o['matchLabels'] as Record<string, unknown>)
      : {};
  const me = Array.isArray(o['matchExpressions']) ? o['matchExpressions'] : [];
  return {
    matchLabels: Object.fromEntries(Object.entries(ml).map(([k, x]) => [k, String(x)])),
    matchExpressions: me.map((e) => {
      const x = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
      return {
        key: String(x['key'] ?? ''),
        operator: String(x['operator'] ?? ''),
        values: Array.isArray(x['values']) ? x['values'].map(String) : [],
      };
    }),
  };
}

/** A selector's requirements, matchLabels as `In` of one value. */
const requirements = (s: LabelSelector) => [
  ...Object.entries(s.matchLabels).map(([key, v]) => ({ key, operator: 'In', values: [v] })),
  ...s.matchExpressions,
];

/** Whether requirement `i` on a key holding implies `o` on the same key. */
function implies(i: { operator: string; values: string[] }, o: { operator: string; values: string[] }): boolean {
  switch (o.operator) {
    case 'In':
      return i.operator === 'In' && i.values.every((v) => o.values.includes(v));
    case 'NotIn':
      return (
        (i.operator === 'In' && i.values.every((v) => !o.values.includes(v))) ||
        (i.operator === 'NotIn' && o.values.every((v) => i.values.includes(v))) ||
        i.operator === 'DoesNotExist'
      );
    case 'Exists':
      return i.operator === 'In' || i.operator === 'Exists';
    case 'DoesNotExist':
      return i.operator === 'DoesNotExist';
    default:
      return false;
  }
}

/**
 * Whether `outer` matches every label set `inner` matches, judged requirement by requirement: each of outer's is
 * implied by one of inner's on the same key (`In` by `In` of a subset; `NotIn` by `In` of none of its values,
 * `NotIn` of them all, or `DoesNotExist`; `Exists` by `In` or `Exists`; `DoesNotExist` by itself). So `matchLabels`
 * and the same `In` of one value cover each other, and `app In (cart, db)` covers `app=cart`. Sound, not complete:
 * false where only several of inner's requirements together imply one of outer's, and for an operator it does not
 * know.
 */
export function selectorCovers(outer: LabelSelector, inner: LabelSelector): boolean {
  const ins = requirements(inner);
  return requirements(outer).every((o) => ins.some((i) => i.key === o.key && implies(i, o)));
}
