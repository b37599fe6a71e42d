import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { instanceIdOfProviderId } from '../src/knowledge/aws/nodeInstances.js';
import { loadInventory } from '../src/inventory/load.js';
import { cli, tmp } from './helpers/cli.js';
import { ACCOUNT as A, REGION as R, record } from './helpers/cloudtrailRecords.js';

/**
 * A cluster's agents act on its nodes' EC2 instances without creating them: the EBS CSI controller attaches and
 * detaches volumes (`AttachVolume`, `DetachVolume` name `instance/i-...`), the VPC CNI attaches network interfaces.
 * Nodes are replaced at every upgrade or scale-down, so a policy naming staging's instance ids breaks on the first new
 * node. With an inventory (`kubectl get nodes -o json`: `spec.providerID` `aws:///<zone>/<instance id>`), the ids of
 * nodes become `instance/*` in their account and region, listed. Records as the EC2 API reference and the CloudTrail
 * user guide show them: `requestParameters` `{volumeId, instanceId, device}`, `responseElements` the attachment.
 */
type Rec = Record<string, unknown>;
const SPLIT = '2026-11-08T00:00:00Z';
const at = (day: number, hour: number) =>
  `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;
const as = (role: string, r: Rec, time: string): Rec => {
  const u = structuredClone(r['userIdentity']) as Rec;
  u['arn'] = `arn:aws:sts::${A}:assumed-role/${role}/s`;
  ((u['sessionContext'] as Rec)['sessionIssuer'] as Rec)['arn'] = `arn:aws:iam::${A}:role/${role}`;
  return { ...r, userIdentity: u, eventTime: time, eventID: `${role}-${String(r['eventName'])}-${time}` };
};
const ec2 = (name: string, req: Rec, resp: Rec) => record('ec2.amazonaws.com', name, req, { responseElements: resp });

/** Staging's two nodes, and the node that replaced one of them after the inventory was taken. */
const NODE_A = 'i-0a1b2c3d4e5f60718';
const NODE_B = 'i-0b2c3d4e5f6071829';
const NEW_NODE = 'i-0c3d4e5f607182930';
/** An instance that is no node of the cluster (a bastion the CSI role was once used on). */
const BASTION = 'i-0f1e2d3c4b5a69788';
const volume = (day: number) => `vol-0${String(day).padStart(2, '0')}${'f'.repeat(14)}`;
const instance = (id: string) => `arn:aws:ec2:${R}:${A}:instance/${id}`;

/** The EBS CSI controller: a volume a day (CreateVolume), attached to a node, detached the next day. */
function csi(): Rec[] {
  const out: Rec[] = [];
  const attachment = (day: number, id: string) => ({
    volumeId: volume(day),
    instanceId: id,
    device: '/dev/xvdaa',
    status: 'attaching',
    attachTime: Date.parse(at(day, 10)),
    deleteOnTermination: false,
  });
  for (let d = 2; d <= 9; d++) {
    // Held out (the 8th on): the pods moved to the node that replaced node A.
    const node = d >= 8 ? NEW_NODE : d % 2 ? NODE_A : NODE_B;
    out.push(
      as(
        'ebs-csi-controller',
        ec2(
          'CreateVolume',
          { availabilityZone: 'eu-west-1a', volumeType: 'gp3', size: 10, encrypted: true },
          { requestId: 'r', volumeId: volume(d), size: 10, availabilityZone: 'eu-west-1a', status: 'creating' },
        ),
        at(d, 9),
      ),
      as(
        'ebs-csi-controller',
        ec2('AttachVolume', { volumeId: volume(d), instanceId: node, device: '/dev/xvdaa' }, attachment(d, node)),
        at(d, 10),
      ),
    );
    if (d > 2) {
      const before = d - 1 >= 8 ? NEW_NODE : (d - 1) % 2 ? NODE_A : NODE_B;
      out.push(
        as(
          'ebs-csi-controller',
          ec2(
            'DetachVolume',
            { volumeId: volume(d - 1), instanceId: before, force: false },
            { ...attachment(d - 1, before), status: 'detaching' },
          ),
          at(d, 8),
        ),
      );
    }
  }
  out.push(
    as(
      'ebs-csi-controller',
      ec2('AttachVolume', { volumeId: volume(3), instanceId: BASTION, device: '/dev/xvdab' }, attachment(3, BASTION)),
      at(3, 12),
    ),
  );
  return out;
}

/** A node as `kubectl get nodes -o json` lists it. */
const node = (name: string, providerID: string, ip: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': 'eu-west-1a' } },
  spec: { providerID },
  status: { addresses: [{ type: 'InternalIP', address: ip }] },
});

function files(): { trail: string; inventory: string } {
  const dir = tmp();
  const trail = join(dir, 'trail.json');
  writeFileSync(trail, JSON.stringify({ Records: csi() }));
  const inventory = join(dir, 'nodes.json');
  writeFileSync(
    inventory,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        node('ip-10-0-1-23.eu-west-1.compute.internal', `aws:///eu-west-1a/${NODE_A}`, '10.0.1.23'),
        node('ip-10-0-2-41.eu-west-1.compute.internal', `aws:///eu-west-1b/${NODE_B}`, '10.0.2.41'),
        node(
          'fargate-ip-10-0-3-5.eu-west-1.compute.internal',
          'aws:///eu-west-1a/0c2a3d4e5f-0123456789abcdef0123456789abcdef/fargate-ip-10-0-3-5.eu-west-1.compute.internal',
          '10.0.3.5',
        ),
      ],
    }),
  );
  return { trail, inventory };
}

