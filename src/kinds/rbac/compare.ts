import type { Evidence } from '../../model/evidence.js';
import type { CiEvidence, CiFinding, FindingType, Location, RbacCiAccess, RbacFinding } from '../../model/finding.js';
import { cmp } from '../../model/issue.js';
import { grantEvidence, isGrantable, type Profile } from '../../model/profile.js';
import { escapeRe, locate } from '../../util/locate.js';
import type { RbacPolicySet, RbacRequest } from '../../verify/rbac/types.js';
import { dedupe, fromEvidence, mergeAll, uniqueLocations } from '../findings.js';
import type { CompareContext, CompareSide, Comparison, Coverage } from '../types.js';

/** One thing a binding grants: a verb on a resource name in a namespace ('' = cluster-wide), or on a URL. */
export interface RbacGrant {
  subject: string;
  subjectKind: string;
  namespace: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  /** `*` when the rule names no resourceNames. */
  name: string;
  verb: string;
  nonResourceURL: string;
  at: Location;
}

// Keys are JSON arrays: no value can shift into another field, and they sort as their fields do.
const groupKey = (g: RbacGrant) =>
  JSON.stringify([g.subject, g.namespace, g.apiGroup, g.resource, g.subresource, g.nonResourceURL, g.verb]);
const grantKey = (g: RbacGrant) =>
  JSON.stringify([g.subject, g.namespace, g.apiGroup, g.resource, g.subresource, g.nonResourceURL, g.verb, g.name]);

const bindingLine = (file: string, texts: Map<string, string>, name: string) =>
  locate(file, texts.get(file), 0, new RegExp(`name:\\s*['"]?${escapeRe(name)}['"]?\\s*$`));

/** RBAC as grants over every binding's effective rules, judged by the RBAC evaluator `verify` uses. */
export async function compareRbac(sides: CompareSide<RbacPolicySet>[], ctx: CompareContext): Promise<Comparison> {
  const sets = sides.map((s) => s.policies.set);
  const comparison: Comparison<RbacGrant> = {
    async grants(i) {
      return rbacGrants(sets[i]!, ctx.texts);
    },
    covered(g, by): Coverage {
      const d = sets[by]!.authorize(request(g));
      if (d.result === 'allow') return 'yes';
      if (d.result === 'deny') return 'no';
      return { undetermined: `the ${ctx.names[by]} side may grant it through something not given` };
    },
    groupKey,
    finding,
    locate(f, side) {
      const g = sets[side]!.grants().find((x) => x.binding.subjectName === f.subject);
      return g ? [bindingLine(g.binding.file, ctx.texts, g.binding.bindingName)] : [];
    },
  };
  const profile = ctx.profile;
  if (profile) comparison.evidence = (group) => evidenceOf(profile, group);
  return comparison as Comparison;
}

function rbacGrants(
  set: RbacPolicySet,
  texts: Map<string, string>,
): { grants: RbacGrant[]; undetermined: CiFinding[] } {
  const grants: RbacGrant[] = [];
  const undetermined: CiFinding[] = [];
  for (const g of set.grants()) {
    const b = g.binding;
    const at = bindingLine(b.file, texts, b.bindingName);
    const subject = b.subjectName;
    if (!g.rules) {
      const detail = `${b.bindingKind} ${b.bindingNamespace ? b.bindingNamespace + '/' : ''}${b.bindingName}: ${g.unknown}`;
      undetermined.push({
        type: 'undetermined',
        kind: 'rbac',
        principal: subject,
        access: {},
        summary: detail,
        locations: [at],
        detail,
      });
      continue;
    }
    const namespace = b.bindingKind === 'RoleBinding' ? b.bindingNamespace : '';
    const base = { subject, subjectKind: b.subjectKind, at };
    for (const r of g.rules) {
      for (const verb of r.verbs) {
        if (b.bindingKind === 'ClusterRoleBinding')
          for (const url of r.nonResourceURLs)
            grants.push({
              ...base,
              namespace: '',
              apiGroup: '',
              resource: '',
              subresource: '',
              name: '',
              verb,
              nonResourceURL: url,
            });
        for (const group of r.apiGroups) {
          for (const res of r.resources) {
            const slash = res.indexOf('/');
            const resource = slash < 0 ? res : res.slice(0, slash);
            const subresource = slash < 0 ? '' : res.slice(slash + 1);
            for (const name of r.resourceNames.length ? r.resourceNames : ['*'])
              grants.push({
                ...base,
                namespace,
                apiGroup: group,
                resource,
                subresource,
                name,
                verb,
                nonResourceURL: '',
              });
          }
        }
      }
    }
  }
  return { grants: dedupe(grants, grantKey), undetermined };
}

