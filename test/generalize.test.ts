import { describe, expect, it } from 'vitest';
import { generateIam } from '../src/generate/iam/index.js';
import { generateRbac } from '../src/generate/rbac/index.js';
import { firstVariableSegment } from '../src/knowledge/aws/variableSegments.js';
import { generatedName } from '../src/knowledge/kubernetes/generatedNames.js';
import { decodeCloudTrailValue } from '../src/ingest/cloudTrail/decode.js';
import { decodeValue } from '../src/ingest/k8sAudit/decode.js';
import type { K8sAccess } from '../src/model/access.js';
import type { IamAccess } from '../src/model/finding.js';
import type { AwsCallObservation } from '../src/model/observation.js';
import type { Profile } from '../src/model/profile.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { buildIamPolicySet, verifyIam } from '../src/verify/iam.js';
import { buildRbacPolicySet } from '../src/verify/rbac/policySet.js';
import { emptyReport, verifyRbac } from '../src/verify/rbac.js';
import { cli, rng } from './helpers/cli.js';

describe('names the cluster makes up, and names people choose', () => {
  it.each([
    ['web-7d9f8b6c5d-x2x9k', 'replicaset-pod'],
    ['build-run-b7k2p', 'generated-suffix'],
    ['nightly-20261102', 'dated'],
    ['report-29384750', 'cronjob-run'],
    ['report-29384750-x2x9k', 'cronjob-pod'],
    ['export-2026-11-08', 'dated'],
    ['snapshot-1762041600', 'dated'],
    ['run-3f2a1b6c-9d4e-4f5a-8b7c-0123456789ab', 'uuid'],
  ])('%s is made up (%s)', (name, id) => {
    expect(generatedName(name)?.id).toBe(id);
  });
  it.each([
    'payments-db',
    'feature-flags-v2',
    'web-tls',
    'kube-root-ca.crt',
    'web',
    'cert-manager-webhook',
    'coredns',
    'db-0',
    'my-https',
    'nginx-ingress',
    'v2',
    'release-2026',
    'web-config',
  ])('%s looks chosen', (name) => expect(generatedName(name)).toBeUndefined());
});

describe('object keys and paths that change per run', () => {
  it.each([
    ['backups/2026/11/08/dump.sql', 1, 'a date (year/month/day)'],
    ['db/2026-11-08/dump.sql', 1, 'a date'],
    ['db/20261108T0100Z/dump.sql', 1, 'a date'],
    ['exports/3f2a1b6c-9d4e-4f5a-8b7c-0123456789ab/result.json', 1, 'a UUID'],
    ['builds/9fceb02d0ae598e95dc970b74767f19372d61af8/app.tar', 1, 'a hex id'],
    ['events/1762041600.json', 1, 'a Unix time'],
    ['runs/18342/out.json', 1, 'a numeric id'],
    ['corp-backups/db/backup-2026-11-08.tar.gz', 2, 'a date'],
    ['node-logs/ip-10-0-1-23.eu-west-1.compute.internal/kubelet.log.gz', 1, "an EC2 host name (a node's IP)"],
    ['node-logs/IP-10-0-1-23/kubelet.log.gz', 1, "an EC2 host name (a node's IP)"],
  ] as const)('%s: variable from segment %i (%s)', (key, index, why) => {
    expect(firstVariableSegment(key.split('/'))).toEqual({ index, why });
  });
  it.each([
    'reports/v2/summary.csv',
    'static/images/logo.png',
    'carts/cart-8812.json',
    'config/2026/app.yaml',
    'a/b/c',
    'ship-10-0-1-23/x',
    'vpc-10-0-0-0-16/x',
  ])('%s is stable', (key) => {
    expect(firstVariableSegment(key.split('/'))).toBeUndefined();
  });
});

const SA = 'system:serviceaccount:ci:runner';

function k8s(
  b: ProfileBuilder,
  username: string,
  access: Partial<K8sAccess> & { verb: string; resource: string },
  time: string,
  created?: string,
): void {
  const a: K8sAccess = { apiGroup: '', subresource: '', namespace: 'ci', name: '', nonResourceURL: '', ...access };
  b.add({
    kind: 'k8s-request',
    username,
    groups: ['system:authenticated'],
    access: a,
    decision: 'allow',
    stage: 'ResponseComplete',
    time,
    id: `${username}-${a.verb}-${a.name}-${time}`,
    ...(created ? { created } : {}),
  });
}

const day = (d: number, h = 8) => `2026-11-0${d}T${String(h).padStart(2, '0')}:00:00.000000Z`;

function rulesOf(profile: Profile, exact: boolean) {
  return generateRbac(profile, exact ? { exact: true } : {}).artefacts.flatMap((a) =>
    a.objects.flatMap((o) =>
      'rules' in o ? (o.rules ?? []).map((r) => ({ ns: a.namespace, subject: a.subject.name, ...r })) : [],
    ),
  );
}

