import { API_GATEWAY_OPERATIONS } from './apiGatewayOperations.js';
import { parseArn, type ArnContext } from './arn.js';
import { own } from '../../util/own.js';

/**
 * API Gateway's management calls (eventSource apigateway.amazonaws.com, the v1 REST API and the v2 HTTP/WebSocket API
 * alike). IAM authorizes most of them by HTTP method, `apigateway:GET|POST|PUT|PATCH|DELETE`, on the request path:
 * `arn:PARTITION:apigateway:REGION::/restapis/ID/resources/PARENT` for POST /restapis/{restApiId}/resources/{parentId}
 * (API Gateway's ARN reference; v2's `/v2` prefix is not part of the resource). The operation → method and path table
 * is generated from AWS's service models (./apiGatewayOperations.ts). Newer features (portals, routing rules) have
 * actions of their own in the catalogue, on the ARNs of its resource types, which hold the account.
 */

/** The HTTP-method actions of the catalogue, as it spells them. */
export const API_GATEWAY_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Operations whose own action has another name (the catalogue: UpdateRoutingRule "using the PutRoutingRule API"). */
export const API_GATEWAY_ACTION_ALIASES: Readonly<Record<string, string>> = { PutRoutingRule: 'UpdateRoutingRule' };

interface Request {
  method: string;
  /** `/restapis/{restApiId}/resources/{parentId}`. */
  path: string;
}

/** The requests an operation sends (two when v1 and v2 both have it and they differ), or undefined. */
export function apiGatewayRequests(eventName: string): Request[] | undefined {
  const list = own(API_GATEWAY_OPERATIONS, eventName);
  return list?.map((e) => ({ method: e.slice(0, e.indexOf(' ')), path: e.slice(e.indexOf(' ') + 1) }));
}

const LABEL = /^\{([A-Za-z0-9]+)\}$/;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The request path of `path` filled from CloudTrail's requestParameters (a label `{apiId}` is the parameter `apiId`):
 * whole, or up to its last label the record gives when a later one is missing, or undefined when it gives none. A
 * prefix carries what is known to the evaluation of the call (apiGatewayScope), where the missing part becomes `*`.
 */
export function filledRequestPath(path: string, params: Record<string, unknown>): string | undefined {
  const segs = path.split('/');
  let out = '';
  let known = '';
  let labels = 0;
  for (const [i, seg] of segs.entries()) {
    const label = LABEL.exec(seg)?.[1];
    if (label === undefined) {
      out += (i ? '/' : '') + seg;
      continue;
    }
    const v = str(params[label]) || str(params[label[0]!.toUpperCase() + label.slice(1)]);
    if (!v) return labels ? known : undefined;
    out += `/${v}`;
    known = out;
    labels++;
  }
  return out;
}

/** The labels' values of `resourcePath` read through `path` (whole: `rest` empty), or through a prefix of it. */
function matchPath(path: string, resourcePath: string): { values: Record<string, string>; whole: boolean } | undefined {
  const segs = path.split('/');
  // Longest first: the whole path, then each prefix that ends with a label.
  for (let n = segs.length; n > 1; n--) {
    if (n < segs.length && !LABEL.test(segs[n - 1]!)) continue;
    const names: string[] = [];
    const src = segs
      .slice(0, n)
      .map((s, i) => {
        const label = LABEL.exec(s)?.[1];
        if (label === undefined) return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(label);
        // A last label naming an ARN takes the rest (a tagged resource's ARN holds slashes).
        return i === segs.length - 1 && label.endsWith('Arn') ? '(.+)' : '([^/]+)';
      })
      .join('/');
    const m = new RegExp(`^${src}$`, 's').exec(resourcePath);
    if (!m) continue;
    const values: Record<string, string> = {};
    names.forEach((l, i) => (values[l] = m[i + 1]!));
    return { values, whole: n === segs.length };
  }
  return undefined;
}

export interface ApiGatewayScope {
  resources: string[];
  unnamed: { type: string; why: string; patterns: string[] }[];
}

/** A resource type of an own action, as the catalogue gives it. */
export interface ApiGatewayType {
  name: string;
  required: boolean;
  formats: string[];
}