function request(g: RbacGrant): RbacRequest {
  const isGroup = g.subjectKind === 'Group';
  return {
    username: isGroup ? '' : g.subject,
    groups: isGroup ? [g.subject] : [],
    verb: g.verb,
    apiGroup: g.apiGroup,
    resource: g.resource,
    subresource: g.subresource,
    namespace: g.namespace,
    name: g.name,
    nonResourceURL: g.nonResourceURL,
  };
}

function summary(items: RbacGrant[]): string {
  const g = items[0]!;
  if (g.nonResourceURL) return `${g.verb} ${items.map((i) => i.nonResourceURL).join(', ')}`;
  const res = g.subresource ? `${g.resource}/${g.subresource}` : g.resource;
  const names = items.map((i) => i.name).filter((n) => n !== '*');
  const group = g.apiGroup ? `.${g.apiGroup}` : '';
  return `${g.verb} ${res}${group}${names.length && names.length === items.length ? ' ' + names.join(', ') : ''}${g.namespace ? ' in ' + g.namespace : ' (cluster-wide)'}`;
}

function finding(type: FindingType, items: RbacGrant[], evidence?: CiEvidence): CiFinding {
  const g = items[0]!;
  const names = [...new Set(items.map((i) => i.name))].sort(cmp);
  return {
    type,
    kind: 'rbac',
    principal: g.subject,
    access: g.nonResourceURL
      ? { verb: g.verb, nonResourceURLs: [...new Set(items.map((i) => i.nonResourceURL))].sort(cmp) }
      : {
          namespace: g.namespace,
          apiGroup: g.apiGroup,
          resource: g.subresource ? `${g.resource}/${g.subresource}` : g.resource,
          verb: g.verb,
          resourceNames: names.includes('*') ? [] : names,
        },
    summary: summary(items),
    ...(evidence ? { evidence } : {}),
    locations: uniqueLocations(items.map((i) => i.at)),
  };
}

const wild = (pattern: string, v: string) => pattern === '*' || pattern === v;

/** Evidence of the profile's accesses that a group of grants covers. */
function evidenceOf(profile: Profile, items: RbacGrant[]): CiEvidence {
  const found: Evidence[] = [];
  const g = items[0]!;
  const names = new Set(items.map((i) => i.name));
  for (const p of profile.principals) {
    if (p.username !== g.subject && !(g.subjectKind === 'Group' && p.groups.includes(g.subject))) continue;
    for (const e of p.k8s) {
      if (!isGrantable(e)) continue;
      const ok = g.nonResourceURL
        ? e.nonResourceURL !== '' &&
          items.some(
            (i) =>
              i.nonResourceURL === e.nonResourceURL ||
              (i.nonResourceURL.endsWith('*') && e.nonResourceURL.startsWith(i.nonResourceURL.slice(0, -1))),
          ) &&
          wild(g.verb, e.verb)
        : e.nonResourceURL === '' &&
          (g.namespace === '' || g.namespace === e.namespace) &&
          wild(g.apiGroup, e.apiGroup) &&
          wild(g.resource, e.resource) &&
          (g.subresource === e.subresource || g.subresource === '*') &&
          wild(g.verb, e.verb) &&
          (names.has('*') || names.has(e.name));
      if (ok) found.push(grantEvidence(e)!);
    }
  }
  return fromEvidence(mergeAll(found));
}

/** A would-be denial as a CI finding's access and words. */
export function describeRbac(f: RbacFinding): { access: RbacCiAccess; summary: string } {
  const a = f.access;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return {
    access: {
      namespace: a.namespace,
      apiGroup: a.apiGroup,
      resource: res,
      verb: a.verb,
      resourceNames: a.name ? [a.name] : [],
      ...(a.nonResourceURL ? { nonResourceURLs: [a.nonResourceURL] } : {}),
    },
    summary: a.nonResourceURL
      ? `${a.verb} ${a.nonResourceURL}`
      : `${a.verb} ${res}${a.apiGroup ? '.' + a.apiGroup : ''}${a.name ? ' ' + a.name : ''}${a.namespace ? ' in ' + a.namespace : ' (cluster-wide)'}`,
  };
}
