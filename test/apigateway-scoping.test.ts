import { describe, expect, it } from 'vitest';
import { simulate } from './helpers/iamSimulate.js';
import { generateIam as generate, grants } from './helpers/iamGenerate.js';
import { ACCOUNT, REGION, ROLE, record } from './helpers/cloudtrailRecords.js';
import { filledRequestPath } from '../src/knowledge/aws/apiGateway.js';
import { API_GATEWAY_OPERATIONS } from '../src/knowledge/aws/apiGatewayOperations.js';
import { mapEventToActions } from '../src/knowledge/aws/actions.js';

/**
 * API Gateway's management calls, v1 (REST APIs) and v2 (HTTP and WebSocket APIs): the action (the HTTP method of the
 * request, or the catalogue's own action for portals and routing rules) on the request path as IAM authorizes it
 * (API Gateway's ARN reference: `arn:aws:apigateway:REGION::/restapis/ID/...`, `.../apis/ID/...`, v2's `/v2` dropped).
 * Records are of the shapes CloudTrail logs: v1's path parameters at the top of requestParameters and the body under
 * `<operation>Input` (a console CreateStage: `{restApiId, createStageInput: {stageName...}, template}`), v2's request
 * fields flat (`{apiId, integrationType, integrationUri...}`).
 */

const AGW = 'apigateway.amazonaws.com';
const REST = 'a1b2c3d4e5';
const OTHER_REST = 'z9y8x7w6v5';
const HTTP = 'h7j8k9l0m1';
const OTHER_HTTP = 'q2w3e4r5t6';
const DOMAIN = 'api.example.com';
const arn = (path: string) => `arn:aws:apigateway:${REGION}::${path}`;
const own = (path: string) => `arn:aws:apigateway:${REGION}:${ACCOUNT}:${path}`;

interface Case {
  event: string;
  params: Record<string, unknown>;
  action: string;
  resource: string;
  /** The same request on another API, which the policy must not allow. */
  sibling: string;
  /**
   * Whether iam-simulate can judge the request. It answers `no.resource.types` (measured, iam-simulate 0.x with the
   * catalogue here) on the v2 paths of the method actions, whose types the catalogue lists for v1 alone, and on
   * POST /restapis/ID/resources/PARENT and /restapis/ID/deployments.
   */
  judged: boolean;
}

const CASES: Case[] = [
  {
    event: 'GetRestApis',
    params: { limit: 25, template: false },
    action: 'apigateway:GET',
    resource: arn('/restapis'),
    sibling: arn(`/restapis/${OTHER_REST}`),
    judged: true,
  },
  {
    event: 'CreateResource',
    params: { restApiId: REST, parentId: 'p0q9r8', createResourceInput: { pathPart: 'pets' }, template: false },
    action: 'apigateway:POST',
    resource: arn(`/restapis/${REST}/resources/p0q9r8`),
    sibling: arn(`/restapis/${OTHER_REST}/resources/p0q9r8`),
    judged: false,
  },
  {
    event: 'PutMethod',
    params: {
      restApiId: REST,
      resourceId: 'r5s6t7',
      httpMethod: 'GET',
      putMethodInput: { authorizationType: 'AWS_IAM' },
      template: false,
    },
    action: 'apigateway:PUT',
    resource: arn(`/restapis/${REST}/resources/r5s6t7/methods/GET`),
    sibling: arn(`/restapis/${OTHER_REST}/resources/r5s6t7/methods/GET`),
    judged: true,
  },
  {
    event: 'CreateDeployment',
    params: { restApiId: REST, createDeploymentInput: { description: '', stageName: 'prod' }, template: false },
    action: 'apigateway:POST',
    resource: arn(`/restapis/${REST}/deployments`),
    sibling: arn(`/restapis/${OTHER_REST}/deployments`),
    judged: false,
  },
  {
    event: 'UpdateStage',
    params: {
      restApiId: REST,
      stageName: 'prod',
      updateStageInput: { patchOperations: [{ op: 'replace', path: '/tracingEnabled', value: 'true' }] },
      template: false,
    },
    action: 'apigateway:PATCH',
    resource: arn(`/restapis/${REST}/stages/prod`),
    sibling: arn(`/restapis/${OTHER_REST}/stages/prod`),
    judged: true,
  },
  {
    event: 'GetApi',
    params: { apiId: HTTP },
    action: 'apigateway:GET',
    resource: arn(`/apis/${HTTP}`),
    sibling: arn(`/apis/${OTHER_HTTP}`),
    judged: false,
  },
  {
    event: 'CreateStage',
    params: { apiId: HTTP, stageName: 'beta', autoDeploy: true },
    action: 'apigateway:POST',
    resource: arn(`/apis/${HTTP}/stages`),
    sibling: arn(`/apis/${OTHER_HTTP}/stages`),
    judged: false,
  },
  {
    event: 'CreateRoute',
    params: { apiId: HTTP, routeKey: 'GET /pets', target: 'integrations/abc123' },
    action: 'apigateway:POST',
    resource: arn(`/apis/${HTTP}/routes`),
    sibling: arn(`/apis/${OTHER_HTTP}/routes`),
    judged: false,
  },
  {
    event: 'DeleteApi',
    params: { apiId: HTTP },
    action: 'apigateway:DELETE',
    resource: arn(`/apis/${HTTP}`),
    sibling: arn(`/apis/${OTHER_HTTP}`),
    judged: false,
  },
  {
    event: 'GetRoutingRule',
    params: { domainName: DOMAIN, routingRuleId: 'rr0abc1' },
    action: 'apigateway:GetRoutingRule',
    resource: own(`/domainnames/${DOMAIN}/routingrules/rr0abc1`),
    sibling: own(`/domainnames/other.example.com/routingrules/rr0abc1`),
    judged: true,
  },
];

