import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { PROFILE_API_VERSION } from '../model/profile.js';
import {
  roleLink,
  Count,
  Created,
  DnsName,
  LeftOut,
  Namespace,
  NetEdge,
  NodeInstance,
  Origin,
  RoleSession,
  ServiceAssumption,
  WebIdentityAssumption,
  SamlAssumption,
  Source,
  Stages,
  Str,
  Time,
  Workload,
} from './schema.js';

/**
 * The v1alpha2 profile: JSON lines (docs/formats.md, ADR 0010). Each line is one JSON object whose first key says
 * what it is; this is the schema of one line, what `readProfile` checks line by line and what
 * docs/profile.schema.json publishes (`npm run schema`; a test keeps it in step).
 */

/** Evidence as a tuple: count, firstSeen, lastSeen, samples as `[id, time, id, time...]`, then stages unless they are
 * exactly `{ResponseComplete: count}`. */
const EVIDENCE_4 = Type.Tuple([Count, Time, Time, Type.Array(Str)]);
const EVIDENCE_5 = Type.Tuple([Count, Time, Time, Type.Array(Str), Stages]);
const EVIDENCE = 'evidence: [count, firstSeen, lastSeen, [id, time, ...]] or [..., stages]';
export const CompactEvidence = Type.Union([EVIDENCE_4, EVIDENCE_5], { description: EVIDENCE });
const evidenceOf = { 4: TypeCompiler.Compile(EVIDENCE_4), 5: TypeCompiler.Compile(EVIDENCE_5) };

/** verb, apiGroup, resource, subresource, namespace, name, nonResourceURL. */
export const AccessTuple = Type.Tuple([Str, Str, Str, Str, Str, Str, Str]);

const Subject = Type.Object({
  kind: Type.Union([
    Type.Literal('ServiceAccount'),
    Type.Literal('User'),
    Type.Literal('Group'),
    Type.Literal('IAMRole'),
    Type.Literal('IAMUser'),
  ]),
  name: Str,
  namespace: Type.Optional(Str),
});

export const LINE_SCHEMAS = {
  header: Type.Object({
    apiVersion: Type.Literal(PROFILE_API_VERSION),
    kind: Type.Literal('Profile'),
    window: Type.Object({ start: Time, end: Time }),
    sources: Type.Array(Source),
    skipped: Type.Record(Str, Count),
    filters: Type.Optional(
      Type.Array(
        Type.Object({
          subjects: Type.Optional(Type.Array(Str)),
          excludeSubjects: Type.Optional(Type.Array(Str)),
          subjectKinds: Type.Optional(
            Type.Array(Type.Union([Type.Literal('ServiceAccount'), Type.Literal('User'), Type.Literal('Group')])),
          ),
          namespaces: Type.Optional(Type.Array(Str)),
          includeSystem: Type.Optional(Type.Literal(true)),
        }),
      ),
    ),
  }),
  principal: Type.Object({
    principal: Type.Object({
      subject: Subject,
      username: Str,
      groups: Type.Array(Str),
      assumes: Type.Optional(Type.Array(roleLink(CompactEvidence))),
      created: Type.Optional(Type.Array(Created)),
      createdArns: Type.Optional(Type.Array(Str)),
      roleSessions: Type.Optional(Type.Array(RoleSession)),
      outsideRbac: Type.Optional(Type.Object({ count: Count, reason: Str })),
    }),
  }),
  k8s: Type.Object({
    k8s: AccessTuple,
    allowed: Type.Optional(CompactEvidence),
    denied: Type.Optional(CompactEvidence),
    undecided: Type.Optional(CompactEvidence),
    implied: Type.Optional(
      Type.Array(Type.Object({ request: AccessTuple, as: Type.Optional(Str), role: Type.Optional(Str) })),
    ),
    roleRefUnknown: Type.Optional(Type.Literal(true)),
    gcOnly: Type.Optional(Type.Literal(true)),
  }),
  aws: Type.Object({
    /** eventSource, eventName, region, account (`""` when unknown). */
    aws: Type.Tuple([Str, Str, Str, Str]),
    resources: Type.Optional(Type.Array(Str)),
    /** action, resource, via. */
    implied: Type.Optional(Type.Array(Type.Tuple([Str, Str, Str]))),
    /** An AssumeRole's external ID (absent: none passed). */
    externalId: Type.Optional(Str),
    allowed: Type.Optional(CompactEvidence),
    denied: Type.Optional(CompactEvidence),
    /** Where its records came from: source IP, VPC endpoint, `tls`, invokedBy (`""` where not said). */
    origins: Type.Optional(Type.Array(Origin)),
    originsMore: Type.Optional(Type.Literal(true)),
  }),
  leftOut: Type.Object({ leftOut: LeftOut }),
  workload: Type.Object({ workload: Workload }),
  network: Type.Object({ network: NetEdge }),
  dnsName: Type.Object({ dnsName: DnsName }),
  namespace: Type.Object({ namespace: Namespace }),
  nodeInstance: Type.Object({ nodeInstance: NodeInstance }),
  serviceAssumption: Type.Object({ serviceAssumption: ServiceAssumption }),
  webIdentityAssumption: Type.Object({ webIdentityAssumption: WebIdentityAssumption }),
  samlAssumption: Type.Object({ samlAssumption: SamlAssumption }),
  end: Type.Object({
    end: Type.Object({
      principals: Count,
      accesses: Count,
      leftOut: Count,
      workloads: Type.Optional(Count),
      network: Type.Optional(Count),
      dnsNames: Type.Optional(Count),
      namespaces: Type.Optional(Count),
      nodeInstances: Type.Optional(Count),
      serviceAssumptions: Type.Optional(Count),
      webIdentityAssumptions: Type.Optional(Count),
      samlAssumptions: Type.Optional(Count),
    }),
  }),
} satisfies Record<string, TSchema>;

export type LineKind = keyof typeof LINE_SCHEMAS;

/** The published schema: any one line. */
export const ProfileLineSchema = Type.Union(Object.values(LINE_SCHEMAS), {
  $id: 'https://audit2policy.dev/schemas/profile-line.json',
  title: 'audit2policy profile, v1alpha2: one line',
  description:
    'The normal-behaviour graph as JSON lines: a header, per principal a principal line and a line per access, the ' +
    'network sections, an end line (docs/formats.md).',
});

const compiled = Object.fromEntries(
  Object.entries(LINE_SCHEMAS).map(([k, s]) => [k, TypeCompiler.Compile(s)]),
) as unknown as Record<LineKind, ReturnType<typeof TypeCompiler.Compile>>;

/** What is wrong with a line of the given kind (the first few problems), or undefined. */
export function lineSchemaProblem(kind: LineKind, v: unknown): string | undefined {
  const c = compiled[kind];
  if (c.Check(v)) return undefined;
  return [...c.Errors(v)]
    .slice(0, 3)
    .map((e) => {
      // A union says only that no variant fits: evidence tuples say which element is wrong.
      if (e.schema.description === EVIDENCE) {
        const n = Array.isArray(e.value) ? e.value.length : 0;
        const one = n === 4 || n === 5 ? evidenceOf[n].Errors(e.value).First() : undefined;
        return one ? `${e.path}${one.path}: ${one.message}` : `${e.path}: ${EVIDENCE}`;
      }
      return `${e.path || '/'}: ${e.message}`;
    })
    .join('; ');
}
