import { CHECK_VERBS, grantEvidence, type Principal } from '../../model/profile.js';

/**
 * Audit logs that hold no reads. An audit policy may leave `get` and `list` out (level `None` for them); GKE writes
 * reads (ADMIN_READ: "listing Pods"; DATA_READ) only to its Data Access audit logs, which a project receives once it
 * enables them (GKE "Audit logging" and "Audit policy"), while Admin Activity logs, always on, hold the writes; and
 * AKS's cheaper diagnostic category leaves them out: `kube-audit-admin`, the Log Analytics table `AKSAuditAdmin`,
 * "excluding events with the get and list verbs" (Azure Monitor table reference; AKS's "Monitor and query apiserver
 * requests" suggests it to cut cost). RBAC made from such logs grants no reads, and every read the workloads make in
 * production is denied, while a backtest on the same logs sees none of it. Judged over every Kubernetes principal in
 * scope: a soak of any size with writes and no `get` or `list` at all says the logs left them out (a single principal
 * that only writes, a deployer, is common).
 */
const READS = new Set(['get', 'list']);

/** Fewer requests than this say nothing either way. */
const MIN_REQUESTS = 20;

export class ReadsLogged {
  private reads = 0;
  private others = 0;

  /** Count a principal's granted requests (the checks an API server makes beside a request are none). */
  add(p: Principal): void {
    for (const e of p.k8s) {
      const n = grantEvidence(e)?.count ?? 0;
      if (READS.has(e.verb)) this.reads += n;
      else if (!CHECK_VERBS.has(e.verb)) this.others += n;
    }
  }

  /** What to say when the logs held requests but no read, else undefined. */
  warning(): string | undefined {
    if (this.reads > 0 || this.others < MIN_REQUESTS) return undefined;
    return (
      `the audit logs hold no get or list request among ${this.others.toLocaleString('en-US')} others: their audit ` +
      "policy left reads out (GKE's Admin Activity logs without its Data Access logs, AKS's kube-audit-admin " +
      'category and AKSAuditAdmin table do), so the RBAC made from them grants no reads and every read of the ' +
      'workloads would be denied; soak with reads logged (GKE: enable Data Access audit logs for Kubernetes Engine, ' +
      'ADMIN_READ and DATA_READ; AKS: kube-audit, AKSAudit)'
    );
  }
}
