import { pushAll } from '../util/array.js';
import { cmp, type InputIssue } from '../model/issue.js';
import { iamIdentity, isServiceLinkedRole } from '../model/subject.js';
import { isObj } from '../util/json.js';
import type { NamedPolicy } from '../verify/iam/evaluate.js';
import { lineFinder, list, readPolicy, str, type AuthorizedPrincipal, type LineFinder } from './iamAuthorization.js';
import { resourcesOf, terraformReferences, type TerraformDoc, type TerraformResource as Res } from './terraformJson.js';

/**
 * IAM as a Terraform configuration declares it, from the JSON Terraform writes of a plan or a state (`terraform show
 * -json plan.out`, `terraform show -json`; Terraform's "JSON Output Format": `planned_values` / `values`, each a
 * `root_module` of `resources` and `child_modules`), or a state file itself (`terraform state pull`: version 4,
 * `resources[].instances[].attributes`). The AWS provider's resources are read by their documented arguments:
 *
 * - principals: `aws_iam_role` (`name`, `path`, `arn`; `inline_policy` blocks, `managed_policy_arns`,
 *   `permissions_boundary`) and `aws_iam_user` (the same but inline policies);
 * - inline policies: `aws_iam_role_policy` (`role`), `aws_iam_user_policy` (`user`), `aws_iam_group_policy` (`group`);
 * - managed policies: `aws_iam_policy` (`arn`, `policy`), also as a data source, attached by
 *   `aws_iam_role_policy_attachment`, `aws_iam_user_policy_attachment`, `aws_iam_group_policy_attachment` and
 *   `aws_iam_policy_attachment` (`roles`, `users`, `groups`);
 * - groups: `aws_iam_user_group_membership` (`user`, `groups`) and `aws_iam_group_membership` (`group`, `users`).
 *
 * A plan leaves out what is known only after apply (a new policy's `arn`, a new role's `id`): such an argument is
 * followed through the plan's `configuration` to the resource it references in the same module (`policy_arn =
 * aws_iam_policy.cart.arn`, `role = aws_iam_role.app.id`). A new role's account, not in its unknown ARN, is the one
 * account the plan's known IAM ARNs and `aws_caller_identity` name. As for an account's answer, nothing is assumed of
 * what the plan does not hold: a managed policy attached by ARN that the plan does not declare (an AWS managed policy
 * without a `data "aws_iam_policy"`), a value unknown and not traceable, a role declared outside the plan (its other
 * policies), each is a policy not read (`NamedPolicy.unknown`).
 */

const IAM_ARN = /^arn:(aws[\w-]*):iam::(\d{12}):/;

/** The strings of a list argument (`groups`, `users`, `roles`); none for anything else. */
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * Every role's and user's policies that the Terraform documents declare, and the issues met reading them. Each
 * document is read on its own (a plan is one workspace: two plans may hold roles of one name in two accounts); a
 * principal two of them declare gets the policies of both.
 */
export function terraformPolicies(docs: TerraformDoc[]): { principals: AuthorizedPrincipal[]; issues: InputIssue[] } {
  const issues: InputIssue[] = [];
  const principals: AuthorizedPrincipal[] = [];
  for (const d of docs) pushAll(principals, onePlan(d, issues));
  return { principals: principals.sort((a, b) => cmp(a.arn, b.arn)), issues };
}

