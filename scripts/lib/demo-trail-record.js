import { isIP } from 'node:net';

// One CloudTrail record as the demo's generators write it (AwsApiCall, the fields in CloudTrail's order), shared by
// demo-cloudtrail.js, demo-cloudtrail-more.js and demo-cloudtrail-saml.js, each with its own ids (trailIds of its seed)
// and defaults. extra: ip, agent, response, error and message, readOnly, resources, data (a data event), console.

/**
 * A record builder: `ids` from trailIds, the account and region, the defaults of `ip`, `agent` and which event names
 * are read-only.
 */
export function trailRecordOf({ ids, account, region, ip, agent, readOnly }) {
  const { uuid, iso } = ids;
  return (t, identity, source, name, params, extra = {}) => ({
    ...recordOf(t, identity, source, name, params, extra),
    ...origin(source, regionOf(source), extra.ip ?? ip),
  });

  /** A global service's calls are logged in us-east-1, whatever region the caller works in. */
  function regionOf(source) {
    return GLOBAL.has(source) ? 'us-east-1' : region;
  }

  function recordOf(t, identity, source, name, params, extra) {
    return {
      eventVersion: '1.09',
      userIdentity: identity,
      eventTime: iso(t),
      eventSource: source,
      eventName: name,
      awsRegion: regionOf(source),
      sourceIPAddress: extra.ip ?? ip,
      userAgent: extra.agent ?? agent,
      requestParameters: params,
      responseElements: extra.response ?? null,
      ...(extra.error
        ? { errorCode: extra.error, errorMessage: extra.message ?? `User is not authorized to perform ${name}` }
        : {}),
      requestID: uuid(),
      eventID: uuid(),
      readOnly: extra.readOnly ?? readOnly.test(name),
      ...(extra.resources ? { resources: extra.resources } : {}),
      eventType: 'AwsApiCall',
      managementEvent: !extra.data,
      recipientAccountId: account,
      eventCategory: extra.data ? 'Data' : 'Management',
      ...(extra.console ? { sessionCredentialFromConsole: 'true' } : {}),
    };
  }
}

/**
 * Services with one global endpoint (the CloudTrail User Guide's "global service events"): CloudTrail logs their calls
 * in us-east-1, and the host the client names has no region.
 */
const GLOBAL = new Set(['iam.amazonaws.com']);

/**
 * Where a call came from, as CloudTrail says it after the record's other fields: a call from the cluster's VPC
 * (10.0.0.0/16) reaches AWS only through the VPC's endpoint of the service (one per service, its id fixed), which
 * CloudTrail names in `vpcEndpointId`; any call from an address came over TLS (`tlsDetails`). A service's name as the
 * source (a call AWS made) has neither.
 */
function origin(source, region, ip) {
  if (!ip || !isIP(ip)) return {};
  const service = source.split('.')[0];
  return {
    ...(ip.startsWith('10.0.') ? { vpcEndpointId: `vpce-0${fnv(service)}` } : {}),
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: GLOBAL.has(source) ? source : `${service}.${region}.amazonaws.com`,
    },
  };
}

/** 16 hex digits of a name (FNV-1a, 64-bit): an endpoint id that stays the same for a service. */
function fnv(name) {
  let h = 0xcbf29ce484222325n;
  for (const c of Buffer.from(name)) h = ((h ^ BigInt(c)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}
