import type { Task, TaskStats } from './task.js';

/**
 * AKS audit logs of the `kube-audit-admin` diagnostic category alone (Log Analytics' AKSAuditAdmin table): "a subset
 * of the kube-audit log category that excludes get and list audit events" (Azure Monitor's table reference). Told by
 * the records' own category, whatever the files are called: a profile of them holds no get and no list, so the RBAC
 * made from it denies every read the workloads make. Said once per run, at the first such record, and only when no
 * record of `kube-audit` (which holds every request) was read beside them.
 */
export interface ReadsLeftOut {
  /** Records of kube-audit-admin read. */
  records: number;
  file: string;
  line: number;
}

export function aksAdminOnly(tasks: Task[], stats: TaskStats[]): ReadsLeftOut | undefined {
  let full = 0;
  let found: ReadsLeftOut | undefined;
  // Lines of a byte range count on from the ranges of the same file before it (as the sources' issues do).
  const lineOffset = new Map<string, number>();
  tasks.forEach((t, i) => {
    const st = stats[i]!;
    const key = JSON.stringify([t.path, t.format]);
    const offset = lineOffset.get(key) ?? 0;
    lineOffset.set(key, offset + st.lines);
    if (!st.aksAudit) return;
    full += st.aksAudit.full;
    if (!st.aksAudit.admin) return;
    if (found) found.records += st.aksAudit.admin;
    else found = { records: st.aksAudit.admin, file: t.path, line: st.aksAudit.adminLine + offset };
  });
  return full === 0 ? found : undefined;
}

/** What the input summary says of such logs. */
export function readsLeftOutNotice(r: ReadsLeftOut): string {
  const n = r.records.toLocaleString('en-US');
  return (
    `the AKS audit records read are all of the kube-audit-admin category (${n}, the first at ${r.file}:${r.line}), ` +
    'which leaves out every get and list request: the profile holds no reads, so RBAC generated from it would deny ' +
    "every read of the workloads; enable the kube-audit category in the cluster's diagnostic setting (Log " +
    'Analytics: the AKSAudit table) and read its logs'
  );
}
