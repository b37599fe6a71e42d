import { parseArn } from './arn.js';

/**
 * Kubernetes nodes that are EC2 instances, and the calls that name them.
 *
 * A node's `spec.providerID` is `<ProviderName>://<ProviderSpecificNodeID>` (core/v1 NodeSpec); the AWS cloud
 * provider writes `aws:///<availability zone>/<instance id>` (`aws:///eu-west-1a/i-0abc...`), and reads back
 * `aws:////<instance id>` too, with no zone (kubernetes/cloud-provider-aws, instances.go `MapToAWSInstanceID`). An
 * instance id is `i-` and 8 or 17 hexadecimal digits (EC2 API reference, Instance). Anything else (a Fargate node's
 * `aws:///<zone>/<id>/fargate-ip-...`, another provider's `gce://...`) names no instance.
 */
export function instanceIdOfProviderId(providerId: string): string | undefined {
  const m = /^aws:\/\/\/(?:[a-z0-9-]*)\/(i-[0-9a-f]+)$/.exec(providerId);
  return m && !instanceIdProblem(m[1]!) ? m[1] : undefined;
}

/** What is wrong with an EC2 instance id, or undefined. */
export function instanceIdProblem(id: string): string | undefined {
  return /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(id)
    ? undefined
    : 'is not an EC2 instance id (i- and 8 or 17 hexadecimal digits)';
}

/**
 * `arn:aws:ec2:<region>:<account>:instance/<id>` whose id is one of `nodes` (the instance ids of an inventory's
 * nodes) → the ARN up to the id (`...:instance/`); undefined for any other ARN.
 *
 * A node is replaced at every upgrade, scale-down or consolidation (Karpenter's), and its successor is another
 * instance: what a cluster's own agents do to their nodes without creating them (the VPC CNI attaching network
 * interfaces, the EBS CSI controller attaching and detaching volumes) names staging's instances, and the first new
 * node would be denied. So such an id becomes the type's wildcard in the same account and region, which is what AWS's
 * own managed policies for these agents grant: AmazonEBSCSIDriverPolicy allows `ec2:AttachVolume` and
 * `ec2:DetachVolume` on `arn:aws:ec2:*:*:instance/*` (and `volume/*`), AmazonEKS_CNI_Policy allows
 * `ec2:AttachNetworkInterface`, `ec2:AssignPrivateIpAddresses` and the like on `*` (AWS Managed Policy Reference,
 * both policies' JSON documents). An instance that is no node of the inventory keeps its id.
 */
export function nodeInstancePrefix(arn: string, nodes: ReadonlySet<string>): string | undefined {
  if (nodes.size === 0) return undefined;
  const a = parseArn(arn);
  if (a?.service !== 'ec2' || !a.region || !a.account || !a.resource.startsWith('instance/')) return undefined;
  const id = a.resource.slice('instance/'.length);
  return nodes.has(id) ? arn.slice(0, arn.length - id.length) : undefined;
}

/** Why such an ARN is widened, as the listing says it. */
export const NODE_INSTANCE_WHY = 'an EC2 instance that is a Kubernetes node: nodes are replaced';
