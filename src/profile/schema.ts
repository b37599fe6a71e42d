import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { LEGACY_PROFILE_API_VERSION, PROFILE_API_VERSION, type Profile } from '../model/profile.js';
import type { WireEdge } from '../model/apiServer.js';
import { countProblem, flowProblem, stagesProblem, TAIL_ORDER, windowProblem } from './checks.js';

/**
 * The profile as one JSON document (TypeBox): the v1alpha1 file format, still read (`readProfile`), and, through
 * `Static`, a type the compiler holds equal to the model's `Profile`. The pieces are those of the v1alpha2 lines
 * (./lineSchema.ts, published as docs/profile.schema.json). Names inside are checked against the platforms' own
 * rules after this (src/profile/names.ts).
 */

/** A count: a whole number JSON and JavaScript both hold exactly (1e308 would sum to Infinity, written as null). */
export const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const Str = Type.String();
export const Time = Type.String({ description: 'RFC 3339 UTC with microseconds, or "" when unknown' });

const Sample = Type.Object({ id: Str, time: Time });

export const Stages = Type.Partial(
  Type.Object({
    RequestReceived: Count,
    ResponseStarted: Count,
    ResponseComplete: Count,
    Panic: Count,
  }),
);

export const Evidence = Type.Object({
  count: Count,
  firstSeen: Time,
  lastSeen: Time,
  stages: Stages,
  samples: Type.Array(Sample),
});

const access = {
  verb: Str,
  apiGroup: Str,
  resource: Str,
  subresource: Str,
  namespace: Str,
  name: Str,
  nonResourceURL: Str,
};

const ImpliedBy = Type.Object(
  { request: Type.Object(access), as: Type.Optional(Str), role: Type.Optional(Str) },
  { description: 'the request behind a check the API server made beyond its own authorization' },
);

const K8sEdge = Type.Object({
  ...access,
  allowed: Type.Optional(Evidence),
  denied: Type.Optional(Evidence),
  undecided: Type.Optional(Evidence),
  implied: Type.Optional(Type.Array(ImpliedBy)),
  roleRefUnknown: Type.Optional(Type.Literal(true)),
  gcOnly: Type.Optional(Type.Literal(true)),
});

const Implied = Type.Object({ action: Str, resource: Str, via: Str });

/** Where an AWS call came from: source IP, VPC endpoint, `tls`, the service that made it (`""` where not said). */
export const Origin = Type.Tuple([Str, Str, Type.Union([Type.Literal(''), Type.Literal('tls')]), Str], {
  description: 'where the calls came from: sourceIPAddress (an IP), vpcEndpointId, "tls", userIdentity.invokedBy',
});

const AwsEdge = Type.Object({
  eventSource: Str,
  eventName: Str,
  resources: Type.Array(Str),
  implied: Type.Array(Implied),
  region: Type.Optional(Str),
  account: Type.Optional(Str),
  externalId: Type.Optional(Str),
  allowed: Type.Optional(Evidence),
  denied: Type.Optional(Evidence),
  origins: Type.Optional(Type.Array(Origin)),
  originsMore: Type.Optional(Type.Literal(true)),
});

export const Subject = Type.Object({
  kind: Type.Union([
    Type.Literal('ServiceAccount'),
    Type.Literal('User'),
    Type.Literal('Group'),
    Type.Literal('IAMRole'),
    Type.Literal('IAMUser'),
    Type.Literal('AWSAccount'),
    Type.Literal('FederatedUser'),
  ]),
  name: Str,
  namespace: Type.Optional(Str),
});

/** A service account → IAM role link, its evidence as each format writes it (an object here, a tuple in v1alpha2). */
export const roleLink = <E extends TSchema>(evidence: E) =>
  Type.Object({
    roleArn: Str,
    via: Type.Union([Type.Literal('irsa'), Type.Literal('pod-identity')]),
    providers: Type.Optional(Type.Array(Str)),
    clusters: Type.Optional(Type.Array(Str)),
    evidence,
  });

export const Created = Type.Object({
  namespace: Str,
  apiGroup: Str,
  resource: Str,
  names: Type.Array(Str),
  generated: Type.Optional(Type.Array(Str)),
});

/** An IAM role a User's username is one session of (`roleSessions`, v1alpha2 only). */
export const RoleSession = Type.Object({ role: Str, template: Str });

