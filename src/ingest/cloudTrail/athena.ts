import { deeperThan, isObj } from '../../util/json.js';
import { errorText, MAX_DEPTH } from '../jsonLines.js';
import { typeName } from './lookupFile.js';

/**
 * A row of the Athena table AWS documents over a trail's files (Amazon Athena user guide, "Create a table for
 * CloudTrail logs in Athena using manual partitioning" and "... using partition projection": `CREATE EXTERNAL TABLE
 * cloudtrail_logs`), as `UNLOAD (SELECT * FROM cloudtrail_logs ...) WITH (format = 'JSON')` writes it: one object per
 * row, each column under its lower-case name, structs as objects, arrays as arrays, and the columns the table keeps as
 * STRING although the record holds JSON (requestparameters, responseelements, additionaleventdata,
 * serviceeventdetails, edgedevicedetails) as JSON text. A null column may be written as null or left out.
 *
 * The row is turned back into the record it was read from (camelCase names, `resources[].ARN`, the JSON text parsed)
 * and read as any record: its profile is the one of the same records in a `{"Records": [...]}` document. Columns the
 * table does not define (its partition columns: region, year, month, day, timestamp, account...) carry nothing of the
 * record and are not kept; a null is left out, as the record lacked the field (a struct's null `type` is no type).
 */

type Obj = Record<string, unknown>;

/** A struct's fields: lower-case column name → the record's name, and for a nested struct its own fields. */
interface Struct {
  [column: string]: string | { name: string; fields: Struct } | { name: string; map: true };
}

const SESSION_ISSUER: Struct = {
  type: 'type',
  principalid: 'principalId',
  arn: 'arn',
  accountid: 'accountId',
  username: 'userName',
};

const USER_IDENTITY: Struct = {
  type: 'type',
  principalid: 'principalId',
  arn: 'arn',
  accountid: 'accountId',
  invokedby: 'invokedBy',
  accesskeyid: 'accessKeyId',
  username: 'userName',
  onbehalfof: { name: 'onBehalfOf', fields: { userid: 'userId', identitystorearn: 'identityStoreArn' } },
  sessioncontext: {
    name: 'sessionContext',
    fields: {
      attributes: {
        name: 'attributes',
        fields: { mfaauthenticated: 'mfaAuthenticated', creationdate: 'creationDate' },
      },
      sessionissuer: { name: 'sessionIssuer', fields: SESSION_ISSUER },
      ec2roledelivery: 'ec2RoleDelivery',
      webidfederationdata: {
        name: 'webIdFederationData',
        // attributes is a map<string,string>: its keys are the provider's, kept as they are.
        fields: { federatedprovider: 'federatedProvider', attributes: { name: 'attributes', map: true } },
      },
    },
  },
};

/** The table's text and struct columns, but resources and the JSON-text ones (below). */
const ROW: Struct = {
  eventversion: 'eventVersion',
  useridentity: { name: 'userIdentity', fields: USER_IDENTITY },
  eventtime: 'eventTime',
  eventsource: 'eventSource',
  eventname: 'eventName',
  awsregion: 'awsRegion',
  sourceipaddress: 'sourceIPAddress',
  useragent: 'userAgent',
  errorcode: 'errorCode',
  errormessage: 'errorMessage',
  requestid: 'requestID',
  eventid: 'eventID',
  eventtype: 'eventType',
  apiversion: 'apiVersion',
  recipientaccountid: 'recipientAccountId',
  sharedeventid: 'sharedEventID',
  vpcendpointid: 'vpcEndpointId',
  vpcendpointaccountid: 'vpcEndpointAccountId',
  eventcategory: 'eventCategory',
  addendum: {
    name: 'addendum',
    fields: {
      reason: 'reason',
      updatedfields: 'updatedFields',
      originalrequestid: 'originalRequestID',
      originaleventid: 'originalEventID',
    },
  },
  sessioncredentialfromconsole: 'sessionCredentialFromConsole',
  tlsdetails: {
    name: 'tlsDetails',
    fields: {
      tlsversion: 'tlsVersion',
      ciphersuite: 'cipherSuite',
      clientprovidedhostheader: 'clientProvidedHostHeader',
    },
  },
};

/** Columns of type STRING that hold the record's object as JSON text. */
const JSON_TEXT: Record<string, string> = {
  requestparameters: 'requestParameters',
  responseelements: 'responseElements',
  additionaleventdata: 'additionalEventData',
  serviceeventdetails: 'serviceEventDetails',
  edgedevicedetails: 'edgeDeviceDetails',
};

