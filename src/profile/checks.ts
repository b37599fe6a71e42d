import { countOf, type Evidence } from '../model/evidence.js';

/**
 * The profile's schema checks (./schema.ts, ./lineSchema.ts), loaded when a profile is first read. They are built
 * with TypeBox, whose ~200 modules were a fifth of every run's start-up (0.1-0.2 s of ~0.7 s), and most runs
 * (`profile`, anything from logs, `diff` of policies) read no profile. The library exports `checkProfile` from
 * ./schema.ts itself, so it loads them at import.
 */
export interface SchemaChecks {
  lineKind: typeof import('./lineSchema.js').lineKind;
  lineSchemaProblem: typeof import('./lineSchema.js').lineSchemaProblem;
  checkProfile: typeof import('./schema.js').checkProfile;
}

let loaded: SchemaChecks | undefined;

/** The checks, loading them on first use. */
export async function schemaChecks(): Promise<SchemaChecks> {
  if (!loaded) {
    const [lines, whole] = await Promise.all([import('./lineSchema.js'), import('./schema.js')]);
    loaded = {
      lineKind: lines.lineKind,
      lineSchemaProblem: lines.lineSchemaProblem,
      checkProfile: whole.checkProfile,
    };
  }
  return loaded;
}

/**
 * A count is the count of the latest audit stage seen, and merging recounts it from the stages: one that
 * disagrees with them would change silently in a merge, so it is refused.
 */
export function countProblem(path: string, ev: Evidence): string | undefined {
  const n = countOf(ev.stages);
  return ev.count === n ? undefined : `${path}/count: ${ev.count}, but its stages count ${n}`;
}

export function stagesProblem(
  path: string,
  e: { allowed?: Evidence; denied?: Evidence; undecided?: Evidence },
): string | undefined {
  for (const d of ['allowed', 'denied', 'undecided'] as const) {
    const ev = e[d];
    const problem = ev && countProblem(`${path}/${d}`, ev);
    if (problem) return problem;
  }
  return undefined;
}
