import { describe, expect, it } from 'vitest';
import { generateIam, type IamOptions } from '../src/generate/iam/index.js';
import { generateNetpol, type NetpolOptions } from '../src/generate/netpol/index.js';
import type { AwsCallObservation } from '../src/model/observation.js';
import type { NetEdge, Peer, WorkloadInfo } from '../src/model/network.js';
import { PROFILE_API_VERSION, type Profile } from '../src/model/profile.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { buildIamPolicySet, verifyIam } from '../src/verify/iam.js';
import { readNetworkPolicies, verifyNetpol } from '../src/verify/netpol.js';
import { emptyReport } from '../src/verify/rbac.js';
import { rng } from './helpers/cli.js';

/**
 * generate → verify on random profiles for IAM and NetworkPolicies, as test/generate-verify-property
 * does for RBAC: every observed access is allowed by what was generated from it, under each option
 * set, and what was never observed stays denied where the policy language can say so.
 */

const ACCOUNT = '111122223333';
const ROLES = ['shop-cart', 'ops-backup', 'ci/deployer'];
const BUCKETS = ['acme-carts', 'acme-backups'];

function awsProfile(seed: number): { profile: Profile; seen: Set<string> } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const b = new ProfileBuilder(new Scope(defaultScope()));
  const seen = new Set<string>();
  for (let i = 0; i < 150; i++) {
    const role = pick(ROLES);
    const bucket = pick(BUCKETS);
    const day = 2 + Math.floor(r() * 7);
    const key = pick([
      `carts/c-${Math.floor(r() * 5)}.json`,
      `nightly/2026-11-0${day}/dump.sql`,
      `exports/${Math.floor(r() * 9)}f2a1b6c-9d4e-4f5a-8b7c-0123456789ab/r.json`,
      'config/app.yaml',
    ]);
    const call = pick([
      {
        eventSource: 's3.amazonaws.com',
        eventName: pick(['GetObject', 'PutObject', 'HeadObject']),
        resources: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/${key}`],
      },
      { eventSource: 's3.amazonaws.com', eventName: 'ListObjectsV2', resources: [`arn:aws:s3:::${bucket}`] },
      { eventSource: 's3.amazonaws.com', eventName: 'DeleteObjects', resources: [`arn:aws:s3:::${bucket}`] },
      {
        eventSource: 'dynamodb.amazonaws.com',
        eventName: pick(['GetItem', 'PutItem']),
        resources: [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${pick(['carts', 'orders'])}`],
      },
      {
        eventSource: 'sqs.amazonaws.com',
        eventName: 'SendMessage',
        resources: [`arn:aws:sqs:eu-west-1:${ACCOUNT}:${pick(['orders', 'events'])}`],
      },
      { eventSource: 'iam.amazonaws.com', eventName: 'GetRole', resources: [] },
    ]);
    const obs: AwsCallObservation = {
      kind: 'aws-call',
      principal: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/${role}`, account: ACCOUNT },
      region: 'eu-west-1',
      account: ACCOUNT,
      decision: r() < 0.05 ? 'deny' : 'allow',
      errorCode: '',
      time: `2026-11-0${day}T0${Math.floor(r() * 9)}:00:00.000000Z`,
      id: `e-${i}`,
      implied: [],
      ...call,
    };
    b.add(obs);
    if (obs.decision === 'allow') seen.add(`${role} ${call.eventSource} ${call.eventName}`);
  }
  return { profile: b.toProfile(), seen };
}

const IAM_OPTIONS: [string, IamOptions][] = [
  ['default (generalization on)', {}],
  ['--exact', { exact: true }],
  ['--s3-prefix-wildcard 1', { s3PrefixWildcard: 1 }],
  ['--widen-resources 1', { widenResources: 1 }],
];

describe('IAM: generate → verify on random profiles', () => {
  it.each(IAM_OPTIONS)('every authorized call is allowed by what was generated from it (%s)', async (_name, opts) => {
    for (let seed = 1; seed <= 12; seed++) {
      const { profile } = awsProfile(seed);
      const r = await generateIam(profile, opts);
      const { set, issues } = buildIamPolicySet(
        r.artefacts.flatMap((a) => a.policies.map((p) => ({ file: p.path, index: 0, object: p.document }))),
      );
      expect(issues).toEqual([]);
      const report = emptyReport(profile);
      await verifyIam(profile, set, report);
      expect(report.notAllowed, `seed ${seed}`).toEqual([]);
      expect(report.undetermined, `seed ${seed}`).toEqual([]);
      expect(report.allowed).toBe(report.observed);
    }
  });

  it('never grants an action or a bucket, table or queue a principal did not use (unnamed ones: its account)', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { profile } = awsProfile(seed);
      const r = await generateIam(profile);
      for (const a of r.artefacts) {
        const p = profile.principals.find((x) => x.username === a.principal)!;
        const used = new Set(
          p
            .aws!.filter((e) => e.allowed)
            .flatMap((e) => e.resources.map((x) => x.replace(/^(arn:aws:s3:::[^/]+).*$/, '$1'))),
        );
        for (const s of a.policies.flatMap((x) => x.document.Statement)) {
          for (const res of s.Resource) {
            if (res === '*') continue;
            // A resource the call did not name: the account and region pinned, listed with the reason.
            const pinned = r.widenings.some(
              (w) =>
                w.principal === a.principal && w.option === 'undetermined-resource' && w.detail.includes(`→ ${res}`),
            );
            if (pinned) {
              expect(res.startsWith('arn:aws:s3:::') || res.includes(`:${ACCOUNT}:`), res).toBe(true);
              continue;
            }
            const base = res.replace(/^(arn:aws:s3:::[^/]+).*$/, '$1');
            expect(used.has(base), `seed ${seed}: ${a.principal} ${s.Action.join(',')} on ${res}`).toBe(true);
          }
        }
      }
    }
  });
});

/** Random workloads (distinct labels) and connections between them and a few external addresses. */
function netProfile(seed: number): Profile {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const workloads: WorkloadInfo[] = [];
  for (const ns of ['shop', 'payments', 'ops']) {
    for (const name of ['web', 'api', 'db', 'worker']) {
      workloads.push({
        namespace: ns,
        name,
        kind: 'Deployment',
        selector: { app: `${ns}-${name}` },
        labels: { app: `${ns}-${name}` },
        ports: name === 'db' ? [{ name: 'pg', port: 5432, protocol: 'TCP' }] : [],
        hostNetwork: false,
        source: 'inventory',
      });
    }
  }
  const peers: Peer[] = [
    ...workloads.map((w) => ({ kind: 'workload' as const, namespace: w.namespace, name: w.name })),
    { kind: 'ip', ip: '54.187.174.169' },
    { kind: 'ip', ip: '2600:1f18::7' },
  ];
  const edges = new Map<string, NetEdge>();
  for (let i = 0; i < 40; i++) {
    const from = pick(peers.slice(0, workloads.length));
    const to = pick(peers);
    if (from === to) continue;
    const protocol = pick(['TCP', 'TCP', 'UDP'] as const);
    const port = pick([80, 443, 5432, 8080, 53]);
    const k = JSON.stringify([from, to, protocol, port]);
    const ev = {
      connections: 1,
      records: 1,
      firstSeen: '2026-11-02T08:00:00.000000Z',
      lastSeen: '2026-11-02T08:00:00.000000Z',
      samples: [{ id: `f${i}`, time: '2026-11-02T08:00:00.000000Z' }],
    };
    edges.set(k, { from, to, protocol, port, allowed: ev });
  }
  return {
    apiVersion: PROFILE_API_VERSION,
    kind: 'Profile',
    window: { start: '2026-11-02T08:00:00.000000Z', end: '2026-11-02T08:00:00.000000Z' },
    sources: [],
    skipped: {},
    principals: [],
    workloads,
    network: [...edges.values()],
    namespaces: ['shop', 'payments', 'ops'].map((name) => ({ name, labels: {} })),
  };
}

const NET_OPTIONS: [string, NetpolOptions][] = [
  ['kubernetes', { flavor: 'kubernetes' }],
  ['cilium', { flavor: 'cilium' }],
  ['--widen-ports', { widenPorts: true }],
];

describe('NetworkPolicy: generate → verify on random profiles', () => {
  it.each(NET_OPTIONS)('every observed connection is allowed, and no pair that never talked is (%s)', (name, opts) => {
    for (let seed = 1; seed <= 15; seed++) {
      const profile = netProfile(seed);
      const r = generateNetpol(profile, opts);
      const docs = r.artefacts.flatMap((a) => a.objects.map((object, index) => ({ file: a.path, index, object })));
      const { policies, issues } = readNetworkPolicies(docs);
      expect(issues).toEqual([]);
      const report = emptyReport(profile);
      verifyNetpol(profile, policies, report);
      expect(report.notAllowed, `seed ${seed}`).toEqual([]);
      expect(report.allowed).toBe(report.observed);
      // Every workload has labels of its own, so the default deny keeps the others apart.
      const np = report.byKind['netpol']!;
      expect(np.unobservedPairs).toBeGreaterThan(0);
      if (name !== '--widen-ports')
        expect(np.unobservedAllowed, `seed ${seed}: ${np.unobservedAllowedExamples?.join('; ')}`).toBe(0);
    }
  });
});