describe('RBAC generalization, from evidence', () => {
  it('drops resourceNames for names the subject kept creating, keeps them for one it created once and for stable names', () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    for (const [i, pod] of ['job-a7x2k', 'job-q9z4w', 'job-m2n5p', 'job-t6v8b'].entries()) {
      k8s(b, SA, { verb: 'create', resource: 'pods' }, day(2 + i), pod);
      k8s(b, SA, { verb: 'get', resource: 'pods', name: pod }, day(2 + i, 9));
    }
    k8s(b, SA, { verb: 'create', resource: 'secrets' }, day(2), 'runner-tls');
    k8s(b, SA, { verb: 'update', resource: 'secrets', name: 'runner-tls' }, day(5));
    k8s(b, SA, { verb: 'get', resource: 'configmaps', name: 'runner-config' }, day(3));
    const profile = b.toProfile();
    const rules = rulesOf(profile, false);
    // get lost its names, so it shares create's rule (create never had any).
    expect(rules.filter((r) => r.resources?.[0] === 'pods')).toEqual([
      { ns: 'ci', subject: 'runner', apiGroups: [''], resources: ['pods'], verbs: ['create', 'get'] },
    ]);
    expect(rules).toContainEqual(
      expect.objectContaining({ resources: ['secrets'], resourceNames: ['runner-tls'], verbs: ['update'] }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({ resources: ['configmaps'], resourceNames: ['runner-config'], verbs: ['get'] }),
    );
    const { widenings } = generateRbac(profile);
    expect(widenings).toEqual([
      expect.objectContaining({
        option: 'generated-names',
        namespace: 'ci',
        detail: expect.stringMatching(
          /get pods: 4 made-up names \(objects it created itself in the soak: job-a7x2k, job-m2n5p, job-q9z4w, …; seen 2026-11-02T09:00:00.000000Z .. 2026-11-05T09:00:00.000000Z\)/,
        ),
      }),
    ]);
    // --exact: every name as observed.
    expect(
      rulesOf(profile, true).find((r) => r.resources?.[0] === 'pods' && r.verbs.includes('get'))!.resourceNames,
    ).toEqual(['job-a7x2k', 'job-m2n5p', 'job-q9z4w', 'job-t6v8b']);
  });

  it("a Secret's name that only looks made up is kept when it is the one such name; two or more are dropped", () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    // A legacy service-account token Secret: generateName's suffix, but the same name for the account's life.
    k8s(b, SA, { verb: 'get', resource: 'secrets', name: 'web-token-2x9kq' }, day(2));
    k8s(b, SA, { verb: 'get', resource: 'secrets', name: 'db-password' }, day(3));
    // The same pattern on pods is dropped from one name (pods come and go).
    k8s(b, SA, { verb: 'get', resource: 'pods', name: 'web-7c9d8f6b5d-x2klq' }, day(3));
    const one = rulesOf(b.toProfile(), false);
    expect(one).toContainEqual(
      expect.objectContaining({ resources: ['secrets'], resourceNames: ['db-password', 'web-token-2x9kq'] }),
    );
    expect(one).toContainEqual(expect.objectContaining({ resources: ['pods'], verbs: ['get'] }));
    expect(one.find((r) => r.resources?.[0] === 'pods')!.resourceNames).toBeUndefined();
    // A second made-up name of the kind: the names are dropped, listed as a widening.
    const b2 = new ProfileBuilder(new Scope(defaultScope()));
    k8s(b2, SA, { verb: 'get', resource: 'secrets', name: 'web-token-2x9kq' }, day(2));
    k8s(b2, SA, { verb: 'get', resource: 'secrets', name: 'db-password' }, day(3));
    k8s(b2, SA, { verb: 'get', resource: 'secrets', name: 'job-token-7b4mz' }, day(4));
    const profile = b2.toProfile();
    const two = rulesOf(profile, false).find((r) => r.resources?.[0] === 'secrets')!;
    expect(two.resourceNames).toBeUndefined();
    expect(generateRbac(profile).widenings.map((w) => w.detail)).toContainEqual(
      expect.stringMatching(/get secrets: 2 made-up names .*job-token-7b4mz, web-token-2x9kq/),
    );
  });

  it('StatefulSet ordinals: kept while the set is stable, dropped once it grew during the soak', () => {
    const stable = new ProfileBuilder(new Scope(defaultScope()));
    const grew = new ProfileBuilder(new Scope(defaultScope()));
    for (let d = 2; d <= 8; d++)
      for (const n of ['db-0', 'db-1']) k8s(stable, SA, { verb: 'get', resource: 'pods', name: n }, day(d));
    for (let d = 2; d <= 8; d++)
      for (const n of d < 5 ? ['db-0', 'db-1'] : ['db-0', 'db-1', 'db-2', 'db-3'])
        k8s(grew, SA, { verb: 'get', resource: 'pods', name: n }, day(d));
    expect(rulesOf(stable.toProfile(), false)[0]!.resourceNames).toEqual(['db-0', 'db-1']);
    expect(rulesOf(grew.toProfile(), false)[0]!.resourceNames).toBeUndefined();
  });

  it("ordinals are a StatefulSet's for pods and claims only: a rotated Secret and preview namespaces keep their names", () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    // A key rotated from -1 to -2 a day later, ConfigMaps numbered by people: not a set that grew.
    k8s(b, SA, { verb: 'get', resource: 'secrets', name: 'stripe-api-key-1' }, day(2));
    k8s(b, SA, { verb: 'get', resource: 'secrets', name: 'stripe-api-key-2' }, day(3));
    k8s(b, SA, { verb: 'get', resource: 'configmaps', name: 'rules-1' }, day(2));
    k8s(b, SA, { verb: 'get', resource: 'configmaps', name: 'rules-2' }, day(4));
    // A StatefulSet's claims (`<template>-<set>-<N>`) that grew: dropped, as its pods are.
    for (let d = 2; d <= 5; d++)
      for (const n of d < 4 ? ['data-db-0'] : ['data-db-0', 'data-db-1'])
        k8s(b, SA, { verb: 'get', resource: 'persistentvolumeclaims', name: n }, day(d));
    const rules = rulesOf(b.toProfile(), false);
    expect(rules.find((r) => r.resources?.[0] === 'secrets')!.resourceNames).toEqual([
      'stripe-api-key-1',
      'stripe-api-key-2',
    ]);
    expect(rules.find((r) => r.resources?.[0] === 'configmaps')!.resourceNames).toEqual(['rules-1', 'rules-2']);
    expect(rules.find((r) => r.resources?.[0] === 'persistentvolumeclaims')!.resourceNames).toBeUndefined();
    // Preview namespaces deleted one a day, put in one ClusterRole by --widen-namespaces: each name kept.
    const ns = new ProfileBuilder(new Scope(defaultScope()));
    for (const [i, n] of ['pr-4097', 'pr-4098', 'pr-4099'].entries())
      k8s(
        ns,
        'system:serviceaccount:ci:preview-bot',
        { verb: 'delete', resource: 'namespaces', namespace: n, name: n },
        day(2 + i),
      );
    const { artefacts, widenings } = generateRbac(ns.toProfile(), { widenNamespaces: 1 });
    const role = artefacts.flatMap((a) => a.objects).find((o) => o.kind === 'ClusterRole')!;
    expect('rules' in role && role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['namespaces'],
        resourceNames: ['pr-4097', 'pr-4098', 'pr-4099'],
        verbs: ['delete'],
      },
    ]);
    expect(widenings.map((w) => w.option)).toEqual(['widen-namespaces']);
  });

  it.each([
    [
      'GKE',
      ['gke-prod-default-pool-239f5d02-gyn2', 'gke-prod-default-pool-239f5d02-x1kf'],
      'gke-prod-default-pool-239f5d02-q8zt',
    ],
    [
      'AKS',
      ['aks-nodepool1-11400876-vmss000000', 'aks-nodepool1-11400876-vmss000001'],
      'aks-nodepool1-11400876-vmss000002',
    ],
  ])(
    "a node agent's writes to %s nodes by name: the node an upgrade adds next is allowed, --exact denies it",
    (_, seen, next) => {
      const agent = 'system:serviceaccount:monitoring:node-problem-detector';
      const b = new ProfileBuilder(new Scope(defaultScope()));
      for (let d = 2; d <= 5; d++)
        for (const node of seen)
          k8s(b, agent, { verb: 'patch', resource: 'nodes', subresource: 'status', namespace: '', name: node }, day(d));
      const training = b.toProfile();
      const heldOut = new ProfileBuilder(new Scope(defaultScope()));
      k8s(
        heldOut,
        agent,
        { verb: 'patch', resource: 'nodes', subresource: 'status', namespace: '', name: next },
        day(7),
      );
      const profile = heldOut.toProfile();
      const replay = (exact: boolean) => {
        const { artefacts } = generateRbac(training, exact ? { exact: true } : {});
        const set = buildRbacPolicySet(
          artefacts.flatMap((a) => a.objects.map((object, index) => ({ file: a.path, index, object }))),
        ).set;
        return verifyRbac(profile, set, emptyReport(profile)).notAllowed.length;
      };
      expect(replay(false)).toBe(0);
      expect(replay(true)).toBe(1);
      expect(generateRbac(training).widenings.map((w) => w.detail)).toContainEqual(
        expect.stringMatching(/patch nodes\/status: 2 made-up names \(an? (GKE|AKS) node/),
      );
    },
  );
});

