import { describe, expect, it } from 'vitest';
import { decodeValue } from '../src/ingest/k8sAudit/decode.js';
import type { InputIssue } from '../src/model/issue.js';
import type { RecordSkip } from '../src/model/network.js';
import type { K8sRequestObservation } from '../src/model/observation.js';

function decode(v: unknown): (K8sRequestObservation | InputIssue | RecordSkip)[] {
  const out: (K8sRequestObservation | InputIssue | RecordSkip)[] = [];
  decodeValue(v, { file: 'f.log', line: 7 }, (x) => out.push(x));
  return out;
}

const base = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  auditID: 'a1',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/shop/configmaps/web-config',
  verb: 'get',
  user: { username: 'system:serviceaccount:shop:web', groups: ['system:serviceaccounts', 'system:authenticated'] },
  objectRef: { resource: 'configmaps', namespace: 'shop', name: 'web-config', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: '2026-11-02T08:00:00.123456Z',
  stageTimestamp: '2026-11-02T08:00:00.130000Z',
};

describe('decoding audit events', () => {
  it('turns an event into an observation of its access', () => {
    const [o] = decode(base) as K8sRequestObservation[];
    expect(o).toEqual({
      kind: 'k8s-request',
      username: 'system:serviceaccount:shop:web',
      groups: ['system:serviceaccounts', 'system:authenticated'],
      access: {
        verb: 'get',
        apiGroup: '',
        resource: 'configmaps',
        subresource: '',
        namespace: 'shop',
        name: 'web-config',
        nonResourceURL: '',
      },
      decision: 'allow',
      stage: 'ResponseComplete',
      time: '2026-11-02T08:00:00.123456Z',
      id: 'a1',
    });
  });

  type Case = [string, Record<string, unknown>, Partial<K8sRequestObservation> | { issue: string }];
  const cases: Case[] = [
    ['reads an event without apiVersion as v1', { apiVersion: undefined }, { decision: 'allow' }],
    ['reads v1beta1', { apiVersion: 'audit.k8s.io/v1beta1' }, { decision: 'allow' }],
    ['rejects other audit versions', { apiVersion: 'audit.k8s.io/v1alpha1' }, { issue: 'k8s.unsupported-version' }],
    ['rejects a wrong kind', { kind: 0 }, { issue: 'k8s.wrong-kind' }],
    ['rejects an event without a user', { user: undefined }, { issue: 'k8s.not-an-event' }],
    [
      'takes the impersonated user as the subject',
      { impersonatedUser: { username: 'bob', groups: ['devs'] } },
      { username: 'bob', groups: ['devs'] },
    ],
    ['denies on 403', { responseStatus: { code: 403 } }, { decision: 'deny' }],
    ['denies on 401', { responseStatus: { code: 401 } }, { decision: 'deny' }],
    ['a 404 was authorized before it failed', { responseStatus: { code: 404 } }, { decision: 'allow' }],
    [
      'exec answers 101: authorized',
      { responseStatus: { code: 101 }, stage: 'ResponseStarted' },
      { decision: 'allow', stage: 'ResponseStarted' },
    ],
    [
      'the decision annotation wins over the code',
      { annotations: { 'authorization.k8s.io/decision': 'forbid' }, responseStatus: { code: 200 } },
      { decision: 'deny' },
    ],
    [
      'RequestReceived without code or annotation is undecided',
      { stage: 'RequestReceived', responseStatus: undefined },
      { decision: 'undecided', stage: 'RequestReceived' },
    ],
    ['rejects an unknown stage', { stage: 'Sideways' }, { issue: 'k8s.bad-stage' }],
    [
      'falls back to the v1beta1 timestamp field',
      { requestReceivedTimestamp: undefined, stageTimestamp: undefined, timestamp: '2017-09-11T19:55:05Z' },
      { time: '2017-09-11T19:55:05.000000Z' },
    ],
    [
      'normalises offsets to UTC',
      { requestReceivedTimestamp: '2026-11-02T10:00:00.5+02:00' },
      { time: '2026-11-02T08:00:00.500000Z' },
    ],
    ['rejects an objectRef without a resource', { objectRef: { namespace: 'x' } }, { issue: 'k8s.bad-objectref' }],
    [
      'rejects a name that is not a string (it would widen the rule)',
      { objectRef: { resource: 'secrets', namespace: 'shop', name: 7 } },
      { issue: 'k8s.bad-objectref' },
    ],
    [
      'rejects a namespace that is not a string',
      { objectRef: { resource: 'secrets', namespace: ['shop'] } },
      { issue: 'k8s.bad-objectref' },
    ],
  ];
  it.each(cases)('%s', (_name, patch, want) => {
    const ev: Record<string, unknown> = { ...base, ...patch };
    for (const k of Object.keys(patch)) if (patch[k] === undefined) delete ev[k];
    const [o, ...rest] = decode(ev);
    expect(rest).toEqual([]);
    if ('issue' in want) {
      expect(o).toMatchObject({ kind: 'issue', code: want.issue, file: 'f.log', line: 7 });
    } else {
      expect(o).toMatchObject(want);
    }
  });

  it('create never carries a name: RBAC cannot restrict create by name', () => {
    const [o] = decode({
      ...base,
      verb: 'create',
      objectRef: { resource: 'pods', namespace: 'ci', name: 'job-1' },
    }) as K8sRequestObservation[];
    expect(o!.access.name).toBe('');
  });

  it('keeps subresources and API groups', () => {
    const [o] = decode({
      ...base,
      verb: 'patch',
      objectRef: { resource: 'deployments', subresource: 'status', apiGroup: 'apps', namespace: 'shop', name: 'web' },
    }) as K8sRequestObservation[];
    expect(o!.access).toMatchObject({ apiGroup: 'apps', resource: 'deployments', subresource: 'status', name: 'web' });
  });

  it('a request without objectRef is a non-resource URL, query string removed', () => {
    const [o] = decode({
      ...base,
      objectRef: undefined,
      requestURI: '/apis/apps/v1?timeout=32s',
    }) as K8sRequestObservation[];
    expect(o!.access).toEqual({
      verb: 'get',
      apiGroup: '',
      resource: '',
      subresource: '',
      namespace: '',
      name: '',
      nonResourceURL: '/apis/apps/v1',
    });
  });

  it('an EventList yields each item, and a bad item is an issue beside the good ones', () => {
    const out = decode({
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: [base, { ...base, auditID: 'a2' }, { kind: 'Pod' }],
    });
    expect(out.map((x) => (x.kind === 'issue' ? x.code : (x as K8sRequestObservation).id))).toEqual([
      'a1',
      'a2',
      'k8s.wrong-kind',
    ]);
  });

  it('an issue inside a list names its element: one line may hold (or start) the whole list', () => {
    const messages = (v: unknown) =>
      decode(v)
        .filter((x): x is InputIssue => x.kind === 'issue')
        .map((x) => `${x.line} ${x.message}`);
    const noVerb = { ...base, verb: '' };
    expect(messages({ kind: 'EventList', items: [base, { ...noVerb, kind: undefined }, { kind: 'Pod' }] })).toEqual([
      '7 items[1]: not an audit Event: verb or user.username missing',
      '7 items[2]: kind "Pod" is not an audit Event or EventList',
    ]);
    expect(messages([base, [base, noVerb], 42])).toEqual([
      '7 [1], [1]: not an audit Event: verb or user.username missing',
      '7 [2]: expected an audit Event or EventList object, found number',
    ]);
    expect(messages([{ kind: 'EventList', items: [noVerb] }])).toEqual([
      '7 [0], items[0]: not an audit Event: verb or user.username missing',
    ]);
    expect(messages(noVerb)).toEqual(['7 not an audit Event: verb or user.username missing']);
  });

  it('an EventList without items is an issue', () => {
    expect(decode({ kind: 'EventList' })).toMatchObject([{ code: 'k8s.bad-eventlist' }]);
  });

  it('a JSON scalar is an issue', () => {
    expect(decode(42)).toMatchObject([{ code: 'k8s.not-an-event' }]);
  });
});

