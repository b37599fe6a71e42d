import { isObj } from '../../util/json.js';
import { isAzureFlowLog } from './azure.js';
import { dnsAnswer } from './dns.js';
import { gcpFlowRecord } from './gcp.js';
import { isOcsfNetworkActivity } from './ocsf.js';

/**
 * Whether a JSON object is a record `--flows` reads as it is: a Hubble flow (wrapped or not), a Google Cloud VPC Flow
 * Logs record, an Azure flow log document, a Security Lake network or DNS record, a Route 53 Resolver query log
 * record. A SIEM document's source is read when it is one (../siem.ts).
 */
export function isFlowLogRecord(s: Record<string, unknown>): boolean {
  return (
    isObj(s['flow']) ||
    isObj(s['IP']) ||
    isObj(s['l4']) ||
    isAzureFlowLog(s) ||
    gcpFlowRecord(s) !== undefined ||
    isOcsfNetworkActivity(s) ||
    dnsAnswer(s) !== undefined
  );
}
