import { load } from 'js-yaml';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { describe, expect, it } from 'vitest';
import { toYamlDocuments } from '../src/emit/yaml.js';
import { generateRbac, type RbacOptions } from '../src/generate/rbac/index.js';
import type { K8sAccess } from '../src/model/access.js';
import type { K8sRequestObservation } from '../src/model/observation.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { defaultScope, Scope } from '../src/profile/scope.js';

type Req = Partial<K8sAccess> & { user?: string; decision?: K8sRequestObservation['decision'] };

function gen(reqs: Req[], opts: RbacOptions = {}) {
  const b = new ProfileBuilder(new Scope(defaultScope()));
  reqs.forEach((r, i) => {
    const { user, decision, ...a } = r;
    b.add({
      kind: 'k8s-request',
      username: user ?? 'system:serviceaccount:shop:web',
      groups: [],
      access: {
        verb: 'get',
        apiGroup: '',
        resource: '',
        subresource: '',
        namespace: '',
        name: '',
        nonResourceURL: '',
        ...a,
      },
      decision: decision ?? 'allow',
      stage: 'ResponseComplete',
      time: `2026-11-02T08:00:0${i % 10}.000000Z`,
      id: `id${i}`,
    });
  });
  return generateRbac(b.toProfile(), opts);
}

const rulesOf = (r: ReturnType<typeof gen>, kind: string, ns = '') =>
  (
    r.artefacts
      .flatMap((a) => a.objects)
      .find((o) => o['kind'] === kind && ((o['metadata'] as { namespace?: string }).namespace ?? '') === ns) as
      { rules?: unknown } | undefined
  )?.rules;

