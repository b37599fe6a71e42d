import { describeAccess } from '../../model/access.js';
import { toYamlDocuments } from '../../emit/yaml.js';
import {
  compareArtefacts,
  compareWidenings,
  RbacGenerator,
  type CheckPermission,
  type DefaultGranted,
  type LeftOut,
  type RbacGap,
  type RbacOptions,
} from '../../generate/rbac/index.js';
import { buildRbacPolicySet } from '../../verify/rbac/policySet.js';
import { rbacReplay } from '../../verify/rbac.js';
import type { RbacPolicySet } from '../../verify/rbac/types.js';
import { rbacInfo } from './info.js';
import type { AccessClass, Made, PolicyKind, SummaryLine } from '../types.js';
import { NewestClasses } from '../learning.js';
import type { Subject } from '../../model/subject.js';
import type { Widening } from '../../generate/rbac/artefact.js';
import { compareRbac, describeRbac } from './compare.js';
import { rbacExcess } from './excess.js';
import { rbacNewness } from './newness.js';
import { rbacReport } from './report.js';
import { wideningLabel } from './granted.js';
import { pushAll } from '../../util/array.js';
import { cmp } from '../../model/issue.js';
import { SessionUsers, sessionWarning } from '../../knowledge/kubernetes/sessionUsers.js';
import { UndecidedGrants } from '../../knowledge/kubernetes/undecidedGrants.js';
import { ReadsLogged } from '../../knowledge/kubernetes/readsLogged.js';
import { SccCoverage, sccWarning } from '../../knowledge/kubernetes/openShift.js';
import { PRIVILEGED_GROUP, privilegedGroupWarning } from '../../knowledge/kubernetes/managedIdentities.js';
import { outsideRbacWarning } from '../../knowledge/kubernetes/outsideRbac.js';
import { DEFAULT_GRANTS } from '../../knowledge/kubernetes/defaultGrants.js';
import { plural } from '../../util/plural.js';

/** Above this many names a rule is hard to review: say that --widen-names exists. */
const LONG_NAME_LIST = 20;