describe('API Gateway management calls: the action and the request path, from the service models', () => {
  const run = (() => {
    let v: ReturnType<typeof generate> | undefined;
    return () => (v ??= generate(CASES.map((c) => record(AGW, c.event, c.params))));
  })();

  it('maps each operation to its action alone', async () => {
    for (const c of CASES)
      expect(await mapEventToActions(AGW, c.event), c.event).toEqual({ kind: 'actions', actions: [c.action] });
  });

  it('grants each action exactly on the observed request paths, and verify replays them all', () => {
    const { policy, verified, stderr } = run();
    expect(verified).toBe(0);
    const byAction = new Map<string, string[]>();
    for (const c of CASES) byAction.set(c.action, [...(byAction.get(c.action) ?? []), c.resource].sort());
    for (const [action, resources] of byAction) expect(grants(policy, action), action).toEqual(resources);
    expect([...new Set(policy.Statement.flatMap((s) => s.Action))].sort()).toEqual([...byAction.keys()].sort());
    expect(stderr).toContain('widenings: none');
  });

  it('iam-simulate, where its catalogue knows the path, allows the call and denies it on another API', async () => {
    const { policy } = run();
    for (const c of CASES.filter((x) => x.judged)) {
      expect(await simulate(policy, { principal: ROLE, action: c.action, resource: c.resource }), c.event).toBe(
        'Allowed',
      );
      expect(await simulate(policy, { principal: ROLE, action: c.action, resource: c.sibling }), c.event).toBe(
        'ImplicitlyDenied',
      );
    }
  });

  it('no other API is reachable through the policy: every grant is a path of an observed API', () => {
    const { policy } = run();
    const all = policy.Statement.flatMap((s) => (s.Resource === '*' ? ['*'] : s.Resource));
    for (const r of all) expect(r, r).not.toMatch(/[*?]/);
    for (const c of CASES) expect(all).not.toContain(c.sibling);
  });
});

