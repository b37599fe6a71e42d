import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { dump } from 'js-yaml';

/** The file beside the kind directories that lists every Kubernetes policy file for `kubectl apply -k`. */
export const KUSTOMIZATION = 'kustomization.yaml';

/**
 * `DIR/kustomization.yaml`: every YAML file of the Kubernetes kinds' directories (`rbac/`, `netpol/`),
 * those of this run and, for a kind not generated now, those already in DIR, so `kubectl apply -k DIR`
 * applies the whole policy. It sits beside the kind directories, not in them: `kubectl apply -R -f
 * DIR/rbac -f DIR/netpol` reads only policy objects (a kustomization file among them is an object
 * kubectl cannot apply). Undefined when there is nothing to list.
 */
export async function kustomization(
  dir: string | undefined,
  kinds: { name: string; files?: Iterable<string> }[],
): Promise<string | undefined> {
  const listed: string[] = [];
  for (const k of kinds) {
    const paths = k.files ? [...k.files] : dir ? await yamlFiles(dir, k.name) : [];
    for (const p of paths) if (p.startsWith(k.name + '/') && /\.ya?ml$/.test(p)) listed.push(p);
  }
  if (listed.length === 0) return undefined;
  return (
    '# Written by audit2policy (app.kubernetes.io/managed-by: audit2policy): every RBAC and NetworkPolicy file\n' +
    '# of this directory. Apply with `kubectl apply -k DIR` or `kubectl apply -R -f DIR/rbac -f DIR/netpol`;\n' +
    '# the evidence under DIR/evidence is for people, never for the API server.\n' +
    dump(
      {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [...new Set(listed)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      },
      { lineWidth: -1 },
    )
  );
}

/** The YAML files under DIR/<kind>, as paths relative to DIR with `/`. */
async function yamlFiles(dir: string, kind: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, ...rel.split('/')), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile() && /\.ya?ml$/.test(e.name)) out.push(r);
    }
  };
  await walk(kind);
  return out;
}
