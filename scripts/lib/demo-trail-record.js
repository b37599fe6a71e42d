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
    eventVersion: '1.09',
    userIdentity: identity,
    eventTime: iso(t),
    eventSource: source,
    eventName: name,
    awsRegion: region,
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
  });
}