/** Random profiles whose names mix made-up and chosen ones. */
function randomProfile(seed: number): Profile {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const names = [
    'web-config',
    'payments-db',
    `web-7d9f8b6c5d-${pick(['x2x9k', 'b7k2p', 'q4w5z'])}`,
    `nightly-2026110${1 + Math.floor(r() * 8)}`,
    `report-2938475${Math.floor(r() * 10)}`,
    'db-0',
    'db-1',
  ];
  const b = new ProfileBuilder(new Scope(defaultScope()));
  const users = ['system:serviceaccount:shop:web', 'system:serviceaccount:ci:runner', 'alice'];
  for (let i = 0; i < 300; i++) {
    const verb = pick(['get', 'list', 'update', 'delete', 'create', 'patch']);
    const resource = pick(['pods', 'configmaps', 'secrets', 'jobs']);
    const name = verb === 'create' || verb === 'list' ? '' : pick(names);
    const created = verb === 'create' ? `${resource}-run-${pick(['b7k2p', 'x2x9k', 'q4w5z', 'm2n5p'])}` : undefined;
    k8s(
      b,
      pick(users),
      { verb, resource, namespace: pick(['shop', 'ci']), apiGroup: resource === 'jobs' ? 'batch' : '', name },
      day(2 + Math.floor(r() * 7), Math.floor(r() * 24)),
      created,
    );
  }
  return b.toProfile();
}

