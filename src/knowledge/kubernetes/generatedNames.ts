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
}

const DATE = /(?:^|[-_.])(?:19|20)\d{2}[-_.]?(?:0[1-9]|1[0-2])[-_.]?(?:0[1-9]|[12]\d|3[01])(?:t\d{4,6}z?)?(?:$|[-_.])/;
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

const PATTERNS: NamePattern[] = [
  {
    id: 'replicaset-pod',
    why: 'a pod of a ReplicaSet: its pod-template hash and a random suffix change with every rollout and restart',
    test: (n) => new RegExp(`-${RAND}{6,10}-${RAND}{5}$`).test(n),
  },
  {
    id: 'cronjob-pod',
    why: 'a pod of a CronJob run: the scheduled minute and a random suffix',
    test: (n) => {
      const m = new RegExp(`-(\\d{8})-${RAND}{5}$`).exec(n);
      return !!m && cronMinute(m[1]!);
    },
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
    id: 'generated-suffix',
    // A word of five consonants is not impossible: one digit at least is asked for.
    why: 'a generateName suffix (five random characters), as Jobs give their pods and tools their objects',
    test: (n) => {
      const m = new RegExp(`-(${RAND}{5})$`).exec(n);
      return !!m && /\d/.test(m[1]!);
    },
  },
];

/** What made a name up, or undefined for a name that looks chosen. */
export function generatedName(name: string): { id: string; why: string } | undefined {
  const lower = name.toLowerCase();
  for (const p of PATTERNS) if (p.test(lower)) return { id: p.id, why: p.why };
  return undefined;
}

/** `db-0`, `db-1`: a StatefulSet's pods, by base name and ordinal; undefined for other names. */
export function ordinalOf(name: string): { base: string; ordinal: number } | undefined {
  const m = /^(.+)-(\d{1,5})$/.exec(name);
  return m ? { base: m[1]!, ordinal: Number(m[2]) } : undefined;
}
