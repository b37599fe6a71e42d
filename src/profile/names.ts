import { originsProblem } from '../model/callOrigin.js';
import { impliedShapeProblem } from './impliedChecks.js';
import type { AwsEdge, K8sEdge, Principal, Profile } from '../model/profile.js';
import type { ProfileTail } from './lines.js';
import type { K8sAccess } from '../model/access.js';
import {
  apiGroupProblem,
  identityNameProblem,
  namespaceProblem,
  nonResourceUrlProblem,
  objectNameProblem,
  resourceProblem,
  shown,
  subdomainProblem,
  userNameProblem,
  usernameProblem,
  verbProblem,
} from '../knowledge/kubernetes/names.js';
import {
  accountProblem,
  candidateArnProblem,
  impliedArnProblem,
  eventNameProblem,
  eventSourceProblem,
  identityArnProblem,
  regionProblem,
  resourceArnProblem,
  eksClusterArnProblem,
  externalIdProblem,
  oidcProviderProblem,
  roleArnProblem,
  servicePrincipalProblem,
  tokenClaimProblem,
  webIdentityProviderProblem,
  samlProviderProblem,
  samlActionsProblem,
  webIdentityActionsProblem,
  serviceActionsProblem,
} from '../knowledge/aws/names.js';
import { ipProblem, namesProblem, workloadProblem } from '../knowledge/network/names.js';
import { instanceIdProblem } from '../knowledge/aws/nodeInstances.js';
import { isAwsKind, subjectFromUsername } from '../model/subject.js';
import { templateSession } from '../knowledge/kubernetes/sessionUsers.js';
import { compareRoleSessions } from './order.js';
import { edgeListsProblem } from './checks.js';

/**
 * A secret named without its ARN's random suffix carries the generator's `-??????` (see
 * ingest/cloudTrail/resources.ts).
 */

/**
 * The first name in a profile read from a file that ingest would have refused (the same rules as the
 * decoders), or undefined. A profile is a file anyone may edit: a `*` or a path in it must not reach
 * a policy or a file name any more than from a log.
 */
export function profileNameProblem(p: Profile): string | undefined {
  for (const [i, pr] of p.principals.entries()) {
    const at = `principals[${i}]`;
    const found =
      principalNameProblem(pr, at) ??
      pr.k8s.map((e, j) => k8sEdgeNameProblem(e, `${at}.k8s[${j}]`)).find(Boolean) ??
      (pr.aws ?? []).map((e, j) => awsEdgeNameProblem(e, `${at}.aws[${j}]`)).find(Boolean);
    if (found) return found;
  }
  return tailNameProblem(p);
}

/** The first bad name of a principal's own fields (subject, username, groups, assumed roles, what it created). */
export function principalNameProblem(pr: Principal, at: string): string | undefined {
  const s = pr.subject;
  const subject =
    s.kind === 'ServiceAccount'
      ? (check(`${at}.subject.namespace`, s.namespace ?? '', namespaceProblem) ??
        check(`${at}.subject.name`, s.name, subdomainProblem))
      : s.kind === 'IAMRole' || s.kind === 'IAMUser'
        ? check(`${at}.subject.name`, s.name, (x) => identityArnProblem(s.kind === 'IAMRole' ? 'Role' : 'IAMUser', x))
        : isAwsKind(s.kind)
          ? check(`${at}.subject.name`, s.name, resourceArnProblem)
          : check(`${at}.subject.name`, s.name, userNameProblem);
  const found =
    subject ??
    (isAwsKind(s.kind) ? undefined : check(`${at}.username`, pr.username, usernameProblem)) ??
    usernameMismatch(pr, at) ??
    pr.groups.map((g, j) => check(`${at}.groups[${j}]`, g, userNameProblem)).find(Boolean);
  if (found) return found;
  const link = (pr.assumes ?? [])
    .flatMap((l, j) => [
      check(`${at}.assumes[${j}].roleArn`, l.roleArn, roleArnProblem),
      ...(l.providers ?? []).map((x, k) => check(`${at}.assumes[${j}].providers[${k}]`, x, oidcProviderProblem)),
      ...(l.clusters ?? []).map((x, k) => check(`${at}.assumes[${j}].clusters[${k}]`, x, eksClusterArnProblem)),
    ])
    .find(Boolean);
  if (link) return link;
  for (const [j, c] of (pr.created ?? []).entries()) {
    const ca = `${at}.created[${j}]`;
    const problem =
      (c.namespace ? check(`${ca}.namespace`, c.namespace, namespaceProblem) : undefined) ??
      check(`${ca}.apiGroup`, c.apiGroup, apiGroupProblem) ??
      check(`${ca}.resource`, c.resource, resourceProblem) ??
      c.names.map((n, k) => check(`${ca}.names[${k}]`, n, objectNameProblem)).find(Boolean);
    if (problem) return problem;
  }
  if (pr.createdArns?.length && !isAwsKind(pr.subject.kind))
    return `${at}.createdArns: only an AWS identity creates AWS resources`;
  const made = (pr.createdArns ?? [])
    .map((r, j) => check(`${at}.createdArns[${j}]`, r, candidateArnProblem))
    .find(Boolean);
  if (made) return made;
  return roleSessionsProblem(pr, at);
}