const Principal = Type.Object({
  subject: Subject,
  username: Str,
  groups: Type.Array(Str),
  k8s: Type.Array(K8sEdge),
  aws: Type.Optional(Type.Array(AwsEdge)),
  assumes: Type.Optional(Type.Array(roleLink(Evidence))),
  created: Type.Optional(Type.Array(Created)),
});

export const Protocol = Type.Union([
  Type.Literal('TCP'),
  Type.Literal('UDP'),
  Type.Literal('SCTP'),
  Type.Literal('ICMP'),
  Type.Literal('ICMPv6'),
]);
export const Labels = Type.Record(Str, Str);

export const Workload = Type.Object({
  namespace: Str,
  name: Str,
  kind: Str,
  selector: Labels,
  labels: Labels,
  ports: Type.Array(Type.Object({ name: Str, port: Type.Integer({ minimum: 0, maximum: 65535 }), protocol: Protocol })),
  hostNetwork: Type.Boolean(),
  serviceAccount: Type.Optional(Str),
  pods: Type.Optional(Count),
  source: Type.Union([Type.Literal('inventory'), Type.Literal('flow-labels')]),
});

export const Peer = Type.Union([
  Type.Object({ kind: Type.Literal('workload'), namespace: Str, name: Str }),
  Type.Object({ kind: Type.Literal('node'), ip: Str, own: Type.Optional(Type.Literal(true)) }),
  // `apiserver`: the API server at the address the flows saw (model/apiServer.ts); to older readers, the address.
  Type.Object({ kind: Type.Literal('ip'), ip: Str, apiserver: Type.Optional(Type.Literal(true)) }),
]);

export const FlowEvidence = Type.Object({
  connections: Count,
  records: Count,
  firstSeen: Time,
  lastSeen: Time,
  samples: Type.Array(Sample),
});

export const NetEdge = Type.Object({
  from: Peer,
  to: Peer,
  protocol: Protocol,
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  allowed: Type.Optional(FlowEvidence),
  denied: Type.Optional(FlowEvidence),
});

const Issue = Type.Object({
  kind: Type.Literal('issue'),
  code: Str,
  file: Str,
  line: Count,
  message: Str,
});

export const Source = Type.Object({
  path: Str,
  format: Str,
  bytes: Count,
  records: Count,
  issues: Count,
  issueSamples: Type.Array(Issue),
  notice: Type.Optional(Str),
  notices: Type.Optional(Count),
  noticeSamples: Type.Optional(Type.Array(Issue)),
  envelopes: Type.Optional(Type.Record(Str, Count)),
  envelopeSkipped: Type.Optional(Type.Record(Str, Count)),
});

export const LeftOut = Type.Object({
  reason: Type.Union([
    Type.Literal('root-user'),
    Type.Literal('federated-session'),
    Type.Literal('service-linked-role'),
  ]),
  arn: Str,
  count: Count,
  events: Type.Array(Str),
});

export const DnsName = Type.Object({ ip: Str, names: Type.Array(Str) });
export const Namespace = Type.Object({ name: Str, labels: Labels });
/** A Kubernetes node that is an EC2 instance (v1alpha2 only). */
export const NodeInstance = Type.Object({ node: Str, instanceId: Str });
/** An AWS service's assumption of a role (v1alpha2 only). */
export const ServiceAssumption = Type.Object({
  roleArn: Str,
  service: Str,
  actions: Type.Optional(Type.Array(Str, { minItems: 1 })),
  evidence: Evidence,
});
/** A web identity's assumption of a role (v1alpha2 only). */
export const WebIdentityAssumption = Type.Object({
  roleArn: Str,
  provider: Str,
  subject: Str,
  audience: Type.Optional(Str),
  actions: Type.Optional(Type.Array(Str, { minItems: 1 })),
  evidence: Evidence,
});

/** A SAML user's assumption of a role (v1alpha2 only). */
export const SamlAssumption = Type.Object({
  roleArn: Str,
  provider: Str,
  subject: Str,
  subjectType: Type.Optional(Str),
  audience: Type.Optional(Str),
  actions: Type.Array(Str, { minItems: 1 }),
  evidence: Evidence,
});

