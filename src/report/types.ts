import { RISK_ORDER, riskWords, type Risk, type RiskLevel } from '../model/finding.js';

/**
 * The parts of the reviewer's report each policy kind contributes (src/kinds/<kind>/report.ts), and
 * what they are made of. Every string may come from a log: renderers escape all of it.
 */

export interface Permission {
  /** `get configmaps web-config in shop`, `s3:PutObject on arn:...`, `→ payments/payments-api TCP/8443`. */
  text: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  /**
   * The earliest records behind it, as the profile keeps them (at most SAMPLE_LIMIT, by time then id): Kubernetes
   * audit IDs, CloudTrail event IDs, flows as `TIME srcIP:srcPort>dstIP:dstPort` (the evidence files' form), so a
   * reviewer finds the records that justify the grant. Empty when the records had no id.
   */
  samples: string[];
  denied: boolean;
  risks: string[];
}

export interface PrincipalSection {
  /** Which part of the report: `kubernetes`, `aws`, `workload`. */
  kind: string;
  name: string;
  /** `ServiceAccount`, `IAMRole`, `Deployment`... */
  subjectKind: string;
  permissions: Permission[];
  /** Service account → role links, or the service account a workload runs as. */
  links: string[];
  events: number;
  /** What the generated policy allows beyond what was observed, and why (default generation). */
  widenings: string[];
}

export interface RiskRow {
  principal: string;
  permission: string;
  /** The highest level among its reasons: the table lists the riskiest first. */
  level: RiskLevel;
  /** Highest level first. */
  reasons: string[];
}

/** A risky permission's row, its reasons highest level first (in the order found within a level); none without. */
export function riskRow(principal: string, permission: string, risks: readonly Risk[]): RiskRow | undefined {
  const sorted = [...risks].sort((a, b) => RISK_ORDER[a.level] - RISK_ORDER[b.level]);
  const reasons = [...new Set(sorted.map(riskWords))];
  return sorted.length ? { principal, permission, level: sorted[0]!.level, reasons } : undefined;
}

/** What the report knows before asking the kinds. */
export interface ReportContext {
  /** The generated policy's widenings by subject, in words. */
  widened: Map<string, string[]>;
}

/** One kind's part of the report. */
export interface ReportPart {
  sections: PrincipalSection[];
  risks: RiskRow[];
  /** Coverage warnings of the kind (a CronJob that never ran, a quiet workload). */
  coverage: string[];
  /** Principals whose few requests make their profile doubtful, said after every kind's own warnings. */
  sparse: string[];
  /** Inputs left out by this kind (unmapped CloudTrail events), beside the profile's skipped counts. */
  dropped: { reason: string; count: number; detail: string }[];
  /** Accesses the logs show denied. */
  denied: number;
  /** Granted accesses seen only once. */
  once: number;
}

/** A principal with under 10 requests: its profile may miss what it does less often. */
export function sparseWarning(s: PrincipalSection): string | undefined {
  return s.events > 0 && s.events < 10
    ? `${s.name} made only ${s.events} request${s.events === 1 ? '' : 's'}: its profile may be incomplete`
    : undefined;
}
