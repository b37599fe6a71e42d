// The demo environment's records, read once, and a small random but coherent sample of them per run of
// test/envelopes-property.test.ts: audit Events (fixtures/demo/k8s-audit, its JSON lines and the webhook's EventList
// batches), CloudTrail records (the trail's S3 delivery files, the CloudTrail Lake export, the EventBridge events'
// details), Hubble flows (fixtures/demo/flows/hubble, the exporter's `{"flow": …}` lines unwrapped) and VPC flow log
// records (fixtures/demo/flows/vpc, the default format).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT } from './cli.js';

export type Json = Record<string, unknown>;
export type Rand = () => number;

export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
export const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const chance = (r: Rand, p: number) => r() < p;

const DEMO = join(ROOT, 'fixtures/demo');

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

/** A file's text, gzip or not (by its first bytes, as the tool tells them). */
function text(path: string): string {
  const b = readFileSync(path);
  return (b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b).toString('utf8');
}

const jsonLines = (s: string): Json[] =>
  s
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Json);

export interface Demo {
  audit: Json[];
  trail: Json[];
  hubble: Json[];
  vpc: string[];
  vpcHeader: string;
}

let demo: Demo | undefined;

/** Every record of the demo, read once per test file. */
export function demoRecords(): Demo {
  if (demo) return demo;
  const audit: Json[] = [];
  for (const f of filesUnder(join(DEMO, 'k8s-audit')))
    for (const v of jsonLines(text(f))) audit.push(...(v['kind'] === 'EventList' ? (v['items'] as Json[]) : [v]));
  const trail: Json[] = [];
  for (const f of filesUnder(join(DEMO, 'cloudtrail')))
    for (const v of jsonLines(text(f))) {
      if (Array.isArray(v['Records'])) trail.push(...(v['Records'] as Json[]));
      else if (typeof v['detail-type'] === 'string') trail.push(v['detail'] as Json);
      else trail.push(v);
    }
  const hubble: Json[] = [];
  for (const f of filesUnder(join(DEMO, 'flows/hubble')))
    for (const v of jsonLines(text(f))) hubble.push(('flow' in v ? v['flow'] : v) as Json);
  const vpcLines: string[] = [];
  for (const f of filesUnder(join(DEMO, 'flows/vpc')))
    vpcLines.push(
      ...text(f)
        .split('\n')
        .filter((l) => l.trim()),
    );
  const vpcHeader = vpcLines[0]!;
  if (!vpcHeader.startsWith('version ')) throw new Error('the demo VPC flow log starts without its header line');
  demo = { audit, trail, hubble, vpc: vpcLines.filter((l) => l !== vpcHeader), vpcHeader };
  return demo;
}

/** `n` of `xs` without repeats, in a random order. */
function sample<T>(r: Rand, xs: readonly T[], n: number): T[] {
  const chosen = new Set<number>();
  while (chosen.size < Math.min(n, xs.length)) chosen.add(Math.floor(r() * xs.length));
  return [...chosen].map((i) => xs[i]!);
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** An audit Event that a uniform sample rarely holds: a refusal, another code, an impersonation, a person. */
const rareEvent = (e: Json) => {
  const code = (e['responseStatus'] as Json | undefined)?.['code'];
  const user = String((e['user'] as Json)['username']);
  return (
    (code !== undefined && code !== 200) || 'impersonatedUser' in e || !('objectRef' in e) || !/^system:/.test(user)
  );
};

export interface Sample {
  audit: Json[];
  trail: Json[];
  hubble: Json[];
  vpc: string[];
}

/**
 * A run's records: 20 to 60 audit Events (a few rare ones now and then; about a third with their times at whole
 * milliseconds, so that envelopes holding milliseconds can carry them), 20 to 60 CloudTrail records, 20 to 60 Hubble
 * flows, 5 to 25 VPC flow log records.
 */
export function sampleRecords(r: Rand): Sample {
  const d = demoRecords();
  const audit = sample(r, d.audit, int(r, 20, 60)).map(clone);
  if (chance(r, 0.6)) audit.push(...sample(r, d.audit.filter(rareEvent), int(r, 1, 4)).map(clone));
  for (const e of audit)
    if (chance(r, 0.35))
      for (const f of ['requestReceivedTimestamp', 'stageTimestamp'])
        if (typeof e[f] === 'string') e[f] = String(e[f]).replace(/\.(\d{3})\d*Z$/, '.$1000Z');
  return {
    audit,
    trail: sample(r, d.trail, int(r, 20, 60)).map(clone),
    hubble: sample(r, d.hubble, int(r, 20, 60)).map(clone),
    vpc: sample(r, d.vpc, int(r, 5, 25)),
  };
}
