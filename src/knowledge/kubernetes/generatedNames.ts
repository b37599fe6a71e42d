/**
 * Names Kubernetes (or its controllers) make up, as opposed to names people choose. A pod of a
 * Deployment is `<replicaset>-<random>`; a run of a CronJob is `<cronjob>-<scheduled minute>`; a name
 * from `generateName` ends in five random characters. Those characters come from apimachinery's
 * `utilrand` alphabet, which has no vowels and no 0, 1 or 3, so few words are mistaken for them.
 * Each pattern says what made the name; a name matching none is taken as stable.
 */

/** `k8s.io/apimachinery/pkg/util/rand`: the alphabet of random suffixes and of pod-template hashes. */
const RAND = '[bcdfghjklmnpqrstvwxz2456789]';

interface NamePattern {
  /** A short id for evidence and tests: `replicaset-pod`, `cronjob-run`... */
  id: string;
  why: string;
  test: (name: string) => boolean;
  /**
   * The name alone is evidence, even for the one Secret of its kind: whatever made it never names the next object
   * the same (a Helm revision). Without it, one Secret name of the shape is kept (see rbac/generalize.ts).
   */
  alone?: boolean;
  /** Where the made-up part starts (after `<replicaset>-`), for the shapes pods are named by; others from 0. */
  from?: RegExp;
}

/** `k8s.io/apimachinery` ComputeHash: SafeEncodeString of a decimal FNV-32a maps the digits 0-9 to these ten. */
const FNV_ENC = '[4-9bcdf]';
/** kustomize `api/hasher` Encode: sha256 hex, its first ten characters, with 0,1,3,a,e mapped to g,h,k,m,t. */
const KUSTOMIZE = '[2456789bcdfghkmt]';
const hasDigitAndLetter = (s: string) => /\d/.test(s) && /[a-z]/.test(s);

// The time may follow the date with or without a `t`: Velero's scheduled Backups are `<schedule>-20060102150405`.
const DATE =
  /(?:^|[-_.])(?:19|20)\d{2}[-_.]?(?:0[1-9]|1[0-2])[-_.]?(?:0[1-9]|[12]\d|3[01])(?:(?:t\d{4,6}|\d{4}(?:\d{2})?)z?)?(?:$|[-_.])/;
const EPOCH = /(?:^|[-_.])(?:1[5-9]\d{8}|1[5-9]\d{11})(?:$|[-_.])/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** A CronJob's job name ends in the scheduled time in minutes since the epoch: 8 digits from 2008 to 2046. */
function cronMinute(digits: string): boolean {
  const n = Number(digits);
  return digits.length === 8 && n >= 20_000_000 && n < 40_000_000 && !isDate(digits);
}

function isDate(d: string): boolean {
  return /^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/.test(d);
}

// Made once: a pattern built per name costs more than the test.
const REPLICASET_POD = new RegExp(`-${RAND}{6,10}-${RAND}{5}$`);
const CRONJOB_POD = new RegExp(`-(\\d{8})-${RAND}{5}$`);
const CRONJOB_POD_FROM = new RegExp(`-\\d{8}-${RAND}{5}$`);
const REPLICASET = new RegExp(`-(${FNV_ENC}{6,10})$`);
const KUSTOMIZE_HASH = new RegExp(`-(${KUSTOMIZE}{10})$`);
const TEKTON_POD = new RegExp(`-(${RAND}{5})-(?:[a-z0-9-]+-)?pod(?:-retry\\d+)?$`);
const TEKTON_POD_FROM = new RegExp(`-${RAND}{5}-(?:[a-z0-9-]+-)?pod(?:-retry\\d+)?$`);
const GENERATED_SUFFIX = new RegExp(`-(${RAND}{5})$`);
const GENERATED_SUFFIX_FROM = new RegExp(`-${RAND}{5}$`);

