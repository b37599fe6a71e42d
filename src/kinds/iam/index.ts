import { iamKept } from './kept.js';
import { IamGenerator, type IamOptions, type IamResult } from '../../generate/iam/index.js';
import type { Principal } from '../../model/profile.js';
import { cmp } from '../../model/issue.js';
import { pushAll } from '../../util/array.js';
import { jsonSafe } from '../../util/escape.js';
import { NewestClasses } from '../learning.js';
import { serializePolicy } from '../../generate/iam/policy.js';
import { serializeTrust } from '../../generate/iam/trust.js';
import { trustSummary } from './trustSummary.js';
import { attachWords } from '../../generate/iam/attach.js';
import { awsIdentityKey, isAwsKind } from '../../model/subject.js';
import { buildIamPolicySet, iamReplay, type IamPolicySet } from '../../verify/iam.js';
import { iamInfo } from './info.js';
import type { PolicyKind, SummaryLine } from '../types.js';
import { compareIam } from './compare.js';
import { describeIam } from './describe.js';
import { iamExcess } from './excess.js';
import { iamNewness } from './newness.js';
import { iamReport, leftOutWords } from './report.js';
import { plural } from '../../util/plural.js';

/** AWS IAM identity policies from CloudTrail calls, replayed with the IAM evaluator. */
export const iam: PolicyKind<IamOptions, IamPolicySet, 'iam'> = {
  ...iamInfo,
  evidence: {
    principal: (p) => hasAwsEvidence(p),
    rest: (r) => !!(r.serviceAssumptions?.length || r.webIdentityAssumptions?.length || r.samlAssumptions?.length),
  },
  start(options, sink) {
    const g = new IamGenerator(options);
    let evidence = false;
    const tally: IamTally = {
      artefacts: [],
      widenings: [],
      unmapped: [],
      denied: [],
      oversized: [],
      permissionSets: [],
      trusts: [],
    };
    const newest = new NewestClasses();
    // EC2 instances the policies name by id, said when the profile knows no Kubernetes node (made without inventory).
    let nodesKnown = false;
    const instances = new Set<string>();
    // Policy files and indexes, for stdout: path → document, in the order made.
    const policyPaths: string[] = [];
    const put = async (path: string, text: string, policy: boolean) => {
      await sink(path, text);
      if (policy) policyPaths.push(path);
    };
    return {
      survey: async (p) => {
        if (iam.evidence.principal(p)) evidence = true;
        await g.survey(p);
      },
      surveyTail: (t) => {
        nodesKnown = (t.nodeInstances?.length ?? 0) > 0;
        g.surveyOutside(t);
      },
      async principal(p) {
        const part = await g.principal(p);
        pushAll(tally.widenings, part.widenings);
        pushAll(tally.unmapped, part.unmapped);
        pushAll(tally.denied, part.denied);
        pushAll(tally.oversized, part.oversized);
        pushAll(tally.permissionSets, part.permissionSets);
        pushAll(tally.trusts, part.trusts);
        const a = part.artefact;
        if (!a) return;
        for (const x of a.policies) await put(x.path, serializePolicy(x.document), true);
        if (a.trust) await put(a.trust.path, serializeTrust(a.trust.document), true);
        await put(a.evidencePath, jsonSafe(JSON.stringify(a.evidence, null, 2)) + '\n', false);
        tally.artefacts.push({
          principal: a.principal,
          paths: a.policies.map((x) => x.path),
          statements: a.policies.reduce((n, x) => n + x.document.Statement.length, 0),
          actions: [...new Set(a.policies.flatMap((x) => x.document.Statement.flatMap((st) => st.Action)))].sort(),
        });
        for (const x of (a.evidence['permissions'] ?? []) as {
          action: string;
          resource: string;
          firstSeen: string;
        }[]) {
          newest.add({ subject: a.principal, label: `${x.action} on ${x.resource}`, firstSeen: x.firstSeen });
          if (INSTANCE_ID_ARN.test(x.resource)) instances.add(x.resource);
        }
      },
      hasEvidence: () => evidence,
      async finish(rest) {
        const { indexes, chains } = g.finish();
        for (const x of indexes) await put(x.path, jsonSafe(JSON.stringify(x.document, null, 2)) + '\n', true);
        const r: Summed = {
          ...tally,
          indexes,
          chains,
          leftOut: rest.leftOut ?? [],
          noIdentity: rest.skipped['no-identity'] ?? 0,
          instancesAsSeen: nodesKnown || options.exact ? [] : [...instances].sort(cmp),
        };
        return {
          kind: 'iam',
          stdout: (files) => {
            const out: Record<string, unknown> = {};
            for (const path of policyPaths) out[path] = JSON.parse(files.get(path)!);
            return jsonSafe(JSON.stringify(out, null, 2)) + '\n';
          },
          classes: newest.list(),
          widenings: r.widenings.map((w) => ({
            kind: 'iam',
            option: w.option,
            subject: w.principal,
            detail: w.detail,
            text: `${iamLabel(w.option)}: ${w.detail}`,
          })),
          summary: (output) => iamSummary(r, output),
        };
      },
    };
  },
  readPolicies(docs) {
    const { set, issues } = buildIamPolicySet(docs);
    const trusts = [...set.trusts.values()].filter((t) => t.unknown === undefined).length;
    const also = trusts ? `, ${plural(trusts, 'trust policy', String, 'trust policies')}` : '';
    const label = `${plural(set.count, 'IAM policy', String, 'IAM policies')}${also}`;
    // A policy attached but not read (known only after apply, a managed policy the answer does not hold) is found too:
    // a plan of nothing else is a side with policy in it, compared as not read, never an empty one.
    const unread = new Set([...set.byPrincipal.values()].flat().filter((p) => p.unknown !== undefined)).size;
    return { set, issues, count: set.count + set.trustFiles + unread, label };
  },
  replay: (policies, report) => {
    const r = iamReplay(policies.set, report);
    return { principal: (p) => r.principal(p), finish: (rest) => r.finish(rest) };
  },
  compare: compareIam,
  describe: describeIam,
  words: (f) => ({
    full: f.access.action
      ? `${f.access.action} on ${f.access.resource} (${f.access.events.join(', ')}${f.access.implied ? '; implied by ' + f.access.implied.join(', ') : ''})`
      : f.access.events.join(', '),
    brief: `${f.access.action} on ${f.access.resource}`,
  }),
  newness: iamNewness,
  kept: iamKept,
  excess: iamExcess,
  excessSamples: "other principals' accesses",
  report: iamReport,
};