describe('audit event times: evidence, never a reason to drop the record', () => {
  const notices = (xs: (K8sRequestObservation | InputIssue | RecordSkip)[]) =>
    xs.filter((x): x is InputIssue => x.kind === 'issue');
  const kept = (xs: (K8sRequestObservation | InputIssue | RecordSkip)[]) =>
    xs.filter((x): x is K8sRequestObservation => x.kind === 'k8s-request');

  it.each([
    ['a word', { requestReceivedTimestamp: 'yesterday', stageTimestamp: undefined }, 'k8s.bad-time'],
    ['a number', { requestReceivedTimestamp: 1_700_000_000, stageTimestamp: undefined }, 'k8s.bad-time'],
    ['February 30th', { requestReceivedTimestamp: '2026-02-30T08:00:00Z', stageTimestamp: undefined }, 'k8s.bad-time'],
    ['no time field', { requestReceivedTimestamp: undefined, stageTimestamp: undefined }, 'k8s.no-time'],
  ])('%s: the record is kept without a time, with a notice naming file and line', (_what, over, code) => {
    const out = decode({ ...base, ...over });
    expect(kept(out)).toMatchObject([{ id: 'a1', time: '', decision: 'allow' }]);
    expect(notices(out)).toMatchObject([{ kind: 'issue', level: 'notice', code, file: 'f.log', line: 7 }]);
  });

  it('a time without a zone is read as UTC, with a notice counted per file', () => {
    const out = decode({ ...base, requestReceivedTimestamp: '2026-11-02 08:00:00.123456789' });
    expect(kept(out)[0]!.time).toBe('2026-11-02T08:00:00.123456Z');
    expect(notices(out)).toMatchObject([{ level: 'notice', perFile: true, code: 'k8s.time-form', line: 7 }]);
  });

  it('the API server form says nothing', () => {
    expect(notices(decode(base))).toEqual([]);
  });

  it('a record dropped for another reason gets no time notice', () => {
    expect(decode({ ...base, requestReceivedTimestamp: 'noon', stage: 'Sideways' })).toMatchObject([
      { code: 'k8s.bad-stage' },
    ]);
  });
});
