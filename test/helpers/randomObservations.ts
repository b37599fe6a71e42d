// Seeded Kubernetes requests and AWS calls for the profile writer's and merger's tests: several principals, names
// shared across many prefixes, every stage and decision, implied checks, flags, origins and odd text.
import { STAGES } from '../../src/model/evidence.js';
import type { K8sAccess } from '../../src/model/access.js';
import type { AwsCallObservation, Decision, K8sRequestObservation } from '../../src/model/observation.js';
import { rng } from './cli.js';

const NAMES = ['cm-a', 'cm-b', '', 'ns"\\\n\u2028', '</script>\u202e\u0000', 'z', 'hot'];
const VERBS = ['get', 'list', 'watch', 'update', 'patch', 'delete', 'create', 'deletecollection', 'bind', 'escalate'];

/** Seeded observations: several users, names shared across many prefixes, every stage and decision, odd text. */
export function observations(seed: number): K8sRequestObservation[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: K8sRequestObservation[] = [];
  for (let i = 0; i < 3000; i++) {
    const name = pick(NAMES);
    const nonResource = r() < 0.05;
    const access: K8sAccess = nonResource
      ? { verb: 'get', apiGroup: '', resource: '', subresource: '', namespace: '', name: '', nonResourceURL: '/x"y' }
      : {
          verb: pick(VERBS),
          apiGroup: pick(['', 'apps', 'rbac.authorization.k8s.io']),
          resource: pick(['configmaps', 'roles', 'pods']),
          subresource: pick(['', '', 'status']),
          namespace: pick(['shop', '', 'ns-\u00e9']),
          // "hot" is read with every prefix: more edges of one name than a chain holds.
          name,
          nonResourceURL: '',
        };
    const sec = Math.floor(r() * 50);
    const obs: K8sRequestObservation = {
      kind: 'k8s-request',
      username: `system:serviceaccount:shop:sa-${Math.floor(r() * 4)}`,
      groups: ['system:serviceaccounts', 'system:authenticated'],
      access,
      decision: pick<Decision>(['allow', 'allow', 'allow', 'deny', 'undecided']),
      stage: pick(STAGES),
      time: r() < 0.1 ? '' : `2026-11-0${1 + (sec % 3)}T08:00:${String(sec).padStart(2, '0')}.00000${sec % 7}Z`,
      id: r() < 0.05 ? '' : `id-${Math.floor(r() * 40)}"\\`,
    };
    if (r() < 0.03) obs.roleRefUnknown = true;
    if (access.verb === 'patch' && r() < 0.5) obs.gcOnly = r() < 0.5;
    if (r() < 0.03)
      obs.implied = [{ access: { ...access, verb: 'escalate' }, decision: obs.decision as Decision, role: 'edit' }];
    out.push(obs);
  }
  return out;
}

/** Seeded AWS calls of three roles: resources, implied permissions, denials, origins (one, several, too many). */
export function calls(seed: number): AwsCallObservation[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: AwsCallObservation[] = [];
  for (let i = 0; i < 1500; i++) {
    const bucket = pick(['logs', 'data"\\', 'caf\u00e9']);
    const key = pick(['a.json', 'b/c.json', '', 'x\u2028y']);
    const sec = Math.floor(r() * 50);
    out.push({
      kind: 'aws-call',
      principal: {
        type: 'Role',
        arn: `arn:aws:iam::111122223333:role/app-${Math.floor(r() * 3)}`,
        account: '111122223333',
      },
      eventSource: pick(['s3.amazonaws.com', 'kms.amazonaws.com', 'sqs.amazonaws.com']),
      eventName: pick(['GetObject', 'PutObject', 'Decrypt', 'SendMessage']),
      region: pick(['eu-west-1', 'us-east-1', '']),
      account: pick(['111122223333', '']),
      decision: pick(['allow', 'allow', 'allow', 'deny'] as const),
      errorCode: '',
      time: r() < 0.1 ? '' : `2026-11-0${1 + (sec % 3)}T09:00:${String(sec).padStart(2, '0')}.00000${sec % 7}Z`,
      id: `ev-${Math.floor(r() * 60)}`,
      resources: key ? [`arn:aws:s3:::${bucket}/${key}`, `arn:aws:s3:::${bucket}`] : [],
      implied:
        r() < 0.2 ? [{ action: 'kms:Decrypt', resource: 'arn:aws:kms:eu-west-1:111122223333:key/k', via: 'x' }] : [],
      ...(r() < 0.8
        ? { origin: [`10.0.0.${Math.floor(r() * 30)}`, pick(['', 'vpce-1']), pick(['', 'tls'] as const), ''] }
        : {}),
    });
  }
  return out;
}
