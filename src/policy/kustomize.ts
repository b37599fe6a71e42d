import { basename } from 'node:path';
import type { InputIssue } from '../model/issue.js';
import { isObj } from '../util/json.js';
import type { PolicyDoc } from './load.js';

/**
 * Kustomization fields that change the objects `kustomize build` makes of the files it lists
 * (kubectl.docs.kubernetes.io, the kustomization reference): patches of every form, name and namespace rewriting,
 * labels added to objects and selectors, replacements, components, plugins. Fields that only list files
 * (`resources`) or make other objects (ConfigMap and Secret generators, images, replicas) are not among them.
 */
const TRANSFORMS = [
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
  'replacements',
  'components',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'commonLabels',
  'labels',
  'transformers',
  'generators',
  'validators',
  'helmCharts',
  'vars',
];

const KUSTOMIZE_FILE = /^(?:kustomization\.ya?ml|Kustomization)$/;

/**
 * A Kustomization (or Component) among policy files that transforms what it builds: audit2policy reads each file as
 * written, so a patch in an overlay (a verb added, a subject bound) would be read as nothing or as a second object.
 * Each is an issue naming the fields, so a gate does not pass on objects it never saw.
 */
export function kustomizeIssues(docs: PolicyDoc[]): InputIssue[] {
  const issues: InputIssue[] = [];
  for (const d of docs) {
    const o = d.object;
    if (!isObj(o)) continue;
    const kind = o['kind'];
    const api = typeof o['apiVersion'] === 'string' ? o['apiVersion'] : '';
    const isKustomization =
      ((kind === 'Kustomization' || kind === 'Component') && api.startsWith('kustomize.config.k8s.io/')) ||
      (kind === undefined && KUSTOMIZE_FILE.test(basename(d.file)));
    if (!isKustomization) continue;
    const used = TRANSFORMS.filter((k) => Object.hasOwn(o, k));
    if (!used.length) continue;
    issues.push({
      kind: 'issue',
      code: 'policy.kustomize-transform',
      file: d.file,
      line: d.line ?? 1,
      message: `a kustomization with ${used.join(', ')}: these change the objects kustomize builds, and audit2policy reads the files as written; give it what \`kustomize build\` writes instead`,
    });
  }
  return issues;
}
