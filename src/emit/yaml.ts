import { dump } from 'js-yaml';

/**
 * Multi-document YAML that `kubectl apply -f -` reads back unchanged: each document dumped on its
 * own with no line folding, joined with `---`. Key order is the order objects were built in.
 */
export function toYamlDocuments(docs: unknown[]): string {
  return docs.map((d) => dump(d, { lineWidth: -1, noRefs: true })).join('---\n');
}