describe('what the record does not say is * on that segment alone, listed with its reason', () => {
  const run = (() => {
    let v: ReturnType<typeof generate> | undefined;
    return () =>
      (v ??= generate([
        // v1 DeleteStage without its stageName: the API is known, the stage is not.
        record(AGW, 'DeleteStage', { restApiId: REST, template: false }),
        // GetStages of v1 and v2 alike, with neither restApiId nor apiId: both paths, each with `*`.
        record(AGW, 'GetStages', null),
        // A create of a portal: AWS makes up the portal's id.
        record(AGW, 'CreatePortal', { portalContent: { displayName: 'docs' }, authorization: { none: {} } }),
        // A routing rule created on a named domain: the rule's id is made up.
        record(AGW, 'CreateRoutingRule', { domainName: DOMAIN, priority: 50, conditions: [], actions: [] }),
      ]));
  })();

  it('fills what is known and lists each * with the parameter it stands for', async () => {
    const { policy, stderr, verified } = run();
    expect(verified).toBe(0);
    expect(grants(policy, 'apigateway:DELETE')).toEqual([arn(`/restapis/${REST}/stages/*`)]);
    expect(stderr).toContain('apigateway:DELETE: DeleteStage names no stageName');
    expect(grants(policy, 'apigateway:GET')).toEqual([arn('/apis/*/stages'), arn('/restapis/*/stages')]);
    expect(stderr).toContain('apigateway:GET: GetStages names no restApiId');
    expect(stderr).toContain('apigateway:GET: GetStages names no apiId');
    expect(grants(policy, 'apigateway:CreatePortal')).toEqual([own('/portals/*')]);
    expect(stderr).toContain('apigateway:CreatePortal: the request path /portals holds no PortalId of the Portal');
    expect(grants(policy, 'apigateway:CreateRoutingRule')).toEqual([own(`/domainnames/${DOMAIN}/routingrules/*`)]);
    expect(stderr).toContain('holds no RoutingRuleId of the RoutingRule');
    // The routing rule grant stays on the named domain.
    const rule = own(`/domainnames/${DOMAIN}/routingrules/rr0abc1`);
    const other = own(`/domainnames/other.example.com/routingrules/rr0abc1`);
    expect(await simulate(policy, { principal: ROLE, action: 'apigateway:CreateRoutingRule', resource: rule })).toBe(
      'Allowed',
    );
    expect(await simulate(policy, { principal: ROLE, action: 'apigateway:CreateRoutingRule', resource: other })).toBe(
      'ImplicitlyDenied',
    );
  });
});

describe('the operation table', () => {
  it('holds both APIs, their shared names told apart by restApiId and apiId', () => {
    expect(API_GATEWAY_OPERATIONS['CreateResource']).toEqual(['POST /restapis/{restApiId}/resources/{parentId}']);
    expect(API_GATEWAY_OPERATIONS['CreateStage']).toEqual([
      'POST /apis/{apiId}/stages',
      'POST /restapis/{restApiId}/stages',
    ]);
    expect(API_GATEWAY_OPERATIONS['PutRoutingRule']).toEqual([
      'PUT /domainnames/{domainName}/routingrules/{routingRuleId}',
    ]);
    expect(filledRequestPath('/restapis/{restApiId}/stages/{stageName}', { restApiId: REST })).toBe(
      `/restapis/${REST}`,
    );
    expect(filledRequestPath('/apis/{apiId}/stages', { apiId: HTTP })).toBe(`/apis/${HTTP}/stages`);
    expect(filledRequestPath('/apis/{apiId}/stages', { restApiId: REST })).toBeUndefined();
    expect(filledRequestPath('/restapis', {})).toBe('/restapis');
  });

  it('PutRoutingRule is authorized as UpdateRoutingRule, as the catalogue says', async () => {
    expect(await mapEventToActions(AGW, 'PutRoutingRule')).toEqual({
      kind: 'actions',
      actions: ['apigateway:UpdateRoutingRule'],
    });
  });

  it('an operation of neither API is unmapped with its reason, never a guessed method', async () => {
    const m = await mapEventToActions(AGW, 'GetFrobnicators');
    expect(m).toEqual({
      kind: 'unmapped',
      reason:
        "apigateway.amazonaws.com GetFrobnicators: no operation of that name in API Gateway's v1 or v2 service model",
    });
    const { stderr } = generate([
      record(AGW, 'GetApi', { apiId: HTTP }),
      record(AGW, 'GetFrobnicators', { apiId: HTTP }),
    ]);
    expect(stderr).toContain('unmapped events: 1 calls of 1 kinds');
    expect(stderr).toContain(`GetFrobnicators ×1: ${m.kind === 'unmapped' ? m.reason : ''}`);
  });

  it('TagResource is PUT in v1 and POST in v2 on the same path: both, each listed', () => {
    const tagged = `arn:aws:apigateway:${REGION}::/restapis/${REST}`;
    const { policy, stderr } = generate([record(AGW, 'TagResource', { resourceArn: tagged, tags: { team: 'a' } })]);
    expect(grants(policy, 'apigateway:PUT')).toEqual([arn(`/tags/${tagged}`)]);
    expect(grants(policy, 'apigateway:POST')).toEqual([arn(`/tags/${tagged}`)]);
    expect(stderr).toContain('TagResource is POST in the other API Gateway API on the same path');
  });
});
