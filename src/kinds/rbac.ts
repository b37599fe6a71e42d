import { toYamlDocuments } from '../emit/yaml.js';
import { generateRbac, type RbacOptions } from '../generate/rbac/index.js';
import { UsageError } from '../model/issue.js';
import { buildRbacPolicySet } from '../verify/rbac/policySet.js';
import { verifyRbac } from '../verify/rbac.js';
import type { RbacPolicySet } from '../verify/rbac/types.js';
import type { PolicyKind, SummaryLine } from './types.js';

/** Above this many names a rule is hard to review: say that --widen-names exists. */
const LONG_NAME_LIST = 20;

/** Kubernetes RBAC: Roles, ClusterRoles and bindings from API requests, replayed with the RBAC evaluator. */
export const rbac: PolicyKind<RbacOptions, RbacPolicySet> = {
  name: 'rbac',
  title: 'RBAC',
  description: 'Kubernetes Roles, ClusterRoles and bindings that allow exactly what was observed',
  outputHelp: 'write DIR/rbac/<namespace>/<subject>.yaml and DIR/evidence/ (default: YAML on stdout)',
  options: [
    { flags: '--widen-names <n>', description: 'drop resourceNames once more than N names were used (widening, listed)' },
    { flags: '--widen-namespaces <n>', description: 'same access in more than N namespaces: one ClusterRole bound in each (widening, listed)' },
    { flags: '--expand-verbs', description: 'add list ⇄ watch and get beside list, as client-go informers need (widening, listed)' },
  ],
  parseOptions(flags) {
    const opts: RbacOptions = {};
    const wn = wholeNumber('--widen-names', flags['widenNames']);
    const wns = wholeNumber('--widen-namespaces', flags['widenNamespaces']);
    if (wn !== undefined) opts.widenNames = wn;
    if (wns !== undefined) opts.widenNamespaces = wns;
    if (flags['expandVerbs']) opts.expandVerbs = true;
    return opts;
  },
  hasEvidence: (profile) => profile.principals.some((p) => p.k8s.length > 0),
  async generate(profile, options) {
    const { artefacts, widenings } = generateRbac(profile, options);
    const files = new Map<string, string>();
    for (const a of artefacts) {
      files.set(a.path, toYamlDocuments(a.objects));
      files.set(a.evidencePath, toYamlDocuments([a.evidence]));
    }
    const summary = (output: string | undefined): SummaryLine[] => {
      const lines: SummaryLine[] = [];
      const objects = artefacts.reduce((n, a) => n + a.objects.length, 0);
      const rules = artefacts.reduce((n, a) => n + a.objects.reduce((m, o) => m + ('rules' in o ? (o.rules?.length ?? 0) : 0), 0), 0);
      const subjects = new Set(artefacts.map((a) => a.evidence['subject'])).size;
      const where = output ? ` in ${output}/rbac (evidence in ${output}/evidence/rbac)` : '';
      lines.push({ tone: 'plain', text: `generated ${objects} RBAC objects with ${rules} rules for ${subjects} subjects${where}` });
      for (const a of artefacts) {
        for (const o of a.objects) {
          if (!('rules' in o)) continue;
          for (const r of o.rules ?? []) {
            if ((r.resourceNames?.length ?? 0) > LONG_NAME_LIST) {
              lines.push({ tone: 'hint', text: `hint: ${a.evidence['subject']} uses ${r.resourceNames!.length} names of ${r.resources!.join(',')}${a.namespace ? ' in ' + a.namespace : ''}; --widen-names N drops resourceNames above N names` });
            }
          }
        }
      }
      if (widenings.length === 0) lines.push({ tone: 'plain', text: 'widenings: none (every rule allows only what was observed)' });
      else {
        lines.push({ tone: 'warn', text: `widenings: ${widenings.length} (rules broader than observed, by request):` });
        for (const w of widenings) lines.push({ tone: 'warn', text: `  --${w.option} ${w.subject}${w.namespace ? ' in ' + w.namespace : ''}: ${w.detail}` });
      }
      return lines;
    };
    return {
      kind: 'rbac',
      files,
      stdout: toYamlDocuments(artefacts.flatMap((a) => a.objects)),
      widenings: widenings.map((w) => ({ kind: 'rbac', option: w.option, subject: w.subject, detail: w.detail, text: `--${w.option}${w.namespace ? ' in ' + w.namespace : ''}: ${w.detail}` })),
      summary,
    };
  },
  readPolicies(docs) {
    const built = buildRbacPolicySet(docs);
    const n = built.set.counts;
    return {
      set: built.set,
      issues: built.issues,
      count: n.roles + n.clusterRoles + n.roleBindings + n.clusterRoleBindings,
      label: `${n.roles} Roles, ${n.clusterRoles} ClusterRoles, ${n.roleBindings} RoleBindings, ${n.clusterRoleBindings} ClusterRoleBindings`,
    };
  },
  async verify(profile, policies, report) {
    verifyRbac(profile, policies.set, report);
  },
};

/** A whole number option value, or undefined when the option was not given. */
export function wholeNumber(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: expected a whole number, got "${String(v)}"`);
  return n;
}
