import { isObj, type JsonObject } from '../util/json.js';
import { list, str } from './iamAuthorization.js';

/**
 * Terraform's JSON of a plan or a state (Terraform's "JSON Output Format": `terraform show -json`), and a state file
 * (`terraform state pull`), read as resource instances, with what a plan's `configuration` says of their arguments:
 * the shapes, apart from what any provider's resources mean (terraform.ts reads AWS's IAM from them).
 */

/** A parsed policy file that is Terraform's JSON of a plan or a state, or a state file. */
export function isTerraformJson(o: unknown): o is JsonObject {
  if (!isObj(o) || 'Statement' in o || 'kind' in o) return false;
  if (typeof o['format_version'] === 'string' && (isObj(o['planned_values']) || isObj(o['values']))) return true;
  return (
    typeof o['version'] === 'number' && typeof o['terraform_version'] === 'string' && Array.isArray(o['resources'])
  );
}

export interface TerraformDoc {
  file: string;
  object: JsonObject;
  text?: string;
}

/** One resource instance of the plan or state: its address, module, the address without module and index. */
export interface TerraformResource {
  address: string;
  module: string;
  /** `aws_iam_policy.cart` (data sources `data.aws_iam_policy.x`), without module and index. */
  base: string;
  index?: string | number;
  type: string;
  data: boolean;
  values: JsonObject;
  doc: TerraformDoc;
}

/** The instances a document holds: a plan's planned values (and the data sources of its prior state), a state's. */
export function resourcesOf(d: TerraformDoc): TerraformResource[] {
  const o = d.object;
  const out: TerraformResource[] = [];
  const seen = new Set<string>();
  const add = (r: Omit<TerraformResource, 'doc'>) => {
    if (seen.has(r.address)) return;
    seen.add(r.address);
    out.push({ ...r, doc: d });
  };
  const walk = (mod: unknown, onlyData: boolean) => {
    if (!isObj(mod)) return;
    const module = str(mod['address']) ?? '';
    for (const r of list(mod['resources'])) {
      const type = str(r['type']);
      const name = str(r['name']);
      const address = str(r['address']);
      const data = r['mode'] === 'data';
      if (!type || !name || !address || !isObj(r['values']) || (onlyData && !data)) continue;
      const index = r['index'];
      add({
        address,
        module,
        base: `${data ? 'data.' : ''}${type}.${name}`,
        ...(typeof index === 'string' || typeof index === 'number' ? { index } : {}),
        type,
        data,
        values: r['values'],
      });
    }
    for (const c of list(mod['child_modules'])) walk(c, onlyData);
  };
  const values = (v: unknown) => (isObj(v) ? v['root_module'] : undefined);
  if (isObj(o['planned_values'])) {
    walk(values(o['planned_values']), false);
    if (isObj(o['prior_state'])) walk(values(o['prior_state']['values']), true);
  } else if (isObj(o['values'])) walk(values(o['values']), false);
  else
    for (const r of list(o['resources'])) {
      const type = str(r['type']);
      const name = str(r['name']);
      if (!type || !name) continue;
      const module = str(r['module']) ?? '';
      const data = r['mode'] === 'data';
      const base = `${data ? 'data.' : ''}${type}.${name}`;
      for (const inst of list(r['instances'])) {
        if (!isObj(inst['attributes'])) continue;
        const index = inst['index_key'];
        const key = typeof index === 'string' || typeof index === 'number' ? index : undefined;
        add({
          address: `${module ? module + '.' : ''}${base}${key === undefined ? '' : `[${JSON.stringify(key)}]`}`,
          module,
          base,
          ...(key === undefined ? {} : { index: key }),
          type,
          data,
          values: inst['attributes'],
        });
      }
    }
  return out;
}

/** The configuration of a module (`module.a.module.b`) of a plan, or undefined. */
function moduleConfig(o: JsonObject, module: string): JsonObject | undefined {
  let mod: unknown = isObj(o['configuration']) ? o['configuration']['root_module'] : undefined;
  for (const m of module ? module.split(/\.?module\./).filter(Boolean) : []) {
    const call = m.replace(/\[.*\]$/, '');
    const calls = isObj(mod) ? mod['module_calls'] : undefined;
    mod = isObj(calls) && isObj(calls[call]) ? calls[call]['module'] : undefined;
  }
  return isObj(mod) ? mod : undefined;
}

/** A reference's index as written when it is a literal (`0`, `"k"`), else undefined (`count.index`, `each.key`). */
function literalIndex(text: string): string | number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if (/^"(?:[^"\\]|\\.)*"$/.test(text)) {
    try {
      return JSON.parse(text) as string;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * What a plan's configuration says of a resource's arguments: the resource an argument references (when it is one
 * instance: `aws_iam_policy.this[count.index].arn` from an instance with the same index), and whether an argument is
 * set at all. Instances are found by document, module and address once, not by a scan per reference.
 */
export function terraformReferences(all: TerraformResource[]): {
  referenced(r: TerraformResource, arg: string, type: string): TerraformResource | undefined;
  configures(r: TerraformResource, arg: string): boolean;
} {
  const docs = new Map<TerraformDoc, Map<string, TerraformResource[]>>();
  for (const r of all) {
    let byAddress = docs.get(r.doc);
    if (!byAddress) docs.set(r.doc, (byAddress = new Map()));
    const k = `${r.module}\u0000${r.base}`;
    const list = byAddress.get(k);
    if (list) list.push(r);
    else byAddress.set(k, [r]);
  }
  const configOf = (r: TerraformResource) => {
    const config = moduleConfig(r.doc.object, r.module);
    return { config, own: list(config?.['resources']).find((c) => c['address'] === r.base) };
  };
  return {
    referenced(r, arg, type) {
      const { own } = configOf(r);
      const expr = isObj(own?.['expressions']) ? own['expressions'][arg] : undefined;
      const refs = isObj(expr) && Array.isArray(expr['references']) ? expr['references'] : [];
      for (const ref of refs) {
        const m = typeof ref === 'string' ? /^((?:data\.)?([\w-]+)\.[\w-]+)(?:\[(.+?)\])?/.exec(ref) : null;
        if (!m || m[2] !== type) continue;
        const targets = docs.get(r.doc)?.get(`${r.module}\u0000${m[1]!}`) ?? [];
        // `[0]`, `["k"]`; `[count.index]`, `[each.key]` (or no index) stand for the referring instance's own.
        const index = m[3] !== undefined ? literalIndex(m[3]) : undefined;
        const one =
          targets.length === 1
            ? targets[0]
            : targets.find((t) => t.index === (index !== undefined ? index : r.index) && t.index !== undefined);
        if (one) return one;
      }
      return undefined;
    },
    configures(r, arg) {
      const { config, own } = configOf(r);
      if (!config || !own) return true;
      const expr = own['expressions'];
      return isObj(expr) && arg in expr;
    },
  };
}