const PATTERNS: NamePattern[] = [
  {
    // helm pkg/storage makeKey: `sh.helm.release.v1.<release>.v<revision>`, for the Secret (or ConfigMap) that holds
    // each revision. An upgrade writes the next revision and updates the one before; a reader of the current one
    // reads the next after the upgrade.
    id: 'helm-release',
    why: "a Helm release's revision (sh.helm.release.v1.<release>.v<N>): every upgrade or rollback writes the next",
    test: (n) => /^sh\.helm\.release\.v1\..+\.v\d+$/.test(n),
    alone: true,
  },
  {
    // client-go tools/record (and tools/events): an Event is `<involved object>.<time in Unix nanoseconds, hex>`, 16
    // hex digits since 2006. Recorders patch their Events by name to count repeats.
    id: 'event',
    why: 'an Event: the name of its object and the time it was recorded, in hex nanoseconds',
    test: (n) => /\.[0-9a-f]{15,16}$/.test(n),
  },
  {
    id: 'replicaset-pod',
    why: 'a pod of a ReplicaSet: its pod-template hash and a random suffix change with every rollout and restart',
    test: (n) => REPLICASET_POD.test(n),
    from: REPLICASET_POD,
  },
  {
    id: 'cronjob-pod',
    why: 'a pod of a CronJob run: the scheduled minute and a random suffix',
    test: (n) => {
      const m = CRONJOB_POD.exec(n);
      return !!m && cronMinute(m[1]!);
    },
    from: CRONJOB_POD_FROM,
  },
  {
    id: 'cronjob-run',
    why: 'a Job of a CronJob: named for its scheduled minute',
    test: (n) => {
      const m = /-(\d{8})$/.exec(n);
      return !!m && cronMinute(m[1]!);
    },
  },
  { id: 'dated', why: 'a name with a date or time in it', test: (n) => DATE.test(n) || EPOCH.test(n) },
  { id: 'uuid', why: 'a name with a UUID in it', test: (n) => UUID.test(n) },
  {
    // EC2 node names: the private IP DNS name (`ip-10-0-1-23.ec2.internal`, `....<region>.compute.internal`) or, with
    // resource-based naming, the instance id. An autoscaled or replaced node (Karpenter, a node group's rollout) is
    // another instance, at another address.
    id: 'ec2-node',
    why: 'a node named after its EC2 instance (private IP or instance id): a replaced node has another',
    test: (n) =>
      /^ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}(?:\.|$)/.test(n) || /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})(?:\.|$)/.test(n),
  },
  {
    // GKE: a node is its Compute Engine instance, `gke-<cluster>-<pool>-<8 hex of the instance group>-<4 random>`
    // (`gk3-` on Autopilot); the instance group makes a new random part for every instance it adds or recreates
    // (an upgrade, autoscaling, auto-repair). Kubernetes' AppArmor tutorial lists
    // `gke-test-default-pool-239f5d02-gyn2`.
    id: 'gke-node',
    why: 'a GKE node: its instance group adds new random characters for every instance it creates or recreates',
    test: (n) => /^gk[e3]-[a-z0-9-]+-[0-9a-f]{8}-[0-9a-z]{4}$/.test(n),
  },
  {
    // AKS: `aks-<pool>-<8 digits>-vmss<6 base-36 digits>`, the VM scale set and its instance id, which grows with
    // every node added (scale-out, a surge upgrade, a node image upgrade); availability-set pools `aks-<pool>-<8
    // digits>-<N>` (AKS documentation's `aks-nodepool1-12345678-vmss000000`, `aks-nodepool1-79590246-0`).
    id: 'aks-node',
    why: 'an AKS node: its scale set numbers every instance it adds anew (scale-out, upgrades)',
    test: (n) => /^aks-[a-z0-9]+-\d{8}-(?:vmss[0-9a-z]{6}|\d{1,4})$/.test(n),
  },
  {
    // Nodes named by their address: OKE's virtual nodes (Oracle's "Generated Worker Node Name Formats"), kubelets
    // whose hostname is their IP. A replaced node has another address.
    id: 'address-node',
    why: 'a node named by its IP address: a replaced node has another',
    test: (n) => /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(n),
  },
  {
    // Argo Workflows GeneratePodName: `<workflow>-<template>-<FNV-32a of the node name, decimal>` (v1: the node id,
    // `<workflow>-<same hash>`); cert-manager ComputeName: Orders `<request>-<FNV-32, decimal>`, Challenges
    // `<order>-<FNV-32, decimal>`. Nine or ten digits for all but 2% of hashes.
    id: 'fnv-hash',
    why: 'a decimal hash controllers append (Argo Workflows pods, cert-manager Orders and Challenges)',
    test: (n) => /-\d{9,10}$/.test(n),
  },
  {
    // Spark on Kubernetes, KubernetesUtils.uniqueID: three random bytes and the time in milliseconds, in hex (16
    // digits), in driver and executor pod names (`spark-pi-<id>-driver`, `spark-pi-<id>-exec-<n>`); git SHAs and
    // other long hex ids in names. Twelve digits or more: controller-runtime's Lease `8f7c1a2b.acme.io` is stable.
    id: 'hex-id',
    why: 'a name with a long hex id in it (a Spark application id, a commit)',
    test: (n) => [...n.matchAll(/(?:^|[-.])([0-9a-f]{12,})(?=$|[-.])/g)].some((m) => hasDigitAndLetter(m[1]!)),
  },
  {
    // A ReplicaSet `<deployment>-<pod-template-hash>`, a ControllerRevision `<statefulset or daemonset>-<hash>`:
    // each rollout makes another.
    id: 'replicaset',
    why: "a ReplicaSet or ControllerRevision: its pod template's hash changes with every rollout",
    test: (n) => {
      const m = REPLICASET.exec(n);
      return !!m && hasDigitAndLetter(m[1]!);
    },
  },
  {
    // configMapGenerator/secretGenerator name `<name>-<hash>`: new content, new name.
    id: 'kustomize-hash',
    why: 'a kustomize-generated ConfigMap or Secret: ten characters of a content hash, a new name when it changes',
    // A letter, and a digit or one of the letters only the mapping makes: (9/16)^10, one hash in 300, has no digit
    // (`gddbmhkdgb`); one of b, c, d, f alone, one in a million, stays.
    test: (n) => {
      const m = KUSTOMIZE_HASH.exec(n);
      return !!m && /[a-z]/.test(m[1]!) && /[\dghkmt]/.test(m[1]!);
    },
  },
  {
    // Tekton: a PipelineRun from generateName, its TaskRuns `<pipelinerun>-<task>`, their pods `<taskrun>-pod`
    // (`-pod-retry<N>` when retried).
    id: 'tekton-pod',
    why: "a Tekton TaskRun's pod: the PipelineRun's generateName suffix, the task, `-pod`",
    test: (n) => {
      const m = TEKTON_POD.exec(n);
      return !!m && /\d/.test(m[1]!);
    },
    from: TEKTON_POD_FROM,
  },
  {
    id: 'generated-suffix',
    // A word of five consonants is not impossible: one digit at least is asked for.
    why: 'a generateName suffix (five random characters), as Jobs give their pods and tools their objects',
    test: (n) => {
      const m = GENERATED_SUFFIX.exec(n);
      return !!m && /\d/.test(m[1]!);
    },
    from: GENERATED_SUFFIX_FROM,
  },
];

