import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { generateRbac } from '../src/generate/rbac/index.js';
import type { K8sAccess } from '../src/model/access.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { mergeProfiles } from '../src/profile/merge.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { writeTree } from '../src/emit/writeTree.js';
import { cli, rng, tmp } from './helpers/cli.js';

/** One allowed audit event, as the API server writes it. */
function event(o: {
  user: string;
  verb: string;
  resource: string;
  namespace?: unknown;
  name?: unknown;
  code?: unknown;
  id: string;
}): string {
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: o.id,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/${o.resource}`,
    verb: o.verb,
    user: { username: o.user, groups: ['system:authenticated'] },
    objectRef: { resource: o.resource, namespace: o.namespace, name: o.name, apiVersion: 'v1' },
    responseStatus: { code: o.code ?? 200 },
    requestReceivedTimestamp: '2026-11-02T08:00:00.000000Z',
  });
}

/** Every file under dir (relative paths), following nothing. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Every string value in parsed YAML documents. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => strings(x, out));
  return out;
}

describe('log content never widens a policy', () => {
  it('NUL-shifted names are input issues with file and line, and no wildcard reaches the output', () => {
    const dir = tmp();
    const log = join(dir, 'audit.log');
    writeFileSync(
      log,
      [
        event({
          user: 'system:serviceaccount:shop:web',
          verb: 'get',
          resource: 'pods',
          namespace: 'shop',
          name: '\u0000\u0000*',
          id: 'a1',
        }),
        event({
          user: 'system:serviceaccount:shop:web',
          verb: 'list',
          resource: 'pods',
          namespace: '\u0000*\u0000*\u0000\u0000\u0000\u0000*',
          id: 'a2',
        }),
        event({
          user: 'system:serviceaccount:shop:web',
          verb: 'get',
          resource: 'configmaps',
          namespace: 'shop',
          name: 'web-config',
          id: 'a3',
        }),
      ].join('\n') + '\n',
    );
    const r = cli(['generate', 'rbac', '--k8s-audit', log]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('audit.log:1: k8s.bad-name: objectRef.name "\\u0000\\u0000*"');
    expect(r.stderr).toContain('audit.log:2: k8s.bad-name: objectRef.namespace');
    expect(r.stderr).toMatch(/2 input issues/);
    const docs = loadAll(r.stdout) as { kind: string; rules?: Record<string, string[]>[] }[];
    expect(docs.map((d) => d.kind)).toEqual(['Role', 'RoleBinding']);
    expect(docs[0]!.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['web-config'], verbs: ['get'] },
    ]);
    expect(r.stdout).not.toContain('*');
  });

  it('a response code of the wrong type is an issue, never a grant', () => {
    const dir = tmp();
    const log = join(dir, 'audit.log');
    const lines = [
      event({
        user: 'system:serviceaccount:shop:web',
        verb: 'delete',
        resource: 'secrets',
        namespace: 'shop',
        name: 'db',
        code: '403',
        id: 'b1',
      }),
      event({
        user: 'system:serviceaccount:shop:web',
        verb: 'get',
        resource: 'secrets',
        namespace: 'shop',
        name: 'db',
        code: 403.5,
        id: 'b2',
      }),
      event({
        user: 'system:serviceaccount:shop:web',
        verb: 'patch',
        resource: 'secrets',
        namespace: 'shop',
        name: 'db',
        code: { code: 200 },
        id: 'b3',
      }),
      event({
        user: 'system:serviceaccount:shop:web',
        verb: 'list',
        resource: 'configmaps',
        namespace: 'shop',
        id: 'b4',
      }),
    ];
    writeFileSync(log, lines.join('\n') + '\n');
    const r = cli(['generate', 'rbac', '--k8s-audit', log]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'audit.log:1: k8s.bad-type: responseStatus.code is a string "403", not an HTTP status code',
    );
    expect(r.stderr).toContain('audit.log:2: k8s.bad-type');
    expect(r.stderr).toContain('audit.log:3: k8s.bad-type');
    expect(r.stdout).not.toContain('secrets');
    expect(r.stdout).toContain('configmaps');
    // verify counts the same issues and stops on them by default (the policy apart from the log: a directory holding
    // the log is a log given as policies, refused as such).
    const policy = join(dir, 'policy');
    mkdirSync(policy);
    writeFileSync(join(policy, 'rbac.yaml'), r.stdout);
    const v = cli(['verify', '--policies', policy, '--k8s-audit', log]);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain('k8s.bad-type');
  });
});

describe('log content never writes outside -o', () => {
  it('a ../ namespace or workload name is refused at ingest; nothing is created outside -o and a victim file is untouched', () => {
    const root = tmp();
    const out = join(root, 'a', 'b', 'out');
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'victim.yaml'), 'mine\n');
    const log = join(root, 'audit.log');
    writeFileSync(
      log,
      [
        event({
          user: 'system:serviceaccount:shop:web',
          verb: 'list',
          resource: 'pods',
          namespace: '../../escaped',
          id: 'c1',
        }),
        event({
          user: 'system:serviceaccount:../../escaped:web',
          verb: 'list',
          resource: 'pods',
          namespace: 'shop',
          id: 'c2',
        }),
        event({ user: 'system:serviceaccount:shop:web', verb: 'list', resource: 'pods', namespace: 'shop', id: 'c3' }),
      ].join('\n') + '\n',
    );
    const flows = join(root, 'flows.json');
    const endpoint = (ns: string, pod: string, ip: string) => ({
      ID: 1,
      namespace: ns,
      pod_name: pod,
      labels: ['k8s:app=x'],
      workloads: [{ name: pod, kind: 'Deployment' }],
      ip,
    });
    const flow = (src: ReturnType<typeof endpoint>, dst: ReturnType<typeof endpoint>) =>
      JSON.stringify({
        flow: {
          time: '2026-11-02T08:00:00Z',
          verdict: 'FORWARDED',
          IP: { source: src.ip, destination: dst.ip },
          l4: { TCP: { source_port: 40000, destination_port: 80, flags: { SYN: true } } },
          source: src,
          destination: dst,
          Type: 'L3_L4',
          traffic_direction: 'EGRESS',
        },
      });
    writeFileSync(
      flows,
      [
        flow(endpoint('shop', '../../../victim', '10.0.0.1'), endpoint('shop', 'web', '10.0.0.2')),
        flow(endpoint('shop', 'api', '10.0.0.3'), endpoint('shop', 'web', '10.0.0.2')),
      ].join('\n') + '\n',
    );
    const before = files(root);
    const r = cli(['generate', 'all', '--k8s-audit', log, '--flows', flows, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('audit.log:1: k8s.bad-name: objectRef.namespace "../../escaped"');
    expect(r.stderr).toContain('audit.log:2: k8s.bad-name: user.username "system:serviceaccount:../../escaped:web"');
    expect(r.stderr).toContain('flows.json:1: flow.bad-name: workload "../../../victim"');
    expect(files(root).filter((f) => !f.startsWith(join('a', 'b', 'out') + '/'))).toEqual(before);
    expect(readFileSync(join(root, 'victim.yaml'), 'utf8')).toBe('mine\n');
    expect(existsSync(join(out, 'netpol', 'shop', 'api.yaml'))).toBe(true);
  });

  it('an IPv6 address with a zone (fe80::1%eth0) is an issue, never a CIDR the API server refuses', () => {
    const root = tmp('zone');
    const flows = join(root, 'flows.json');
    const pod = {
      ID: 1,
      namespace: 'shop',
      pod_name: 'web-0',
      labels: ['k8s:app=web'],
      workloads: [{ name: 'web', kind: 'StatefulSet' }],
    };
    const flow = (dst: string, id: number) =>
      JSON.stringify({
        flow: {
          time: `2026-11-02T08:00:0${id}Z`,
          verdict: 'FORWARDED',
          IP: { source: 'fd00::10', destination: dst, ipVersion: 'IPv6' },
          l4: { TCP: { source_port: 40000, destination_port: 443, flags: { SYN: true } } },
          source: pod,
          destination: { ID: 0, identity: 2, labels: ['reserved:world'] },
          Type: 'L3_L4',
          traffic_direction: 'EGRESS',
        },
      });
    writeFileSync(flows, [flow('fe80::1%eth0', 1), flow('2001:db8::1', 2)].join('\n') + '\n');
    const out = join(root, 'out');
    const r = cli(['generate', 'netpol', '--flows', flows, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/flows\.json:1: flow\.bad-name: .*fe80::1%eth0.* zone/);
    const written = readFileSync(join(out, 'netpol', 'shop', 'web.yaml'), 'utf8');
    expect(written).toContain('2001:db8::1/128');
    expect(written).not.toContain('%');
  });

  it('names past the validators (a tampered profile, library use) still land inside the output under escaped names', async () => {
    // Names no decoder accepts, straight into the builder: the layer below validation must hold too.
    const b = new ProfileBuilder(new Scope(defaultScope()));
    for (const [i, ns] of ['../../escaped', '..', '.', '_cluster', 'a/b'].entries()) {
      b.add({
        kind: 'k8s-request',
        username: `u${i}/../../x`,
        groups: [],
        access: {
          verb: 'get',
          apiGroup: '',
          resource: 'pods',
          subresource: '',
          namespace: ns,
          name: 'p',
          nonResourceURL: '',
        },
        decision: 'allow',
        stage: 'ResponseComplete',
        time: '',
        id: `d${i}`,
      });
    }
    const { artefacts } = generateRbac(b.toProfile());
    const paths = artefacts.flatMap((a) => [a.path, a.evidencePath]);
    for (const p of paths) expect(p.split('/').every((seg) => seg !== '..' && seg !== '.' && seg !== '')).toBe(true);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths.filter((p) => p.startsWith('rbac/_cluster/'))).toEqual([]);
    const dir = tmp();
    await writeTree(join(dir, 'out'), ['rbac', 'evidence/rbac'], new Map(paths.map((p) => [p, 'x'])));
    expect(files(dir).every((f) => f.startsWith('out/'))).toBe(true);
    await expect(writeTree(join(dir, 'out'), ['rbac'], new Map([['rbac/../../escaped.yaml', 'x']]))).rejects.toThrow(
      /refusing to write/,
    );
  });

  it('a 253-character service account and a 300-character user get bounded file names, and verify passes', () => {
    const dir = tmp();
    const log = join(dir, 'audit.log');
    const sa = Array.from({ length: 4 }, (_, i) => String.fromCharCode(97 + i).repeat(62)).join('.') + '.a';
    expect(sa.length).toBe(253);
    const user = 'u'.repeat(300);
    writeFileSync(
      log,
      [
        event({
          user: `system:serviceaccount:shop:${sa}`,
          verb: 'list',
          resource: 'pods',
          namespace: 'shop',
          id: 'e1',
        }),
        event({ user, verb: 'get', resource: 'configmaps', namespace: 'shop', name: 'c', id: 'e2' }),
        event({ user, verb: 'get', resource: 'nodes', name: 'n1', id: 'e3' }),
      ].join('\n') + '\n',
    );
    const out = join(dir, 'out');
    const r = cli(['generate', 'rbac', '--k8s-audit', log, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const written = files(out);
    // Three policy files, their evidence, the kustomization listing them and the manifest of what was written.
    expect(written).toHaveLength(8);
    expect(written).toContain('kustomization.yaml');
    expect(written).toContain('.audit2policy-manifest.json');
    for (const f of written) for (const seg of f.split('/')) expect(Buffer.byteLength(seg)).toBeLessThanOrEqual(185);
    expect(written.some((f) => /serviceaccount\.shop\.a+.*~h[0-9a-f]{12}\.yaml$/.test(f))).toBe(true);
    const v = cli(['verify', '--policies', join(out, 'rbac'), '--k8s-audit', log]);
    expect(v.code, v.stderr + v.stdout).toBe(0);
    expect(v.stdout).toMatch(/3\/3/);
  });
});

describe('composite keys: no value changes the fields of another', () => {
  const HOSTILE = ['\u0000', '/', ':', '|', '\n', '*', '~', '\u0000*', 'a\u0000b', '', '12:ab', '1:a'];

  it('names holding every separator-like character round-trip through profile, merge and generate exactly', () => {
    const r = rng(1215);
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    const piece = () => pick(HOSTILE) + pick(['x', 'y', '']) + pick(HOSTILE);
    const observed: K8sAccess[] = [];
    const whole = new ProfileBuilder(new Scope(defaultScope()));
    const halves = [new ProfileBuilder(new Scope(defaultScope())), new ProfileBuilder(new Scope(defaultScope()))];
    for (let i = 0; i < 400; i++) {
      const access: K8sAccess = {
        verb: pick(['get', 'list', 'delete']),
        apiGroup: piece(),
        resource: 'r' + piece(),
        subresource: piece(),
        namespace: piece(),
        name: piece(),
        nonResourceURL: '',
      };
      observed.push(access);
      const obs = {
        kind: 'k8s-request' as const,
        username: 'u' + piece(),
        groups: [],
        access,
        decision: 'allow' as const,
        stage: 'ResponseComplete' as const,
        time: '',
        id: `k${i}`,
      };
      whole.add(obs);
      halves[i % 2]!.add(obs);
    }
    const profile = whole.toProfile();
    // Every distinct access is one edge, with its fields exactly as given.
    const fields = (a: K8sAccess) =>
      JSON.stringify([a.verb, a.apiGroup, a.resource, a.subresource, a.namespace, a.name]);
    const want = new Set(observed.map(fields));
    const got = profile.principals.flatMap((p) => p.k8s.map(fields));
    expect(new Set(got)).toEqual(want);
    // Serialisation and merge keep them.
    // (The reader would refuse these names, as ingest does: here the lines themselves are looked at.)
    const lines = serializeProfile(profile).split('\n');
    const tuples = lines.filter((l) => l.startsWith('{"k8s":')).map((l) => (JSON.parse(l) as { k8s: string[] }).k8s);
    expect(new Set(tuples.map((t) => JSON.stringify(t.slice(0, 6))))).toEqual(want);
    expect(serializeProfile(mergeProfiles(halves.map((h) => h.toProfile())))).toBe(serializeProfile(profile));
    // No rule holds a value that was not observed in that field.
    const seen = {
      apiGroups: new Set(observed.map((a) => a.apiGroup)),
      resources: new Set(observed.map((a) => (a.subresource ? `${a.resource}/${a.subresource}` : a.resource))),
      verbs: new Set(observed.map((a) => a.verb)),
      resourceNames: new Set(observed.map((a) => a.name)),
    };
    for (const a of generateRbac(profile).artefacts) {
      for (const o of a.objects) {
        if (!('rules' in o)) continue;
        for (const rule of o.rules ?? []) {
          for (const [f, set] of Object.entries(seen))
            for (const v of (rule as unknown as Record<string, string[]>)[f] ?? [])
              expect(set.has(v), `${f}: ${JSON.stringify(v)}`).toBe(true);
        }
      }
    }
    expect(strings(profile).length).toBeGreaterThan(0);
  });
});

describe('output errors say what happened, in one line', () => {
  it('a path through a file, or an -o that is the working directory, is exit 2 with the reason', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'afile'), 'x');
    const log = join(dir, 'audit.log');
    writeFileSync(
      log,
      event({ user: 'system:serviceaccount:shop:web', verb: 'list', resource: 'pods', namespace: 'shop', id: 'f1' }) +
        '\n',
    );
    const r = cli(['profile', '--k8s-audit', log, '-o', join(dir, 'afile', 'p.json'), '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a part of the path is a file, not a directory');
    expect(r.stderr).not.toContain('internal error');
    const here = cli(['generate', 'rbac', '--k8s-audit', log, '-o', '.', '-q'], { cwd: dir });
    expect(here.code).toBe(2);
    expect(here.stderr).toContain('is the working directory or holds it');
  });
});