describe('generalization never adds a verb, namespace or resource, and keeps every training access allowed', () => {
  it('on 20 random profiles', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const profile = randomProfile(seed);
      const { artefacts } = generateRbac(profile);
      const set = buildRbacPolicySet(
        artefacts.flatMap((a) => a.objects.map((object, index) => ({ file: a.path, index, object }))),
      ).set;
      const report = verifyRbac(profile, set, emptyReport(profile));
      expect(report.notAllowed, `seed ${seed}`).toEqual([]);
      const shape = (exact: boolean) =>
        new Set(
          rulesOf(profile, exact).flatMap((r) =>
            r.verbs.map((v) => JSON.stringify([r.subject, r.ns, r.apiGroups, r.resources, v])),
          ),
        );
      expect(shape(false), `seed ${seed}`).toEqual(shape(true));
    }
  });
});

function call(
  key: string,
  time: string,
  eventName = 'PutObject',
  bucket = 'acme-exports',
  role = 'exporter',
): AwsCallObservation {
  return {
    kind: 'aws-call',
    principal: { type: 'Role', arn: `arn:aws:iam::111122223333:role/${role}`, account: '111122223333' },
    eventSource: 's3.amazonaws.com',
    eventName,
    region: 'eu-west-1',
    account: '111122223333',
    decision: 'allow',
    errorCode: '',
    time,
    id: `${key}-${time}`,
    resources: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/${key}`],
    implied: [],
  };
}

describe('IAM generalization of object keys', () => {
  it('keys with a date or UUID become a wildcard at that segment, stable keys and other buckets stay, and every call is still allowed', async () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    for (let d = 2; d <= 7; d++) {
      b.add(call(`nightly/2026-11-0${d}/dump.sql`, day(d)));
      b.add(call(`exports/${d}f2a1b6c-9d4e-4f5a-8b7c-0123456789ab/result.json`, day(d)));
      b.add(call('config/settings.json', day(d), 'GetObject'));
      b.add(call(`2026/11/0${d}/app.log`, day(d), 'PutObject', 'acme-logs'));
    }
    const profile = b.toProfile();
    const r = await generateIam(profile);
    const doc = r.artefacts[0]!.policies[0]!.document;
    const resources = doc.Statement.flatMap((s) => (s.Action.includes('s3:PutObject') ? s.Resource : []));
    expect(resources.sort()).toEqual([
      'arn:aws:s3:::acme-exports/exports/*',
      'arn:aws:s3:::acme-exports/nightly/*',
      'arn:aws:s3:::acme-logs/*',
    ]);
    expect(doc.Statement.find((s) => s.Action.includes('s3:GetObject'))!.Resource).toEqual([
      'arn:aws:s3:::acme-exports/config/settings.json',
    ]);
    expect(r.widenings.filter((w) => w.option === 'generated-keys').map((w) => w.detail)).toEqual([
      expect.stringMatching(
        /^s3:PutObject: 6 resources named with a UUID .* → arn:aws:s3:::acme-exports\/exports\/\*$/,
      ),
      expect.stringMatching(
        /^s3:PutObject: 6 resources named with a date .* → arn:aws:s3:::acme-exports\/nightly\/\*$/,
      ),
      expect.stringMatching(
        /^s3:PutObject: 6 resources named with a date \(year\/month\/day\) .* → arn:aws:s3:::acme-logs\/\*$/,
      ),
    ]);
    const { set } = buildIamPolicySet(
      r.artefacts.flatMap((a) => a.policies.map((p) => ({ file: p.path, index: 0, object: p.document }))),
    );
    const report = emptyReport(profile);
    await verifyIam(profile, set, report);
    expect(report.notAllowed).toEqual([]);
    expect(report.allowed).toBe(report.observed);
    // --exact: every key as seen.
    const exact = await generateIam(profile, { exact: true });
    expect(exact.widenings.filter((w) => w.option === 'generated-keys')).toEqual([]);
    expect(exact.artefacts[0]!.policies[0]!.document.Statement.flatMap((s) => s.Resource).length).toBe(19);
  });

  it('uploads keyed by random ids of letters and digits (nanoid, Stripe-style): the next upload is allowed', async () => {
    // nanoid's alphabet is letters, digits, `_` and `-`; a Stripe-style id is a prefix, `_` and 14 letters and digits.
    const training = ['V1StGXR8_Z5jdHi6B-myT', 'x3Qp9LmZ2kWv7rTn4sYbC', 'cus_NffrFeUfNV2Hib', 'cus_Q8mZr2XkT5wLp9Vd'];
    const b = new ProfileBuilder(new Scope(defaultScope()));
    training.forEach((id, i) => b.add(call(`uploads/${id}/avatar.png`, day(2 + i))));
    b.add(call('uploads/README.txt', day(3)));
    const r = await generateIam(b.toProfile());
    const put = r.artefacts[0]!.policies[0]!.document.Statement.find((s) => s.Action.includes('s3:PutObject'))!;
    // The stable key keeps its own grant (and evidence) beside the wildcard.
    expect(put.Resource).toEqual([
      'arn:aws:s3:::acme-exports/uploads/*',
      'arn:aws:s3:::acme-exports/uploads/README.txt',
    ]);
    const { set } = buildIamPolicySet(
      r.artefacts.flatMap((a) => a.policies.map((p) => ({ file: p.path, index: 0, object: p.document }))),
    );
    const heldOut = new ProfileBuilder(new Scope(defaultScope()));
    heldOut.add(call('uploads/Uh7Yk2pQ9xZrB4mT_w8sL/avatar.png', day(8)));
    const profile = heldOut.toProfile();
    const report = emptyReport(profile);
    await verifyIam(profile, set, report);
    expect(report.notAllowed).toEqual([]);
    expect(report.observed).toBe(1);
  });
});

/** The s3 grants of each role of `r`, by role name. */
function s3Grants(r: Awaited<ReturnType<typeof generateIam>>): Record<string, string[]> {
  return Object.fromEntries(
    r.artefacts.map((a) => [
      a.principal.replace(/^.*\//, ''),
      [...new Set(a.policies.flatMap((p) => p.document.Statement.flatMap((s) => s.Resource)))]
        .filter((x) => x.includes('/'))
        .sort(),
    ]),
  );
}

/** The calls of `heldOut` that the policies `r` generated deny. */
async function deniedBy(r: Awaited<ReturnType<typeof generateIam>>, heldOut: AwsCallObservation[]) {
  const { set } = buildIamPolicySet(
    r.artefacts.flatMap((a) => a.policies.map((p) => ({ file: p.path, index: 0, object: p.document }))),
  );
  const b = new ProfileBuilder(new Scope(defaultScope()));
  for (const c of heldOut) b.add(c);
  const profile = b.toProfile();
  const report = emptyReport(profile);
  await verifyIam(profile, set, report);
  expect(report.observed).toBe(heldOut.length);
  return report.notAllowed.map((n) => `${n.subject.replace(/^.*\//, '')} ${(n.access as IamAccess).resource}`).sort();
}

describe("IAM generalization of object keys, from all the principal's keys in the bucket", () => {
  const T1 = '4c1d8e2a-7b3f-4a9e-8d6c-2f1e0a9b8c7d';
  const T2 = 'b8e7d6c5-a4f3-4e2d-9c1b-0a9f8e7d6c5b';
  const invoice = (t: string, d: number, n: number) => `tenants/${t}/invoices/2026-11-0${d}/inv-00${n}${d}12.pdf`;

  it("a tenant's id that every key holds is kept: each tenant's role gets its own invoices, never the other's", async () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    for (let d = 2; d <= 5; d++)
      for (let n = 1; n <= 3; n++) {
        b.add(call(invoice(T1, d, n), day(d, n), 'PutObject', 'acme-invoices', 'invoice-export-t1'));
        b.add(call(invoice(T2, d, n), day(d, n), 'GetObject', 'acme-invoices', 'invoice-api-t2'));
        b.add(
          call(invoice(T2, d, n).replace('.pdf', '.sig'), day(d, n), 'PutObject', 'acme-invoices', 'invoice-api-t2'),
        );
      }
    const r = await generateIam(b.toProfile());
    expect(s3Grants(r)).toEqual({
      'invoice-export-t1': [`arn:aws:s3:::acme-invoices/tenants/${T1}/invoices/*`],
      'invoice-api-t2': [`arn:aws:s3:::acme-invoices/tenants/${T2}/invoices/*`],
    });
    expect(r.widenings.map((w) => w.detail)).toContainEqual(
      expect.stringMatching(
        new RegExp(`^s3:PutObject: 12 resources named with a date .* → .*tenants/${T1}/invoices/\\*$`),
      ),
    );
    // The next day's invoices are allowed; the other tenant's are not.
    expect(
      await deniedBy(r, [
        call(invoice(T1, 8, 1), day(8), 'PutObject', 'acme-invoices', 'invoice-export-t1'),
        call(invoice(T2, 8, 1), day(8), 'GetObject', 'acme-invoices', 'invoice-api-t2'),
        call(invoice(T2, 8, 1), day(8), 'PutObject', 'acme-invoices', 'invoice-export-t1'),
        call(invoice(T1, 8, 1), day(8), 'GetObject', 'acme-invoices', 'invoice-api-t2'),
      ]),
    ).toEqual([
      `invoice-api-t2 arn:aws:s3:::acme-invoices/${invoice(T1, 8, 1)}`,
      `invoice-export-t1 arn:aws:s3:::acme-invoices/${invoice(T2, 8, 1)}`,
    ]);
  });

  it.each([
    // One key: an id a date follows is kept (the date is the run's part), an id alone is the run's, as from its shape.
    ['one key, a date after the id', [invoice(T1, 2, 1)], [`tenants/${T1}/invoices/*`]],
    ['one key, no date after the id', [`runs/${T1}/out.json`], ['runs/*']],
    // ALB access logs: the account's id in every key, the date after it.
    [
      'the account in every key of ALB access logs',
      [2, 3, 4].map((d) => `lb/AWSLogs/111122223333/elasticloadbalancing/eu-west-1/2026/11/0${d}/x_${d}.log.gz`),
      ['lb/AWSLogs/111122223333/elasticloadbalancing/eu-west-1/*'],
    ],
    // Ids that differ between the keys are runs': the wildcard is at them.
    ['two runs', [`runs/${T1}/out.json`, `runs/${T2}/out.json`], ['runs/*']],
    // The same id in two keys and nothing variable after it: the keys stay as seen.
    [
      'one id, two files',
      [`reports/${T1}/summary.json`, `reports/${T1}/detail.json`],
      [`reports/${T1}/detail.json`, `reports/${T1}/summary.json`],
    ],
    // A host name varies whatever the keys show: the next node's is another.
    [
      'one node, every day',
      [2, 3, 4].map((d) => `node-logs/ip-10-0-1-15.eu-west-1.compute.internal/2026-11-0${d}/kubelet.log.gz`),
      ['node-logs/*'],
    ],
    // At the bucket's root the name keeps its stable start: a wildcard there would be every prefix of the bucket.
    [
      'an upload named with its date, at the root',
      ['app/settings.json', 'invoice_20261108.pdf'],
      ['app/settings.json', 'invoice_*'],
    ],
    ['a run id at the root, after a word', [`export-${T1}.csv`], ['export-*']],
    // A key that starts with its date has no stable start: the whole bucket, said so in the listing.
    ['a dated layout at the root', ['2026/11/02/app.log'], ['*']],
  ])('%s', async (_, keys, wide) => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    keys.forEach((k, i) => b.add(call(k, day(2 + i))));
    expect(s3Grants(await generateIam(b.toProfile())).exporter).toEqual(
      wide.map((k) => `arn:aws:s3:::acme-exports/${k}`),
    );
  });

  it("a root key named with a date: the next day's upload is allowed, another prefix of the bucket is not", async () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    b.add(call('app/settings.json', day(2)));
    b.add(call('invoice_20261102.pdf', day(2)));
    const r = await generateIam(b.toProfile());
    expect(await deniedBy(r, [call('invoice_20261108.pdf', day(8)), call('payroll/2026-11.csv', day(8))])).toEqual([
      'exporter arn:aws:s3:::acme-exports/payroll/2026-11.csv',
    ]);
    const dated = new ProfileBuilder(new Scope(defaultScope()));
    dated.add(call('2026/11/02/app.log', day(2)));
    expect((await generateIam(dated.toProfile())).widenings.map((w) => w.detail)).toContainEqual(
      expect.stringMatching(/at the start of the key \(the whole bucket\).* → arn:aws:s3:::acme-exports\/\*$/),
    );
  });

  it('node log keys named for the host: the node that replaces one is allowed the next day', async () => {
    const host = (ip: string) => `ip-${ip.replaceAll('.', '-')}.eu-west-1.compute.internal`;
    const key = (ip: string, d: number) => `node-logs/${host(ip)}/2026-11-0${d}/kubelet.log.gz`;
    const b = new ProfileBuilder(new Scope(defaultScope()));
    for (let d = 2; d <= 5; d++)
      for (const ip of ['10.0.1.15', d < 4 ? '10.0.2.33' : '10.0.3.88']) b.add(call(key(ip, d), day(d)));
    const r = await generateIam(b.toProfile());
    expect(s3Grants(r).exporter).toEqual(['arn:aws:s3:::acme-exports/node-logs/*']);
    expect(await deniedBy(r, [call(key('10.0.1.15', 8), day(8)), call(key('10.0.2.140', 8), day(8))])).toEqual([]);
  });
});

