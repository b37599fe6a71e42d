import type { ProfileFilters } from '../model/profile.js';
import { cmp } from '../model/issue.js';
import { DEFAULT_SUBJECT_KINDS, type ScopeOptions } from './scope.js';

/**
 * The filters a profile was made with (`profile --subject/--exclude-subject/--subject-kind/--namespace/
 * --include-system`), in the profile's header so that a merge can tell inputs that saw different parts of the same
 * logs. A time window is no filter here: days are merged by design, and each profile's `window` says its span.
 */

/** Sorted, once each. */
const list = <T extends string>(xs: readonly T[]): T[] => [...new Set(xs)].sort(cmp);

/** The non-default filters of a scope in canonical form, or undefined when there are none. */
export function profileFilters(o: Pick<ScopeOptions, keyof ProfileFilters>): ProfileFilters | undefined {
  const kinds = list(o.subjectKinds) as NonNullable<ProfileFilters['subjectKinds']>;
  const f = canonicalFilters({
    subjects: o.subjects,
    excludeSubjects: o.excludeSubjects,
    namespaces: o.namespaces,
    ...(kinds.join() !== list(DEFAULT_SUBJECT_KINDS).join() ? { subjectKinds: kinds } : {}),
    ...(o.includeSystem ? { includeSystem: true as const } : {}),
  });
  return Object.keys(f).length ? f : undefined;
}

/** One filter set in a fixed key order, lists sorted and once each, empty ones left out: equal sets, equal JSON. */
export function canonicalFilters(f: ProfileFilters): ProfileFilters {
  const out: ProfileFilters = {};
  if (f.subjects?.length) out.subjects = list(f.subjects);
  if (f.excludeSubjects?.length) out.excludeSubjects = list(f.excludeSubjects);
  if (f.subjectKinds?.length) out.subjectKinds = list(f.subjectKinds);
  if (f.namespaces?.length) out.namespaces = list(f.namespaces);
  if (f.includeSystem) out.includeSystem = true;
  return out;
}

/**
 * The header's `filters` of a merge: each distinct filter set of the inputs once, sorted by its JSON; an input
 * without the field counts as unfiltered (`{}`), and the field is left out when no input had a filter. The union is
 * associative and commutative, as the rest of a merge.
 */
export function unionFilters(lists: readonly (readonly ProfileFilters[] | undefined)[]): ProfileFilters[] | undefined {
  if (lists.every((l) => l === undefined)) return undefined;
  const byJson = new Map<string, ProfileFilters>();
  for (const l of lists)
    for (const f of l ?? [{}]) {
      const c = canonicalFilters(f);
      byJson.set(JSON.stringify(c), c);
    }
  if (byJson.size === 1 && byJson.has('{}')) return undefined;
  return [...byJson.keys()].sort(cmp).map((k) => byJson.get(k)!);
}

/** A filter set as the options that make it: `--namespace shop --include-system`, or `no filter`. */
export function describeFilters(f: ProfileFilters): string {
  const words: string[] = [];
  const q = (s: string) => (/^[\w.:@/-]+$/.test(s) ? s : JSON.stringify(s));
  if (f.subjects) words.push(`--subject ${f.subjects.map(q).join(' ')}`);
  if (f.excludeSubjects) words.push(`--exclude-subject ${f.excludeSubjects.map(q).join(' ')}`);
  if (f.subjectKinds) words.push(`--subject-kind ${f.subjectKinds.map((k) => k.toLowerCase()).join(',')}`);
  if (f.namespaces) words.push(`--namespace ${f.namespaces.map(q).join(' ')}`);
  if (f.includeSystem) words.push('--include-system');
  return words.length ? words.join(' ') : 'no filter';
}

/** The report's word on a filtered profile: what it covers; the warning when its parts were filtered differently. */
export function filtersCoverage(filters: readonly ProfileFilters[] | undefined): string | undefined {
  if (!filters?.length) return undefined;
  return (
    mixedFiltersWarning(filters) ??
    `the profile was made with ${describeFilters(filters[0]!)}: what that left out is in neither this report nor the policies made from it`
  );
}

/**
 * What to say of a profile whose inputs were made with different filters: a principal or namespace one left out
 * holds only what the others saw of it, so its policy would be narrower than what it did. Undefined when they agree.
 */
export function mixedFiltersWarning(filters: readonly ProfileFilters[] | undefined): string | undefined {
  if (!filters || filters.length < 2) return undefined;
  return (
    `the profiles were made with different filters (${filters.map(describeFilters).join('; ')}): what one ` +
    'left out holds only what the others saw, so its policy may deny what it did; profile every part with the ' +
    'same filters, or filter the merged profile (generate --profile ... --namespace ...)'
  );
}