/**
 * What an API Gateway call needed for one action, from the request paths it carried (resources.ts puts them among its
 * candidates): the method's request path filled, or the own action's resource types filled from the path's values; a
 * value the record did not give is `*`, with its reason.
 */
export function apiGatewayScope(
  action: string,
  eventName: string,
  candidates: string[],
  context: ArnContext,
  types: ApiGatewayType[],
): ApiGatewayScope {
  const name = action.slice(action.indexOf(':') + 1);
  const requests = apiGatewayRequests(eventName) ?? [];
  const method = API_GATEWAY_METHODS.has(name) ? name : undefined;
  const mine = requests.filter((r) => !method || r.method === method);
  const paths = candidates
    .map(parseArn)
    .filter((a) => a?.service === 'apigateway' && a.account === '' && a.resource.startsWith('/'))
    .map((a) => a!.resource);
  // Per request, the best match among the candidates: a whole path, else the longest prefix.
  const matched = mine.map((r) => {
    const ms = paths.map((p) => matchPath(r.path, p)).filter((m) => m !== undefined);
    const whole = ms.filter((m) => m.whole);
    const best = ms.sort((a, b) => Object.keys(b.values).length - Object.keys(a.values).length)[0];
    return { r, found: whole.length ? whole : best ? [best] : [] };
  });
  // The API the record names (v1 restApiId, v2 apiId): the requests it matched; none matched, every one.
  const named = matched.filter((m) => m.found.length > 0);
  const chosen = named.some((m) => m.found.some((f) => f.whole))
    ? named.filter((m) => m.found.some((f) => f.whole))
    : named.length
      ? named
      : matched.map((m) => ({ ...m, found: [{ values: {} as Record<string, string>, whole: false }] }));
  const out: ApiGatewayScope = { resources: [], unnamed: [] };
  const base = `arn:${context.partition}:apigateway:${context.region}:`;
  const otherMethods = [...new Set(requests.map((r) => r.method))].filter((m) => m !== method);
  for (const { r, found } of chosen)
    for (const f of found) {
      if (!method) {
        ownAction(action, r.path, f.values, context, types, out);
        continue;
      }
      const missing: string[] = [];
      const path = r.path.replace(/\{([A-Za-z0-9]+)\}/g, (_, l: string) => {
        const v = f.values[l];
        if (v === undefined) missing.push(l);
        return v ?? '*';
      });
      const arn = `${base}:${path}`;
      // The same request path under another method in the other API (TagResource: v1 PUT, v2 POST).
      const twin = requests.some((o) => o.path === r.path && o.method !== method);
      if (missing.length)
        out.unnamed.push({
          type: r.path,
          why: `${action}: ${eventName} names no ${missing.join(', ')}`,
          patterns: [arn],
        });
      else if (twin)
        out.unnamed.push({
          type: r.path,
          why: `${action}: ${eventName} is ${otherMethods.join(', ')} in the other API Gateway API on the same path, and the record does not say which API it called`,
          patterns: [arn],
        });
      else out.resources.push(arn);
    }
  out.resources = [...new Set(out.resources)].sort();
  return out;
}

/** An own action (portals, routing rules) on its resource types, filled from the request path's values. */
function ownAction(
  action: string,
  path: string,
  values: Record<string, string>,
  context: ArnContext,
  types: ApiGatewayType[],
  out: ApiGatewayScope,
): void {
  const used = types.some((t) => t.required) ? types.filter((t) => t.required) : types;
  const ctx: Record<string, string> = {
    Partition: context.partition,
    Region: context.region,
    Account: context.account,
  };
  for (const t of used)
    for (const f of t.formats) {
      const missing: string[] = [];
      const arn = f.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, p: string) => {
        const v = own(ctx, p) || values[p[0]!.toLowerCase() + p.slice(1)];
        if (!v) missing.push(p);
        return v || '*';
      });
      if (missing.length)
        out.unnamed.push({
          type: t.name,
          why: `${action}: the request path ${path} holds no ${missing.join(', ')} of the ${t.name}`,
          patterns: [arn],
        });
      else out.resources.push(arn);
    }
}