/** A call by role `role` on `resources` (ARNs), at 08:00 on 2026-11-`dd`. */
function awsCall(role: string, source: string, eventName: string, resources: string[], dd: number): AwsCallObservation {
  return {
    ...call('', day(2), eventName, 'x', role),
    eventSource: `${source}.amazonaws.com`,
    time: `2026-11-${String(dd).padStart(2, '0')}T08:00:00.000000Z`,
    id: `${eventName}-${resources.join(',')}-${dd}`,
    resources,
  };
}

describe('--widen-resources: the narrowest wildcard per resource type, cut at a boundary', () => {
  const EC2 = 'arn:aws:ec2:eu-west-1:111122223333';
  const DDB = 'arn:aws:dynamodb:eu-west-1:111122223333';
  const attach = (i: number) =>
    awsCall(
      'csi',
      'ec2',
      'AttachVolume',
      [`${EC2}:instance/i-0${i}b2c3d4e5f60718`, `${EC2}:volume/vol-0${i}f1e2d3c4b5a697`],
      2 + i,
    );
  const put = (dd: number) =>
    awsCall('writer', 'dynamodb', 'PutItem', [`${DDB}:table/orders-events-2026-11-${String(dd).padStart(2, '0')}`], dd);

  it('AttachVolume on volumes and instances: each type its own wildcard, never the account and region', async () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    for (let i = 1; i <= 3; i++) b.add(attach(i));
    const r = await generateIam(b.toProfile(), { widenResources: 2 });
    const grant = r.artefacts[0]!.policies[0]!.document.Statement.find((s) => s.Action.includes('ec2:AttachVolume'))!;
    expect(grant.Resource).toEqual([`${EC2}:instance/i-*`, `${EC2}:volume/vol-*`]);
    expect(r.widenings.filter((w) => w.option === 'widen-resources').map((w) => w.detail)).toEqual([
      `ec2:AttachVolume: 3 resources → ${EC2}:instance/i-*`,
      `ec2:AttachVolume: 3 resources → ${EC2}:volume/vol-*`,
    ]);
    // A type with N or fewer keeps its ARNs.
    const two = await generateIam(b.toProfile(), { widenResources: 3 });
    expect(two.widenings.filter((w) => w.option === 'widen-resources')).toEqual([]);
  });

  it("a table a day, trained on the 7th to the 9th: the 10th's is allowed (the start is cut at '-', not at '0')", async () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    for (const dd of [7, 8, 9]) b.add(put(dd));
    const r = await generateIam(b.toProfile(), { widenResources: 2 });
    expect(r.artefacts[0]!.policies[0]!.document.Statement.flatMap((s) => s.Resource)).toEqual([
      `${DDB}:table/orders-events-2026-11-*`,
    ]);
    expect(await deniedBy(r, [put(10)])).toEqual([]);
  });
});

