import { resolve } from 'node:path';
import type { Command } from 'commander';
import { toYamlDocuments } from '../../emit/yaml.js';
import { writeTree } from '../../emit/writeTree.js';
import { generateRbac, type RbacOptions } from '../../generate/rbac/index.js';
import type { Ctx } from '../context.js';
import { observedProfile } from '../input.js';
import { addFilterOptions, addSourceOptions, nonNegativeInt, type SourceFlags } from '../options.js';

/** Above this many names a rule is hard to review: say that --widen-names exists. */
const LONG_NAME_LIST = 20;

interface GenerateFlags extends SourceFlags {
  output?: string;
  widenNames?: string;
  widenNamespaces?: string;
  expandVerbs?: boolean;
}

/** `audit2policy generate rbac (--profile FILE | [sources] [filters]) [-o DIR]` */
export function registerGenerate(program: Command, ctx: Ctx): void {
  const gen = program.command('generate').description('generate least-privilege policy from a profile or logs');
  const rbac = gen.command('rbac').description('Kubernetes Roles, ClusterRoles and bindings that allow exactly what was observed');
  addSourceOptions(rbac, true);
  addFilterOptions(rbac, 'skip');
  rbac
    .option('-o, --output <dir>', 'write DIR/rbac/<namespace>/<subject>.yaml and DIR/evidence/ (default: YAML on stdout)')
    .option('--widen-names <n>', 'drop resourceNames once more than N names were used (widening, listed)')
    .option('--widen-namespaces <n>', 'same access in more than N namespaces: one ClusterRole bound in each (widening, listed)')
    .option('--expand-verbs', 'add list ⇄ watch and get beside list, as client-go informers need (widening, listed)')
    .action(async (flags: GenerateFlags) => {
      const opts: RbacOptions = {};
      const wn = nonNegativeInt('--widen-names', flags.widenNames);
      const wns = nonNegativeInt('--widen-namespaces', flags.widenNamespaces);
      if (wn !== undefined) opts.widenNames = wn;
      if (wns !== undefined) opts.widenNamespaces = wns;
      if (flags.expandVerbs) opts.expandVerbs = true;
      const { profile } = await observedProfile(flags, ctx.io, ctx.c);
      const { artefacts, widenings } = generateRbac(profile, opts);
      if (flags.output) {
        const files = new Map<string, string>();
        for (const a of artefacts) {
          files.set(a.path, toYamlDocuments(a.objects));
          files.set(a.evidencePath, toYamlDocuments([a.evidence]));
        }
        await writeTree(resolve(ctx.io.cwd, flags.output), ['rbac', 'evidence/rbac'], files);
      } else {
        ctx.io.stdout.write(toYamlDocuments(artefacts.flatMap((a) => a.objects)));
      }
      if (!flags.quiet) {
        const objects = artefacts.reduce((n, a) => n + a.objects.length, 0);
        const rules = artefacts.reduce((n, a) => n + a.objects.reduce((m, o) => m + ('rules' in o ? (o.rules?.length ?? 0) : 0), 0), 0);
        const subjects = new Set(artefacts.map((a) => a.evidence['subject'])).size;
        const where = flags.output ? ` in ${flags.output}/rbac (evidence in ${flags.output}/evidence/rbac)` : '';
        ctx.io.stderr.write(`generated ${objects} RBAC objects with ${rules} rules for ${subjects} subjects${where}\n`);
        for (const a of artefacts) {
          for (const o of a.objects) {
            if (!('rules' in o)) continue;
            for (const r of o.rules ?? []) {
              if ((r.resourceNames?.length ?? 0) > LONG_NAME_LIST) {
                ctx.io.stderr.write(ctx.c.dim(`hint: ${a.evidence['subject']} uses ${r.resourceNames!.length} names of ${r.resources!.join(',')}${a.namespace ? ' in ' + a.namespace : ''}; --widen-names N drops resourceNames above N names\n`));
              }
            }
          }
        }
        if (widenings.length === 0) ctx.io.stderr.write('widenings: none (every rule allows only what was observed)\n');
        else {
          ctx.io.stderr.write(ctx.c.yellow(`widenings: ${widenings.length} (rules broader than observed, by request):\n`));
          for (const w of widenings) ctx.io.stderr.write(ctx.c.yellow(`  --${w.option} ${w.subject}${w.namespace ? ' in ' + w.namespace : ''}: ${w.detail}\n`));
        }
      }
    });
}