/** Kubernetes RBAC: Roles, ClusterRoles and bindings from API requests, replayed with the RBAC evaluator. */
export const rbac: PolicyKind<RbacOptions, RbacPolicySet, 'rbac'> = {
  ...rbacInfo,
  evidence: { principal: (p) => p.k8s.length > 0, rest: () => false },
  start(options, sink) {
    const g = new RbacGenerator(options);
    let evidence = false;
    const widenings: Widening[] = [];
    const checks: CheckPermission[] = [];
    const gaps: RbacGap[] = [];
    const defaults: DefaultGranted[] = [];
    // What the summary and stdout need, taken as each principal's files are made: its artefacts (every object and
    // its evidence) are let go then.
    let objects = 0;
    let rules = 0;
    const subjectNames = new Set<string>();
    const hints: { at: { subject: Subject; namespace: string }; line: SummaryLine }[] = [];
    const policyFiles: { subject: Subject; namespace: string; path: string }[] = [];
    const newest = new NewestClasses();
    const sessions = new SessionUsers();
    // Users RBAC cannot restrict (system:masters): their files are made, and the summary says they bind nothing.
    const privileged: string[] = [];
    // Principals another authorizer than RBAC allowed (EKS access policies, GKE IAM, Azure RBAC): said as privileged.
    const outside: string[] = [];
    const reads = new ReadsLogged();
    const undecided = new UndecidedGrants();
    const scc = new SccCoverage();
    return {
      survey(p) {
        if (rbac.evidence.principal(p)) evidence = true;
        g.survey(p);
      },
      async principal(p) {
        const part = g.principal(p);
        reads.add(p);
        undecided.add(p, part.artefacts.length > 0);
        scc.add(p);
        if (part.artefacts.length) sessions.add(p);
        if (part.artefacts.length && p.groups.includes(PRIVILEGED_GROUP)) privileged.push(p.username);
        if (part.artefacts.length && p.outsideRbac) outside.push(outsideRbacWarning(p.username, p.outsideRbac));
        for (const a of part.artefacts) {
          await sink(a.path, toYamlDocuments(a.objects));
          await sink(a.evidencePath, toYamlDocuments([a.evidence]));
          objects += a.objects.length;
          subjectNames.add(String(a.evidence['subject']));
          policyFiles.push({ subject: a.subject, namespace: a.namespace, path: a.path });
          for (const c of rbacClasses(a.evidence)) newest.add(c);
          for (const o of a.objects) {
            if (!('rules' in o)) continue;
            rules += o.rules?.length ?? 0;
            for (const r of o.rules ?? [])
              if ((r.resourceNames?.length ?? 0) > LONG_NAME_LIST)
                hints.push({
                  at: { subject: a.subject, namespace: a.namespace },
                  line: {
                    tone: 'hint',
                    text: `hint: ${String(a.evidence['subject'])} uses ${r.resourceNames!.length} names of ${r.resources!.join(',')}${a.namespace ? ' in ' + a.namespace : ''}; --widen-names N drops resourceNames above N names`,
                  },
                });
          }
        }
        pushAll(widenings, part.widenings);
        pushAll(checks, part.checks);
        pushAll(gaps, part.gaps);
        pushAll(defaults, part.defaults);
      },
      hasEvidence: () => evidence,
      finish: async () => made(),
    };

    function made(): Made {
      widenings.sort(compareWidenings);
      policyFiles.sort(compareArtefacts);
      hints.sort((x, y) => compareArtefacts(x.at, y.at));
      const subjects = subjectNames.size;
      const leftOut = g.leftOut;
      const summary = (output: string | undefined): SummaryLine[] => {
        const lines: SummaryLine[] = [];
        const where = output ? ` in ${output}/rbac (evidence in ${output}/evidence/rbac)` : '';
        lines.push({
          tone: 'plain',
          text: `generated ${plural(objects, 'RBAC object')} with ${plural(rules, 'rule')} for ${plural(subjects, 'subject')}${where}`,
        });
        for (const h of hints) lines.push(h.line);
        const noReads = reads.warning();
        if (noReads) lines.push({ tone: 'warn', text: noReads });
        const unsure = undecided.warning();
        if (unsure) lines.push({ tone: 'warn', text: unsure });
        const sccs = scc.result();
        if (sccs) lines.push({ tone: 'warn', text: sccWarning(sccs.writers, sccs.fromInventory) });
        for (const r of sessions.list())
          lines.push({ tone: 'warn', text: `per-session usernames: ${sessionWarning(r)}` });
        for (const u of privileged.sort(cmp)) lines.push({ tone: 'warn', text: privilegedGroupWarning(u) });
        for (const w of outside.sort(cmp)) lines.push({ tone: 'warn', text: w });
        pushAll(lines, checkLines(checks, gaps, leftOut));
        pushAll(lines, defaultLines(defaults));
        if (widenings.length === 0)
          lines.push({ tone: 'plain', text: 'widenings: none (every rule allows only what was observed)' });
        else {
          lines.push({
            tone: 'warn',
            text: `widenings: ${widenings.length} (rules broader than observed, by request):`,
          });
          for (const w of widenings)
            lines.push({
              tone: 'warn',
              text: `  ${wideningLabel(w.option)} ${w.subject}${w.namespace ? ' in ' + w.namespace : ''}: ${w.detail}`,
            });
        }
        return lines;
      };
      return {
        kind: 'rbac',
        // The objects of every policy file in order: the same text as toYamlDocuments of them all.
        stdout: (files) =>
          policyFiles
            .map((p) => files.get(p.path)!)
            .filter((t) => t !== '')
            .join('---\n'),
        classes: newest.list(),
        widenings: widenings.map((w) => ({
          kind: 'rbac',
          option: w.option,
          subject: w.subject,
          detail: w.detail,
          text: `${wideningLabel(w.option)}${w.namespace ? ' in ' + w.namespace : ''}: ${w.detail}`,
        })),
        summary,
      };
    }
  },
  readPolicies(docs) {
    const built = buildRbacPolicySet(docs);
    const n = built.set.counts;
    return {
      set: built.set,
      issues: built.issues,
      count: n.roles + n.clusterRoles + n.roleBindings + n.clusterRoleBindings,
      label: [
        plural(n.roles, 'Role'),
        plural(n.clusterRoles, 'ClusterRole'),
        plural(n.roleBindings, 'RoleBinding'),
        plural(n.clusterRoleBindings, 'ClusterRoleBinding'),
      ].join(', '),
    };
  },
  replay: (policies, report, facts) => rbacReplay(policies.set, report, facts?.defaultGrants !== false),
  compare: compareRbac,
  describe: describeRbac,
  words: (f) => ({ full: describeAccess(f.access), brief: describeAccess(f.access) }),
  newness: rbacNewness,
  excess: rbacExcess,
  excessSamples: "other principals' accesses",
  report: async (profile, ctx) => rbacReport(profile, ctx),
};