type Policy = { Statement: { Action: string[]; Resource: string[] | string }[] };
const policyOf = (dir: string): Policy =>
  JSON.parse(readFileSync(join(dir, 'iam', A, 'role', 'ebs-csi-controller.json'), 'utf8')) as Policy;
const on = (p: Policy, action: string) =>
  p.Statement.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);

describe("a node's EC2 instance in the calls of the cluster's agents", () => {
  const { trail, inventory } = files();

  it('without an inventory the policy names the instance ids seen, and the summary says an inventory would know them', () => {
    const out = join(tmp(), 'out');
    const g = cli(['generate', 'iam', '--cloudtrail', trail, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    expect(on(policyOf(out), 'ec2:AttachVolume')).toEqual([
      ...[NODE_A, NODE_B, BASTION, NEW_NODE].sort().map(instance),
      `arn:aws:ec2:${R}:${A}:volume/*`,
    ]);
    expect(g.stderr).toMatch(
      /4 EC2 instance ids kept as seen \(instance\/i-0a1b2c3d4e5f60718, instance\/i-0b2c3d4e5f6071829, …\): the profile knows no Kubernetes node's instance; read with --inventory or --cluster/,
    );
    expect(g.stderr).not.toContain('a Kubernetes node: nodes are replaced');
  });

  it("with the inventory the nodes' ids become instance/* in their account and region, listed; another instance keeps its id", () => {
    const out = join(tmp(), 'out');
    const g = cli(['generate', 'iam', '--cloudtrail', trail, '--inventory', inventory, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    // The node that replaced node A came after the inventory was taken: no node of it, its id stays as the
    // bastion's does (both are inside instance/* all the same).
    const p = policyOf(out);
    expect(on(p, 'ec2:AttachVolume')).toEqual([
      `arn:aws:ec2:${R}:${A}:instance/*`,
      instance(NEW_NODE),
      instance(BASTION),
      `arn:aws:ec2:${R}:${A}:volume/*`,
    ]);
    expect(on(p, 'ec2:DetachVolume')).toContain(`arn:aws:ec2:${R}:${A}:instance/*`);
    expect(g.stderr).toMatch(
      /\(made-up keys; --exact keeps them\) arn:aws:iam::111122223333:role\/ebs-csi-controller: ec2:AttachVolume: 2 resources named with an EC2 instance that is a Kubernetes node: nodes are replaced \(instance\/i-0a1b2c3d4e5f60718, instance\/i-0b2c3d4e5f6071829; seen .*\) → arn:aws:ec2:eu-west-1:111122223333:instance\/\*/,
    );
    expect(g.stderr).not.toContain('EC2 instance ids kept as seen');
    const evidence = readFileSync(join(out, 'evidence', 'iam', A, 'role', 'ebs-csi-controller.json'), 'utf8');
    expect(evidence).toContain('an EC2 instance that is a Kubernetes node');
    // --exact keeps every id as seen.
    const exact = join(tmp(), 'exact');
    const e = cli(['generate', 'iam', '--cloudtrail', trail, '--inventory', inventory, '--exact', '-o', exact]);
    expect(e.code, e.stderr).toBe(0);
    expect(on(policyOf(exact), 'ec2:AttachVolume')).toContain(instance(NODE_A));
    expect(on(policyOf(exact), 'ec2:AttachVolume')).not.toContain(`arn:aws:ec2:${R}:${A}:instance/*`);
    expect(e.stderr).not.toContain('EC2 instance ids kept as seen');
  });

  const backtest = (...more: string[]) => {
    const r = cli(['backtest', '--cloudtrail', trail, '--split', SPLIT, '--format', 'json', '-q', ...more]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as {
      wouldDeny: { subject: string; access: { action: string; resource: string } }[];
    };
  };

  it('held out: attaching to and detaching from the node that replaced one is allowed with the inventory', () => {
    const denied = (b: ReturnType<typeof backtest>) =>
      b.wouldDeny.map((n) => `${n.access.action} ${n.access.resource}`);
    expect(denied(backtest())).toEqual(
      expect.arrayContaining([`ec2:AttachVolume ${instance(NEW_NODE)}`, `ec2:DetachVolume ${instance(NEW_NODE)}`]),
    );
    expect(denied(backtest('--inventory', inventory))).toEqual([]);
  });

  it('the profile keeps the nodes that are instances; generated from it, the policy is the one from the logs', () => {
    const dir = tmp();
    const profile = join(dir, 'p.jsonl');
    const r = cli(['profile', '--cloudtrail', trail, '--inventory', inventory, '-o', profile, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(profile, 'utf8').split('\n');
    expect(lines.filter((l) => l.startsWith('{"nodeInstance"'))).toEqual([
      `{"nodeInstance":{"node":"ip-10-0-1-23.eu-west-1.compute.internal","instanceId":"${NODE_A}"}}`,
      `{"nodeInstance":{"node":"ip-10-0-2-41.eu-west-1.compute.internal","instanceId":"${NODE_B}"}}`,
    ]);
    expect(lines.find((l) => l.startsWith('{"end"'))).toContain('"nodeInstances":2');
    const a = cli(['generate', 'iam', '--profile', profile, '-o', join(dir, 'a'), '-q']);
    expect(a.code, a.stderr).toBe(0);
    const b = cli(['generate', 'iam', '--cloudtrail', trail, '--inventory', inventory, '-o', join(dir, 'b'), '-q']);
    expect(b.code, b.stderr).toBe(0);
    expect(policyOf(join(dir, 'a'))).toEqual(policyOf(join(dir, 'b')));
    // Merged with a profile made without the inventory, the nodes stay.
    const bare = join(dir, 'bare.jsonl');
    expect(cli(['profile', '--cloudtrail', trail, '-o', bare, '-q']).code).toBe(0);
    const merged = join(dir, 'm.jsonl');
    const m = cli(['merge', bare, profile, '-o', merged, '-q']);
    expect(m.code, m.stderr).toBe(0);
    expect(
      readFileSync(merged, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{"nodeInstance"')),
    ).toHaveLength(2);
    // A line whose instance id is no EC2 id is refused, by line.
    const n = lines.findIndex((l) => l.startsWith('{"nodeInstance"'));
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, [...lines.slice(0, n), lines[n]!.replace(NODE_A, 'i-*'), ...lines.slice(n + 1)].join('\n'));
    const refused = cli(['generate', 'iam', '--profile', bad, '-o', join(dir, 'c')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`bad.jsonl:${n + 1}:`);
    expect(refused.stderr).toMatch(/nodeInstance.*instanceId "i-\*" is not an EC2 instance id/);
  });
});

describe("a node's spec.providerID", () => {
  it('the AWS cloud provider’s forms give the instance id; a Fargate node, another provider or a bare id give none', () => {
    expect(instanceIdOfProviderId(`aws:///eu-west-1a/${NODE_A}`)).toBe(NODE_A);
    expect(instanceIdOfProviderId('aws:////i-0123abcd')).toBe('i-0123abcd');
    expect(
      instanceIdOfProviderId('aws:///eu-west-1a/0c2a3d4e5f-0123456789abcdef/fargate-ip-10-0-3-5.compute.internal'),
    ).toBeUndefined();
    expect(instanceIdOfProviderId('gce://my-project/europe-west1-b/gke-pool-1-abcd')).toBeUndefined();
    expect(instanceIdOfProviderId(NODE_A)).toBeUndefined();
    expect(instanceIdOfProviderId('aws:///eu-west-1a/i-0a1b')).toBeUndefined();
  });

  it('the inventory keeps each node’s instance id', async () => {
    const { inventory } = files();
    const { inventory: inv, issues } = await loadInventory([inventory], '/');
    expect(issues).toEqual([]);
    expect(inv.nodes.map((n) => [n.name, n.instanceId])).toEqual([
      ['fargate-ip-10-0-3-5.eu-west-1.compute.internal', undefined],
      ['ip-10-0-1-23.eu-west-1.compute.internal', NODE_A],
      ['ip-10-0-2-41.eu-west-1.compute.internal', NODE_B],
    ]);
  });
});
