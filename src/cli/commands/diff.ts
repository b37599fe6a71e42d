import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { checkPolicies, diffPolicies, type CiReport } from '../../diff/index.js';
import { loadSide, universeOf, type Kind, type PolicySide } from '../../diff/grants.js';
import { loadInventory } from '../../inventory/load.js';
import { workloadsOfInventory } from '../../inventory/workloads.js';
import type { InputIssue } from '../../model/issue.js';
import type { Profile } from '../../model/profile.js';
import { isAwsKind } from '../../model/subject.js';
import { loadPolicyDocs, type PolicyDoc } from '../../policy/load.js';
import { readProfile } from '../../profile/io.js';
import { CI_FORMATS, counts, failingTypes, render, type CiFormat } from '../../report/ci/index.js';
import { verifyIam } from '../../verify/iam.js';
import { readNetworkPolicies, verifyNetpol } from '../../verify/netpol.js';
import { verifyRbac } from '../../verify/rbac.js';
import type { Ctx } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { InputAbort, observedProfile } from '../input.js';
import { addFilterOptions, addSourceOptions, type SourceFlags } from '../options.js';

const KINDS: Kind[] = ['rbac', 'iam', 'netpol'];

function parseKinds(v: string | undefined): Kind[] {
  if (!v) return KINDS;
  const out: Kind[] = [];
  for (const k of v.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!KINDS.includes(k as Kind)) throw new UsageError(`--kind: unknown kind "${k}" (choose from rbac, iam, netpol)`);
    if (!out.includes(k as Kind)) out.push(k as Kind);
  }
  return out;
}

async function texts(docs: PolicyDoc[], cwd: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const f of new Set(docs.map((d) => d.file))) m.set(f, await readFile(resolve(cwd, f), 'utf8').catch(() => ''));
  return m;
}

function reportIssues(ctx: Ctx, issues: InputIssue[], onError: string | undefined): void {
  for (const i of issues) ctx.io.stderr.write(ctx.c.yellow(`${i.file}:${i.line}: ${i.code}: ${i.message}\n`));
  // A CI gate must not pass on input it could not read.
  if (issues.length && onError !== 'skip') throw new InputAbort(`${issues.length} policy issue${issues.length === 1 ? '' : 's'} with --on-error fail`);
}

/** /32 and /128 ipBlocks of the policies: the external peers they name. */
function policyAddresses(docs: PolicyDoc[]): string[] {
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    for (const key of ['cidr', 'toCIDR', 'fromCIDR']) {
      for (const c of ([] as unknown[]).concat(o[key] ?? [])) if (typeof c === 'string' && /\/(32|128)$/.test(c)) out.push(c.replace(/\/\d+$/, ''));
    }
    Object.values(o).forEach(visit);
  };
  for (const d of docs) visit(d.object);
  return out;
}

function universeFor(profile: Profile | undefined, inventoryWorkloads: ReturnType<typeof workloadsOfInventory>, namespaces: { name: string; labels: Record<string, string> }[], sides: PolicyDoc[][]) {
  const workloads = profile?.workloads?.length ? profile.workloads : inventoryWorkloads;
  const addresses = [...(profile?.network ?? []).flatMap((e) => [e.from, e.to]).flatMap((p) => (p.kind === 'workload' ? [] : [p.ip])), ...sides.flatMap(policyAddresses)];
  return universeOf(workloads, addresses, profile?.namespaces ?? namespaces, profile?.dnsNames ?? [], sides);
}

function finish(ctx: Ctx, r: CiReport, format: CiFormat, failOn: string, quiet: boolean | undefined): void {
  ctx.io.stdout.write(render(r, format, failOn));
  if (!quiet && format !== 'text') ctx.io.stderr.write(`${r.command}: ${counts(r)}\n`);
  const failing = failingTypes(r.command, failOn);
  const lists: [string, number][] = [
    ['granted', r.granted.length],
    ['revoked', r.revoked.length],
    ['would-deny', r.wouldDeny.length],
    ['unused', r.unused.length],
  ];
  ctx.exitCode = lists.some(([t, n]) => failing.has(t as never) && n > 0) ? EXIT.findings : EXIT.ok;
}

interface DiffFlags {
  kind?: string;
  profile?: string;
  inventory?: string[];
  format: CiFormat;
  failOn: string;
  onError?: string;
  quiet?: boolean;
}

