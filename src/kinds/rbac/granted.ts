import { describeAccess } from '../../model/access.js';
import type { K8sEdge } from '../../model/profile.js';
import type { RuleWithEvidence } from '../../generate/rbac/rules.js';

/** An option by its flag; the generalization the generator makes by default (off with --exact) by its words. */
export const wideningLabel = (option: string): string =>
  option === 'generated-names'
    ? '(made-up names; --exact keeps them)'
    : option === 'websocket-create'
      ? '(create for websocket exec, attach, port-forward: Kubernetes 1.35)'
      : `--${option}`;

/** Names a rule allows, in a line: the first three, and how many. */
function names(list: readonly string[]): string {
  return list.length <= 3 ? list.join(', ') : `${list.slice(0, 3).join(', ')}, … (${list.length} names)`;
}

/**
 * What a generated rule broader than the requests it covers grants where `e` was seen, and what was seen:
 * `create pods/exec (any name) in shop: widened (made-up names; --exact keeps them); seen: create pods/exec
 * web-7c9d8f6b5d-x2klq in shop`. Undefined when the rule allows only what was observed.
 */
export function widenedWords(rule: RuleWithEvidence, e: K8sEdge): string | undefined {
  const r = rule.rule;
  if (!rule.widenings.length || !r.resources) return undefined;
  const group = r.apiGroups?.[0] ? `.${r.apiGroups[0]}` : '';
  const which = r.resourceNames?.length ? names(r.resourceNames) : '(any name)';
  const where = e.namespace ? ` in ${e.namespace}` : ' (cluster-wide)';
  const granted = `${r.verbs.join(', ')} ${r.resources.join(', ')}${group} ${which}${where}`;
  const others = rule.observed.length - 1;
  const seen = `${describeAccess(e)}${others ? ` and ${others} other access${others === 1 ? '' : 'es'}` : ''}`;
  const why = [...new Set(rule.widenings.map((w) => wideningLabel(w.option)))].join(', ');
  return `${granted}: widened ${why}; seen: ${seen}`;
}
