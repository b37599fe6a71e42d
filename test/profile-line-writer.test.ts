import { describe, expect, it } from 'vitest';
import { awsEdgeOf, awsLine, k8sEdgeOf, k8sLine } from '../src/profile/lines.js';
import { canonicalEvidence, type Evidence } from '../src/model/evidence.js';
import type { AwsEdge, K8sEdge } from '../src/model/profile.js';
import { profileLinesSync } from '../src/profile/write.js';
import { PROFILE_API_VERSION, type Profile } from '../src/model/profile.js';

// The profile writer writes each Kubernetes access line out by hand (the hot part of `profile`'s output). These
// tests hold it to the line as docs/formats.md gives it: JSON.stringify of {"k8s": [7 fields], "allowed": [count,
// firstSeen, lastSeen, [id, time, ...], stages?], ...} with stages left out when they are only ResponseComplete,
// and the reader giving back the same edge.

/** The documented evidence tuple: stages left out when they are ResponseComplete alone. */
function pack(ev: Evidence): unknown[] {
  const c = canonicalEvidence(ev);
  const flat = c.samples.flatMap((s) => [s.id, s.time]);
  const keys = Object.keys(c.stages);
  const only = keys.length === 1 && keys[0] === 'ResponseComplete' && c.stages.ResponseComplete === c.count;
  return only ? [c.count, c.firstSeen, c.lastSeen, flat] : [c.count, c.firstSeen, c.lastSeen, flat, c.stages];
}

/** The documented line, built the plain way: an object stringified. */
function documented(e: K8sEdge): string {
  const access = [e.verb, e.apiGroup, e.resource, e.subresource, e.namespace, e.name, e.nonResourceURL];
  const o: Record<string, unknown> = { k8s: access };
  if (e.allowed) o['allowed'] = pack(e.allowed);
  if (e.denied) o['denied'] = pack(e.denied);
  if (e.undecided) o['undecided'] = pack(e.undecided);
  if (e.implied)
    o['implied'] = e.implied.map((i) => {
      const r = i.request;
      const x: Record<string, unknown> = {
        request: [r.verb, r.apiGroup, r.resource, r.subresource, r.namespace, r.name, r.nonResourceURL],
      };
      if (i.as !== undefined) x['as'] = i.as;
      if (i.role !== undefined) x['role'] = i.role;
      return x;
    });
  if (e.roleRefUnknown) o['roleRefUnknown'] = true;
  if (e.gcOnly) o['gcOnly'] = true;
  return JSON.stringify(o);
}

const access = {
  verb: 'get',
  apiGroup: '',
  resource: 'configmaps',
  subresource: '',
  namespace: 'shop',
  name: 'cart-config',
  nonResourceURL: '',
};
const ev = (over: Partial<Evidence> = {}): Evidence => ({
  count: 3,
  firstSeen: '2026-11-02T00:00:00.000001Z',
  lastSeen: '2026-11-03T00:00:00.000002Z',
  stages: { ResponseComplete: 3 },
  samples: [
    { id: 'a-1', time: '2026-11-02T00:00:00.000001Z' },
    { id: 'a-2', time: '2026-11-03T00:00:00.000002Z' },
  ],
  ...over,
});

const cases: [string, K8sEdge][] = [
  ['allowed, ResponseComplete only', { ...access, allowed: ev() }],
  ['no samples', { ...access, allowed: ev({ samples: [] }) }],
  ['RequestReceived only', { ...access, allowed: ev({ stages: { RequestReceived: 3 } }) }],
  [
    'stages out of order, with a zero count',
    {
      ...access,
      allowed: ev({ count: 5, stages: { Panic: 1, RequestReceived: 0, ResponseComplete: 4 } }),
    },
  ],
  [
    'ResponseComplete with a zero stage beside it',
    { ...access, allowed: ev({ stages: { ResponseStarted: 0, ResponseComplete: 3 } }) },
  ],
  ['ResponseComplete short of the count', { ...access, denied: ev({ stages: { ResponseComplete: 2 } }) }],
  [
    'all three decisions, implied, flags',
    {
      ...access,
      verb: 'bind',
      allowed: ev(),
      denied: ev({ count: 1, stages: { ResponseComplete: 1 }, samples: [{ id: 'd', time: '2026-11-02T00:00:00Z' }] }),
      undecided: ev({ count: 2, stages: { ResponseStarted: 2 } }),
      implied: [
        {
          request: { ...access, verb: 'create', resource: 'rolebindings', apiGroup: 'rbac.authorization.k8s.io' },
          role: 'edit',
        },
        { request: { ...access, verb: 'impersonate', resource: 'users', name: 'alice' }, as: 'alice' },
      ],
      roleRefUnknown: true,
      gcOnly: true,
    },
  ],
  [
    'hostile strings from logs',
    {
      ...access,
      namespace: 'ns"\\\n\u2028\u2029',
      name: '</script><b>\u202e\u0000\u001b[31m\ud800',
      nonResourceURL: '/x?"y"',
      allowed: ev({ samples: [{ id: 'id"\\\u2028', time: '2026-11-02T00:00:00Z' }] }),
    },
  ],
  [
    'a non-resource request',
    { ...access, resource: '', namespace: '', name: '', nonResourceURL: '/healthz', allowed: ev() },
  ],
];

