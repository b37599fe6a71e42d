import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { GROUP, sourceOptionList } from '../options.js';
import { loadConfig } from './load.js';
import { CONFIG_FILE } from './schema.js';
import { own } from '../../util/own.js';

const REFUSED = new WeakMap<Command, Record<string, string>>();

/**
 * Config keys (`filters.since`) a command cannot take, with why: a config holding one is an error
 * naming the file and the key when that command runs, never silently ignored.
 */
export function refuseConfigKeys(cmd: Command, keys: Record<string, string>): void {
  REFUSED.set(cmd, keys);
}

/** `--config FILE` and `--no-config` on a command that reads sources, filters or widenings. */
export function addConfigOption(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--config <file>',
        `sources, filters and widenings from FILE (default: ./${CONFIG_FILE} when there is one); flags override it`,
      ).helpGroup(GROUP.options),
    )
    .addOption(new Option('--no-config', `do not read ./${CONFIG_FILE}`).helpGroup(GROUP.options));
}

/** Filters that select records while logs are read: nothing to select in a profile. */
const WINDOW_KEYS = new Set(['filters.since', 'filters.until']);

const SOURCE_KEYS = sourceOptionList(true).map((o) => o.attributeName());

/**
 * Before a command's action: the config file's values for the options the command has and the command
 * line did not give. Filters and widenings are overridden key by key; sources as a whole (a source on
 * the command line replaces the config's sources, so logs of the file never mix with a profile given
 * as a flag).
 */
export async function applyConfig(cmd: Command, io: Io): Promise<void> {
  const options = new Map(cmd.options.map((o) => [o.attributeName(), o]));
  if (!options.has('config')) return;
  const given = cmd.getOptionValue('config') as string | false | undefined;
  if (given === false) return;
  const file = resolve(io.cwd, given ?? CONFIG_FILE);
  if (given === undefined) {
    const found = await stat(join(io.cwd, CONFIG_FILE)).catch(() => undefined);
    if (!found?.isFile()) return;
  }
  const config = await loadConfig(file, given ?? CONFIG_FILE, io.cwd);
  const fromCli = (attr: string) => cmd.getOptionValueSource(attr) === 'cli';
  const cliSources = SOURCE_KEYS.some((k) => options.has(k) && fromCli(k));
  // What the command line leaves to the file: sources unless it named one, the rest key by key.
  let used = config.entries.filter((e) => (e.section === 'sources' ? !cliSources : !fromCli(e.attr)));
  // A profile is already aggregated: the file's time window (meant for its logs) is not applied to one, and said so.
  // A window typed on the command line still is an error there.
  const profileGiven = options.has('profile') && (fromCli('profile') || used.some((e) => e.attr === 'profile'));
  const windowed = profileGiven ? used.filter((e) => WINDOW_KEYS.has(e.path)) : [];
  used = used.filter((e) => !windowed.includes(e));
  const refused = REFUSED.get(cmd) ?? {};
  for (const e of used)
    if (own(refused, e.path))
      throw new UsageError(`${config.name}: ${e.path}: ${own(refused, e.path)} (or give --no-config)`);
  for (const e of used) if (options.has(e.attr)) cmd.setOptionValueWithSource(e.attr, e.value, 'config');
  const replaced = cliSources && config.entries.some((e) => e.section === 'sources');
  if (!cmd.getOptionValue('quiet')) {
    io.stderr.write(
      `config: ${config.name}${replaced ? ' (its sources replaced by those on the command line)' : ''}\n`,
    );
    for (const e of windowed)
      io.stderr.write(
        `notice: ${config.name}${e.line ? `:${e.line}` : ''}: ${e.path} not applied: --profile gives an aggregated profile, not logs, so there are no records to window (profile the logs with it)\n`,
      );
  }
}
