/**
 * Tag actions that AWS authorizes for the tags a create carries (tag on create, ingest/cloudTrail/tagOnCreate.ts), and
 * the condition key that names the create in that authorization's request context: `ec2:CreateAction` is
 * `RunInstances` while RunInstances' tags are authorized on ec2:CreateTags, and absent from a CreateTags call of its
 * own. The EC2 user guide ("Grant permission to tag Amazon EC2 resources during creation"), the ECS and ELB guides
 * ("Grant permission to tag resources on creation", "API permissions to tag resources during creation") and the EFS
 * guide give policies that allow the tag action only under this key; the catalogue lists each key for its action
 * (test/create-action.test.ts).
 */
const KEYS: Readonly<Record<string, string>> = {
  'ec2:createtags': 'ec2:CreateAction',
  'ecs:tagresource': 'ecs:CreateAction',
  'elasticloadbalancing:addtags': 'elasticloadbalancing:CreateAction',
  'elasticfilesystem:tagresource': 'elasticfilesystem:CreateAction',
};

/** The `<service>:CreateAction` key of a tag action that tag on create authorizes, else undefined. */
export function createActionKey(action: string): string | undefined {
  return Object.hasOwn(KEYS, action.toLowerCase()) ? KEYS[action.toLowerCase()] : undefined;
}

/**
 * The create whose tags a needed permission authorizes (its `<service>:CreateAction` value): the call's own event
 * for a tag action the call implies (tag on create), else undefined (a tag call of its own carries no such key).
 */
export function tagOnCreateOf(need: { action: string; implied?: string }, eventName: string): string | undefined {
  return need.implied && createActionKey(need.action) ? eventName : undefined;
}

/** Every tag action with a CreateAction key, as `service:Action` in lowercase (for tests). */
export const CREATE_ACTION_TAG_ACTIONS: readonly string[] = Object.keys(KEYS);
