import { isObj } from '../../util/json.js';
import type { CallContext } from './resources.js';

/**
 * The launch template a launch names, on which AWS authorizes ec2:RunInstances besides the instances' other resources:
 * the Service Authorization Reference lists `launch-template` among RunInstances' resource types, and Karpenter's
 * controller policy grants RunInstances and CreateFleet on `launch-template/*` for its launches from its templates.
 * The template's ARN holds its id (`launch-template/lt-0a1b2c3d4e5f60718`):
 * - named by id, the ARN is that template's (RunInstances' `launchTemplate.launchTemplateId` is a row of the parameter
 *   table, knowledge/aws/resourceParameters.ts; an instant fleet's is implied here);
 * - named by name, the ARN cannot be built, as the event does not give the id the name stands for: any template of
 *   the call's account and Region, `launch-template/*`, implied with this reason and listed as a widening.
 * What the template holds (its image, subnet, security groups) the request does not name either: those stay the
 * launch's unnamed types, each `…/*` of the call's account and Region (knowledge/aws/permissions.ts). The response
 * shows the ones this launch used, but the template's next version may hold others, which the caller does not choose.
 */

type Obj = Record<string, unknown>;
type Add = (action: string, resource: string, via: string) => void;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const TEMPLATE_ID = /^lt-[0-9a-f]{8,17}$/;
/** A launch template's name as EC2 takes it (3 to 128 of `A-Za-z0-9().-/_`): shown in the reason, else left out. */
const TEMPLATE_NAME = /^[\w().\-/]{3,128}$/;
const BY_NAME =
  'RunInstances is authorized on the launch template, whose ARN holds its id, not its name, and the event does not give the id';

/** ec2:RunInstances on the launch template `id` or, by `name`, on the account and Region's templates. */
export function templateGrant(
  spec: { id: string; name: string; idPath: string; namePath: string },
  c: CallContext,
  add: Add,
): void {
  const arn = (id: string) => `arn:${c.partition}:ec2:${c.region}:${c.account}:launch-template/${id}`;
  if (spec.id) {
    // An id of another shape builds nothing, as the parameter table's `ec2-id` reader builds nothing of it.
    if (TEMPLATE_ID.test(spec.id)) add('ec2:RunInstances', arn(spec.id), `requestParameters.${spec.idPath}`);
    return;
  }
  if (!spec.name) return;
  const shown = TEMPLATE_NAME.test(spec.name) ? ` (${spec.name})` : '';
  add('ec2:RunInstances', arn('*'), `requestParameters.${spec.namePath}${shown}: ${BY_NAME}`);
}

/** RunInstances from a template named by name (`requestParameters.launchTemplate.launchTemplateName`). */
export function runInstancesTemplate(params: Obj, c: CallContext, add: Add): void {
  const lt = params['launchTemplate'];
  // By id, the parameter table names the template as a resource of the call itself.
  if (!isObj(lt) || str(lt['launchTemplateId'])) return;
  const name = str(lt['launchTemplateName']);
  templateGrant({ id: '', name, idPath: '', namePath: 'launchTemplate.launchTemplateName' }, c, add);
}
