// A builder's principals give their Kubernetes accesses' and AWS calls' lines made from its columns, and their edges
// as objects only when read (src/profile/lazyEdges.ts). The lines must be the bytes the object writer makes of the
// same edges, whatever the edges hold, and a principal whose edges were read (and perhaps changed) is written from
// them.
import { describe, expect, it } from 'vitest';
import { STAGES, type Decision } from '../src/model/evidence.js';
import type { K8sAccess } from '../src/model/access.js';
import type { AwsCallObservation, K8sRequestObservation } from '../src/model/observation.js';
import type { Principal } from '../src/model/profile.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { edgeCount, linesOf } from '../src/profile/lazyEdges.js';
import { profileLines } from '../src/profile/write.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { rng } from './helpers/cli.js';

const NAMES = ['cm-a', 'cm-b', '', 'ns"\\\n\u2028', '</script>\u202e\u0000', 'z', 'hot'];
const VERBS = ['get', 'list', 'watch', 'update', 'patch', 'delete', 'create', 'deletecollection', 'bind', 'escalate'];

/** Seeded observations: several users, names shared across many prefixes, every stage and decision, odd text. */
function observations(seed: number): K8sRequestObservation[] {
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
function calls(seed: number): AwsCallObservation[] {
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

function builderOf(seed: number): ProfileBuilder {
  const b = new ProfileBuilder(new Scope(defaultScope()));
  for (const o of observations(seed)) b.add(o);
  for (const o of calls(seed)) b.add(o);
  return b;
}

async function written(b: ProfileBuilder, before: (p: Principal) => void = () => {}): Promise<string> {
  const parts = b.parts();
  const principals = [...parts.principals];
  for (const p of principals) before(p);
  let text = '';
  for await (const piece of profileLines({ head: parts.head, principals, tail: parts.tail })) text += piece;
  return text;
}

describe("a builder's principals written from its columns", () => {
  it.each([1, 2, 3])('are the bytes of the same edges written as objects (seed %i)', async (seed) => {
    // From the columns: nothing reads the edges.
    const fast = await written(builderOf(seed), (p) =>
      expect(edgeCount(p, 'k8s') + edgeCount(p, 'aws')).toBeGreaterThan(0),
    );
    // From the objects: every principal's edges are read before it is written.
    const slow = await written(builderOf(seed), (p) => expect(p.k8s.length + (p.aws?.length ?? 0)).toBeGreaterThan(0));
    expect(fast).toBe(slow);
    // AWS calls with each of their fields.
    for (const part of [
      '"resources":',
      '"implied":[["kms:Decrypt"',
      '"origins":',
      '"originsMore":true',
      ',"us-east-1",""]',
    ])
      expect(fast).toContain(part);
    // The cases were there to be written: flags, implied checks, other stages, timeless and odd-text samples.
    for (const part of ['"gcOnly":true', '"roleRefUnknown":true', '"implied":', '"undecided":', '"denied":'])
      expect(fast).toContain(part);
    expect(fast).toContain('"RequestReceived":');
    expect(fast).toContain(',""');
    expect(fast).toContain('"ns\\"\\\\\\n\u2028"');
    const hot = fast.split('\n').filter((l) => l.startsWith('{"k8s":[') && l.includes(',"hot",'));
    expect(hot.length).toBeGreaterThan(8 * 4);
  });

  it('offers its lines until its edges are read, and counts its edges without making them', () => {
    const principals = [...builderOf(4).parts().principals];
    for (const [kind, p] of [
      ['k8s', principals.find((x) => x.subject.kind === 'ServiceAccount')!],
      ['aws', principals.find((x) => x.subject.kind === 'IAMRole')!],
    ] as const) {
      const count = edgeCount(p, kind);
      expect(count).toBeGreaterThan(100);
      // Made from the columns; no edge objects were made for them.
      const lines = [...linesOf(p, kind)!];
      expect(lines).toHaveLength(count);
      expect(p[kind]).toHaveLength(count);
      expect(linesOf(p, kind)).toBeUndefined();
      expect(edgeCount(p, kind)).toBe(count);
      // A copy (a worker's message, a spread) holds the edges as data.
      const copy = structuredClone(p);
      expect(copy[kind]).toEqual(p[kind]);
      expect({ ...p }[kind]).toBe(p[kind]);
    }
  });

  it('writes the edges as they are once read: a change made to them is written', async () => {
    const whole = await written(builderOf(5));
    const dropped = await written(builderOf(5), (p) => {
      if (p.k8s.length) p.k8s.pop();
      else p.aws!.pop();
    });
    const accesses = (t: string) => t.split('\n').filter((l) => /^\{"(k8s|aws)":/.test(l)).length;
    const principals = whole.split('\n').filter((l) => l.startsWith('{"principal":')).length;
    expect(principals).toBe(7);
    expect(accesses(dropped)).toBe(accesses(whole) - principals);
    expect(dropped).toContain(`"accesses":${accesses(whole) - principals}`);
    // Replacing them works too.
    const replaced = await written(builderOf(5), (p) => {
      p.k8s = [];
      if (p.aws) p.aws = [];
    });
    expect(accesses(replaced)).toBe(0);
  });
});
