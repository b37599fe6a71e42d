import type { K8sAccess } from './access.js';

/** Evidence as findings carry it: counts and times, with sample record ids. */
export interface FindingEvidence {
  count: number;
  firstSeen: string;
  lastSeen: string;
  samples: string[];
}

/** One AWS permission an observed call needed. */
export interface IamAccess {
  action: string;
  /** The ARN, or `*` when the action takes no resource or the event named none. */
  resource: string;
  /** The calls that needed it: `s3.amazonaws.com PutObject`. */
  events: string[];
  /** For implied permissions: where the event says it. */
  implied?: string[];
}

/** One observed access judged against policies. */
export type Finding = RbacFinding | IamFinding | NetpolFinding;

/** One observed connection judged against NetworkPolicies. */
export interface NetpolFinding {
  kind: 'netpol';
  /** The source peer (`shop/web`, an address). */
  subject: string;
  subjectKind: string;
  access: { from: string; to: string; protocol: string; port: number };
  /** `count` is connections seen starting (records when no start was captured). */
  evidence: FindingEvidence;
  detail?: string;
}

export interface RbacFinding {
  /** Which policy kind judged it. */
  kind: 'rbac';
  /** The name the requests carried (`system:serviceaccount:shop:web`). */
  subject: string;
  subjectKind: string;
  access: K8sAccess;
  evidence: FindingEvidence;
  /** What allowed it, or why it could not be decided. */
  detail?: string;
}

export interface IamFinding {
  kind: 'iam';
  /** The principal's ARN. */
  subject: string;
  subjectKind: string;
  access: IamAccess;
  evidence: FindingEvidence;
  detail?: string;
}

/** The result of replaying observations against policies (`verify --format json`). */
export interface VerifyReport {
  /** Distinct authorized accesses in scope. */
  observed: number;
  allowed: number;
  notAllowed: Finding[];
  undetermined: Finding[];
  /** Requests outside the scope, by reason. */
  skipped: Record<string, number>;
  byKind: Record<
    string,
    {
      observed: number;
      allowed: number;
      unobservedPairs?: number;
      unobservedAllowed?: number;
      unobservedAllowedExamples?: string[];
    }
  >;
  /** Requests the logs show as denied: seen, never granted, not failures. */
  denied: Finding[];
  /** Distinct accesses replayed and allowed, per subject (a username, a principal ARN, a source workload). */
  bySubject?: Record<string, { observed: number; allowed: number }>;
}

/** Count one replayed access of a subject. */
export function tally(report: VerifyReport, subject: string, allowed: boolean): void {
  const by = (report.bySubject ??= {});
  const t = (by[subject] ??= { observed: 0, allowed: 0 });
  t.observed++;
  if (allowed) t.allowed++;
}