function onePlan(d: TerraformDoc, issues: InputIssue[]): AuthorizedPrincipal[] {
  const finders = new Map<TerraformDoc, LineFinder>();
  const lineOf = (r: Res) => {
    let f = finders.get(r.doc);
    if (!f) finders.set(r.doc, (f = lineFinder(r.doc.text)));
    return f('address', r.address);
  };
  const issue = (r: Res | undefined, code: string, message: string) =>
    issues.push({ kind: 'issue', code, file: d.file, line: r ? lineOf(r) : 1, message });

  const version = str(d.object['format_version']);
  if (version !== undefined && !version.startsWith('1.')) {
    issue(undefined, 'iam.terraform-version', `format_version ${version}: only Terraform's JSON format 1.x is read`);
    return [];
  }
  const all = resourcesOf(d);

  // The accounts the documents name: of known IAM ARNs, and of `aws_caller_identity`.
  const accounts = new Set<string>();
  for (const r of all) {
    const m = IAM_ARN.exec(str(r.values['arn']) ?? '');
    if (m && m[2] !== undefined && r.type.startsWith('aws_iam_')) accounts.add(`${m[1]!}:${m[2]}`);
    if (r.type === 'aws_caller_identity' && str(r.values['account_id'])) {
      const partition = /^arn:(aws[\w-]*):/.exec(str(r.values['arn']) ?? '')?.[1] ?? 'aws';
      accounts.add(`${partition}:${str(r.values['account_id'])!}`);
    }
  }

  const { referenced, configures } = terraformReferences(all);

  /** A name argument (`role`, `user`, `group`): as the plan holds it, else the referenced resource's name. */
  const nameArg = (r: Res, arg: string, type: string): string | undefined =>
    str(r.values[arg]) ?? str(referenced(r, arg, type)?.values['name']);

  // Managed policies: by ARN where known, by address (a plan's new ones).
  const byArn = new Map<string, Res>();
  for (const r of all)
    if (r.type === 'aws_iam_policy') {
      const arn = str(r.values['arn']);
      if (arn && !byArn.has(arn)) byArn.set(arn, r);
    }

  // A managed policy attached to many principals is read once (and a bad one is one issue).
  const read = new Map<string, NamedPolicy>();
  const managed = (
    from: Res,
    arn: string | undefined,
    arg: string,
    owner: string,
    extra: Partial<NamedPolicy> = {},
  ) => {
    const target = (arn !== undefined ? byArn.get(arn) : undefined) ?? referenced(from, arg, 'aws_iam_policy');
    const at = { file: from.doc.file, line: lineOf(from) };
    if (!target) {
      const what = arn ?? `${from.address}'s ${arg}`;
      return {
        name: `${from.doc.file}: ${what}`,
        document: {},
        unknown:
          arn === undefined
            ? `the policy ${from.address} attaches to ${owner} is known only after apply and not traceable in the plan`
            : `attached to ${owner} by ${from.address}, but not declared in the plan (an AWS managed policy can be given as a data "aws_iam_policy")`,
        at,
        ref: what,
        ...extra,
      } satisfies NamedPolicy;
    }
    const name = `${target.doc.file}: ${target.address}`;
    extra = { ...extra, ref: str(target.values['arn']) ?? target.address };
    const key = `${target.address}\u0000${extra.boundary ? 'boundary' : ''}`;
    const hit = read.get(key);
    if (hit) return hit;
    if (str(target.values['policy']) === undefined)
      return {
        name,
        document: {},
        unknown: 'its document is known only after apply',
        at: { file: target.doc.file, line: lineOf(target) },
        ...extra,
      } satisfies NamedPolicy;
    const p = readPolicy(target.doc.file, lineOf(target), name, target.values['policy'], issues, extra);
    read.set(key, p);
    return p;
  };

  interface Principal {
    kind: 'role' | 'user';
    name: string;
    declared?: Res;
    policies: NamedPolicy[];
  }
  const principals = new Map<string, Principal>();
  const principal = (kind: 'role' | 'user', name: string) => {
    const k = `${kind}/${name}`;
    let p = principals.get(k);
    if (!p) principals.set(k, (p = { kind, name, policies: [] }));
    return p;
  };
  const groupPolicies = new Map<string, NamedPolicy[]>();
  const memberships: { user: string; group: string }[] = [];
  const group = (name: string) => {
    let g = groupPolicies.get(name);
    if (!g) groupPolicies.set(name, (g = []));
    return g;
  };
  const give = (kind: 'role' | 'user' | 'group', owner: string, pol: NamedPolicy) => {
    if (kind === 'group') group(owner).push(pol);
    else principal(kind, owner).policies.push(pol);
  };
  // An inline policy; in a plan, one whose document is known only after apply is a policy not read, as a managed one.
  const inline = (r: Res, label: string): NamedPolicy => {
    const [name, ref, at] = [`${r.doc.file}: ${r.address}${label}`, `${r.address}${label}`, lineOf(r)];
    if (r.values['policy'] === undefined && isObj(r.doc.object['planned_values']))
      return {
        name,
        document: {},
        unknown: 'its document is known only after apply',
        at: { file: r.doc.file, line: at },
        ref,
      };
    return readPolicy(r.doc.file, at, name, r.values['policy'], issues, { ref });
  };
  const unnamed = (r: Res, arg: string) =>
    issue(
      r,
      'iam.terraform-unknown',
      `${r.address}: its ${arg} is known only after apply and not traceable in the plan`,
    );

  // A role's `assume_role_policy`: who may become it (verify/iam/trust.ts); a value known only after apply is not read.
  const trustOf = (r: Res): NamedPolicy => {
    const name = `${r.doc.file}: ${r.address} assume_role_policy`;
    const raw = r.values['assume_role_policy'];
    if (typeof raw === 'string' && raw !== '') return readPolicy(r.doc.file, lineOf(r), name, raw, issues, {}, true);
    return { name, document: {}, unknown: 'it is known only after apply', at: { file: r.doc.file, line: lineOf(r) } };
  };

  for (const r of all) {
    if (r.data) continue;
    const v = r.values;
    switch (r.type) {
      case 'aws_iam_role':
      case 'aws_iam_user': {
        const kind = r.type === 'aws_iam_role' ? 'role' : 'user';
        const name = str(v['name']);
        if (!name) {
          unnamed(r, 'name');
          break;
        }
        const p = principal(kind, name);
        p.declared = r;
        // A role's `inline_policy` and `managed_policy_arns` are computed: a plan carries the prior state's over for a
        // role whose configuration does not set them, the policies of `aws_iam_role_policy` resources and attachments
        // included, and a pull request that removes one of those would still show it. In a plan they are read only
        // when the configuration sets them; in a state they are what AWS held at the last refresh.
        const inPlan = (arg: string) => !isObj(r.doc.object['planned_values']) || configures(r, arg);
        if (inPlan('inline_policy'))
          for (const [i, b] of list(v['inline_policy']).entries())
            if (str(b['policy']) !== undefined || str(b['name']) !== undefined)
              p.policies.push(inline({ ...r, values: b }, ` inline_policy ${str(b['name']) ?? `#${i}`}`));
        const arns =
          inPlan('managed_policy_arns') && Array.isArray(v['managed_policy_arns']) ? v['managed_policy_arns'] : [];
        for (const arn of arns)
          if (typeof arn === 'string') p.policies.push(managed(r, arn, 'managed_policy_arns', `${kind}/${name}`));
        const boundary = str(v['permissions_boundary']);
        if (boundary)
          p.policies.push(managed(r, boundary, 'permissions_boundary', `${kind}/${name}`, { boundary: true }));
        break;
      }
      case 'aws_iam_role_policy':
      case 'aws_iam_user_policy':
      case 'aws_iam_group_policy':
      case 'aws_iam_role_policy_attachment':
      case 'aws_iam_user_policy_attachment':
      case 'aws_iam_group_policy_attachment': {
        // An inline policy of its role, user or group, or a managed policy attached to it.
        const [, arg, attachment] = /^aws_iam_(role|user|group)_policy(_attachment)?$/.exec(r.type) as unknown as [
          string,
          'role' | 'user' | 'group',
          string | undefined,
        ];
        const owner = nameArg(r, arg, `aws_iam_${arg}`);
        if (!owner) unnamed(r, arg);
        else
          give(
            arg,
            owner,
            attachment ? managed(r, str(v['policy_arn']), 'policy_arn', `${arg}/${owner}`) : inline(r, ''),
          );
        break;
      }
      case 'aws_iam_policy_attachment': {
        for (const kind of ['role', 'user', 'group'] as const)
          for (const owner of strings(v[`${kind}s`]))
            give(kind, owner, managed(r, str(v['policy_arn']), 'policy_arn', `${kind}/${owner}`));
        break;
      }
      case 'aws_iam_user_group_membership': {
        // A user's groups, or a group's users.
        const user = nameArg(r, 'user', 'aws_iam_user');
        if (!user) unnamed(r, 'user');
        else for (const group of strings(v['groups'])) memberships.push({ user, group });
        break;
      }
      case 'aws_iam_group_membership': {
        const group = nameArg(r, 'group', 'aws_iam_group');
        if (!group) unnamed(r, 'group');
        else for (const user of strings(v['users'])) memberships.push({ user, group });
        break;
      }
    }
  }
  for (const m of memberships) {
    const policies = groupPolicies.get(m.group) ?? [];
    pushAll(principal('user', m.user).policies, policies);
  }

  const only = accounts.size === 1 ? [...accounts][0]! : undefined;
  const out: AuthorizedPrincipal[] = [];
  for (const p of [...principals.values()].sort((a, b) => cmp(a.kind, b.kind) || cmp(a.name, b.name))) {
    const known = str(p.declared?.values['arn']);
    if (known !== undefined && iamIdentity(known)?.kind !== p.kind) {
      issue(
        p.declared!,
        'iam.terraform-invalid',
        `${p.declared!.address}: its arn ${known} is not the ARN of a ${p.kind}`,
      );
      continue;
    }
    const path = str(p.declared?.values['path']) ?? '/';
    const arn =
      known ??
      (only
        ? `arn:${only.slice(0, only.indexOf(':'))}:iam::${only.slice(only.indexOf(':') + 1)}:${p.kind}${path}${p.name}`
        : undefined);
    // Where the principal is declared, else where the first policy given to it is.
    const at = {
      kind: 'issue' as const,
      file: d.file,
      line: p.declared ? lineOf(p.declared) : (p.policies[0]?.at?.line ?? 1),
    };
    if (!arn) {
      const named = accounts.size ? `${accounts.size} accounts (${[...accounts].sort(cmp).join(', ')})` : 'no account';
      issues.push({
        ...at,
        code: 'iam.terraform-account',
        message: `${p.kind}/${p.name}: its ARN is known only after apply, and the plan names ${named} to place it in; not read`,
      });
      continue;
    }
    const id = iamIdentity(arn);
    if (id?.kind !== p.kind || id.name !== p.name) {
      issues.push({
        ...at,
        code: 'iam.terraform-invalid',
        message: `${p.kind}/${p.name}: its name and path (${path}) make no ARN of a ${p.kind} (${arn}); not read`,
      });
      continue;
    }
    if (isServiceLinkedRole(arn)) continue;
    if (!p.declared)
      p.policies.push({
        name: `${d.file}: ${p.kind}/${p.name}`,
        document: {},
        unknown: 'the plan attaches policies to it but does not declare it: its other policies are not in the plan',
        at: { file: d.file, line: at.line },
      });
    out.push({
      arn,
      file: d.file,
      policies: p.policies,
      ...(p.kind === 'role' && p.declared ? { trust: trustOf(p.declared) } : {}),
    });
  }
  return out;
}
