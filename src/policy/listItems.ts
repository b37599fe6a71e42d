import { isObj } from '../util/json.js';

/** Where an object sits in its document: `[]` the document itself, `[i]` its `items[i]`, `[i, j]` inside that. */
export type ItemPath = readonly number[];

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Each object `kubectl apply` takes from one parsed policy document, with its place, as kubectl decides it
 * (k8s.io/apimachinery's unstructured JSON scheme and cli-runtime's FlattenListVisitor):
 *
 * - a document holding the key `items` is a list, whatever its kind (`List`, `NetworkPolicyList`, or a `ClusterRole`
 *   with rules beside its items): only its items are applied, never the document's own fields. `items: null` is a
 *   list of nothing; `items` of another type is an error to kubectl, which applies nothing from it: nothing here.
 * - an item with neither kind nor apiVersion takes the list's apiVersion and the list's kind without its `List`
 *   suffix (decodeToList), so a `RoleList`'s bare items are Roles.
 * - an item whose `items` is an array is a list too, flattened the same way (kubectl refuses such a nested list and
 *   applies none of it: reading its items is reading more, never less); an item whose `items` is anything else
 *   (null) is no list to kubectl, and is that item.
 *
 * Every reader of Kubernetes objects in policy files goes through this, so none reads a list differently.
 */
export function eachObject(doc: unknown, fn: (o: unknown, path: ItemPath) => void): void {
  if (isObj(doc) && Object.hasOwn(doc, 'items')) eachItem(doc, [], fn);
  else fn(doc, []);
}

function eachItem(list: Record<string, unknown>, path: number[], fn: (o: unknown, path: ItemPath) => void): void {
  const items = list['items'];
  if (!Array.isArray(items)) return;
  const kind = str(list['kind']).replace(/List$/, '');
  const apiVersion = str(list['apiVersion']);
  items.forEach((item: unknown, i) => {
    const o = isObj(item) && !str(item['kind']) && !str(item['apiVersion']) ? { ...item, kind, apiVersion } : item;
    if (isObj(o) && Array.isArray(o['items'])) eachItem(o, [...path, i], fn);
    else fn(o, [...path, i]);
  });
}

/** `.items[0].items[2]`: a place as a path of the document's fields, for messages. */
export const itemsWhere = (path: ItemPath): string => path.map((i) => `.items[${i}]`).join('');
