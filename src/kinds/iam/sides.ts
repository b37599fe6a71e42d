import { iamKeyOfArn, partitionKey, splitPartitionKey } from '../../model/layout.js';
import { cmp } from '../../model/issue.js';
import type { Profile } from '../../model/profile.js';
import { iamIdentity, type SubjectKind } from '../../model/subject.js';
import { iamPolicyKey, type IamPolicySet } from '../../verify/iam.js';
import type { NamedPolicy } from '../../verify/iam/evaluate.js';

/**
 * The IAM principals of the sides of a `diff` or `check`, each under one key, so that partition twins stay apart
 * (verify/iam.ts `IamPolicySet.twins`: a role or user of one account id and name in `aws` and in `aws-cn` is two, each
 * with its own files). A key is the principal's `iamPolicyKey`, `<account>/role/<name>`, except for a twin of another
 * partition than `aws`, which is `partitionKey`'s `aws-cn:<account>/role/<name>`: the twin outside `aws` is told apart
 * as its file name tells it (`partitionStem`). A key is a twin's when either side has twins under it, or the profile
 * has principals of more than one partition under it, so that the sides compare each twin with itself even where one
 * side holds only one of them. Without twins, the sides are the policy sets as read.
 */
export interface IamSides {
  /** Each side's policy set, its `byPrincipal` by these keys. */
  sets: IamPolicySet[];
  /** A principal's key, or undefined for one no identity policy attaches to. */
  key(kind: SubjectKind, arn: string): string | undefined;
  /** A key as an ARN: as the profile knows it, else as an index gives it, else made from the key (`label`). */
  label(key: string): string;
  /** A key's ARN as the profile or an index gives it (with its path), else undefined. */
  arnOf(key: string): string | undefined;
}

/** The account of a key (`111122223333` of `aws-cn:111122223333/role/app`). */
export function keyAccount(key: string): string {
  return key.slice(key.indexOf(':') + 1).split('/')[0]!;
}

export function iamSides(policySets: IamPolicySet[], profile?: Profile): IamSides {
  const twins = new Set<string>();
  for (const s of policySets) for (const k of s.twins) twins.add(k);
  const partitions = new Map<string, string>();
  for (const p of profile?.principals ?? []) {
    const k = iamPolicyKey(p.subject.kind, p.username);
    if (!k) continue;
    const partition = iamIdentity(p.username)!.partition;
    const seen = partitions.get(k);
    if (seen === undefined) partitions.set(k, partition);
    else if (seen !== partition) twins.add(k);
  }
  const sets = twins.size ? policySets.map((s) => apart(s, twins)) : policySets;
  const key = (kind: SubjectKind, arn: string) => {
    const k = iamPolicyKey(kind, arn);
    return k !== undefined && twins.has(k) ? twinKey(iamIdentity(arn)!.partition, k) : k;
  };
  // The ARNs the indexes give, the first side's first; the profile's over them (they carry the paths records showed).
  const arns = new Map<string, string>();
  for (const s of policySets) {
    for (const [k, arn] of s.arns) if (!twins.has(k) && !arns.has(k)) arns.set(k, arn);
    for (const arn of s.identityArns.values()) {
      const k = iamKeyOfArn(arn)!;
      const own = twinKey(iamIdentity(arn)!.partition, k);
      if (twins.has(k) && !arns.has(own)) arns.set(own, arn);
    }
  }
  for (const pr of profile?.principals ?? []) {
    const k = key(pr.subject.kind, pr.username);
    if (k !== undefined) arns.set(k, pr.username);
  }
  const label = (k: string) => {
    const known = arns.get(k);
    if (known !== undefined) return known;
    // A twin no index or profile names: its ARN without a path (its key alone, as ever, for any other principal).
    const twin = twins.has(k) ? { partition: 'aws', key: k } : splitPartitionKey(k);
    if (!twins.has(twin.key)) return k;
    const [account, kind, ...name] = twin.key.split('/');
    return `arn:${twin.partition}:iam::${account!}:${kind!}/${name.join('/')}`;
  };
  return { sets, key, label, arnOf: (k) => arns.get(k) };
}

/** A twin's key: its `iamPolicyKey` in `aws`, qualified by its partition elsewhere. */
function twinKey(partition: string, key: string): string {
  return partition === 'aws' ? key : partitionKey(partition, key);
}

/** A side with the policies of each twin key under each twin's own key (`byIdentity`), the rest as they are. */
function apart(set: IamPolicySet, twins: Set<string>): IamPolicySet {
  const own = new Map<string, [string, NamedPolicy[]][]>();
  for (const [qualified, policies] of set.byIdentity) {
    const { partition, key } = splitPartitionKey(qualified);
    if (!twins.has(key)) continue;
    own.set(key, [...(own.get(key) ?? []), [twinKey(partition, key), policies]]);
  }
  const byPrincipal = new Map<string, NamedPolicy[]>();
  for (const [key, policies] of set.byPrincipal) {
    if (!twins.has(key)) byPrincipal.set(key, policies);
    else for (const [k, list] of (own.get(key) ?? []).sort((a, b) => cmp(a[0], b[0]))) byPrincipal.set(k, list);
  }
  return { ...set, byPrincipal };
}
