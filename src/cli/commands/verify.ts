import { Option, type Command } from 'commander';
import { loadPolicyDocs } from '../../policy/load.js';
import { VERIFY_FORMATS } from '../../report/verify/index.js';
import { buildRbacPolicySet } from '../../verify/rbac/policySet.js';
import { verifyRbac } from '../../verify/rbac.js';
import { EXIT } from '../errors.js';
import type { Ctx } from '../context.js';
import { InputAbort, observedProfile } from '../input.js';
import { addFilterOptions, addSourceOptions, type SourceFlags } from '../options.js';

interface VerifyFlags extends SourceFlags {
  policies: string[];
  format: string;
}

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
    const policyIssues = [...issues, ...built.issues];
    for (const i of policyIssues) ctx.io.stderr.write(ctx.c.yellow(`${i.file}:${i.line}: ${i.code}: ${i.message}\n`));
    if (policyIssues.length && flags.onError === 'fail') {
      throw new InputAbort(`${policyIssues.length} policy issue${policyIssues.length === 1 ? '' : 's'} with --on-error fail`);
    }
    if (!flags.quiet) {
      const n = built.set.counts;
      const ignored = Object.entries(built.ignored).map(([k, v]) => `${k} ${v}`).join(', ');
      ctx.io.stderr.write(`policies: ${n.roles} Roles, ${n.clusterRoles} ClusterRoles, ${n.roleBindings} RoleBindings, ${n.clusterRoleBindings} ClusterRoleBindings${ignored ? ` (other documents ignored: ${ignored})` : ''}\n`);
    }
    const { profile } = await observedProfile(flags, ctx.io, ctx.c);
    const report = verifyRbac(profile, built.set);
    // A gate that checked nothing must not look like one that passed.
    if (report.observed === 0) ctx.io.stderr.write(ctx.c.yellow('warning: no authorized access in scope was observed: nothing was verified (check the sources and filters)\n'));
    ctx.io.stdout.write(VERIFY_FORMATS[flags.format]!(report));
    ctx.exitCode = report.notAllowed.length === 0 ? EXIT.ok : EXIT.findings;
  });
}
