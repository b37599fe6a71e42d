/**
 * Pod labels that no generated selector may name, in two kinds.
 *
 * Unstable: they differ between the pods of one workload, or from one run to the next, so they are neither a selector
 * nor among the labels a workload's pods share:
 * - Kubernetes' controllers: a ReplicaSet's `pod-template-hash`, a StatefulSet's or DaemonSet's
 *   `controller-revision-hash` and `pod-template-generation`, a StatefulSet pod's `statefulset.kubernetes.io/pod-name`
 *   and `apps.kubernetes.io/pod-index`, a Job's `controller-uid`, `job-name` (and their `batch.kubernetes.io/` forms)
 *   and `batch.kubernetes.io/job-completion-index`.
 * - Argo Rollouts: `rollouts-pod-template-hash`, its ReplicaSets' hash, which a Rollout's canary and stable pods carry
 *   with different values and which "is unpredictable and changing from revision to revision" (Argo Rollouts,
 *   "Ephemeral Metadata").
 *
 * Per release: every pod of one release carries the same value, and the next release another. A selector naming one
 * stops selecting the workload at its next deployment, so none names them; they stay among the labels the pods share,
 * against which policies written by hand are evaluated:
 * - `app.kubernetes.io/version`, "the current version of the application (e.g., a SemVer 1.0, revision hash, etc.)"
 *   (Kubernetes, "Recommended Labels").
 * - `helm.sh/chart`, `{{ .Chart.Name }}-{{ .Chart.Version }}` (Helm, "Labels and Annotations").
 * - `service.istio.io/canonical-revision`, "the name of a revision within a canonical service" (Istio, "Resource
 *   Labels"); its sidecar injector sets it from `app.kubernetes.io/version` or `version`.
 * - Knative Serving's `serving.knative.dev/revision` and `serving.knative.dev/revisionUID`: a new Revision, with its
 *   own pods, at every change of a Service's configuration.
 */
const UNSTABLE = new Set([
  'pod-template-hash',
  'controller-revision-hash',
  'pod-template-generation',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
  'job-name',
  'batch.kubernetes.io/job-name',
  'batch.kubernetes.io/job-completion-index',
  'rollouts-pod-template-hash',
]);

const PER_RELEASE = new Set([
  'app.kubernetes.io/version',
  'helm.sh/chart',
  'service.istio.io/canonical-revision',
  'serving.knative.dev/revision',
  'serving.knative.dev/revisionUID',
]);

/** A label that differs between pods of one workload or between runs: neither a selector nor a shared label. */
export const isUnstableLabel = (key: string): boolean => UNSTABLE.has(key);

/** A label every pod of one release shares and the next release changes: never a selector. */
export const isPerReleaseLabel = (key: string): boolean => PER_RELEASE.has(key);
