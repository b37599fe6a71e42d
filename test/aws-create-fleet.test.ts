import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import { cli, tmp } from './helpers/cli.js';
import { ACCOUNT as A, REGION as R, record } from './helpers/cloudtrailRecords.js';

/**
 * EC2 CreateFleet, what Karpenter launches every node with, as CloudTrail logs it: EC2's XML as JSON, a list of one as
 * the element itself (`requestParameters.CreateFleetRequest`, `responseElements.CreateFleetResponse.fleetInstanceSet
 * .item[].instanceIds.item[]`, as the record quoted in Karpenter issue 5850 and the EventBridge schema
 * aws.ec2@AWSAPICallViaCloudTrail show it). The controller then tags and, days later, terminates its own nodes.
 */
type Rec = Record<string, unknown>;
const SPLIT = '2026-11-08T00:00:00Z';
const at = (day: number, hour: number, min = 0) =>
  `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:${String(min).padStart(2, '0')}:00Z`;
/** The node launched on a day: `i-02fffffffffffffff`. */
const node = (day: number, k = 0) => `i-${String(day).padStart(2, '0')}${k}${'f'.repeat(14)}`;
const ROLE_NAME = 'KarpenterController';
const as = (r: Rec, time: string): Rec => {
  const u = structuredClone(r['userIdentity']) as Rec;
  u['arn'] = `arn:aws:sts::${A}:assumed-role/${ROLE_NAME}/1796083200000000000`;
  ((u['sessionContext'] as Rec)['sessionIssuer'] as Rec)['arn'] = `arn:aws:iam::${A}:role/${ROLE_NAME}`;
  return { ...r, userIdentity: u, eventTime: time, eventID: `${String(r['eventName'])}-${time}` };
};
const ec2 = (name: string, req: Rec, resp: Rec | null) =>
  record('ec2.amazonaws.com', name, req, { responseElements: resp });

const tag = (n: number, Key: string, Value: string) => ({ Key, Value, tag: n });
/** Karpenter's request: an instant fleet from its launch template, with overrides; tags for fleet, nodes, volumes. */
const fleetRequest = (tagged: boolean): Rec => ({
  CreateFleetRequest: {
    Type: 'instant',
    TargetCapacitySpecification: { DefaultTargetCapacityType: 'on-demand', TotalTargetCapacity: 1 },
    LaunchTemplateConfigs: {
      LaunchTemplateSpecification: { LaunchTemplateName: 'karpenter.k8s.aws/4471391744213413224', Version: '$Latest' },
      Overrides: [
        { InstanceType: 'm6i.large', SubnetId: 'subnet-0a1b2c3d4e5f60718', ImageId: 'ami-0abcdef1234567890', tag: 1 },
        { InstanceType: 'm5.large', SubnetId: 'subnet-0a1b2c3d4e5f60718', ImageId: 'ami-0abcdef1234567890', tag: 2 },
      ],
      tag: 1,
    },
    ...(tagged
      ? {
          TagSpecification: ['instance', 'volume', 'fleet'].map((ResourceType, i) => ({
            ResourceType,
            Tag: [tag(1, 'karpenter.sh/nodepool', 'default'), tag(2, `kubernetes.io/cluster/stg`, 'owned')],
            tag: i + 1,
          })),
        }
      : {}),
  },
});
/** The response: one `item` per launch template and overrides used, each with its instance ids (one or a list). */
const fleetResponse = (items: { ids: string[] }[], fleetId: string): Rec => {
  const list = items.map((i) => ({
    lifecycle: 'on-demand',
    instanceType: 'm6i.large',
    instanceIds: { item: i.ids.length === 1 ? i.ids[0] : i.ids },
    launchTemplateAndOverrides: {
      launchTemplateSpecification: { launchTemplateId: 'lt-0a1b2c3d4e5f60718', version: 3 },
      overrides: { instanceType: 'm6i.large', subnetId: 'subnet-0a1b2c3d4e5f60718' },
    },
  }));
  return {
    CreateFleetResponse: {
      xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
      requestId: 'b8bd9b4c-7c36-4c49-9d5b-2f7a2a6f0c11',
      fleetId,
      errorSet: '',
      fleetInstanceSet: { item: list.length === 1 ? list[0] : list },
    },
  };
};
const fleetId = (d: number) => `fleet-${String(d).padStart(2, '0')}d4e5f6-1a2b-4c3d-8e4f-0a1b2c3d4e5f`;