describe('the written Kubernetes access line', () => {
  it.each(cases)('%s: the bytes the format gives, read back to the same edge', (_, e) => {
    const line = k8sLine(e);
    expect(line).toBe(documented(e));
    const back = k8sEdgeOf(JSON.parse(line));
    expect(typeof back).toBe('object');
    for (const slot of ['allowed', 'denied', 'undecided'] as const)
      if (e[slot]) expect((back as K8sEdge)[slot]).toEqual(canonicalEvidence(e[slot]));
    expect((back as K8sEdge).name).toBe(e.name);
    expect((back as K8sEdge).namespace).toBe(e.namespace);
  });

  it('a whole profile written from objects whose keys are in any order has the bytes of its canonical copy', () => {
    // The writer no longer copies each access into canonical key order first: its lines must not depend on it.
    const shuffled = cases.map(([, e]) => {
      const keys = Object.keys(e).reverse();
      const o: Record<string, unknown> = {};
      for (const k of keys) o[k] = (e as unknown as Record<string, unknown>)[k];
      return o as unknown as K8sEdge;
    });
    const profile = (k8s: K8sEdge[]): Profile => ({
      apiVersion: PROFILE_API_VERSION,
      kind: 'Profile',
      window: { start: '2026-11-02T00:00:00Z', end: '2026-11-03T00:00:00.000002Z' },
      sources: [],
      skipped: {},
      principals: [
        {
          username: 'system:serviceaccount:shop:cart',
          groups: ['system:authenticated'],
          k8s,
          subject: { name: 'cart', namespace: 'shop', kind: 'ServiceAccount' },
        },
      ],
    });
    const a = [...profileLinesSync(profile(cases.map(([, e]) => e)))].join('');
    const b = [...profileLinesSync(profile(shuffled))].join('');
    expect(b).toBe(a);
    expect(a).toContain('{"principal":{"subject":{"kind":"ServiceAccount","namespace":"shop","name":"cart"}');
  });
});

/** The documented AWS line (docs/formats.md), built the plain way; `resources` and `implied` absent when empty. */
function documentedAws(e: AwsEdge): string {
  const o: Record<string, unknown> = { aws: [e.eventSource, e.eventName, e.region ?? '', e.account ?? ''] };
  if (e.resources.length) o['resources'] = e.resources;
  if (e.implied.length) o['implied'] = e.implied.map((i) => [i.action, i.resource, i.via]);
  if (e.allowed) o['allowed'] = pack(e.allowed);
  if (e.denied) o['denied'] = pack(e.denied);
  if (e.origins) o['origins'] = e.origins;
  if (e.originsMore) o['originsMore'] = true;
  return JSON.stringify(o);
}

const call = { eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', resources: [], implied: [] };
const awsCases: [string, AwsEdge][] = [
  ['no resources, no implied, no region or account', { ...call, allowed: ev() }],
  [
    'resources, implied, region and account, both decisions',
    {
      eventSource: 'lambda.amazonaws.com',
      eventName: 'UpdateFunctionConfiguration',
      region: 'eu-west-1',
      account: '111122223333',
      resources: [
        'arn:aws:iam::111122223333:role/lambda/thumbnailer-exec',
        'arn:aws:lambda:eu-west-1:111122223333:function:thumbnailer',
      ],
      implied: [
        {
          action: 'iam:PassRole',
          resource: 'arn:aws:iam::111122223333:role/lambda/thumbnailer-exec',
          via: 'requestParameters.role',
        },
      ],
      allowed: ev(),
      denied: ev({ count: 1, stages: { ResponseComplete: 1 }, samples: [{ id: 'd', time: '2026-11-02T00:00:00Z' }] }),
    },
  ],
  [
    'origins, and more of them than kept',
    {
      ...call,
      region: 'us-east-1',
      account: '111122223333',
      allowed: ev(),
      origins: [
        ['10.0.1.5', '', 'tls', ''],
        ['', 'vpce-0a1b2c3d', 'tls', 'lambda.amazonaws.com'],
      ],
      originsMore: true,
    },
  ],
  ['no origin kept, more said', { ...call, allowed: ev(), originsMore: true }],
  [
    'hostile strings from logs',
    {
      ...call,
      eventName: 'Get"\\\u2028</script>',
      resources: ['arn:aws:s3:::b/k"\\\n\ud800'],
      allowed: ev({ samples: [{ id: 'id"\\\u2029', time: '2026-11-02T00:00:00Z' }] }),
    },
  ],
];

describe('the written AWS call line', () => {
  it.each(awsCases)('%s: the bytes the format gives, read back to the same edge', (_, e) => {
    const line = awsLine(e);
    expect(line).toBe(documentedAws(e));
    const back = awsEdgeOf(JSON.parse(line));
    expect(typeof back).toBe('object');
    const b = back as AwsEdge;
    expect(b.resources).toEqual(e.resources);
    expect(b.implied).toEqual(e.implied);
    expect(b.eventName).toBe(e.eventName);
    expect(b.origins).toEqual(e.origins);
    expect(b.originsMore).toBe(e.originsMore);
    for (const slot of ['allowed', 'denied'] as const) if (e[slot]) expect(b[slot]).toEqual(canonicalEvidence(e[slot]));
  });
});
