import type { Evidence } from '../../model/evidence.js';
import {
  topRisk,
  type CiEvidence,
  type CiFinding,
  type FindingType,
  type Location,
  type RbacCiAccess,
  type RbacFinding,
  type Risk,
} from '../../model/finding.js';
import { k8sRiskList } from './risks.js';
import { cmp } from '../../model/issue.js';
import { grantEvidence, isGrantable, type Principal, type Profile } from '../../model/profile.js';
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
  /** The rule it comes from: one change in a diff (the binding's file, binding and rule index). */
  rule: string;
}

// Keys are JSON arrays: no value can shift into another field, and they sort as their fields do.
const groupKey = (g: RbacGrant) =>
  JSON.stringify([g.subject, g.namespace, g.apiGroup, g.resource, g.subresource, g.nonResourceURL, g.verb]);
const grantKey = (g: RbacGrant) =>
  JSON.stringify([g.subject, g.namespace, g.apiGroup, g.resource, g.subresource, g.nonResourceURL, g.verb, g.name]);

const changeKey = (g: RbacGrant) => JSON.stringify([g.subject, g.namespace, g.rule]);

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
    changeKey,
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
    for (const [index, r] of g.rules.entries()) {
      const base = {
        subject,
        subjectKind: b.subjectKind,
        at: ruleLine(b.file, texts, b.roleKind, b.roleName, index) ?? at,
        rule: JSON.stringify([b.file, b.bindingKind, b.bindingNamespace, b.bindingName, index]),
      };
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

const uniq = (xs: string[]) => [...new Set(xs)];
const resOf = (g: RbacGrant) =>
  `${g.subresource ? `${g.resource}/${g.subresource}` : g.resource}${g.apiGroup ? `.${g.apiGroup}` : ''}`;

function summary(items: RbacGrant[]): string {
  const g = items[0]!;
  const verbs = uniq(items.map((i) => i.verb)).join(', ');
  const urls = items.filter((i) => i.nonResourceURL);
  if (urls.length === items.length) return `${verbs} ${uniq(urls.map((i) => i.nonResourceURL)).join(', ')}`;
  const resources = uniq(items.filter((i) => !i.nonResourceURL).map(resOf)).join(', ');
  const named = items.filter((i) => !i.nonResourceURL);
  const names = named.map((i) => i.name).filter((n) => n !== '*');
  const nameText = names.length && names.length === named.length ? ' ' + uniq(names).join(', ') : '';
  return `${verbs} ${resources}${nameText}${g.namespace ? ' in ' + g.namespace : ' (cluster-wide)'}`;
}

/** The catalogue's risks of every grant of a finding, each reason once, the highest level first. */
function riskOf(items: RbacGrant[]): CiFinding['risk'] {
  const all = new Map<string, Risk>();
  for (const i of items) for (const r of k8sRiskList(i)) if (!all.has(r.reason)) all.set(r.reason, r);
  const list = [...all.values()];
  const level = topRisk(list);
  return level ? { level, reasons: list.map((r) => r.reason) } : undefined;
}

function finding(type: FindingType, items: RbacGrant[], evidence?: CiEvidence): CiFinding {
  const g = items[0]!;
  const names = [...new Set(items.map((i) => i.name))].sort(cmp);
  const verbs = uniq(items.map((i) => i.verb));
  const resources = uniq(items.map((i) => (i.subresource ? `${i.resource}/${i.subresource}` : i.resource)));
  const risk = type === 'undetermined' ? undefined : riskOf(items);
  return {
    type,
    kind: 'rbac',
    principal: g.subject,
    access: g.nonResourceURL
      ? {
          verb: g.verb,
          ...(verbs.length > 1 ? { verbs } : {}),
          nonResourceURLs: [...new Set(items.map((i) => i.nonResourceURL))].sort(cmp),
        }
      : {
          namespace: g.namespace,
          apiGroup: g.apiGroup,
          resource: resources[0]!,
          verb: g.verb,
          ...(verbs.length > 1 ? { verbs } : {}),
          ...(resources.length > 1 ? { resources } : {}),
          resourceNames: names.includes('*') ? [] : names,
        },
    summary: summary(items),
    ...(risk ? { risk } : {}),
    ...(evidence ? { evidence } : {}),
    locations: uniqueLocations(items.map((i) => i.at)),
  };
}

/**
 * The line of rule `index` of a role in a YAML file: the role's document (its kind and name), then the
 * index-th item of its `rules:` list. Undefined when it cannot be told (JSON, an aggregated role).
 */
function ruleLine(file: string, texts: Map<string, string>, kind: string, name: string, index: number) {
  const lines = (texts.get(file) ?? '').split('\n');
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i < lines.length && !/^---(\s|$)/.test(lines[i]!)) continue;
    const doc = lines.slice(start, i);
    const isRole =
      doc.some((l) => new RegExp(`^kind:\\s*['"]?${kind}['"]?\\s*$`).test(l)) &&
      doc.some((l) => new RegExp(`^\\s+name:\\s*['"]?${escapeRe(name)}['"]?\\s*$`).test(l));
    if (isRole) {
      const rules = doc.findIndex((l) => /^rules:\s*$/.test(l));
      if (rules < 0) return undefined;
      let indent = -1;
      let n = -1;
      for (let j = rules + 1; j < doc.length; j++) {
        const m = /^(\s*)- /.exec(doc[j]!);
        if (!m) {
          if (/^\S/.test(doc[j]!)) break;
          continue;
        }
        if (indent < 0) indent = m[1]!.length;
        if (m[1]!.length !== indent) continue;
        if (++n === index) return { file, line: start + j + 1 };
      }
      return undefined;
    }
    start = i + 1;
  }
  return undefined;
}

const wild = (pattern: string, v: string) => pattern === '*' || pattern === v;

/** Whether a grant covers an observed access (its `*` covering every value). */
function covers(i: RbacGrant, e: Principal['k8s'][number]): boolean {
  if (!wild(i.verb, e.verb)) return false;
  if (i.nonResourceURL)
    return (
      e.nonResourceURL !== '' &&
      (i.nonResourceURL === e.nonResourceURL ||
        (i.nonResourceURL.endsWith('*') && e.nonResourceURL.startsWith(i.nonResourceURL.slice(0, -1))))
    );
  return (
    e.nonResourceURL === '' &&
    (i.namespace === '' || i.namespace === e.namespace) &&
    wild(i.apiGroup, e.apiGroup) &&
    wild(i.resource, e.resource) &&
    (i.subresource === e.subresource || i.subresource === '*') &&
    (i.name === '*' || i.name === e.name)
  );
}

/** Evidence of the profile's accesses that a group of grants covers. */
function evidenceOf(profile: Profile, items: RbacGrant[]): CiEvidence {
  const found: Evidence[] = [];
  const g = items[0]!;
  for (const p of profile.principals) {
    if (p.username !== g.subject && !(g.subjectKind === 'Group' && p.groups.includes(g.subject))) continue;
    for (const e of p.k8s) if (isGrantable(e) && items.some((i) => covers(i, e))) found.push(grantEvidence(e)!);
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