/** A principal the IAM kind is made from: an AWS identity with calls. */
const hasAwsEvidence = (p: Principal): boolean => isAwsKind(p.subject.kind) && (p.aws?.length ?? 0) > 0;

/** What the summary needs of the generated policies: per principal its files, statements and actions. */
interface IamTally extends Pick<
  IamResult,
  'widenings' | 'unmapped' | 'denied' | 'oversized' | 'permissionSets' | 'trusts'
> {
  artefacts: { principal: string; paths: string[]; statements: number; actions: string[] }[];
}

/** What the summary says: the tally, and what the generator made beside the policies. */
type Summed = IamTally &
  Pick<IamResult, 'indexes' | 'chains' | 'leftOut' | 'noIdentity'> & {
    /** EC2 instances named by id in a profile that knows no Kubernetes node (none with `--exact`). */
    instancesAsSeen: string[];
  };

/** An EC2 instance named by its id. */
const INSTANCE_ID_ARN = /^arn:[^:]+:ec2:[^:]*:\d{12}:instance\/i-[0-9a-f]+$/;

/** An option by its flag; what the generator does by default by its words. */
function iamLabel(option: string): string {
  if (option === 'undetermined-resource') return '(resource not in the event)';
  if (option === 'generated-keys') return '(made-up keys; --exact keeps them)';
  if (option === 'no-resource-type') return '(no narrower resource exists)';
  if (option === 'beyond-catalogue') return '(a resource type the catalogue does not list for the action)';
  return `--${option}`;
}

