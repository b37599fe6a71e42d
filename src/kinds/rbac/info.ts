import type { RbacOptions } from '../../generate/rbac/index.js';
import { wholeNumber } from '../options.js';
import type { KindInfo } from '../types.js';

/** Kubernetes RBAC: what the command line and the config file know of it (its generator and evaluator: ./index.ts). */
export const rbacInfo: KindInfo<RbacOptions, 'rbac'> = {
  name: 'rbac',
  title: 'RBAC',
  description: 'Kubernetes Roles, ClusterRoles and bindings that allow exactly what was observed',
  outputHelp: 'write DIR/rbac/<namespace>/<subject>.yaml and DIR/evidence/ (default: YAML on stdout)',
  kubernetesObjects: true,
  examples: [
    ['Roles and bindings from a profile, with their evidence', 'generate rbac --profile week.json -o policy/'],
    [
      "one namespace's service accounts, applied as they are made",
      "generate rbac --k8s-audit audit/ --subject 'system:serviceaccount:shop:*' | kubectl apply -f -",
    ],
    [
      'drop resourceNames past 20 names (a listed widening)',
      'generate rbac --profile week.json --widen-names 20 -o policy/',
    ],
  ],
  nouns: { policies: 'RBAC objects', observations: 'Kubernetes API requests' },
  options: [
    {
      flags: '--widen-names <n>',
      description: 'drop resourceNames once more than N names were used (widening, listed)',
    },
    {
      flags: '--widen-namespaces <n>',
      description: 'same access in more than N namespaces: one ClusterRole bound in each (widening, listed)',
    },
    {
      flags: '--expand-verbs',
      description: 'add list ⇄ watch and get beside list, as client-go informers need (widening, listed)',
    },
    {
      flags: '--no-default-grants',
      description:
        "the cluster removed Kubernetes' default bindings: write rules for discovery, health and self-review " +
        'requests too (by default every cluster grants them, so they are left to it and listed)',
    },
    {
      flags: '--include-anonymous',
      description:
        'bind system:anonymous and system:unauthenticated too (by default they get no binding and are listed)',
    },
    {
      flags: '--include-broad-groups',
      description:
        'with --subject-kind group --include-system, bind system:authenticated, system:serviceaccounts[:NS] and ' +
        'system:masters too (by default they get no binding and are listed: every member would get any member’s access)',
    },
  ],
  parseOptions(flags) {
    const opts: RbacOptions = {};
    const wn = wholeNumber('--widen-names', flags['widenNames']);
    const wns = wholeNumber('--widen-namespaces', flags['widenNamespaces']);
    if (wn !== undefined) opts.widenNames = wn;
    if (wns !== undefined) opts.widenNamespaces = wns;
    if (flags['expandVerbs']) opts.expandVerbs = true;
    if (flags['exact']) opts.exact = true;
    if (flags['includeAnonymous']) opts.includeAnonymous = true;
    if (flags['includeBroadGroups']) opts.includeBroadGroups = true;
    if (flags['defaultGrants'] === false) opts.writeDefaultGrants = true;
    return opts;
  },
};
