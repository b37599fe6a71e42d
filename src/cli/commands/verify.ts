import { Option, type Command } from 'commander';
import { loadPolicyDocs } from '../../policy/load.js';
import { VERIFY_FORMATS } from '../../report/verify/index.js';
import { buildRbacPolicySet } from '../../verify/rbac/policySet.js';
import { verifyRbac } from '../../verify/rbac.js';
import { buildIamPolicySet, verifyIam } from '../../verify/iam.js';
import { readNetworkPolicies, verifyNetpol } from '../../verify/netpol.js';
import { isAwsKind } from '../../model/subject.js';
import { EXIT } from '../errors.js';
import type { Ctx } from '../context.js';
import { InputAbort, observedProfile } from '../input.js';
import { addFilterOptions, addSourceOptions, type SourceFlags } from '../options.js';

interface VerifyFlags extends SourceFlags {
  policies: string[];
  format: string;
}

const n0 = (c: Record<string, number>) => Object.values(c).every((v) => v === 0);

/** `audit2policy verify --policies PATH... (--profile FILE | [sources] [filters]) [--format text|json]` */
export function registerVerify(program: Command, ctx: Ctx): void {
  const cmd = program.command('verify').description('replay every observed authorized request against policies; exit 1 if any would be denied');
  cmd.requiredOption('--policies <path...>', 'policy files or directories (YAML/JSON, walked recursively)');
  addSourceOptions(cmd, true);
  addFilterOptions(cmd, 'fail');
  cmd.addOption(new Option('--format <fmt>', 'output format').choices(Object.keys(VERIFY_FORMATS)).default('text'));
  cmd.action(async (flags: VerifyFlags) => {
    const { docs, issues } = await loadPolicyDocs(flags.policies, ctx.io.cwd);
    const built = buildRbacPolicySet(docs);
    const iam = buildIamPolicySet(docs);
    const netpols = readNetworkPolicies(docs);
    const policyIssues = [...issues, ...built.issues, ...iam.issues, ...netpols.issues];
    for (const i of policyIssues) ctx.io.stderr.write(ctx.c.yellow(`${i.file}:${i.line}: ${i.code}: ${i.message}\n`));
    if (policyIssues.length && flags.onError === 'fail') {
      throw new InputAbort(`${policyIssues.length} policy issue${policyIssues.length === 1 ? '' : 's'} with --on-error fail`);
    }
    if (!flags.quiet) {
      const n = built.set.counts;
      // IAM documents are counted as IAM policies, not as ignored documents.
      const ignored = Object.entries(built.ignored)
        .map(([k, v]) => [k, k === '(no kind)' ? v - iam.set.count : k === 'NetworkPolicy' || k === 'CiliumNetworkPolicy' ? 0 : v] as const)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      ctx.io.stderr.write(`policies: ${n.roles} Roles, ${n.clusterRoles} ClusterRoles, ${n.roleBindings} RoleBindings, ${n.clusterRoleBindings} ClusterRoleBindings, ${iam.set.count} IAM policies, ${netpols.policies.length} network policies${ignored ? ` (other documents ignored: ${ignored})` : ''}\n`);
    }
    const { profile } = await observedProfile(flags, ctx.io, ctx.c);
    const report = verifyRbac(profile, built.set);
    const hasAws = profile.principals.some((p) => isAwsKind(p.subject.kind) && (p.aws?.length ?? 0) > 0);
    if (hasAws || iam.set.count > 0) await verifyIam(profile, iam.set, report);
    const hasNet = (profile.network?.length ?? 0) > 0;
    if (hasNet || netpols.policies.length > 0) verifyNetpol(profile, netpols.policies, report);
    if (report.byKind['rbac']?.observed === 0 && n0(built.set.counts) && (hasAws || hasNet)) delete report.byKind['rbac'];
    // A gate that checked nothing must not look like one that passed.
    if (report.observed === 0) ctx.io.stderr.write(ctx.c.yellow('warning: no authorized access in scope was observed: nothing was verified (check the sources and filters)\n'));
    ctx.io.stdout.write(VERIFY_FORMATS[flags.format]!(report));
    ctx.exitCode = report.notAllowed.length === 0 ? EXIT.ok : EXIT.findings;
  });
}
