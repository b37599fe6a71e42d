import { isObj } from '../../util/json.js';

/**
 * DNS query logs as names for addresses: Amazon Route 53 Resolver query logs (Route 53 developer guide, "Values that
 * appear in VPC Resolver query logs": `query_name`, `query_timestamp`, `answers[]` of `Rdata`, `Type`, `Class`,
 * `firewall_rule_action`...; delivered to S3 as JSON lines, to CloudWatch Logs as messages, to Firehose), and the same
 * records as Amazon Security Lake stores them (OCSF DNS Activity, class 4003, product `Route 53`: `query.hostname`,
 * `answers[].rdata`, `answers[].type`, `time`; the OCSF project's Route 53 mapping).
 *
 * An A or AAAA answer names its address for every client, as a Hubble DNS answer does (VPC flow logs carry no names):
 * an external address a workload then reached is written with the names it was resolved from (a `toFQDNs` rule with
 * `--flavor cilium`). An answer the DNS Firewall wrote (`firewall_rule_action` `BLOCK`, OCSF disposition `Blocked`)
 * names nothing: its address is the firewall's override, not the name's. `ALERT` lets the query through.
 */

type Obj = Record<string, unknown>;

export interface DnsAnswer {
  /** The queried name, without its final dot. */
  name: string;
  /** Addresses of its A and AAAA answers. */
  addresses: string[];
  /** The record's time as written (text, or OCSF milliseconds). */
  time: unknown;
}

/** A query log record's answer, or undefined for anything that is no DNS query log record. */
export function dnsAnswer(v: Obj): DnsAnswer | undefined {
  if (typeof v['query_name'] === 'string' && typeof v['query_timestamp'] === 'string') {
    // ALERT lets the query through (the answer is the name's); only BLOCK answers in the firewall's stead.
    const blocked = v['firewall_rule_action'] === 'BLOCK';
    return answer(v['query_name'], blocked ? [] : v['answers'], 'Rdata', 'Type', v['query_timestamp']);
  }
  const product = isObj(v['metadata']) && isObj(v['metadata']['product']) ? v['metadata']['product'] : {};
  if (Number(v['class_uid']) === 4003 && product['name'] === 'Route 53' && isObj(v['query'])) {
    const blocked = v['disposition'] === 'Blocked' || Number(v['disposition_id']) === 2;
    return answer(v['query']['hostname'], blocked ? [] : v['answers'], 'rdata', 'type', v['time'] ?? v['time_dt']);
  }
  return undefined;
}

function answer(name: unknown, answers: unknown, rdata: string, type: string, time: unknown): DnsAnswer {
  const addresses: string[] = [];
  if (Array.isArray(answers))
    for (const a of answers)
      if (isObj(a) && (a[type] === 'A' || a[type] === 'AAAA') && typeof a[rdata] === 'string') addresses.push(a[rdata]);
  const n = typeof name === 'string' ? name : '';
  return { name: n.endsWith('.') ? n.slice(0, -1) : n, addresses, time };
}