/** Days 2-9: a node launched and tagged each morning; from day 4 on, the node of two days before is terminated. */
function karpenter(tagged = false, asRunInstances = false): Rec[] {
  const out: Rec[] = [];
  for (let d = 2; d <= 9; d++) {
    const launch = asRunInstances
      ? ec2(
          'RunInstances',
          {
            instancesSet: { items: [{ minCount: 1, maxCount: 1 }] },
            launchTemplate: { launchTemplateName: 'karpenter.k8s.aws/4471391744213413224', version: '$Latest' },
          },
          { instancesSet: { items: [{ instanceId: node(d), imageId: 'ami-0abcdef1234567890' }] } },
        )
      : ec2('CreateFleet', fleetRequest(tagged), fleetResponse([{ ids: [node(d)] }], fleetId(d)));
    out.push(
      as(launch, at(d, 1)),
      as(
        ec2(
          'CreateTags',
          {
            resourcesSet: { items: [{ resourceId: node(d) }] },
            tagSet: { items: [{ key: 'karpenter.sh/nodeclaim', value: `default-${d}` }] },
          },
          { _return: true },
        ),
        at(d, 1, 1),
      ),
    );
    if (d >= 4)
      out.push(
        as(
          ec2(
            'TerminateInstances',
            { instancesSet: { items: [{ instanceId: node(d - 2) }] } },
            {
              instancesSet: { items: [{ instanceId: node(d - 2), currentState: { code: 32, name: 'shutting-down' } }] },
            },
          ),
          at(d, 20),
        ),
      );
  }
  return out;
}

function write(records: Rec[]): string {
  const file = join(tmp(), 'trail.json');
  writeFileSync(file, JSON.stringify({ Records: records }));
  return file;
}
const decode = (rec: Rec): AwsCallObservation => {
  const out: unknown[] = [];
  decodeCloudTrailValue(rec, { file: 'f.json', line: 1 }, (x) => out.push(x));
  expect(out, JSON.stringify(out)).toMatchObject([{ kind: 'aws-call' }]);
  return out[0] as AwsCallObservation;
};
const backtest = (file: string, ...more: string[]) => {
  const r = cli(['backtest', '--cloudtrail', file, '--split', SPLIT, '--format', 'json', '-q', ...more]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    observed: number;
    wouldDeny: { access: { action: string; resource: string } }[];
  };
};
type Statement = { Action: string[]; Resource: string[] | string; Condition?: Record<string, Record<string, unknown>> };
const policy = (file: string): Statement[] => {
  const out = join(tmp(), 'out');
  const g = cli(['generate', 'iam', '--cloudtrail', file, '-o', out]);
  expect(g.code, g.stderr).toBe(0);
  const doc = JSON.parse(readFileSync(join(out, 'iam', A, 'role', `${ROLE_NAME}.json`), 'utf8')) as {
    Statement: Statement[];
  };
  return doc.Statement;
};
const on = (st: Statement[], action: string) =>
  st
    .filter((s) => s.Action.includes(action))
    .flatMap((s) => s.Resource)
    .sort();
const inst = (id: string) => `arn:aws:ec2:${R}:${A}:instance/${id}`;