/**
 * Whether a principal's subject is the one its username names, as the builder makes it: a service account's username
 * is `system:serviceaccount:NS:NAME`, a user's and a group's is its name, an AWS identity's its ARN. Generators bind
 * the subject and replay judges the username: one that names another (a hand edit) would make policies that deny
 * what the profile shows, or bind someone it does not.
 */
function usernameMismatch(pr: Principal, at: string): string | undefined {
  const s = pr.subject;
  const named =
    isAwsKind(s.kind) || s.kind === 'Group' ? { kind: s.kind, name: pr.username } : subjectFromUsername(pr.username);
  return named.kind === s.kind && named.name === s.name && (named.namespace ?? '') === (s.namespace ?? '')
    ? undefined
    : `${at}.username ${shown(pr.username)} is not the username of its subject (${s.kind} ${shown(s.namespace ? `${s.namespace}/${s.name}` : s.name)})`;
}

/**
 * A User's role sessions: role ARNs, and templates (one marker or two) its username fits or the username itself (a
 * session of the role the username does not name), sorted and distinct.
 */
function roleSessionsProblem(pr: Principal, at: string): string | undefined {
  const list = pr.roleSessions ?? [];
  if (list.length && pr.subject.kind !== 'User') return `${at}.roleSessions: only a User is a session of an IAM role`;
  for (const [j, r] of list.entries()) {
    const ra = `${at}.roleSessions[${j}]`;
    const fits = (t: string) =>
      userNameProblem(t) ??
      (t !== pr.username && templateSession(t, pr.username) === undefined
        ? `is neither ${shown(pr.username)} nor a template it fits`
        : undefined);
    const problem = check(`${ra}.role`, r.role, roleArnProblem) ?? check(`${ra}.template`, r.template, fits);
    if (problem) return problem;
    if (j > 0 && compareRoleSessions(list[j - 1]!, r) >= 0) return `${ra}: out of order or repeated`;
  }
  return undefined;
}

export function k8sEdgeNameProblem(e: K8sEdge, ea: string): string | undefined {
  return (
    accessProblem(ea, e, !!e.implied) ??
    (e.implied ?? [])
      .map(
        (x, k) =>
          accessProblem(`${ea}.implied[${k}].request`, x.request, false) ??
          (x.as !== undefined ? check(`${ea}.implied[${k}].as`, x.as, usernameProblem) : undefined) ??
          (x.role !== undefined ? check(`${ea}.implied[${k}].role`, x.role, objectNameProblem) : undefined),
      )
      .find(Boolean) ??
    edgeListsProblem(e, ea) ??
    impliedShapeProblem(e, ea)
  );
}

const prefixed = (at: string, problem: string | undefined) => problem && `${at}.${problem}`;

export function awsEdgeNameProblem(e: AwsEdge, ea: string): string | undefined {
  return (
    check(`${ea}.eventSource`, e.eventSource, eventSourceProblem) ??
    check(`${ea}.eventName`, e.eventName, eventNameProblem) ??
    (e.region ? check(`${ea}.region`, e.region, regionProblem) : undefined) ??
    (e.account ? check(`${ea}.account`, e.account, accountProblem) : undefined) ??
    (e.externalId !== undefined ? check(`${ea}.externalId`, e.externalId, externalIdProblem) : undefined) ??
    e.resources.map((r, k) => check(`${ea}.resources[${k}]`, r, candidateArnProblem)).find(Boolean) ??
    e.implied
      .map((x, k) => (x.resource ? check(`${ea}.implied[${k}].resource`, x.resource, impliedArnProblem) : undefined))
      .find(Boolean) ??
    (e.origins ? prefixed(ea, originsProblem(e.origins)) : undefined) ??
    edgeListsProblem(e, ea)
  );
}

