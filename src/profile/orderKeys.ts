import type { K8sAccess } from '../model/access.js';
import type { AwsCall } from '../model/profile.js';
import { ORDER_KEY_LIST_END, orderKeyField } from '../util/key.js';

/**
 * Order keys of a principal's edges: strings that compare by code units as the profile orders the edges
 * (`compareAccess`, `compareAwsCalls`), and are equal exactly when the edges are the same access or call. Sorted
 * lines with their keys are merged without reading the lines (keyedLines.ts).
 */

/** The part of a Kubernetes access's order key before its name: namespace, group, resource, subresource. */
export const k8sKeyHead = (a: K8sAccess): string =>
  orderKeyField(a.namespace) + orderKeyField(a.apiGroup) + orderKeyField(a.resource) + orderKeyField(a.subresource);

/** The part after its name: URL, verb. */
export const k8sKeyTail = (a: K8sAccess): string => orderKeyField(a.nonResourceURL) + orderKeyField(a.verb);

export const k8sOrderKey = (a: K8sAccess): string => k8sKeyHead(a) + orderKeyField(a.name) + k8sKeyTail(a);

/**
 * An AWS call's order key: source, name, region, account, then its resources and its implied permissions as lists,
 * then its external ID where it has one.
 */
export function awsOrderKey(c: AwsCall): string {
  const parts = [
    orderKeyField(c.eventSource),
    orderKeyField(c.eventName),
    orderKeyField(c.region ?? ''),
    orderKeyField(c.account ?? ''),
  ];
  for (const r of c.resources) parts.push(orderKeyField(r));
  parts.push(ORDER_KEY_LIST_END);
  for (const i of c.implied) parts.push(orderKeyField(i.action), orderKeyField(i.resource), orderKeyField(i.via));
  parts.push(ORDER_KEY_LIST_END);
  // None sorts first: a key without it is a prefix of one with it.
  if (c.externalId !== undefined) parts.push(orderKeyField(c.externalId));
  return parts.join('');
}
