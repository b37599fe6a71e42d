import { basename, dirname, join, resolve, sep } from 'node:path';
import type { InputIssue } from '../model/issue.js';
import { isObj } from '../util/json.js';
import type { PolicyDoc } from './load.js';

/**
 * Kustomization fields that change the objects `kustomize build` makes of the files it lists
 * (kubectl.docs.kubernetes.io, the kustomization reference): patches of every form, name and namespace rewriting,
 * labels added to objects and selectors, replacements, components, plugins, and buildMetadata (`managedByLabel` labels
 * every object, which an aggregationRule may select). Fields that only list files (`resources`) or make other objects
 * (ConfigMap and Secret generators, images, replicas) are not among them.
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
  'buildMetadata',
];

/** The names kustomize reads a directory's kustomization from. */
const KUSTOMIZE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const KUSTOMIZE_FILE = /^(?:kustomization\.ya?ml|Kustomization)$/;
/** The files the policy walk reads (policy/load.ts). */
const POLICY_FILE = /\.(ya?ml|json)$/i;

/**
 * A Kustomization (or Component) among policy files that transforms what it builds: audit2policy reads each file as
 * written, so a patch in an overlay (a verb added, a subject bound) would be read as nothing or as a second object.
 * Each is an issue naming the fields, so a gate does not pass on objects it never saw; so is one listing resources
 * (or `bases`) that are not among the files read: a remote base (`https://github.com/...`, `github.com/...?ref=`), a
 * directory outside the paths given.
 */
export function kustomizeIssues(docs: PolicyDoc[]): InputIssue[] {
  const issues: InputIssue[] = [];
  const read = new Set(docs.map((d) => resolve(sep, d.file)));
  const dirs = new Set([...read].map((f) => dirname(f)));
  for (const d of docs) {
    const o = d.object;
    if (!isObj(o)) continue;
    const kind = o['kind'];
    const api = typeof o['apiVersion'] === 'string' ? o['apiVersion'] : '';
    // kustomize defaults a missing apiVersion (and kind) of the file it reads (FixKustomization).
    const isKustomization =
      ((kind === 'Kustomization' || kind === 'Component') &&
        (api === '' || api.startsWith('kustomize.config.k8s.io/'))) ||
      (kind === undefined && KUSTOMIZE_FILE.test(basename(d.file)));
    if (!isKustomization) {
      const flux = fluxTransforms(o, api);
      if (flux.length)
        issues.push({
          kind: 'issue',
          code: 'policy.kustomize-transform',
          file: d.file,
          line: d.line ?? 1,
          message: `a Flux Kustomization with spec.${flux.join(', spec.')}: Flux changes the objects it applies from its path, and audit2policy reads the files as written; give it what \`flux build kustomization\` (or \`kustomize build\`) writes instead`,
        });
      continue;
    }
    const unread = unreadResources(o, d.file, read, dirs);
    if (unread.length)
      issues.push({
        kind: 'issue',
        code: 'policy.kustomize-unread',
        file: d.file,
        line: d.line ?? 1,
        message: `a kustomization lists resources that are not among the policies given: ${unread.join(', ')}; kustomize builds them in, and audit2policy reads only the files given: give it what \`kustomize build\` writes instead`,
      });
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

/**
 * The entries of `resources` and `bases` that may build in objects audit2policy did not read, shown as JSON strings.
 * kustomize takes an entry as a local file, else a local directory (built from its kustomization), else a remote
 * target (a git repository, `https://...`). Held: a file read (`read`: the paths resolved the same way); a directory
 * whose kustomization was read (itself checked here); a YAML or JSON file beside files read, which the walk of that
 * directory would have read had it been there (a stale entry fails `kustomize build`, it adds nothing). Anything else
 * is remote, outside the paths given, or a file the reader skips.
 */
function unreadResources(o: Record<string, unknown>, file: string, read: Set<string>, dirs: Set<string>): string[] {
  const out: string[] = [];
  for (const key of ['resources', 'bases']) {
    const list = o[key];
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      const text = typeof entry === 'string' ? entry : (JSON.stringify(entry) ?? String(entry));
      const t = typeof entry === 'string' && entry !== '' ? resolve(sep, dirname(file), entry) : undefined;
      const held =
        t !== undefined &&
        (read.has(t) ||
          KUSTOMIZE_NAMES.some((n) => read.has(join(t, n))) ||
          (POLICY_FILE.test(t) && dirs.has(dirname(t))));
      if (!held) out.push(JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text));
    }
  }
  return out;
}

/**
 * Flux's Kustomization (kustomize.toolkit.fluxcd.io) applies the manifests of its `spec.path` after its own
 * transforms: patches, a target namespace, name prefixes and suffixes, labels and annotations on every object
 * (`commonMetadata`), components, and variable substitution (`postBuild`), any of which changes RBAC objects read
 * from those files. The fields it uses, or none.
 */
function fluxTransforms(o: Record<string, unknown>, api: string): string[] {
  if (o['kind'] !== 'Kustomization' || !api.startsWith('kustomize.toolkit.fluxcd.io/')) return [];
  const spec = o['spec'];
  if (!isObj(spec)) return [];
  return FLUX_TRANSFORMS.filter((k) => Object.hasOwn(spec, k));
}

const FLUX_TRANSFORMS = [
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
  'targetNamespace',
  'namePrefix',
  'nameSuffix',
  'commonMetadata',
  'components',
  'postBuild',
];
