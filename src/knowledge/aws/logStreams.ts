import { generatedFrom, generatedName } from '../kubernetes/generatedNames.js';
import { firstVariablePart } from './variableSegments.js';

/**
 * The stable start of a CloudWatch Logs stream's name: everything before its first part that changes from run to run,
 * and why that part changes; undefined when the whole name looks stable. A stream's name is the writer's choice, often
 * a stable prefix and an id:
 *
 * - Lambda `2026/11/08/[$LATEST]<hex>` (date, version, execution environment): variable from the start.
 * - ECS awslogs `<awslogs-stream-prefix>/<container>/<task id>`: `prefix/container/`.
 * - EKS control plane `kube-apiserver-audit-<hex>`, `kube-apiserver-<hex>`, `authenticator-<hex>`.
 * - CodeBuild `<build uuid>` (or `<streamName>/<build uuid>`), Glue `jr_<run id>` (`-driver`, `_g-<executor>`),
 *   SageMaker `<job>/algo-1-<epoch>` (a job name with a date is variable from the date).
 * - Fluent Bit: `log_stream_prefix` and the tag; the tail input's tag is the file's path, kubelet's
 *   `var.log.containers.<pod>_<namespace>_<container>-<container id>.log` (or `var.log.pods.<namespace>_<pod>_<uid>`),
 *   and Container Insights prefixes the node's host name (`${HOST_NAME}-`).
 *
 * Besides the dates, ids and EC2 host names (`ip-10-0-1-23.eu-west-1.compute.internal`: a replaced node has another)
 * of variableSegments.ts, one part is taken as variable that looks stable: a pod's name in a container log's path,
 * from where its made-up part starts (after `web-` in `web-7d9f8b6c5d-x2x9k`) or from its start when its shape says
 * nothing (a DaemonSet's pod suffix without a digit, a pod renamed by its next controller).
 */
export function streamStablePrefix(name: string): { prefix: string; why: string } | undefined {
  const found: { at: number; why: string }[] = [];
  const segments = name.split('/');
  const v = firstVariablePart(segments);
  if (v) {
    const before = segments.slice(0, v.index).reduce((n, s) => n + s.length + 1, 0);
    found.push({ at: before + v.at, why: v.why });
  }
  const pod =
    /(?:^|[^a-z0-9])var\.log\.containers\.([a-z0-9][a-z0-9.-]*)_[a-z0-9-]+_/di.exec(name) ??
    /(?:^|[^a-z0-9])var\.log\.pods\.[a-z0-9-]+_([a-z0-9][a-z0-9.-]*)_/di.exec(name);
  if (pod) {
    const start = pod.indices![1]![0];
    const g = generatedName(pod[1]!);
    found.push({
      at: start + (generatedFrom(pod[1]!) ?? 0),
      why: g ? g.why : "a pod's name in its container log's path (pods are renamed by the controllers that make them)",
    });
  }
  if (found.length === 0) return undefined;
  const first = found.reduce((a, b) => (b.at < a.at ? b : a));
  return { prefix: name.slice(0, first.at), why: first.why };
}

/**
 * The start all of `names` share, up to the last character that is not a letter or digit (`run-` for `run-2a` and
 * `run-3b`; nothing for `api` and `admin`): a prefix cut inside a word would be a coincidence.
 */
export function sharedStablePrefix(names: string[]): string {
  if (names.length === 0) return '';
  let prefix = names[0]!;
  for (const n of names) {
    let i = 0;
    while (i < prefix.length && i < n.length && prefix[i] === n[i]) i++;
    prefix = prefix.slice(0, i);
  }
  const m = /^(.*[^a-z0-9])/is.exec(prefix);
  return m ? m[1]! : '';
}
