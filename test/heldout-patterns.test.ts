import { describe, expect, it } from 'vitest';
import { firstVariableSegment } from '../src/knowledge/aws/variableSegments.js';
import { generatedName } from '../src/knowledge/kubernetes/generatedNames.js';

/**
 * Names real clusters and AWS services make up, taken from the code or documentation that makes them, and names
 * that look alike but stay: the day after a soak, a made-up name kept exact breaks, a stable one generalized is
 * excess.
 */
describe('names controllers and tools make up, from their source', () => {
  it.each([
    // helm pkg/storage makeKey: `sh.helm.release.v1.<release>.v<revision>`, the revision grows with every upgrade.
    ['sh.helm.release.v1.web.v1', 'helm-release'],
    ['sh.helm.release.v1.cert-manager.v12', 'helm-release'],
    // client-go tools/record: an Event is `<object>.<UnixNano in hex>`.
    ['web-7d9f8b6c5d-x2x9k.1875f5c1a8e3b2d4', 'event'],
    ['db-0.17a3b5c7d9e1f234', 'event'],
    // kustomize api/hasher: ten characters of the sha256 hex with 0,1,3,a,e mapped to g,h,k,m,t.
    ['app-config-7g2h9k5b8d', 'kustomize-hash'],
    ['db-secret-2mtk4hg9gc', 'kustomize-hash'],
    // apimachinery ComputeHash: SafeEncodeString of the decimal FNV-32a, so only 4-9 and b,c,d,f.
    ['web-7d9f8b6c5d', 'replicaset'],
    ['web-5d8b9c7f6', 'replicaset'],
    // Argo Workflows GeneratePodName: `<workflow>-<template>-<decimal FNV-32a of the node name>`.
    ['ci-wf-x2k9p-main-2387467110', 'fnv-hash'],
    ['hello-xzkql-123456789', 'fnv-hash'],
    // cert-manager ComputeName: Orders `<request>-<decimal FNV-32>`, Challenges `<order>-<decimal FNV-32>`.
    ['web-tls-x2k9p-3312964542', 'fnv-hash'],
    ['web-tls-x2k9p-3312964542-4027521786', 'fnv-hash'],
    // Spark KubernetesUtils.uniqueID: 6 random hex + the time in hex (16 hex digits), driver and executor pods.
    ['spark-pi-3f2a8e8b2c1d4e7f-driver', 'hex-id'],
    ['spark-pi-0a9c1b78e3d4f5a6-exec-12', 'hex-id'],
    // Velero Schedule.TimestampedName: `<schedule>-<20060102150405>`.
    ['daily-20261108010000', 'dated'],
    ['snap-202611080100', 'dated'],
    // EC2 node names: private IP DNS names and, with resource-based naming, the instance id.
    ['ip-10-0-1-23.ec2.internal', 'ec2-node'],
    ['ip-10-0-1-23.eu-west-1.compute.internal', 'ec2-node'],
    ['i-0abc1234def567890.eu-west-1.compute.internal', 'ec2-node'],
    // Tekton: a PipelineRun's generateName suffix, its TaskRun and the TaskRun's `-pod`.
    ['build-run-x2k9p-fetch-pod', 'tekton-pod'],
    ['build-run-x2k9p-fetch-pod-retry1', 'tekton-pod'],
    // Already known: cert-manager CertificateRequests use generateName, Karpenter NodeClaims `<nodepool>-` too.
    ['web-tls-x2k9p', 'generated-suffix'],
    ['default-4k9xz', 'generated-suffix'],
    ['report-29384750-x2x9k', 'cronjob-pod'],
  ])('%s is made up (%s)', (name, id) => {
    expect(generatedName(name)?.id).toBe(id);
  });

  it.each([
    // Leader-election Leases keep their name for the component's life (controller-runtime's `<hash>.<domain>` too).
    'cert-manager-controller',
    'kube-controller-manager',
    'ingress-nginx-leader',
    '8f7c1a2b.acme.io',
    'external-attacher-leader-ebs-csi-aws-com',
    'karpenter-leader-election',
    // Names people choose that come near the shapes above.
    'spark-pi-driver',
    'helm-release-notes',
    'web-config',
    'payments-db',
    'db-0',
    'release-2026',
    'feature-flags-v2',
    'web-tls',
    'ip-allowlist',
    'build-pod',
    'web.config',
    'coredns-12345',
    'default',
  ])('%s looks chosen', (name) => expect(generatedName(name)).toBeUndefined());

  it('a Helm release Secret is made up even alone; a Secret that only has a generateName shape is not', () => {
    expect(generatedName('sh.helm.release.v1.web.v3')?.alone).toBe(true);
    expect(generatedName('web-token-2x9kq')?.alone).toBeFalsy();
  });
});

describe('object keys and log streams written per run, from the documentation of their writers', () => {
  it.each([
    // Athena: Hive-style partitions `key=value` (`year=2021/month=01/day=26/`).
    ['events/dt=2026-11-08/hour=01/part-00000.parquet', 1, 'a date'],
    ['logs/year=2026/month=11/day=08/x.json', 1, 'a date (year/month/day)'],
    ['tbl/country=us/dt=2026-11-08-01/x.json', 2, 'a date'],
    ['tbl/ingest_ts=1762041600/x.json', 1, 'a Unix time'],
    // Firehose: `YYYY/MM/dd/HH/<stream>-<version>-<year>-<month>-<day>-<hour>-<minute>-<second>-<uuid>`.
    ['2026/11/08/01/orders-1-2026-11-08-01-00-00-3f2a1b6c-9d4e-4f5a-8b7c-0123456789ab', 0, 'a date (year/month/day)'],
    // Athena query results: `<query id>.csv`.
    ['athena-results/3f2a1b6c-9d4e-4f5a-8b7c-0123456789ab.csv', 1, 'a UUID'],
    // Lambda: `YYYY/MM/DD/[$LATEST]<hex>`; ECS awslogs: `<prefix>/<container>/<task id>`; EKS control plane.
    ['2026/11/08/[$LATEST]35aa9c956b4fe8e908a7834893e8d9af', 0, 'a date (year/month/day)'],
    ['ecs/web/0b1c2d3e4f5a46b7a8c9d0e1f2a3b4c5', 2, 'a hex id'],
  ] as const)('%s: variable from segment %i (%s)', (key, index, why) => {
    expect(firstVariableSegment(key.split('/'))).toEqual({ index, why });
  });
  it.each([
    'tbl/country=us/x.json',
    'tbl/region=eu-west-1/latest.json',
    'year=2026/summary.csv',
    'conf/env=prod/app.yaml',
  ])('%s is stable', (key) => expect(firstVariableSegment(key.split('/'))).toBeUndefined());
});
