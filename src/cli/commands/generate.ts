import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { toYamlDocuments } from '../../emit/yaml.js';
import { writeTree } from '../../emit/writeTree.js';
import { generateIam, type IamOptions, type IamResult } from '../../generate/iam/index.js';
import { serializePolicy } from '../../generate/iam/policy.js';
import { generateRbac, type RbacOptions } from '../../generate/rbac/index.js';
import { generateNetpol, type NetpolOptions } from '../../generate/netpol/index.js';
import type { Profile } from '../../model/profile.js';
import { isAwsKind } from '../../model/subject.js';
import { UsageError } from '../errors.js';
import type { Ctx } from '../context.js';
import { observedProfile } from '../input.js';
import { addFilterOptions, addSourceOptions, nonNegativeInt, type SourceFlags } from '../options.js';

/** Above this many names a rule is hard to review: say that --widen-names exists. */
const LONG_NAME_LIST = 20;

interface GenerateFlags extends SourceFlags {
  output?: string;
  widenNames?: string;
  widenNamespaces?: string;
  expandVerbs?: boolean;
  s3PrefixWildcard?: string;
  widenResources?: string;
  flavor?: 'kubernetes' | 'cilium';
  defaultDeny?: boolean;
  widenPorts?: boolean;
  aggregateCidr?: string;
}