/** What made a name up, or undefined for a name that looks chosen. */
export function generatedName(name: string): { id: string; why: string; alone?: boolean } | undefined {
  const lower = name.toLowerCase();
  for (const p of PATTERNS) if (p.test(lower)) return { id: p.id, why: p.why, ...(p.alone ? { alone: true } : {}) };
  return undefined;
}

/**
 * Where the made-up part of a name starts: after `web-` in a ReplicaSet's pod `web-7d9f8b6c5d-x2x9k`, a Job's pod, a
 * CronJob run's pod, a Tekton TaskRun's pod; 0 for names made up by other shapes (the whole name may change);
 * undefined for a name that looks chosen.
 */
export function generatedFrom(name: string): number | undefined {
  const lower = name.toLowerCase();
  for (const p of PATTERNS) {
    if (!p.test(lower)) continue;
    const m = p.from?.exec(lower);
    return m && lower.length === name.length ? m.index + 1 : 0;
  }
  return undefined;
}

/** `db-0`, `db-1`: a StatefulSet's pods, by base name and ordinal; undefined for other names. */
export function ordinalOf(name: string): { base: string; ordinal: number } | undefined {
  const m = /^(.+)-(\d{1,5})$/.exec(name);
  return m ? { base: m[1]!, ordinal: Number(m[2]) } : undefined;
}