describe('RBAC generation', () => {
  it('allows only the observed verbs, with resourceNames for named get/update/patch/delete', () => {
    const r = gen([
      { verb: 'get', resource: 'configmaps', namespace: 'shop', name: 'web-config' },
      { verb: 'get', resource: 'secrets', namespace: 'shop', name: 'web-tls' },
      { verb: 'watch', resource: 'configmaps', namespace: 'shop' },
      { verb: 'list', resource: 'configmaps', namespace: 'shop' },
    ]);
    expect(rulesOf(r, 'Role', 'shop')).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['web-config'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['web-tls'], verbs: ['get'] },
    ]);
  });

  it('merges verbs of rules with equal group, resource and names', () => {
    const r = gen([
      { verb: 'get', apiGroup: 'apps', resource: 'deployments', namespace: 'shop', name: 'web' },
      { verb: 'patch', apiGroup: 'apps', resource: 'deployments', namespace: 'shop', name: 'web' },
      { verb: 'update', apiGroup: 'apps', resource: 'deployments', namespace: 'shop', name: 'cart' },
    ]);
    expect(rulesOf(r, 'Role', 'shop')).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['cart'], verbs: ['update'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'], verbs: ['get', 'patch'] },
    ]);
  });

  it('never restricts create by name, and keeps subresources as resource/subresource', () => {
    const r = gen([
      { verb: 'create', resource: 'pods', namespace: 'ci' },
      { verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'ci' },
      { verb: 'get', resource: 'pods', subresource: 'log', namespace: 'ci', name: 'job-1' },
    ]);
    expect(rulesOf(r, 'Role', 'ci')).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods/log'], resourceNames: ['job-1'], verbs: ['get'] },
    ]);
  });

  it('puts cluster-scoped, all-namespace and non-resource requests in a ClusterRole, the rest in Roles', () => {
    const r = gen([
      { verb: 'list', resource: 'pods' },
      { verb: 'get', resource: 'nodes', name: 'n1' },
      { verb: 'get', nonResourceURL: '/metrics' },
      // Every cluster grants this one (system:discovery, system:public-info-viewer): no rule is written for it.
      { verb: 'get', nonResourceURL: '/healthz' },
      { verb: 'get', resource: 'pods', namespace: 'shop', name: 'p' },
    ]);
    expect(r.artefacts.map((a) => `${a.path} ${a.objects.map((o) => o['kind']).join('+')}`)).toEqual([
      'rbac/_cluster/serviceaccount.shop.web.yaml ClusterRole+ClusterRoleBinding',
      'rbac/shop/serviceaccount.shop.web.yaml Role+RoleBinding',
    ]);
    expect(rulesOf(r, 'ClusterRole')).toEqual([
      { apiGroups: [''], resources: ['nodes'], resourceNames: ['n1'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
    expect(r.defaults.map((d) => `${d.clusterRole}: ${d.edge.nonResourceURL}`)).toEqual(['system:discovery: /healthz']);
  });

  it('denied requests never generate rules', () => {
    const r = gen([
      { verb: 'list', resource: 'secrets', namespace: 'shop', decision: 'deny' },
      { verb: 'get', resource: 'configmaps', namespace: 'shop', name: 'c' },
    ]);
    expect(JSON.stringify(r.artefacts.map((a) => a.objects))).not.toContain('secrets');
    expect(r.artefacts[0]!.evidence['denied']).toMatchObject([{ verb: 'list', resource: 'secrets', count: 1 }]);
  });

  it('widens nothing unless asked', () => {
    expect(
      gen([
        { verb: 'get', resource: 'pods', namespace: 'a', name: 'x' },
        { verb: 'get', resource: 'pods', namespace: 'b', name: 'y' },
      ]).widenings,
    ).toEqual([]);
  });

  it('--widen-names N drops resourceNames above N names, and says so', () => {
    const reqs = ['a', 'b', 'c'].map((name) => ({ verb: 'get', resource: 'secrets', namespace: 'shop', name }));
    expect(rulesOf(gen(reqs, { widenNames: 3 }), 'Role', 'shop')).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['a', 'b', 'c'], verbs: ['get'] },
    ]);
    const r = gen(reqs, { widenNames: 2 });
    expect(rulesOf(r, 'Role', 'shop')).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
    expect(r.widenings).toMatchObject([
      { option: 'widen-names', subject: 'serviceaccount:shop:web', namespace: 'shop' },
    ]);
    const role = r.artefacts[0]!.objects[0] as { metadata: { annotations: Record<string, string> } };
    expect(role.metadata.annotations['audit2policy.dev/widened-by']).toBe('widen-names');
  });

  it('--expand-verbs adds the client-go companions and lists each', () => {
    const r = gen([{ verb: 'list', resource: 'pods', namespace: 'shop' }], { expandVerbs: true });
    expect(rulesOf(r, 'Role', 'shop')).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(r.widenings.map((w) => w.detail)).toEqual(['get pods added beside list', 'watch pods added beside list']);
  });

  it('--widen-namespaces N makes one ClusterRole bound by RoleBindings in each namespace', () => {
    const reqs = ['a', 'b', 'c'].map((namespace) => ({
      verb: 'get',
      apiGroup: 'apps',
      resource: 'deployments',
      namespace,
      name: 'web',
    }));
    reqs.push({ verb: 'get', apiGroup: '', resource: 'configmaps', namespace: 'a', name: 'only-a' });
    const r = gen(reqs, { widenNamespaces: 2 });
    const objs = r.artefacts.flatMap((a) =>
      a.objects.map(
        (o) =>
          `${o['kind']} ${(o['metadata'] as { namespace?: string }).namespace ?? '-'} ${(o['metadata'] as { name: string }).name}`,
      ),
    );
    expect(objs).toEqual([
      'ClusterRole - audit2policy:serviceaccount:shop:web:namespaced',
      'Role a audit2policy:serviceaccount:shop:web',
      'RoleBinding a audit2policy:serviceaccount:shop:web',
      'RoleBinding a audit2policy:serviceaccount:shop:web:namespaced',
      'RoleBinding b audit2policy:serviceaccount:shop:web:namespaced',
      'RoleBinding c audit2policy:serviceaccount:shop:web:namespaced',
    ]);
    expect(r.widenings).toHaveLength(1);
    expect(r.widenings[0]!.detail).toContain('seen in 3 namespaces');
    const evB = r.artefacts.find((a) => a.namespace === 'b')!.evidence;
    expect(evB).toMatchObject({
      observedAccesses: 1,
      alsoBound: {
        clusterRole: 'audit2policy:serviceaccount:shop:web:namespaced',
        evidence: 'evidence/rbac/_cluster/serviceaccount.shop.web.yaml',
      },
    });
  });

  it('--widen-namespaces lists every namespace the shared ClusterRole grants each access in, and annotates it', () => {
    // get deployments in a, b, c; create configmaps in c, d, e: one ClusterRole bound in all five grants both in each.
    const reqs: Req[] = ['a', 'b', 'c'].map((namespace) => ({
      verb: 'get',
      apiGroup: 'apps',
      resource: 'deployments',
      namespace,
      name: 'web',
    }));
    for (const namespace of ['c', 'd', 'e']) reqs.push({ verb: 'create', resource: 'configmaps', namespace });
    const r = gen(reqs, { widenNamespaces: 2 });
    const role = 'audit2policy:serviceaccount:shop:web:namespaced';
    const bindings = r.artefacts
      .flatMap((a) => a.objects)
      .filter((o) => 'roleRef' in o && o.kind === 'RoleBinding' && o.roleRef.name === role)
      .map((o) => o.metadata!.namespace);
    expect(bindings).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(r.widenings.map((w) => `${w.option}: ${w.detail}`)).toEqual([
      `widen-namespaces: create configmaps seen in 3 namespaces (more than 2): c, d, e; granted by the ClusterRole ${role} in every namespace it is bound in (5): a, b, c, d, e, 2 of them where it was not seen: a, b`,
      `widen-namespaces: get deployments.apps seen in 3 namespaces (more than 2): a, b, c; granted by the ClusterRole ${role} in every namespace it is bound in (5): a, b, c, d, e, 2 of them where it was not seen: d, e`,
    ]);
    const shared = r.artefacts.find((a) => a.namespace === '')!;
    const cr = shared.objects.find((o) => o.kind === 'ClusterRole')!;
    expect(cr.metadata!.annotations!['audit2policy.dev/widened-by']).toBe('widen-namespaces');
    const evidence = shared.evidence['policies'] as { rules: { widenedBy?: string[] }[] }[];
    expect(evidence[0]!.rules.map((x) => x.widenedBy)).toEqual([
      [r.widenings.map((w) => `${w.option}: ${w.detail}`)[0]],
      [r.widenings.map((w) => `${w.option}: ${w.detail}`)[1]],
    ]);
  });

  it('binds users and groups with the RBAC API group, service accounts with their namespace', () => {
    const r = gen([{ user: 'alice', verb: 'get', resource: 'pods', namespace: 'shop', name: 'p' }]);
    const rb = r.artefacts[0]!.objects[1] as { subjects: unknown[] };
    expect(rb.subjects).toEqual([{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }]);
  });

  it('output passes the Kubernetes OpenAPI validation and parses back as the same objects', () => {
    const r = gen([
      { verb: 'get', resource: 'configmaps', namespace: 'shop', name: 'web-config' },
      { verb: 'list', resource: 'pods' },
      { verb: 'get', nonResourceURL: '/version' },
      { user: 'https://idp.example/#alice%20', verb: 'get', resource: 'pods', namespace: 'shop', name: 'p' },
    ]);
    const objects = r.artefacts.flatMap((a) => a.objects);
    const yaml = toYamlDocuments(objects);
    const docs = yaml.split(/^---\n/m).map((d) => load(d) as Record<string, unknown>);
    expect(docs).toEqual(objects);
    const models = { Role, ClusterRole, RoleBinding, ClusterRoleBinding } as Record<
      string,
      new (o: unknown) => { validate(): void }
    >;
    for (const d of docs) expect(() => new models[d['kind'] as string]!(d).validate()).not.toThrow();
    // `/` and `%` cannot appear in RBAC names: they are escaped.
    expect(yaml).toContain('name: audit2policy:user:https:~2F~2Fidp.example~2F#alice~2520');
  });

  it('hostile names stay data in YAML', () => {
    const evil = 'x"\n---\nkind: ClusterRoleBinding\n# ';
    const r = gen([{ verb: 'get', resource: 'configmaps', namespace: 'shop', name: evil }]);
    const docs = toYamlDocuments(r.artefacts.flatMap((a) => a.objects)).split(/^---\n/m);
    expect(docs).toHaveLength(2);
    expect((load(docs[0]!) as { rules: { resourceNames: string[] }[] }).rules[0]!.resourceNames).toEqual([evil]);
  });
});
