// The demo environment's timeline: what changes during the soak, shared by the audit logs
// (scripts/gen-demo.js), the CloudTrail (demo-cloudtrail.js) and the inventory and flows
// (demo-network.js) so the slices agree on every name, IP and time. Names are made the way Kubernetes
// makes them: random suffixes and pod-template hashes from apimachinery's alphabet (no vowels, no 0, 1
// or 3); a CronJob's Job is `<cronjob>-<scheduled minute since the epoch>`, its pod `<job>-<5 random>`.
import { mulberry32 } from './prng.js';

export const START = Date.UTC(2026, 10, 2); // Monday 2026-11-02T00:00Z
export const DAYS = 8;
export const HOUR = 3_600_000;
export const MIN = 60_000;
export const DAY = 24 * HOUR;

/** `k8s.io/apimachinery/pkg/util/rand`: the alphabet of generateName suffixes and pod-template hashes. */
export const RAND_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** `n` random characters of that alphabet, drawn with `int` (a seeded `n => 0..n-1`). */
export const randomSuffix = (int, n = 5) =>
  Array.from({ length: n }, () => RAND_ALPHABET[int(RAND_ALPHABET.length)]).join('');

/** The Job a CronJob creates for a scheduled time: `<cronjob>-<minutes since the epoch>`. */
export const cronJobRun = (cronjob, scheduled) => `${cronjob}-${Math.floor(scheduled / MIN)}`;
export const isoDate = (t) => new Date(t).toISOString().slice(0, 10);

// ---- shop/web: a Deployment with one replica, rolled out on day 5 -------------------------------------
// The deployer's morning pipeline run on Friday 2026-11-06 changes web's pod template (a new image): a
// new ReplicaSet hash, a new pod (new name, new IP) from then on. The HorizontalPodAutoscaler adds pods
// for the midday peak every day and removes them at night: fresh names every day.
export const WEB_ROLLOUT = Date.UTC(2026, 10, 6, 11, 20, 0);
export const WEB_HASHES = ['7d4b9c6f5', '7c9d8f6b5d'];
export const webHash = (t) => WEB_HASHES[t < WEB_ROLLOUT ? 0 : 1];
/** The long-lived web pod: before the rollout, and after it (the one the inventory holds). */
export const WEB_PODS = [
  { name: 'web-7d4b9c6f5-x2kq9', ip: '10.0.1.101', node: 0, until: WEB_ROLLOUT },
  { name: 'web-7c9d8f6b5d-x2klq', ip: '10.0.1.105', node: 0, from: WEB_ROLLOUT },
];
export const webPodAt = (t) => WEB_PODS[t < WEB_ROLLOUT ? 0 : 1];
/** The autoscaler's midday pods: six a day, 12:00 to 17:00, removed at 22:00. */
export const HPA = { perDay: 6, firstHour: 12, downHour: 22 };

// ---- shop/db: a StatefulSet of two replicas, scaled to four on day 4 -------------------------------------
// alice scales it on Thursday 2026-11-05 at 10:40 (`kubectl scale statefulset db --replicas=4`); the
// StatefulSet controller then creates db-2 and db-3, one after the other.
export const DB_SCALE = Date.UTC(2026, 10, 5, 10, 40, 0);
export const DB_PODS = [
  { name: 'db-0', ip: '10.0.1.160', node: 0, from: START },
  { name: 'db-1', ip: '10.0.2.160', node: 1, from: START },
  { name: 'db-2', ip: '10.0.3.160', node: 2, from: DB_SCALE + 40_000 },
  { name: 'db-3', ip: '10.0.1.161', node: 0, from: DB_SCALE + 95_000 },
];
export const dbPodsAt = (t) => DB_PODS.filter((p) => p.from <= t);

// ---- CronJobs: ops/backup nightly at 02:00, ops/report daily at 05:30 ------------------------------------
const runs = mulberry32(20261105);
const runInt = (n) => Math.floor(runs() * n);
function cronRuns(cronjob, hour, minute, ip, seconds) {
  return Array.from({ length: DAYS }, (_, d) => {
    const scheduled = START + d * DAY + hour * HOUR + minute * MIN;
    const job = cronJobRun(cronjob, scheduled);
    return {
      day: d,
      scheduled,
      job,
      pod: `${job}-${randomSuffix(runInt)}`,
      ip: typeof ip === 'function' ? ip(d) : ip,
      start: scheduled + 4_000,
      end: scheduled + seconds * 1000,
    };
  });
}
/** Each night's backup run: its Job and pod (the README's backup IP for every run). */
export const BACKUP_RUNS = cronRuns('backup', 2, 0, '10.0.3.150', 300);
/** Each morning's report run: it reads its template, writes an export and its log, and is done within four minutes. */
export const REPORT_RUNS = cronRuns('report', 5, 30, (d) => `10.0.3.${171 + d}`, 210);

/** The payments-api pod (the EKS Pod Identity agent names it in its session tags). */
export const PAYMENTS_POD = 'payments-api-6d8f7b9c5-q4n7v';
