import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { examples } from '../help.js';
import { GROUP, networkLimitsOf, networkOptionList, outputOption, quietOption } from '../options.js';
import type { Ctx } from '../context.js';
import { compareTuples } from '../../util/key.js';
import { jsonSafe } from '../../util/escape.js';

interface InventoryFlags {
  context?: string;
  kubeconfig?: string;
  networkTimeout?: string;
  deadline?: string;
  output?: string;
  quiet?: boolean;
}

/** `audit2policy inventory [--context NAME] [--kubeconfig FILE] [-o inventory.json]`: a snapshot for offline runs. */
export function registerInventory(program: Command, ctx: Ctx): void {
  const cmd = program.command('inventory');
  examples(cmd, [
    ["a snapshot of the current context's cluster", 'inventory -o inventory.json'],
    ['another context, for later --inventory runs', 'inventory --context staging -o staging-inventory.json'],
  ]);
  cmd
    .description(
      'snapshot the cluster objects the network slice needs (namespaces, nodes, pods, workloads, services) for later --inventory runs',
    )
    .addOption(new Option('--context <name>', 'kubeconfig context (default: the current one)').helpGroup(GROUP.sources))
    .addOption(
      new Option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, then ~/.kube/config)').helpGroup(
        GROUP.sources,
      ),
    );
  for (const o of networkOptionList(GROUP.sources, 'the cluster')) cmd.addOption(o);
  cmd
    .addOption(outputOption('-o, --output <file>', 'write the snapshot here (default and -: stdout)'))
    .addOption(quietOption('no summary on stderr'))
    .action(async (flags: InventoryFlags) => {
      const { readLiveObjects } = await import('../../inventory/live.js');
      const { UnreadableInputError } = await import('../../ingest/inputs.js');
      const { writeFileAtomic } = await import('../../emit/writeTree.js');
      const limits = networkLimitsOf(flags);
      let list;
      try {
        list = await readLiveObjects({
          ...(flags.context ? { context: flags.context } : {}),
          ...(flags.kubeconfig ? { kubeconfig: resolve(ctx.io.cwd, flags.kubeconfig) } : {}),
          limits,
        });
      } catch (e) {
        throw new UnreadableInputError(`cannot read the cluster inventory: ${(e as Error).message}`);
      }
      // Sorted by kind, namespace and name, so two snapshots of the same cluster diff cleanly.
      const key = (o: Record<string, unknown>) => {
        const m = (o['metadata'] ?? {}) as Record<string, unknown>;
        return [String(o['kind']), String(m['namespace'] ?? ''), String(m['name'] ?? '')];
      };
      list.items.sort((a, b) => compareTuples(key(a), key(b)));
      // Annotations are anyone's text: C1 controls, bidirectional and invisible characters as JSON escapes.
      const text = jsonSafe(JSON.stringify(list, null, 2)) + '\n';
      if (flags.output) await writeFileAtomic(resolve(ctx.io.cwd, flags.output), text);
      else ctx.io.stdout.write(text);
      if (!flags.quiet) {
        const counts = new Map<string, number>();
        for (const i of list.items) counts.set(String(i['kind']), (counts.get(String(i['kind'])) ?? 0) + 1);
        ctx.io.stderr.write(
          `inventory: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'no objects'}${flags.output ? ` → ${flags.output}` : ''}\n`,
        );
      }
    });
}