describe('CreateFleet: what it created, as CloudTrail logs its response', () => {
  it('one item with one id, and several items with lists of ids: every instance is created', () => {
    const one = decode(ec2('CreateFleet', fleetRequest(false), fleetResponse([{ ids: [node(2)] }], fleetId(2))));
    expect(one.created).toEqual([inst(node(2))]);
    const many = decode(
      ec2(
        'CreateFleet',
        fleetRequest(false),
        fleetResponse([{ ids: [node(3, 1), node(3, 2)] }, { ids: [node(3, 3)] }], fleetId(3)),
      ),
    );
    expect(many.created).toEqual([inst(node(3, 1)), inst(node(3, 2)), inst(node(3, 3))]);
  });

  it('a refused CreateFleet, or one whose fleet launched nothing, created nothing', () => {
    const refused = ec2('CreateFleet', fleetRequest(false), null);
    refused['errorCode'] = 'Client.UnauthorizedOperation';
    expect(decode(refused).created).toBeUndefined();
    const none = fleetResponse([], fleetId(4));
    (none['CreateFleetResponse'] as Rec)['fleetInstanceSet'] = '';
    expect(decode(ec2('CreateFleet', fleetRequest(false), none)).created).toBeUndefined();
  });

  it('an instant fleet needs RunInstances, and its TagSpecification CreateTags on what it tags', () => {
    const obs = decode(ec2('CreateFleet', fleetRequest(true), fleetResponse([{ ids: [node(2)] }], fleetId(2))));
    const implied = obs.implied.map((i) => `${i.action} ${i.resource}`);
    expect(implied).toEqual([
      `ec2:CreateTags arn:aws:ec2:${R}:${A}:fleet/*`,
      `ec2:CreateTags arn:aws:ec2:${R}:${A}:instance/*`,
      `ec2:CreateTags arn:aws:ec2:${R}:${A}:volume/*`,
      'ec2:RunInstances ',
      // Its launch template, named by name: RunInstances is authorized on it too, and its ARN holds its id.
      `ec2:RunInstances arn:aws:ec2:${R}:${A}:launch-template/*`,
    ]);
    expect(obs.implied.find((i) => i.resource.endsWith(':launch-template/*'))!.via).toBe(
      'requestParameters.CreateFleetRequest.LaunchTemplateConfigs.LaunchTemplateSpecification.LaunchTemplateName (karpenter.k8s.aws/4471391744213413224): RunInstances is authorized on the launch template, whose ARN holds its id, not its name, and the event does not give the id',
    );
    // Templates given by id, as a list of configs: each template by its ARN.
    const byId = fleetRequest(false);
    (byId['CreateFleetRequest'] as Rec)['LaunchTemplateConfigs'] = ['lt-0a1b2c3d4e5f60718', 'lt-0b1b2c3d4e5f60718'].map(
      (LaunchTemplateId, i) => ({ LaunchTemplateSpecification: { LaunchTemplateId, Version: '3' }, tag: i + 1 }),
    );
    const ids = decode(ec2('CreateFleet', byId, fleetResponse([{ ids: [node(2)] }], fleetId(2)))).implied;
    expect(ids.filter((i) => i.resource.includes(':launch-template/'))).toEqual([
      {
        action: 'ec2:RunInstances',
        resource: `arn:aws:ec2:${R}:${A}:launch-template/lt-0a1b2c3d4e5f60718`,
        via: 'requestParameters.CreateFleetRequest.LaunchTemplateConfigs[0].LaunchTemplateSpecification.LaunchTemplateId',
      },
      {
        action: 'ec2:RunInstances',
        resource: `arn:aws:ec2:${R}:${A}:launch-template/lt-0b1b2c3d4e5f60718`,
        via: 'requestParameters.CreateFleetRequest.LaunchTemplateConfigs[1].LaunchTemplateSpecification.LaunchTemplateId',
      },
    ]);
    expect(obs.implied.find((i) => i.resource.endsWith(':instance/*'))!.via).toMatch(
      /^requestParameters\.CreateFleetRequest\.TagSpecification\[0\]: AWS gives each instance/,
    );
    // A fleet of another type launches with EC2 Fleet's service-linked role: no RunInstances of the caller's.
    const maintain = fleetRequest(false);
    (maintain['CreateFleetRequest'] as Rec)['Type'] = 'maintain';
    expect(decode(ec2('CreateFleet', maintain, fleetResponse([], fleetId(2)))).implied).toEqual([]);
  });
});

describe("Karpenter's nodes on held-out days", () => {
  it('tagging and terminating the nodes its CreateFleet launched are allowed on new ids; --exact denies them', () => {
    const file = write(karpenter());
    const b = backtest(file);
    expect(b.wouldDeny).toEqual([]);
    expect(b.observed).toBeGreaterThan(0);
    const exact = backtest(file, '--exact').wouldDeny.map((n) => n.access.action);
    expect(exact).toEqual(expect.arrayContaining(['ec2:CreateTags', 'ec2:TerminateInstances']));
  });

  it('the policy launches as the same calls logged as RunInstances would, no wider', () => {
    const fleet = policy(write(karpenter()));
    const run = policy(write(karpenter(false, true)));
    expect(on(fleet, 'ec2:RunInstances')).toEqual(on(run, 'ec2:RunInstances'));
    // Both launch from a template named by name: RunInstances on the account and Region's templates.
    expect(on(fleet, 'ec2:RunInstances')).toContain(`arn:aws:ec2:${R}:${A}:launch-template/*`);
    for (const a of ['ec2:CreateTags', 'ec2:TerminateInstances']) {
      expect(on(fleet, a)).toEqual([`arn:aws:ec2:${R}:${A}:instance/*`]);
      expect(on(fleet, a)).toEqual(on(run, a));
    }
    expect(on(fleet, 'ec2:CreateFleet')).toEqual(
      [
        `arn:aws:ec2:${R}::image/*`,
        ...['fleet', 'instance', 'launch-template', 'subnet', 'volume'].map((t) => `arn:aws:ec2:${R}:${A}:${t}/*`),
      ].sort(),
    );
  });

  it("a tagged fleet's tags are granted for CreateFleet only, on the types it tags and does not tag later", () => {
    const st = policy(write(karpenter(true)));
    const tagOnCreate = st.filter((s) => s.Action.includes('ec2:CreateTags') && s.Condition);
    expect(tagOnCreate.map((s) => s.Condition)).toEqual([{ StringEquals: { 'ec2:CreateAction': ['CreateFleet'] } }]);
    expect(tagOnCreate.flatMap((s) => s.Resource).sort()).toEqual(
      ['fleet', 'volume'].map((t) => `arn:aws:ec2:${R}:${A}:${t}/*`),
    );
    // The instances it tags on create it also tags itself later: one grant, without the condition.
    expect(on(st, 'ec2:CreateTags')).toContain(`arn:aws:ec2:${R}:${A}:instance/*`);
  });
});
