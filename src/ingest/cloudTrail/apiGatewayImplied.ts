import { isObj } from '../../util/json.js';
import { parseArn } from '../../knowledge/aws/arn.js';
import { apiGatewayRequests, filledRequestPath } from '../../knowledge/aws/apiGateway.js';
import type { CallContext } from './resources.js';

/**
 * API Gateway's additional authorization: actions the catalogue marks as checked besides the HTTP-method action when a
 * management call touches something sensitive, each added only when the request shows it, on the call's request path
 * (the catalogue lists the collection, `/restapis`, `/domainnames`, among their types for the creates):
 * - apigateway:UpdateRestApiPolicy when a REST API's resource policy is set (API Gateway developer guide, "Create and
 *   attach an API Gateway resource policy to an API": updating it needs apigateway:UpdateRestApiPolicy besides
 *   apigateway:PATCH): an UpdateRestApi patch on `/policy`, a CreateRestApi with `policy`, a PutRestApi or
 *   ImportRestApi whose logged definition holds `x-amazon-apigateway-policy`;
 * - apigateway:AddCertificateToDomain / RemoveCertificateFromDomain when a custom domain name's mutual TLS truststore
 *   is set or removed (the catalogue: "additional authorization control for managing the DomainName resource due to
 *   the sensitive nature of mTLS"): CreateDomainName with `mutualTlsAuthentication.truststoreUri`, an UpdateDomainName
 *   patch on `/mutualTlsAuthentication...` (`remove`, or an empty truststoreUri: Remove; else Add), v2's
 *   UpdateDomainName with a truststoreUri;
 * - apigateway:UpdateDomainNamePolicy, UpdateDomainNameManagementPolicy when a private custom domain name's invoke or
 *   management policy is set (CreateDomainName with `policy`, UpdateDomainName patches on `/policy`,
 *   `/managementPolicy`), on the private domain name `arn:...:apigateway:REGION:ACCOUNT:/domainnames/NAME+ID`;
 * - apigateway:CreateAccessAssociation / RejectAccessAssociation on the private domain name that
 *   CreateDomainNameAccessAssociation / RejectDomainNameAccessAssociation name in `domainNameArn`;
 * - apigateway:SetWebACL on the REST API stage a WAF (wafv2) AssociateWebACL or DisassociateWebACL names in
 *   `resourceArn` (WAF developer guide, "Permissions for AssociateWebACL": the call needs the protected resource's own
 *   permission, apigateway:SetWebACL for an API Gateway stage).
 * v1's request body is logged under `<operation>Input` (`updateRestApiInput.patchOperations`), v2's flat: both read.
 */

type Obj = Record<string, unknown>;
type Add = (action: string, resource: string, via: string) => void;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
// The record's eventName is checked after this runs (decode.ts callProblem): an empty one must not throw here.
const lower = (s: string) => s.slice(0, 1).toLowerCase() + s.slice(1);

/** The request body: v1's `<operation>Input` object with its path, else the parameters themselves. */
function body(eventName: string, params: Obj): { b: Obj; at: string } {
  const key = `${lower(eventName)}Input`;
  const v = params[key];
  return isObj(v) ? { b: v, at: `requestParameters.${key}` } : { b: params, at: 'requestParameters' };
}

/** The ARN of the call's request path when the record fills it whole (of the operation's requests, the first). */
function requestArn(eventName: string, params: Obj, c: CallContext): string {
  for (const r of apiGatewayRequests(eventName) ?? []) {
    const path = filledRequestPath(r.path, params);
    if (path && path.split('/').length === r.path.split('/').length)
      return `arn:${c.partition}:apigateway:${c.region}::${path}`;
  }
  return '';
}

/** Why the request path is not in the record (for `via`), or '' when it is. */
const unnamed = (arn: string, eventName: string) =>
  arn ? '' : `: ${eventName} names no part of its request path the record gives`;

interface Patch {
  op: string;
  path: string;
  value: unknown;
  via: string;
}

function patches(eventName: string, params: Obj): Patch[] {
  const { b, at } = body(eventName, params);
  const list = Array.isArray(b['patchOperations']) ? b['patchOperations'] : [];
  return list.flatMap((p, i) =>
    isObj(p) ? [{ op: str(p['op']), path: str(p['path']), value: p['value'], via: `${at}.patchOperations[${i}]` }] : [],
  );
}

/**
 * Whether `v` (to depth 6) holds the key `x-amazon-apigateway-policy`, in an object or in a definition's text. Only the
 * fact is kept: the keys on the way there are the log's, and no logged name goes into `via`.
 */
function hasPolicyExtension(v: unknown, depth = 0): boolean {
  const KEY = 'x-amazon-apigateway-policy';
  if (depth > 6) return false;
  if (typeof v === 'string') return v.includes(KEY);
  if (Array.isArray(v)) return v.some((x) => hasPolicyExtension(x, depth + 1));
  if (isObj(v)) return Object.entries(v).some(([k, x]) => k === KEY || hasPolicyExtension(x, depth + 1));
  return false;
}