describe('network: one DNS name at several addresses', () => {
  it('a plain NetworkPolicy lists the addresses and says the next ones will be denied; the Cilium flavor allows the name', () => {
    const D = 'fixtures/demo';
    const k = cli(['generate', 'netpol', '--flows', `${D}/flows`, '--inventory', `${D}/inventory`]);
    expect(k.code, k.stderr).toBe(0);
    expect(k.stderr).toMatch(
      /payments\/payments-api: api\.stripe\.com was seen at \d+ addresses: a NetworkPolicy lists the \d+ it connected to and will deny the next ones .*--flavor cilium/,
    );
    const c = cli([
      'generate',
      'netpol',
      '--flows',
      `${D}/flows`,
      '--inventory',
      `${D}/inventory`,
      '--flavor',
      'cilium',
    ]);
    expect(c.stderr).not.toContain('api.stripe.com was seen');
    expect(c.stdout).toContain('matchName: api.stripe.com');
  });
});

describe('names RBAC can restrict, and resources the catalogue can scope', () => {
  it('a create on a subresource (exec into a pod) keeps the pod name; a plain create never has one', () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    k8s(b, 'alice', { verb: 'create', resource: 'pods', subresource: 'exec', name: 'db-0', namespace: 'shop' }, day(3));
    k8s(b, 'alice', { verb: 'create', resource: 'configmaps', namespace: 'shop' }, day(3), 'notes');
    const rules = rulesOf(b.toProfile(), false);
    expect(rules).toContainEqual(
      expect.objectContaining({ resources: ['pods/exec'], resourceNames: ['db-0'], verbs: ['create'] }),
    );
    expect(rules.find((r) => r.resources?.[0] === 'configmaps')!.resourceNames).toBeUndefined();
  });

  it('log streams of a group whose name holds / are scoped to the group, and streams it created are generalized to the start they share', async () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    for (let d = 2; d <= 4; d++) {
      const stream = `arn:aws:logs:eu-west-1:111122223333:log-group:/acme/jobs:log-stream:run-${d}abc`;
      for (const eventName of ['CreateLogStream', 'PutLogEvents']) {
        b.add({
          ...call('x', day(d)),
          eventSource: 'logs.amazonaws.com',
          eventName,
          resources: ['arn:aws:logs:eu-west-1:111122223333:log-group:/acme/jobs', stream],
          id: `${eventName}-${d}`,
        });
      }
    }
    const r = await generateIam(b.toProfile());
    const resources = r.artefacts[0]!.policies[0]!.document.Statement.flatMap((s) => s.Resource);
    expect([...new Set(resources)]).toEqual([
      'arn:aws:logs:eu-west-1:111122223333:log-group:/acme/jobs:log-stream:run-*',
    ]);
    expect(r.widenings.map((w) => w.detail)).toEqual([
      expect.stringMatching(/3 resources named with a stream it created itself/),
      expect.stringMatching(/3 resources named with a stream it created itself/),
    ]);
  });
});