/** `audit2policy diff COMMITTED GENERATED [--kind ...] [--profile FILE] [--inventory PATH...] [--format FMT] [--fail-on ...]` */
export function registerDiff(program: Command, ctx: Ctx): void {
  program
    .command('diff')
    .description('what a policy change grants and revokes, by meaning (exit 1 at or above --fail-on)')
    .argument('<committed>', 'the policy in force: a file or directory (YAML/JSON, walked recursively)')
    .argument('<generated>', 'the new policy: a file or directory')
    .option('--kind <kinds>', 'comma-separated: rbac,iam,netpol (default: all)')
    .option('--profile <file>', 'a profile: evidence for each line, and the workloads NetworkPolicies are compared over')
    .option('--inventory <path...>', 'cluster objects: the workloads NetworkPolicies are compared over (without a profile)')
    .addOption(new Option('--format <fmt>', 'output format').choices(CI_FORMATS).default('text'))
    .addOption(new Option('--fail-on <what>', 'exit 1 when there is something').choices(['granted', 'revoked', 'any', 'none']).default('any'))
    .addOption(new Option('--on-error <mode>', 'unreadable policy documents: fail (exit 2) or skip').choices(['fail', 'skip']).default('fail'))
    .option('-q, --quiet', 'no summary on stderr')
    .action(async (committedPath: string, generatedPath: string, flags: DiffFlags) => {
      const kinds = parseKinds(flags.kind);
      const a = await loadPolicyDocs([committedPath], ctx.io.cwd);
      const b = await loadPolicyDocs([generatedPath], ctx.io.cwd);
      const profile = flags.profile ? await readProfile(resolve(ctx.io.cwd, flags.profile)) : undefined;
      let inv: Awaited<ReturnType<typeof loadInventory>> | undefined;
      if (flags.inventory?.length) inv = await loadInventory(flags.inventory, ctx.io.cwd);
      const universe = universeFor(profile, inv ? workloadsOfInventory(inv.inventory) : [], inv?.inventory.namespaces ?? [], [a.docs, b.docs]);
      const committed: PolicySide = loadSide(a.docs, a.issues, universe);
      const generated: PolicySide = loadSide(b.docs, b.issues, universe);
      reportIssues(ctx, [...committed.issues, ...generated.issues, ...(inv?.issues ?? [])], flags.onError);
      const t = await texts([...a.docs, ...b.docs], ctx.io.cwd);
      const r = await diffPolicies(committed, generated, { kinds, universe, texts: t, ...(profile ? { profile } : {}) });
      finish(ctx, r, flags.format, flags.failOn, flags.quiet);
    });
}

interface CheckFlags extends SourceFlags {
  policies: string[];
  kind?: string;
  format: CiFormat;
  failOn: string;
}

/** `audit2policy check --policies PATH... [sources] [filters] [--inventory PATH...] [--format FMT] [--fail-on ...]` */
export function registerCheck(program: Command, ctx: Ctx): void {
  const cmd = program.command('check').description('the drift gate: what fresh logs did that the enforced policies would deny, and what they grant unused');
  cmd.requiredOption('--policies <path...>', 'the enforced (committed) policies: files or directories');
  addSourceOptions(cmd, true);
  addFilterOptions(cmd, 'fail');
  cmd
    .option('--kind <kinds>', 'comma-separated: rbac,iam,netpol (default: all)')
    .addOption(new Option('--format <fmt>', 'output format').choices(CI_FORMATS).default('text'))
    .addOption(new Option('--fail-on <what>', 'exit 1 when there is something').choices(['would-deny', 'unused', 'any', 'none']).default('would-deny'))
    .action(async (flags: CheckFlags) => {
      const kinds = parseKinds(flags.kind);
      const { docs, issues } = await loadPolicyDocs(flags.policies, ctx.io.cwd);
      const { profile } = await observedProfile(flags, ctx.io, ctx.c);
      const universe = universeFor(profile, [], [], [docs]);
      const side = loadSide(docs, issues, universe);
      reportIssues(ctx, side.issues, flags.onError);
      const { report: r, observed } = await runCheck(profile, docs, side, kinds, universe, ctx.io.cwd);
      if (observed === 0 && !flags.quiet) ctx.io.stderr.write(ctx.c.yellow('warning: no authorized access in scope was observed: nothing was checked (check the sources and filters)\n'));
      finish(ctx, r, flags.format, flags.failOn, flags.quiet);
    });
}

/** `check` on a profile: the verify evaluators on the observed accesses, then the unused grants. */
export async function runCheck(profile: Profile, docs: PolicyDoc[], side: PolicySide, kinds: Kind[], universe: ReturnType<typeof universeOf>, cwd: string): Promise<{ report: CiReport; observed: number }> {
  // The side already holds the RBAC and IAM sets built from these documents.
  const report = kinds.includes('rbac') ? verifyRbac(profile, side.rbac) : { observed: 0, allowed: 0, notAllowed: [], undetermined: [], skipped: {}, byKind: {}, denied: [] };
  const hasAws = profile.principals.some((p) => isAwsKind(p.subject.kind) && (p.aws?.length ?? 0) > 0);
  if (kinds.includes('iam') && (hasAws || side.iam.count > 0)) await verifyIam(profile, side.iam, report);
  const np = readNetworkPolicies(docs);
  if (kinds.includes('netpol') && ((profile.network?.length ?? 0) > 0 || np.policies.length > 0)) verifyNetpol(profile, np.policies, report);
  const r = await checkPolicies(side, report, { kinds, universe, profile, texts: await texts(docs, cwd) });
  return { report: r, observed: report.observed };
}

export { universeFor };