/** The first bad name of the sections after the principals (left-out identities, the network part). */
export function tailNameProblem(p: ProfileTail): string | undefined {
  for (const [i, l] of (p.leftOut ?? []).entries()) {
    const problem =
      check(`leftOut[${i}].arn`, l.arn, resourceArnProblem) ??
      l.events
        .map((e, j) => {
          const [source = '', name = '', ...rest] = e.split(' ');
          return rest.length
            ? `leftOut[${i}].events[${j}] ${shown(e)} is not "eventSource eventName"`
            : (check(`leftOut[${i}].events[${j}]`, source, eventSourceProblem) ??
                check(`leftOut[${i}].events[${j}]`, name, eventNameProblem));
        })
        .find(Boolean);
    if (problem) return problem;
  }
  for (const [i, w] of (p.workloads ?? []).entries()) {
    const problem = workloadProblem(w);
    if (problem) return `workloads[${i}]: ${problem}`;
  }
  for (const [i, e] of (p.network ?? []).entries()) {
    for (const peer of [e.from, e.to]) {
      const problem =
        peer.kind === 'workload'
          ? (check(`network[${i}] namespace`, peer.namespace, namespaceProblem) ??
            check(`network[${i}] workload`, peer.name, subdomainProblem))
          : check(`network[${i}] address`, peer.ip, ipProblem);
      if (problem) return problem;
    }
    if (!Number.isInteger(e.port) || e.port < 0 || e.port > 65535) return `network[${i}].port ${e.port} is not a port`;
  }
  const names = namesProblem(p.dnsNames ?? []);
  if (names) return `dnsNames: ${names}`;
  for (const [i, ns] of (p.namespaces ?? []).entries()) {
    const problem = check(`namespaces[${i}].name`, ns.name, namespaceProblem);
    if (problem) return problem;
  }
  for (const [i, n] of (p.nodeInstances ?? []).entries()) {
    const problem =
      check(`nodeInstances[${i}].node`, n.node, subdomainProblem) ??
      check(`nodeInstances[${i}].instanceId`, n.instanceId, instanceIdProblem);
    if (problem) return problem;
  }
  for (const [i, a] of (p.serviceAssumptions ?? []).entries()) {
    const problem =
      check(`serviceAssumptions[${i}].roleArn`, a.roleArn, roleArnProblem) ??
      check(`serviceAssumptions[${i}].service`, a.service, servicePrincipalProblem) ??
      (a.actions !== undefined
        ? check(`serviceAssumptions[${i}].actions`, a.actions.join(','), serviceActionsProblem)
        : undefined);
    if (problem) return problem;
  }
  for (const [i, a] of (p.webIdentityAssumptions ?? []).entries()) {
    const problem =
      check(`webIdentityAssumptions[${i}].roleArn`, a.roleArn, roleArnProblem) ??
      check(`webIdentityAssumptions[${i}].provider`, a.provider, webIdentityProviderProblem) ??
      check(`webIdentityAssumptions[${i}].subject`, a.subject, tokenClaimProblem) ??
      (a.audience !== undefined
        ? check(`webIdentityAssumptions[${i}].audience`, a.audience, tokenClaimProblem)
        : undefined) ??
      (a.actions !== undefined
        ? check(`webIdentityAssumptions[${i}].actions`, a.actions.join(','), webIdentityActionsProblem)
        : undefined);
    if (problem) return problem;
  }
  for (const [i, a] of (p.samlAssumptions ?? []).entries()) {
    const at = `samlAssumptions[${i}]`;
    const optional = (k: 'subjectType' | 'audience') =>
      a[k] !== undefined ? check(`${at}.${k}`, a[k], tokenClaimProblem) : undefined;
    const problem =
      check(`${at}.roleArn`, a.roleArn, roleArnProblem) ??
      check(`${at}.provider`, a.provider, samlProviderProblem) ??
      check(`${at}.subject`, a.subject, tokenClaimProblem) ??
      optional('subjectType') ??
      optional('audience') ??
      check(`${at}.actions`, a.actions.join(','), samlActionsProblem);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The first name of an access that a request could not carry. An implied impersonate check names the identity
 * impersonated (a user, group, uid or extra value, and an extra key as `userextras/<key>`): any text without `*`.
 */
function accessProblem(ea: string, e: K8sAccess, implied: boolean): string | undefined {
  const identity =
    implied &&
    e.verb === 'impersonate' &&
    ((e.apiGroup === '' && (e.resource === 'users' || e.resource === 'groups')) ||
      (e.apiGroup === 'authentication.k8s.io' && (e.resource === 'uids' || e.resource === 'userextras')));
  const sub = identity && e.resource === 'userextras' ? identityNameProblem : resourceProblem;
  return (
    check(`${ea}.verb`, e.verb, verbProblem) ??
    (e.nonResourceURL
      ? check(`${ea}.nonResourceURL`, e.nonResourceURL, nonResourceUrlProblem)
      : (check(`${ea}.resource`, e.resource, resourceProblem) ??
        (e.subresource ? check(`${ea}.subresource`, e.subresource, sub) : undefined) ??
        check(`${ea}.apiGroup`, e.apiGroup, apiGroupProblem) ??
        (e.namespace ? check(`${ea}.namespace`, e.namespace, namespaceProblem) : undefined) ??
        (e.name ? check(`${ea}.name`, e.name, identity ? identityNameProblem : objectNameProblem) : undefined)))
  );
}

function check(what: string, v: string, fn: (x: string) => string | undefined): string | undefined {
  const p = fn(v);
  return p ? `${what} ${shown(v)} ${p}` : undefined;
}