function iamSummary(r: Summed, output: string | undefined): SummaryLine[] {
  const lines: SummaryLine[] = [];
  const say = (text: string, tone: SummaryLine['tone'] = 'plain') => lines.push({ text, tone });
  const files = r.artefacts.reduce((n, a) => n + a.paths.length, 0);
  const statements = r.artefacts.reduce((n, a) => n + a.statements, 0);
  const actions = r.artefacts.reduce((n, a) => n + a.actions.length, 0);
  const where = output ? ` in ${output}/iam (evidence in ${output}/evidence/iam)` : '';
  say(
    `generated ${plural(files, 'IAM policy', String, 'IAM policies')} with ${plural(statements, 'statement')} (${plural(actions, 'action')}) for ${plural(r.artefacts.length, 'principal')}${where}`,
  );
  if (r.indexes.length)
    say(`  which policy is whose: ${r.indexes.map((x) => (output ? `${output}/${x.path}` : x.path)).join(', ')}`);
  for (const a of r.artefacts) {
    const n = a.paths.length;
    if (n > 1)
      say(
        `  ${a.principal}: split over ${n} files (${a.paths[0]!}${n > 2 ? ', …' : ''}, ${a.paths[n - 1]!}): the managed-policy limit is 6,144 characters`,
      );
  }
  for (const w of r.oversized) say(`too many policies to attach: ${attachWords(w)}`, 'warn');
  if (r.permissionSets.length) {
    say(
      'IAM Identity Center roles: IAM refuses changes to them; put each policy in its permission set (inline, or a ' +
        'customer managed policy) instead:',
      'warn',
    );
    // A permission set is one policy wherever it is provisioned: its roles' files together, to be merged into it.
    const bySet = new Map<string, string[]>();
    for (const x of r.permissionSets) bySet.set(x.permissionSet, [...(bySet.get(x.permissionSet) ?? []), ...x.paths]);
    for (const [set, paths] of [...bySet].sort((a, b) => cmp(a[0], b[0])))
      say(
        `  permission set ${set}: ${paths
          .map((x) => (output ? `${output}/${x}` : x))
          .sort(cmp)
          .join(', ')}`,
        'warn',
      );
  }
  if (r.chains.length) {
    say('service account → IAM role:');
    for (const ch of r.chains) {
      const art = r.artefacts.find((a) => awsIdentityKey(a.principal) === awsIdentityKey(ch.roleArn));
      const acts = art ? art.actions : [];
      say(
        `  ${ch.serviceAccount} → ${ch.roleArn} (${ch.via}, ${ch.count}×)${art ? ` → ${acts.length} action${acts.length === 1 ? '' : 's'}: ${acts.slice(0, 6).join(', ')}${acts.length > 6 ? ', …' : ''}` : ' (no calls by the role in the logs)'}`,
      );
    }
  }
  pushAll(lines, trustSummary(r.trusts, output));
  if (r.leftOut.length || r.noIdentity) {
    const calls = r.leftOut.reduce((n, l) => n + l.count, 0) + r.noIdentity;
    say(
      `left out: ${calls} call${calls === 1 ? '' : 's'} by identities no identity policy attaches to (counted, not granted):`,
      'warn',
    );
    for (const l of r.leftOut) say(`  ${leftOutWords(l)}`, 'warn');
    if (r.noIdentity)
      say(
        `  ${r.noIdentity} record${r.noIdentity === 1 ? ' that names' : 's that name'} no identity (no ARN in userIdentity)`,
        'warn',
      );
  }
  if (r.unmapped.length) {
    say(
      `unmapped events: ${r.unmapped.reduce((n, u) => n + u.count, 0)} calls of ${r.unmapped.length} kinds map to no IAM action in the catalogue (not granted):`,
      'warn',
    );
    for (const u of r.unmapped)
      say(`  ${u.principal}: ${u.eventSource} ${u.eventName} ×${u.count}: ${u.reason}`, 'warn');
  }
  if (r.denied.length)
    say(
      `denied calls seen: ${r.denied.reduce((n, d) => n + d.count, 0)} (${r.denied.length} kinds; in the evidence, never granted)`,
    );
  // The ids a node's agents (VPC CNI, EBS CSI) name break on the first new node: an inventory says which are nodes.
  const n = r.instancesAsSeen.length;
  if (n)
    say(
      `${plural(n, 'EC2 instance id')} kept as seen (${r.instancesAsSeen
        .slice(0, 2)
        .map((x) => x.slice(x.lastIndexOf(':') + 1))
        .join(', ')}${n > 2 ? ', …' : ''}): the profile knows no Kubernetes node's instance; read with --inventory ` +
        'or --cluster, the ids of nodes (replaced at every upgrade or scale-down) become instance/*, listed',
      'hint',
    );
  if (r.widenings.length === 0) say('widenings: none (every statement allows only what was observed)');
  else {
    say(`widenings: ${r.widenings.length} (statements broader than observed):`, 'warn');
    for (const w of r.widenings) say(`  ${iamLabel(w.option)} ${w.principal}: ${w.detail}`, 'warn');
  }
  return lines;
}