/** The summary's lines for check-driven permissions, the checks that could not be derived, and anonymous subjects. */
function checkLines(checks: CheckPermission[], gaps: RbacGap[], leftOut: LeftOut[]): SummaryLine[] {
  const lines: SummaryLine[] = [];
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  if (checks.length) {
    lines.push({
      tone: 'warn',
      text: `check-driven permissions: ${checks.length} added (the API server checks them beyond the request itself):`,
    });
    for (const c of checks) {
      const more = c.requests.length > 3 ? `, and ${c.requests.length - 3} more` : '';
      lines.push({
        tone: 'warn',
        text: `  ${c.subject}: ${describeAccess(c.access)}, for ${c.requests.slice(0, 3).join('; ')}${more}`,
      });
    }
  }
  const roleRefs = gaps.filter((g) => g.cause === 'roleRef');
  const failed = gaps.filter((g) => g.cause === 'failed');
  if (roleRefs.length)
    lines.push({
      tone: 'warn',
      text: `gaps: ${n(roleRefs.length, 'binding write')} whose roleRef the logs do not show (log RBAC writes at Request level):`,
    });
  for (const g of roleRefs)
    lines.push({ tone: 'warn', text: `  ${g.subject}: ${describeAccess(g.access)}: ${g.reason}` });
  if (failed.length)
    lines.push({
      tone: 'warn',
      text: `gaps: ${n(failed.length, 'RBAC write')} that only failed after authorization (409, 422, a webhook's 500): the check the API server makes beside them was never seen passing and is not granted:`,
    });
  for (const g of failed)
    lines.push({ tone: 'warn', text: `  ${g.subject}: ${describeAccess(g.access)}: ${g.reason}` });
  for (const l of leftOut)
    lines.push({
      tone: 'warn',
      text: l.broad
        ? `left out: ${l.kind} ${l.subject} (${n(l.accesses, 'access', 'accesses')}): ${l.broad}; --include-broad-groups generates it`
        : `left out: ${l.kind} ${l.subject} (${n(l.accesses, 'access', 'accesses')}): no binding for anonymous requests; --include-anonymous generates it`,
    });
  return lines;
}

/**
 * What was left to the cluster's default ClusterRoles: one line, with the accesses of each role (a few named).
 * Said plainly: nothing is wider for it, but a cluster that removed those bindings needs --no-default-grants.
 */
function defaultLines(defaults: DefaultGranted[]): SummaryLine[] {
  if (defaults.length === 0) return [];
  const byRole = new Map<string, Set<string>>();
  for (const d of defaults) {
    const set = byRole.get(d.clusterRole) ?? new Set<string>();
    byRole.set(d.clusterRole, set.add(describeAccess(d.edge)));
  }
  const roles = [...byRole.entries()].sort((a, b) => cmp(a[0], b[0]));
  const what = roles.map(([role, set]) => {
    const list = [...set].sort(cmp);
    return `${role}: ${list.slice(0, 4).join(', ')}${list.length > 4 ? `, and ${list.length - 4} more` : ''}`;
  });
  const subjects = new Set(defaults.map((d) => d.subject)).size;
  const n = defaults.length;
  const openShift = roles.some(([role]) => DEFAULT_GRANTS.find((g) => g.clusterRole === role)?.platform);
  const whose = openShift ? "Kubernetes' and OpenShift's" : "Kubernetes'";
  return [
    {
      tone: 'plain',
      text:
        `left to the cluster's default grants: ${n} access${n === 1 ? '' : 'es'} of ${subjects} subject${subjects === 1 ? '' : 's'} ` +
        `(${what.join('; ')}), which every cluster with ${whose} default bindings allows; --no-default-grants writes rules for them`,
    },
  ];
}

/**
 * The access classes of an RBAC evidence document: per rule and verb, and per name where the rule
 * lists names (a new name there is as new as a new verb), each first seen when its earliest access was.
 */
function rbacClasses(doc: Record<string, unknown>): AccessClass[] {
  const subject = String(doc['subject']);
  const where = doc['namespace'] === '(cluster-wide)' ? '' : ` in ${String(doc['namespace'])}`;
  const policies = doc['policies'] as {
    rules: {
      rule: Record<string, string[]>;
      because: { verb: string; resource?: string; nonResourceURL?: string; name?: string; firstSeen: string }[];
    }[];
  }[];
  const classes = new Map<string, AccessClass>();
  for (const r of policies.flatMap((p) => p.rules)) {
    for (const b of r.because) {
      const label = `${b.verb} ${b.resource ?? b.nonResourceURL ?? ''}${r.rule['resourceNames'] && b.name ? ' ' + b.name : ''}${where}`;
      const prev = classes.get(label);
      if (!prev || (b.firstSeen && (!prev.firstSeen || b.firstSeen < prev.firstSeen)))
        classes.set(label, { subject, label, firstSeen: b.firstSeen });
    }
  }
  return [...classes.values()];
}
