import type { Option } from 'commander';
import { KIND_INFO, KIND_NAMES } from '../../kinds/info.js';
import type { KindName } from '../../kinds/types.js';
import {
  exactOption,
  filterOptionList,
  kindOptionList,
  mapOption,
  networkPluginOption,
  sourceOptionList,
} from '../options.js';
import { API_VERSION } from '../../model/profile.js';

/** The file looked for in the working directory when no `--config` is given; its apiVersion is the profile's. */
export const CONFIG_FILE = 'audit2policy.yaml';
export const CONFIG_API_VERSION = API_VERSION;
export const CONFIG_KIND = 'Config';

/** One key of the config file: the command-line option it stands for (the key is commander's attribute name). */
export interface ConfigKey {
  key: string;
  option: Option;
}

export interface ConfigSchema {
  sources: ConfigKey[];
  filters: ConfigKey[];
  /** `widenings.exact` and the like, shared by every generator. */
  shared: ConfigKey[];
  /** `widenings.<kind>.<key>`: each kind's options as it declares them (src/kinds/<kind>/info.ts). */
  kinds: { kind: KindName; keys: ConfigKey[] }[];
}

const keys = (options: Option[]): ConfigKey[] => options.map((option) => ({ key: option.attributeName(), option }));

/**
 * The config file's sections, each key an option of the command line: sources and filters from the
 * option lists of ../options.ts (filters with `--network-plugin`, the fact verify, check, diff, report and backtest
 * judge NetworkPolicies with), widenings from each kind's declared options. Nothing is listed twice,
 * so the file and the flags cannot drift apart.
 */
export function configSchema(): ConfigSchema {
  return {
    sources: keys(sourceOptionList(true)),
    // The network plugin goes with the filters, overridden key by key: a profile given on the command line replaces
    // the file's sources, and must not drop it. A command without the option (generate, profile) does not use it.
    // So does the map: `profile` does not take it (a profile keeps what was seen), the commands that make or judge
    // production's policy do.
    filters: keys([...filterOptionList(), networkPluginOption(), mapOption()]),
    shared: keys([exactOption()]),
    kinds: KIND_NAMES.map((kind) => ({ kind, keys: keys(kindOptionList(KIND_INFO[kind])) })),
  };
}

/** Every key of the schema by its full path (`filters.since`), for "it goes under ..." hints. */
export function allKeyPaths(s: ConfigSchema): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of s.sources) out.set(k.key, `sources.${k.key}`);
  for (const k of s.filters) out.set(k.key, `filters.${k.key}`);
  for (const k of s.shared) out.set(k.key, `widenings.${k.key}`);
  for (const { kind, keys } of s.kinds) for (const k of keys) out.set(k.key, `widenings.${kind}.${k.key}`);
  return out;
}

/** What a value of the option looks like, in words. */
export function expected(o: Option): string {
  if (o.negate || (!o.required && !o.optional)) return 'true or false';
  const what = /<(path|file|dir)/.test(o.flags) ? 'a path' : 'a value';
  if (o.argChoices) return `one of ${o.argChoices.join(', ')}`;
  return o.variadic ? `${what} or a list of them` : what;
}