export const ProfileSchema = Type.Object(
  {
    apiVersion: Type.Literal(LEGACY_PROFILE_API_VERSION),
    kind: Type.Literal('Profile'),
    window: Type.Object({ start: Time, end: Time }),
    sources: Type.Array(Source),
    skipped: Type.Record(Str, Count),
    principals: Type.Array(Principal),
    leftOut: Type.Optional(Type.Array(LeftOut)),
    workloads: Type.Optional(Type.Array(Workload)),
    network: Type.Optional(Type.Array(NetEdge)),
    dnsNames: Type.Optional(Type.Array(DnsName)),
    namespaces: Type.Optional(Type.Array(Namespace)),
  },
  {
    $id: 'https://audit2policy.dev/schemas/profile-v1alpha1.json',
    title: 'audit2policy profile, v1alpha1 (one JSON document)',
    description: 'The normal-behaviour graph: who did what, with evidence (docs/formats.md).',
  },
);

/** The schema's type; the assertions below fail to compile when it and the model's `Profile` drift apart. */
export type ProfileFromSchema = Static<typeof ProfileSchema>;
/** Compile-time only: the schema's type and the model's `Profile` are each assignable to the other. */
type Holds<T extends true> = T;
type Body<T> = Omit<T, 'apiVersion'>;
/** The model's profile as written: its network peers in their written form (the API server as an address). */
type Written = Omit<Profile, 'apiVersion' | 'network'> & { network?: WireEdge[] };
export type SchemaMatchesModel = Holds<
  Body<ProfileFromSchema> extends Written ? (Written extends Body<ProfileFromSchema> ? true : false) : false
>;

const compiled = TypeCompiler.Compile(ProfileSchema);

/**
 * What is wrong with a parsed profile file, as `path: message` (the first few), or undefined. Beyond
 * the schema: every edge carries evidence of one decision at least.
 */
export function profileSchemaProblem(v: unknown): string | undefined {
  if (!compiled.Check(v)) {
    const errors = [...compiled.Errors(v)].slice(0, 3);
    return errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; ');
  }
  const p = v as Omit<Profile, 'apiVersion'>;
  const badWindow = windowProblem('/window', p.window);
  if (badWindow) return badWindow;
  for (const [i, pr] of p.principals.entries()) {
    const k = pr.k8s.findIndex((e) => !e.allowed && !e.denied && !e.undecided);
    if (k >= 0) return `/principals/${i}/k8s/${k}: has no evidence`;
    const a = (pr.aws ?? []).findIndex((e) => !e.allowed && !e.denied);
    if (a >= 0) return `/principals/${i}/aws/${a}: has no evidence`;
    const counted =
      pr.k8s.map((e, j) => stagesProblem(`/principals/${i}/k8s/${j}`, e)).find(Boolean) ??
      (pr.aws ?? []).map((e, j) => stagesProblem(`/principals/${i}/aws/${j}`, e)).find(Boolean) ??
      (pr.assumes ?? [])
        .map((l, j) => countProblem(`/principals/${i}/assumes/${j}/evidence`, l.evidence))
        .find(Boolean);
    if (counted) return counted;
  }
  const n = (p.network ?? []).findIndex((e) => !e.allowed && !e.denied);
  if (n >= 0) return `/network/${n}: has no evidence`;
  const flows = (p.network ?? []).map((e, i) => flowProblem(`/network/${i}`, e)).find(Boolean);
  if (flows) return flows;
  // Read whole and sorted again, so only a repeat is refused: merged, a connection would count twice, a workload
  // keep the labels both entries carry (a wider selector).
  for (const [field, order] of Object.entries(TAIL_ORDER)) {
    const sorted = [...((p as unknown as Record<string, never[] | undefined>)[field] ?? [])].sort(order);
    const i = sorted.findIndex((x, j) => j > 0 && order(sorted[j - 1]!, x) === 0);
    if (i > 0) return `/${field}: an entry repeated`;
  }
  return undefined;
}

/** What is wrong with a parsed v1alpha1 profile document (the JSON Schema above), or undefined. */
export function checkProfile(v: unknown): string | undefined {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (o['kind'] !== 'Profile') return `kind is ${JSON.stringify(o['kind'])}, expected "Profile"`;
    if (o['apiVersion'] !== LEGACY_PROFILE_API_VERSION)
      return `apiVersion ${JSON.stringify(o['apiVersion'])} is neither ${PROFILE_API_VERSION} (JSON lines) nor ${LEGACY_PROFILE_API_VERSION}`;
  }
  return profileSchemaProblem(v);
}