const RESOURCE: Struct = { arn: 'ARN', accountid: 'accountId', type: 'type' };

/**
 * Whether an object that has no `eventSource` is an Athena row: it names one of the columns every row of the table
 * has. Asked only of objects without `eventSource`, so a record pays nothing for it.
 */
export function isAthenaRow(v: Obj): boolean {
  return (
    v['eventsource'] !== undefined ||
    v['eventname'] !== undefined ||
    v['useridentity'] !== undefined ||
    v['eventversion'] !== undefined
  );
}

export type AthenaRecord = { record: Obj } | { code: string; problem: string };

/**
 * The record a row stands for, or the problem that keeps it from being one: a JSON-text column that is no JSON text
 * (`json.malformed`, or `json.too-deep`), a column of another type than the table gives it (`cloudtrail.bad-type`).
 * Problems name the column as the row has it.
 */
export function athenaRecord(row: Obj): AthenaRecord {
  const record = struct(row, ROW);
  const identity = row['useridentity'];
  if (identity !== undefined && identity !== null && !isObj(identity))
    return badType(`useridentity is ${typeName(identity)}, not a struct (an object)`);
  const resources = row['resources'];
  if (resources !== undefined && resources !== null) {
    if (!Array.isArray(resources) || !resources.every(isObj))
      return badType('resources is not an array of structs (objects)');
    record['resources'] = resources.map((r) => struct(r, RESOURCE));
  }
  for (const column in JSON_TEXT) {
    const text = row[column];
    if (text === undefined || text === null) continue;
    if (typeof text !== 'string')
      return badType(`${column} is ${typeName(text)}, not the JSON text the table's STRING column holds`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return { code: 'json.malformed', problem: `column ${column} is not JSON text: ${errorText(e)}` };
    }
    if (deeperThan(value, MAX_DEPTH))
      return {
        code: 'json.too-deep',
        problem: `column ${column} nested deeper than ${MAX_DEPTH} levels of objects and arrays`,
      };
    record[JSON_TEXT[column]!] = value;
  }
  // A boolean in the record, text in the table.
  const readOnly = row['readonly'];
  if (readOnly === 'true' || readOnly === 'false') record['readOnly'] = readOnly === 'true';
  else if (readOnly !== undefined && readOnly !== null) record['readOnly'] = readOnly;
  return { record };
}

const badType = (problem: string): AthenaRecord => ({ code: 'cloudtrail.bad-type', problem });

/** A struct's fields under the record's names; a field that is not the struct it should be is kept as it is. */
function struct(v: Obj, fields: Struct): Obj {
  const out: Obj = {};
  for (const column in fields) {
    const x = v[column];
    if (x === undefined || x === null) continue;
    const f = fields[column]!;
    if (typeof f === 'string') out[f] = x;
    else out[f.name] = 'fields' in f && isObj(x) ? struct(x, f.fields) : x;
  }
  return out;
}

/**
 * Athena's query answer (`aws athena get-query-results`: `{"ResultSet": {"Rows": [{"Data": [{"VarCharValue"}]}],
 * "ResultSetMetadata"}}`) and CloudTrail Lake's (`{"QueryResultRows": [...]}`) hold every column as text, a struct as
 * `{type=AssumedRole, arn=...}`: no record can be read back from them. The problem that says so, or undefined for
 * any other value.
 */
export function athenaQueryAnswer(v: Obj): string | undefined {
  if (Array.isArray(v['QueryResultRows'])) {
    const n = v['QueryResultRows'].length;
    return (
      `a CloudTrail Lake query answer (get-query-results), ${n} row${n === 1 ? '' : 's'} left out: its rows hold ` +
      "columns as text, not records (userIdentity, requestParameters are not JSON); read the trail's files, or " +
      'the events with --cloudtrail-api'
    );
  }
  const set = v['ResultSet'];
  if (!isObj(set) || !Array.isArray(set['Rows'])) return undefined;
  const n = set['Rows'].length;
  return (
    `an Athena query answer (get-query-results), ${n} row${n === 1 ? '' : 's'} left out: its rows hold columns as ` +
    "text, not records (useridentity, requestparameters are not JSON); UNLOAD the query WITH (format = 'JSON') " +
    "and read the files it writes, or read the trail's files"
  );
}
