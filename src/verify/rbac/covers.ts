import type { PolicyRule } from './types.js';

/**
 * Whether rules a user holds cover rules it writes or binds: the API server's escalation check
 * (kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping),
 * written here from its semantics: every rule written is split into single (group, resource, verb, name)
 * and (URL, verb) rules, and each must be covered by one rule held. A `*` written is covered only by a `*`
 * held; a name written by a rule without names or with that name; `*\/sub` held covers any resource's `sub`;
 * a URL held ending in `*` covers the URLs it prefixes.
 */
export function uncovered(owner: readonly PolicyRule[], written: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const w of written) for (const atom of breakdown(w)) if (!owner.some((o) => ruleCovers(o, atom))) out.push(atom);
  return out;
}

function breakdown(r: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const one = (x: Partial<PolicyRule>): PolicyRule => ({
    verbs: [],
    apiGroups: [],
    resources: [],
    resourceNames: [],
    nonResourceURLs: [],
    ...x,
  });
  for (const group of r.apiGroups)
    for (const resource of r.resources)
      for (const verb of r.verbs) {
        if (r.resourceNames.length === 0) out.push(one({ apiGroups: [group], resources: [resource], verbs: [verb] }));
        for (const name of r.resourceNames)
          out.push(one({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] }));
      }
  for (const url of r.nonResourceURLs)
    for (const verb of r.verbs) out.push(one({ nonResourceURLs: [url], verbs: [verb] }));
  return out;
}

const has = (list: readonly string[], v: string) => list.includes(v);
const hasAll = (list: readonly string[], vs: readonly string[]) => vs.every((v) => list.includes(v));

function ruleCovers(owner: PolicyRule, atom: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || hasAll(owner.verbs, atom.verbs);
  const groups = has(owner.apiGroups, '*') || hasAll(owner.apiGroups, atom.apiGroups);
  const resources = resourcesCover(owner.resources, atom.resources);
  const urls = atom.nonResourceURLs.every((u) => owner.nonResourceURLs.some((o) => urlCovers(o, u)));
  const names =
    atom.resourceNames.length === 0
      ? owner.resourceNames.length === 0
      : owner.resourceNames.length === 0 || hasAll(owner.resourceNames, atom.resourceNames);
  return verbs && groups && resources && urls && names;
}

function resourcesCover(owner: readonly string[], wanted: readonly string[]): boolean {
  if (has(owner, '*') || hasAll(owner, wanted)) return true;
  for (const path of wanted) {
    if (has(owner, path)) continue;
    const slash = path.indexOf('/');
    if (slash < 0 || !has(owner, `*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

function urlCovers(owner: string, path: string): boolean {
  if (owner === path) return true;
  // The owner's trailing `*`s trimmed by a scan: /\*+$/ tries every run of `*` to the end, n² on `**…*a*`.
  let end = owner.length;
  while (end > 0 && owner.charCodeAt(end - 1) === 0x2a) end--;
  return end < owner.length && path.startsWith(owner.slice(0, end));
}

/** A rule in words, for reasons: `get secrets (core) [db]`, `get /metrics`. */
export function ruleWords(r: PolicyRule): string {
  if (r.nonResourceURLs.length) return `${r.verbs.join(',')} ${r.nonResourceURLs.join(',')}`;
  const groups = r.apiGroups.map((g) => (g === '' ? 'core' : g)).join(',');
  const names = r.resourceNames.length ? ` [${r.resourceNames.join(',')}]` : '';
  return `${r.verbs.join(',')} ${r.resources.join(',')} (${groups})${names}`;
}