function netpolOptions(flags: GenerateFlags): NetpolOptions {
  const opts: NetpolOptions = { flavor: flags.flavor ?? 'kubernetes', defaultDeny: flags.defaultDeny !== false };
  if (flags.widenPorts) opts.widenPorts = true;
  if (flags.aggregateCidr !== undefined) {
    const n = Number(flags.aggregateCidr.replace(/^\//, ''));
    if (!Number.isInteger(n) || n < 8 || n > 32) throw new UsageError(`--aggregate-cidr: expected an IPv4 prefix length from 8 to 32 (24 or /24), got "${flags.aggregateCidr}"`);
    opts.aggregateCidr = n;
  }
  return opts;
}

/** NetworkPolicies: objects and evidence into `files`, a summary on stderr; returns the YAML for stdout. */
function emitNetpol(ctx: Ctx, flags: GenerateFlags, profile: Profile, files: Files): string {
  const r = generateNetpol(profile, netpolOptions(flags));
  for (const a of r.artefacts) {
    files.set(a.path, toYamlDocuments(a.objects));
    if (a.evidencePath && a.evidence) files.set(a.evidencePath, toYamlDocuments([a.evidence]));
  }
  if (!flags.quiet) {
    const err = ctx.io.stderr;
    const c = ctx.c;
    const policies = r.artefacts.filter((a) => !a.path.endsWith('/_default-deny.yaml')).length;
    const denies = r.artefacts.length - policies;
    const where = flags.output ? ` in ${flags.output}/netpol (evidence in ${flags.output}/evidence/netpol)` : '';
    err.write(`generated ${policies} network policies${denies ? ` and ${denies} default-deny policies` : ''}${where}\n`);
    for (const s of r.skipped) err.write(c.yellow(`  no policy for ${s.workload}: ${s.reason}\n`));
    if (r.quiet.length) err.write(`workloads in the inventory with no observed traffic (${r.quiet.length}; the default deny covers them): ${r.quiet.join(', ')}\n`);
    for (const x of uniq(r.inexpressible.map((i) => `  ${i.workload}: ${i.detail}`))) err.write(c.yellow(`${x}\n`));
    const nodes = uniq(r.nodePeers.map((n) => `${n.workload} ${n.direction} ${n.ip}`));
    if (nodes.length) err.write(c.yellow(`node or host-network peers (allowed by node IP; review): ${nodes.join('; ')}\n`));
    if (r.denied.length) err.write(`dropped flows seen: ${r.denied.reduce((n, d) => n + d.records, 0)} records on ${r.denied.length} paths (in the evidence, never allowed)\n`);
    if (r.widenings.length === 0) err.write('widenings: none (every rule allows only what was observed)\n');
    else {
      err.write(c.yellow(`widenings: ${r.widenings.length} (rules broader than observed):\n`));
      for (const w of r.widenings) err.write(c.yellow(`  ${w.option === 'dns' ? '(cluster DNS)' : '--' + w.option} ${w.workload}: ${w.detail}\n`));
    }
  }
  return toYamlDocuments(r.artefacts.flatMap((a) => a.objects));
}

const uniq = (xs: string[]) => [...new Set(xs)];

/** Each kind's widening options (and the network flavor), prefixed in `generate all`'s help. */
function addKindOptions(cmd: Command, kind: 'rbac' | 'iam' | 'netpol', prefix: string): void {
  if (kind === 'rbac') {
    cmd
      .option('--widen-names <n>', `${prefix}drop resourceNames once more than N names were used (widening, listed)`)
      .option('--widen-namespaces <n>', `${prefix}same access in more than N namespaces: one ClusterRole bound in each (widening, listed)`)
      .option('--expand-verbs', `${prefix}add list ⇄ watch and get beside list, as client-go informers need (widening, listed)`);
  } else if (kind === 'iam') {
    cmd
      .option('--s3-prefix-wildcard <n>', `${prefix}more than N object keys under one prefix → bucket/prefix/* (widening, listed)`)
      .option('--widen-resources <n>', `${prefix}more than N ARNs for one action → the narrowest wildcard covering them (widening, listed)`);
  } else {
    cmd
      .addOption(new Option('--flavor <flavor>', `${prefix}kubernetes NetworkPolicy, or cilium CiliumNetworkPolicy (toFQDNs for named external peers, ICMP)`).choices(['kubernetes', 'cilium']).default('kubernetes'))
      .option('--no-default-deny', `${prefix}no deny-all policy per namespace (on by default, so pods no policy selects are covered)`)
      .option('--widen-ports', `${prefix}all ports to an observed peer (widening, listed)`)
      .option('--aggregate-cidr <prefix>', `${prefix}external addresses into blocks of this prefix length, e.g. 24 (widening, listed)`);
  }
}

function rbacOptions(flags: GenerateFlags): RbacOptions {
  const opts: RbacOptions = {};
  const wn = nonNegativeInt('--widen-names', flags.widenNames);
  const wns = nonNegativeInt('--widen-namespaces', flags.widenNamespaces);
  if (wn !== undefined) opts.widenNames = wn;
  if (wns !== undefined) opts.widenNamespaces = wns;
  if (flags.expandVerbs) opts.expandVerbs = true;
  return opts;
}

function iamOptions(flags: GenerateFlags): IamOptions {
  const opts: IamOptions = {};
  const s3 = nonNegativeInt('--s3-prefix-wildcard', flags.s3PrefixWildcard);
  const wr = nonNegativeInt('--widen-resources', flags.widenResources);
  if (s3 !== undefined) opts.s3PrefixWildcard = s3;
  if (wr !== undefined) opts.widenResources = wr;
  return opts;
}

type Files = Map<string, string>;

/** RBAC: objects and evidence into `files`, a summary on stderr; returns the YAML for stdout. */
function emitRbac(ctx: Ctx, flags: GenerateFlags, profile: Profile, files: Files): string {
  const { artefacts, widenings } = generateRbac(profile, rbacOptions(flags));
  for (const a of artefacts) {
    files.set(a.path, toYamlDocuments(a.objects));
    files.set(a.evidencePath, toYamlDocuments([a.evidence]));
  }
  if (!flags.quiet) {
    const objects = artefacts.reduce((n, a) => n + a.objects.length, 0);
    const rules = artefacts.reduce((n, a) => n + a.objects.reduce((m, o) => m + ('rules' in o ? (o.rules?.length ?? 0) : 0), 0), 0);
    const subjects = new Set(artefacts.map((a) => a.evidence['subject'])).size;
    const where = flags.output ? ` in ${flags.output}/rbac (evidence in ${flags.output}/evidence/rbac)` : '';
    ctx.io.stderr.write(`generated ${objects} RBAC objects with ${rules} rules for ${subjects} subjects${where}\n`);
    for (const a of artefacts) {
      for (const o of a.objects) {
        if (!('rules' in o)) continue;
        for (const r of o.rules ?? []) {
          if ((r.resourceNames?.length ?? 0) > LONG_NAME_LIST) {
            ctx.io.stderr.write(ctx.c.dim(`hint: ${a.evidence['subject']} uses ${r.resourceNames!.length} names of ${r.resources!.join(',')}${a.namespace ? ' in ' + a.namespace : ''}; --widen-names N drops resourceNames above N names\n`));
          }
        }
      }
    }
    if (widenings.length === 0) ctx.io.stderr.write('widenings: none (every rule allows only what was observed)\n');
    else {
      ctx.io.stderr.write(ctx.c.yellow(`widenings: ${widenings.length} (rules broader than observed, by request):\n`));
      for (const w of widenings) ctx.io.stderr.write(ctx.c.yellow(`  --${w.option} ${w.subject}${w.namespace ? ' in ' + w.namespace : ''}: ${w.detail}\n`));
    }
  }
  return toYamlDocuments(artefacts.flatMap((a) => a.objects));
}

/** IAM: policies and evidence into `files`, a summary on stderr; returns the JSON for stdout. */
async function emitIam(ctx: Ctx, flags: GenerateFlags, profile: Profile, files: Files): Promise<string> {
  const r = await generateIam(profile, iamOptions(flags));
  const out: Record<string, unknown> = {};
  for (const a of r.artefacts) {
    for (const p of a.policies) {
      const text = serializePolicy(p.document);
      files.set(p.path, text);
      out[p.path] = JSON.parse(text);
    }
    files.set(a.evidencePath, JSON.stringify(a.evidence, null, 2) + '\n');
  }
  if (!flags.quiet) printIamSummary(ctx, flags, r);
  return JSON.stringify(out, null, 2) + '\n';
}

function printIamSummary(ctx: Ctx, flags: GenerateFlags, r: IamResult): void {
  const err = ctx.io.stderr;
  const c = ctx.c;
  const files = r.artefacts.reduce((n, a) => n + a.policies.length, 0);
  const statements = r.artefacts.reduce((n, a) => n + a.policies.reduce((m, p) => m + p.document.Statement.length, 0), 0);
  const actions = r.artefacts.reduce((n, a) => n + new Set(a.policies.flatMap((p) => p.document.Statement.flatMap((s) => s.Action))).size, 0);
  const where = flags.output ? ` in ${flags.output}/iam (evidence in ${flags.output}/evidence/iam)` : '';
  err.write(`generated ${files} IAM polic${files === 1 ? 'y' : 'ies'} with ${statements} statements (${actions} actions) for ${r.artefacts.length} principals${where}\n`);
  for (const a of r.artefacts) {
    if (a.policies.length > 1) err.write(`  ${a.principal}: split over ${a.policies.length} files (${a.policies.map((p) => p.path).join(', ')}): the managed-policy limit is 6,144 characters\n`);
  }
  if (r.chains.length) {
    err.write('service account → IAM role:\n');
    for (const ch of r.chains) {
      const art = r.artefacts.find((a) => a.principal === ch.roleArn);
      const acts = art ? [...new Set(art.policies.flatMap((p) => p.document.Statement.flatMap((s) => s.Action)))].sort() : [];
      err.write(`  ${ch.serviceAccount} → ${ch.roleArn} (${ch.via}, ${ch.count}×)${art ? ` → ${acts.length} action${acts.length === 1 ? '' : 's'}: ${acts.slice(0, 6).join(', ')}${acts.length > 6 ? ', …' : ''}` : ' (no calls by the role in the logs)'}\n`);
    }
  }
  if (r.unmapped.length) {
    err.write(c.yellow(`unmapped events: ${r.unmapped.reduce((n, u) => n + u.count, 0)} calls of ${r.unmapped.length} kinds map to no IAM action in the catalogue (not granted):\n`));
    for (const u of r.unmapped) err.write(c.yellow(`  ${u.principal}: ${u.eventSource} ${u.eventName} ×${u.count}: ${u.reason}\n`));
  }
  if (r.denied.length) err.write(`denied calls seen: ${r.denied.reduce((n, d) => n + d.count, 0)} (${r.denied.length} kinds; in the evidence, never granted)\n`);
  if (r.widenings.length === 0) err.write('widenings: none (every statement allows only what was observed)\n');
  else {
    err.write(c.yellow(`widenings: ${r.widenings.length} (statements broader than observed):\n`));
    for (const w of r.widenings) err.write(c.yellow(`  ${w.option === 'undetermined-resource' ? '(resource not in the event)' : '--' + w.option} ${w.principal}: ${w.detail}\n`));
  }
}

/** `audit2policy generate rbac (--profile FILE | [sources] [filters]) [-o DIR]` */
export function registerGenerate(program: Command, ctx: Ctx): void {
  const gen = program.command('generate').description('generate least-privilege policy from a profile or logs');
  // One subcommand per kind: the same sources, filters and output handling, the kind's own widenings.
  const kinds: { name: 'rbac' | 'iam' | 'netpol'; what: string; output: string; emit: (ctx: Ctx, f: GenerateFlags, p: Profile, files: Files) => string | Promise<string> }[] = [
    { name: 'rbac', what: 'Kubernetes Roles, ClusterRoles and bindings that allow exactly what was observed', output: 'write DIR/rbac/<namespace>/<subject>.yaml and DIR/evidence/ (default: YAML on stdout)', emit: emitRbac },
    { name: 'iam', what: 'AWS IAM identity policies that allow exactly the calls observed in CloudTrail', output: 'write DIR/iam/<account>/<name>.json and DIR/evidence/iam/ (default: JSON on stdout)', emit: emitIam },
    { name: 'netpol', what: 'NetworkPolicies (or CiliumNetworkPolicies) that allow exactly the connections observed in flow logs', output: 'write DIR/netpol/<namespace>/<workload>.yaml, _default-deny.yaml and DIR/evidence/netpol/ (default: YAML on stdout)', emit: emitNetpol },
  ];
  for (const k of kinds) {
    const cmd = gen.command(k.name).description(k.what);
    addSourceOptions(cmd, true);
    addFilterOptions(cmd, 'skip');
    cmd.option('-o, --output <dir>', k.output);
    addKindOptions(cmd, k.name, '');
    cmd.action(async (flags: GenerateFlags) => {
      const { profile } = await observedProfile(flags, ctx.io, ctx.c);
      const files: Files = new Map();
      const text = await k.emit(ctx, flags, profile, files);
      if (flags.output) await writeTree(resolve(ctx.io.cwd, flags.output), [k.name, `evidence/${k.name}`], files);
      else ctx.io.stdout.write(text);
    });
  }

  const all = gen.command('all').description('every kind the profile has evidence for: RBAC from Kubernetes requests, IAM from CloudTrail, NetworkPolicies from flows');
  addSourceOptions(all, true);
  addFilterOptions(all, 'skip');
  all.requiredOption('-o, --output <dir>', 'write DIR/rbac, DIR/iam, DIR/netpol and DIR/evidence/');
  addKindOptions(all, 'rbac', 'RBAC: ');
  addKindOptions(all, 'iam', 'IAM: ');
  addKindOptions(all, 'netpol', 'network: ');
  all
    .action(async (flags: GenerateFlags) => {
      const { profile } = await observedProfile(flags, ctx.io, ctx.c);
      const files: Files = new Map();
      const roots: string[] = [];
      if ((profile.network?.length ?? 0) > 0) {
        emitNetpol(ctx, flags, profile, files);
        roots.push('netpol', 'evidence/netpol');
      }
      if (profile.principals.some((p) => p.k8s.length > 0)) {
        emitRbac(ctx, flags, profile, files);
        roots.push('rbac', 'evidence/rbac');
      }
      if (profile.principals.some((p) => isAwsKind(p.subject.kind) && (p.aws?.length ?? 0) > 0)) {
        await emitIam(ctx, flags, profile, files);
        roots.push('iam', 'evidence/iam');
      }
      if (roots.length === 0) throw new UsageError('nothing to generate: the profile holds no Kubernetes requests, AWS calls or network flows in scope');
      await writeTree(resolve(ctx.io.cwd, flags.output!), roots, files);
    });
}
