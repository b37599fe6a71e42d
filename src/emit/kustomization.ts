import { dump } from 'js-yaml';

/** The file beside the kind directories that lists every Kubernetes policy file for `kubectl apply -k`. */
export const KUSTOMIZATION = 'kustomization.yaml';

/** The first line of the kustomization.yaml audit2policy writes (a tree without a manifest is told by it). */
export const KUSTOMIZATION_HEADER =
  '# Written by audit2policy (app.kubernetes.io/managed-by: audit2policy): every RBAC and NetworkPolicy file\n';

/**
 * `DIR/kustomization.yaml`: every YAML file audit2policy owns in the Kubernetes kinds' directories (`rbac/`,
 * `netpol/`), those of this run and those of kinds not generated now (`owned`: the paths of the tree's manifest),
 * so `kubectl apply -k DIR` applies the whole policy. A file of someone else's there is not listed. It sits beside
 * the kind directories, not in them: `kubectl apply -R -f DIR/rbac -f DIR/netpol` reads only policy objects (a
 * kustomization file among them is an object kubectl cannot apply). Undefined when there is nothing to list.
 */
export function kustomization(owned: Iterable<string>, kinds: string[]): string | undefined {
  const listed: string[] = [];
  for (const p of owned) if (kinds.some((k) => p.startsWith(k + '/')) && /\.ya?ml$/.test(p)) listed.push(p);
  if (listed.length === 0) return undefined;
  return (
    KUSTOMIZATION_HEADER +
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