/** A private custom domain name's ARN: the account's, with the `+ID` the request gives in domainNameId. */
function privateDomain(params: Obj, c: CallContext): string {
  const name = str(params['domainName']);
  const id = str(params['domainNameId']);
  return name && id ? `arn:${c.partition}:apigateway:${c.region}:${c.account}:/domainnames/${name}+${id}` : '';
}

const isPrivateDomainArn = (arn: string) => {
  const a = parseArn(arn);
  return a?.service === 'apigateway' && /^\d{12}$/.test(a.account) && /^\/domainnames\/[^/]+\+[^/]+$/.test(a.resource);
};

/** The patch operations and the truststore paths AWS documents for UpdateDomainName (others are not read). */
const PATCH_OPS = new Set(['add', 'remove', 'replace', 'copy']);
const MTLS_PATHS = new Set([
  '/mutualTlsAuthentication',
  '/mutualTlsAuthentication/truststoreUri',
  '/mutualTlsAuthentication/truststoreVersion',
]);

function domainUpdates(params: Obj, c: CallContext, add: Add): void {
  const arn = requestArn('UpdateDomainName', params, c);
  const why = unnamed(arn, 'UpdateDomainName');
  for (const p of patches('UpdateDomainName', params)) {
    if (!PATCH_OPS.has(p.op)) continue;
    if (MTLS_PATHS.has(p.path)) {
      const removed = p.op === 'remove' || (p.path.endsWith('/truststoreUri') && p.value === '');
      const action = removed ? 'apigateway:RemoveCertificateFromDomain' : 'apigateway:AddCertificateToDomain';
      add(action, arn, `${p.via} ${p.op} ${p.path}${why}`);
    } else if (p.path === '/policy' || p.path === '/managementPolicy') {
      const action =
        p.path === '/policy' ? 'apigateway:UpdateDomainNamePolicy' : 'apigateway:UpdateDomainNameManagementPolicy';
      const domain = privateDomain(params, c);
      add(
        action,
        domain,
        `${p.via} ${p.op} ${p.path}${domain ? '' : ': the record gives no domainNameId of the private domain name'}`,
      );
    }
  }
  // v2: the request's mutualTlsAuthentication, flat.
  const mtls = params['mutualTlsAuthentication'];
  if (isObj(mtls) && str(mtls['truststoreUri']))
    add('apigateway:AddCertificateToDomain', arn, `requestParameters.mutualTlsAuthentication.truststoreUri${why}`);
}

export function apiGatewayImplied(service: string, eventName: string, params: Obj, c: CallContext, add: Add): void {
  if (service === 'wafv2') {
    if (eventName !== 'AssociateWebACL' && eventName !== 'DisassociateWebACL') return;
    const arn = str(params['resourceArn']);
    const a = parseArn(arn);
    if (a?.service === 'apigateway' && /^\/restapis\/[^/]+\/stages\/[^/]+$/.test(a.resource))
      add('apigateway:SetWebACL', arn, 'requestParameters.resourceArn');
    return;
  }
  if (service !== 'apigateway') return;
  const { b, at } = body(eventName, params);
  const arn = requestArn(eventName, params, c);
  const why = unnamed(arn, eventName);
  switch (eventName) {
    case 'CreateRestApi':
      if (str(b['policy'])) add('apigateway:UpdateRestApiPolicy', arn, `${at}.policy${why}`);
      break;
    case 'UpdateRestApi':
      for (const p of patches(eventName, params))
        if (p.path === '/policy' && PATCH_OPS.has(p.op))
          add('apigateway:UpdateRestApiPolicy', arn, `${p.via} ${p.op} ${p.path}${why}`);
      break;
    case 'PutRestApi':
    case 'ImportRestApi': {
      if (hasPolicyExtension(params))
        add(
          'apigateway:UpdateRestApiPolicy',
          arn,
          `requestParameters: the API definition holds x-amazon-apigateway-policy${why}`,
        );
      break;
    }
    case 'CreateDomainName': {
      const mtls = b['mutualTlsAuthentication'];
      if (isObj(mtls) && str(mtls['truststoreUri']))
        add('apigateway:AddCertificateToDomain', arn, `${at}.mutualTlsAuthentication.truststoreUri${why}`);
      if (str(b['policy'])) add('apigateway:UpdateDomainNamePolicy', arn, `${at}.policy${why}`);
      break;
    }
    case 'UpdateDomainName':
      domainUpdates(params, c, add);
      break;
    case 'CreateDomainNameAccessAssociation':
    case 'RejectDomainNameAccessAssociation': {
      const domain = str(b['domainNameArn']) || str(params['domainNameArn']);
      const action =
        eventName === 'CreateDomainNameAccessAssociation'
          ? 'apigateway:CreateAccessAssociation'
          : 'apigateway:RejectAccessAssociation';
      const via = b['domainNameArn'] ? `${at}.domainNameArn` : 'requestParameters.domainNameArn';
      if (isPrivateDomainArn(domain)) add(action, domain, via);
      else add(action, '', `${via}: the record names no private custom domain name`);
      break;
    }
  }
}
