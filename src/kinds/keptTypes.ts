import type { CiFinding } from '../model/finding.js';

/** What `check` knows of the grants when it asks a kind whether an unused one is a widening generate listed. */
export interface KeptOptions {
  /** Where the policy files' paths are relative to. */
  cwd: string;
  /** Each kind's `usedKeys` of the grants the logs used. */
  used: ReadonlySet<string>;
  /** The unused findings the logs used a part of (a trust's subject pattern), with whom they let in. */
  partlyUsed: ReadonlyMap<CiFinding, string>;
}

/**
 * A kind's part in telling `check`'s kept widenings from unused grants (diff/kept.ts): what `generate` wrote on
 * purpose, listed in the evidence beside the policy file, where the logs used what it widens.
 */
export interface KeptHook {
  /** Keys of a used grant the kind's `candidate` looks for (a NetworkPolicy's source, destination, protocol, port). */
  usedKeys(f: CiFinding): string[];
  /** Where `generate -o DIR` wrote the evidence of a policy file of this kind, or undefined at no such place. */
  evidenceBeside(file: string): string | undefined;
  /** Whether an unused finding could be a listed widening the logs used a part of, before its evidence is read. */
  candidate(f: CiFinding, opts: KeptOptions): boolean;
  /** What the evidence lists as the widening the finding is, in its words, or undefined. */
  listed(
    f: CiFinding,
    ev: Record<string, unknown>,
    file: string,
    opts: KeptOptions,
  ): { what: string; beside: string } | undefined;
}
