import { cmp } from '../model/issue.js';
import type { AwsCallObservation, ImpliedPermission } from '../model/observation.js';
import type { AwsCall, CreatedNames, RoleSession, SourceRecord } from '../model/profile.js';
import { compareSubjects, iamIdentity, iamKindOf, principalId, subjectKey, type Subject } from '../model/subject.js';
import { compareTuples, tupleKeyOf } from '../util/key.js';
import { put } from '../util/own.js';

/**
 * The call of an AWS record, as its edge keeps it: its names through `intern` (so that calls share them) and its lists
 * copied to their length (a list built by `push` keeps room for 17 entries).
 */
export function awsCallOf(obs: AwsCallObservation, intern: (s: string) => string = (s) => s): AwsCall {
  const eventSource = intern(obs.eventSource);
  const eventName = intern(obs.eventName);
  const resources = obs.resources.length ? obs.resources.slice() : obs.resources;
  const implied = obs.implied.length ? obs.implied.slice() : obs.implied;
  // Made whole where it can be: fields added later are kept outside the object, in a block of their own.
  if (obs.region && obs.account && obs.externalId === undefined)
    return { eventSource, eventName, resources, implied, region: intern(obs.region), account: intern(obs.account) };
  const c: AwsCall = { eventSource, eventName, resources, implied };
  if (obs.region) c.region = intern(obs.region);
  if (obs.account) c.account = intern(obs.account);
  if (obs.externalId !== undefined) c.externalId = obs.externalId;
  return c;
}

/** An AWS edge as a map key: event, region, account, resources and implied permissions, each length-prefixed. */
export function awsCallKey(c: AwsCall): string {
  const parts = [
    c.eventSource,
    c.eventName,
    c.region ?? '',
    c.account ?? '',
    String(c.resources.length),
    ...c.resources,
  ];
  for (const i of c.implied) parts.push(i.action, i.resource, i.via);
  // Implied permissions come in threes: one more part, where there is an external ID, is told apart.
  if (c.externalId !== undefined) parts.push(c.externalId);
  return tupleKeyOf(parts);
}

/**
 * The profile's order of AWS edges: event source, name, region, account, then the resources and implied permissions as
 * lists, then the external ID (none first).
 */
export function compareAwsCalls(a: AwsCall, b: AwsCall): number {
  return (
    cmp(a.eventSource, b.eventSource) ||
    cmp(a.eventName, b.eventName) ||
    cmp(a.region ?? '', b.region ?? '') ||
    cmp(a.account ?? '', b.account ?? '') ||
    compareTuples(a.resources, b.resources) ||
    compareTuples(a.implied.map(impliedTuple).flat(), b.implied.map(impliedTuple).flat()) ||
    cmp(a.externalId ?? '', b.externalId ?? '')
  );
}

const impliedTuple = (i: ImpliedPermission) => [i.action, i.resource, i.via];

export function compareLinks(a: { roleArn: string; via: string }, b: { roleArn: string; via: string }): number {
  return cmp(a.roleArn, b.roleArn) || cmp(a.via, b.via);
}

/** Created names in (namespace, group, resource) order, each list sorted and distinct. */
export function sortCreated(list: CreatedNames[]): CreatedNames[] {
  return list
    .map((c) => ({
      namespace: c.namespace,
      apiGroup: c.apiGroup,
      resource: c.resource,
      names: [...new Set(c.names)].sort(cmp),
      ...(c.generated?.length ? { generated: [...new Set(c.generated)].sort(cmp) } : {}),
    }))
    .sort(compareCreated);
}

/** Created names' lists in the profile's order: namespace, API group, resource. */
export function compareCreated(a: CreatedNames, b: CreatedNames): number {
  return cmp(a.namespace, b.namespace) || cmp(a.apiGroup, b.apiGroup) || cmp(a.resource, b.resource);
}

export function canonicalSubject(s: Subject): Subject {
  // (ServiceAccounts carry their namespace; every other kind is kind and name.)
  return s.kind === 'ServiceAccount'
    ? { kind: s.kind, namespace: s.namespace ?? '', name: s.name }
    : { kind: s.kind, name: s.name };
}

export function sortRecord(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(r).sort(cmp)) put(out, k, r[k]!);
  return out;
}

export function sortSources(s: SourceRecord[]): SourceRecord[] {
  return [...s].sort(
    (a, b) => cmp(a.path, b.path) || cmp(a.format, b.format) || a.bytes - b.bytes || a.records - b.records,
  );
}

/**
 * A principal's place in a profile: `subjectKey`, except that an IAM role or user is placed by its account, kind and
 * name without its path (`principalId`), so one identity has one place whatever ARN a profile names it by, and
 * sorted inputs merge k-way (src/profile/mergeStream.ts) without looking ahead.
 */
export function principalOrderKey(s: Subject): string {
  const kind = iamKindOf(s.kind);
  const id = kind ? iamIdentity(s.name) : undefined;
  if (!id || id.kind !== kind) return subjectKey(s);
  return `${s.kind.toLowerCase()}:arn:${id.partition}:iam::${id.account}:${id.kind}/${id.name}`;
}

/**
 * The profile's order of principals: `principalOrderKey`, then `principalId` (so the principals of one identity are
 * next to each other), then `compareSubjects`.
 */
export function comparePrincipals(a: Subject, b: Subject): number {
  return (
    cmp(principalOrderKey(a), principalOrderKey(b)) || cmp(principalId(a), principalId(b)) || compareSubjects(a, b)
  );
}

/** The profile's order of a principal's role sessions: by role, then template. */
export function compareRoleSessions(a: RoleSession, b: RoleSession): number {
  return cmp(a.role, b.role) || cmp(a.template, b.template);
}