describe('resources named only through request parameters', () => {
  it('EC2 instance ids in instancesSet become instance ARNs, and the policy names them instead of *', async () => {
    const obs: AwsCallObservation[] = [];
    const record = (eventName: string, id: string) => ({
      eventVersion: '1.08',
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${'111122223333'}:assumed-role/ops/s`,
        accountId: '111122223333',
        sessionContext: {
          sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/ops', accountId: '111122223333' },
        },
      },
      eventTime: '2026-11-02T08:00:00Z',
      eventSource: 'ec2.amazonaws.com',
      eventName,
      awsRegion: 'eu-west-1',
      recipientAccountId: '111122223333',
      requestParameters: { instancesSet: { items: [{ instanceId: id }] } },
      eventID: `${eventName}-${id}`,
    });
    decodeCloudTrailValue(
      { Records: [record('StopInstances', 'i-0abc1234def567890'), record('StartInstances', 'i-0abc1234def567890')] },
      { file: 'ct.json', line: 1 },
      (x) => {
        if (x.kind === 'aws-call') obs.push(x);
      },
    );
    expect(obs[0]!.resources).toEqual(['arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc1234def567890']);
    const b = new ProfileBuilder(new Scope(defaultScope()));
    for (const o of obs) b.add(o);
    const r = await generateIam(b.toProfile());
    expect(r.artefacts[0]!.policies[0]!.document.Statement).toEqual([
      expect.objectContaining({
        Action: ['ec2:StartInstances', 'ec2:StopInstances'],
        Resource: ['arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc1234def567890'],
      }),
    ]);
  });
});

describe('generateName, when the audit level logs request bodies', () => {
  it('a name the principal asked the API server to generate is made up, from one instance', () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    const ev = (verb: string, name: string, extra: Record<string, unknown> = {}) => ({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Request',
      auditID: `${verb}-${name}`,
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/ci/pods',
      verb,
      user: { username: SA, groups: [] },
      objectRef: { resource: 'pods', namespace: 'ci', name, apiVersion: 'v1' },
      responseStatus: { code: verb === 'create' ? 201 : 200 },
      requestReceivedTimestamp: day(3),
      annotations: { 'authorization.k8s.io/decision': 'allow' },
      ...extra,
    });
    // `build-run-abcde` matches no pattern (vowels): only the request body says it was generated.
    const events = [
      ev('create', 'build-run-abcde', { requestObject: { metadata: { generateName: 'build-run-' } } }),
      ev('get', 'build-run-abcde'),
    ];
    decodeValue(events, { file: 'a.log', line: 1 }, (x) => {
      if (x.kind === 'k8s-request') b.add(x);
    });
    const profile = b.toProfile();
    expect(profile.principals[0]!.created).toEqual([
      { namespace: 'ci', apiGroup: '', resource: 'pods', names: ['build-run-abcde'], generated: ['build-run-abcde'] },
    ]);
    expect(generateRbac(profile).widenings).toEqual([
      expect.objectContaining({
        detail: expect.stringContaining('objects it created with generateName: build-run-abcde'),
      }),
    ]);
  });
});
