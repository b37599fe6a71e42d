import { isObj } from '../../util/json.js';
import { own } from '../../util/own.js';
import type { CallContext } from './resources.js';
import { EC2_ID_KEY, createdResource } from './tagOnCreate.js';
import { templateGrant } from './launchTemplate.js';

/**
 * EC2 CreateFleet as CloudTrail logs it: EC2's query API in XML turned into JSON, so a list of one element is the
 * element itself and a list of more is an array (`item` either way), and the names are the API's own case
 * (`requestParameters.CreateFleetRequest.TagSpecification[].ResourceType`, `Tag[].Key`). The response:
 * `responseElements.CreateFleetResponse.fleetInstanceSet.item[].instanceIds.item[]` (the EC2 API's
 * CreateFleetResponse `fleetInstanceSet` of CreateFleetInstance `instanceIds`; the EventBridge schema of EC2's
 * CloudTrail events, aws.ec2@AWSAPICallViaCloudTrail, has the same names; Karpenter's issue 5850 quotes such a record).
 *
 * What the call needs besides ec2:CreateFleet:
 * - an `instant` fleet launches its instances with ec2:RunInstances under the caller's own permissions (CloudTrail logs
 *   those launches as RunInstances of the caller `invokedBy` ec2fleet.amazonaws.com, and a caller without
 *   ec2:RunInstances gets the fleet error "not authorized to perform: ec2:RunInstances on resource: …instance/*":
 *   Karpenter issues 8190, 7370). The other types launch with the service-linked role AWSServiceRoleForEC2Fleet
 *   (EC2 user guide, "EC2 Fleet prerequisites": "An instant EC2 Fleet does not require this role"). The request names
 *   a launch template and its overrides, not the instance's resources: RunInstances is needed on the types it always
 *   takes, each unnamed, as for a RunInstances that names none (knowledge/aws/permissions.ts), and on each launch
 *   template of `LaunchTemplateConfigs[].LaunchTemplateSpecification`, by its id or, by name, `launch-template/*`
 *   (launchTemplate.ts), as for a RunInstances from that template;
 * - ec2:CreateTags on what each TagSpecification tags (tag on create, tagOnCreate.ts): the instances the response
 *   names, the fleet by its fleetId, the volumes by their type (the response names none);
 * - iam:PassRole for the launch template's instance profile: the template's contents are not in the event, so, as for
 *   a RunInstances from a launch template, nothing is implied.
 */

type Obj = Record<string, unknown>;
type Add = (action: string, resource: string, via: string) => void;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** An XML list turned into JSON: one element as itself, more as an array, none as '' or absent. */
function items(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v];
}

const request = (params: Obj): Obj => (isObj(params['CreateFleetRequest']) ? params['CreateFleetRequest'] : {});

/** The instance ids a CreateFleet response names, in its order. */
export function fleetInstanceIds(response: unknown): string[] {
  const r = isObj(response) && isObj(response['CreateFleetResponse']) ? response['CreateFleetResponse'] : {};
  const set = isObj(r['fleetInstanceSet']) ? r['fleetInstanceSet'] : {};
  const out: string[] = [];
  for (const i of items(set['item'])) {
    const ids = isObj(i) && isObj(i['instanceIds']) ? i['instanceIds'] : {};
    for (const id of items(ids['item'])) if (typeof id === 'string' && id !== '') out.push(id);
  }
  return out;
}

/**
 * A CreateFleet response in the shape the readers of creates take (RunInstances'): the instances under
 * `instancesSet.items[].instanceId`, the fleet under `fleetId`. Anything else is an empty object.
 */
export function fleetCreated(response: unknown): Obj {
  const r = isObj(response) && isObj(response['CreateFleetResponse']) ? response['CreateFleetResponse'] : {};
  const fleetId = str(r['fleetId']);
  return {
    ...(fleetId ? { fleetId } : {}),
    instancesSet: { items: fleetInstanceIds(response).map((instanceId) => ({ instanceId })) },
  };
}

/** ec2:RunInstances for an instant fleet, and ec2:CreateTags for what its TagSpecification tags. */
export function fleetImplied(params: Obj, c: CallContext, record: Obj, add: Add): void {
  const req = request(params);
  if (str(req['Type']) === 'instant') {
    add(
      'ec2:RunInstances',
      '',
      "requestParameters.CreateFleetRequest.Type (instant): an instant fleet launches its instances with RunInstances under the caller's permissions, and the request names a launch template, not their resources",
    );
    const configs = items(req['LaunchTemplateConfigs']);
    configs.forEach((x, i) => {
      const spec = isObj(x) && isObj(x['LaunchTemplateSpecification']) ? x['LaunchTemplateSpecification'] : {};
      const at = `CreateFleetRequest.LaunchTemplateConfigs${Array.isArray(req['LaunchTemplateConfigs']) ? `[${i}]` : ''}.LaunchTemplateSpecification`;
      templateGrant(
        {
          id: str(spec['LaunchTemplateId']),
          name: str(spec['LaunchTemplateName']),
          idPath: `${at}.LaunchTemplateId`,
          namePath: `${at}.LaunchTemplateName`,
        },
        c,
        add,
      );
    });
  }
  const specs = items(req['TagSpecification']);
  const response = fleetCreated(record['responseElements']);
  specs.forEach((s, i) => {
    if (!isObj(s) || items(s['Tag']).length === 0) return;
    const type = str(s['ResourceType']);
    const via = `requestParameters.CreateFleetRequest.TagSpecification${Array.isArray(req['TagSpecification']) ? `[${i}]` : ''}`;
    createdResource('ec2', type, own(EC2_ID_KEY, type), response, c, via, (r, v) => add('ec2:CreateTags', r, v));
  });
}
