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
