import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentLines } from '../src/policy/load.js';
import { cli, demoPolicies, tmp } from './helpers/cli.js';

/**
 * Pull requests on committed policy as the review job of docs/ci.md judges them (`diff BASE HEAD`, the main branch's
 * policy against the pull request's), on the demo's generated policy: the edits a reviewer must see fail the gate or
 * stop it, the ones that change nothing pass, and every format gives the same bytes twice.
 */
const { policy: BASE, made } = demoPolicies();
const WEB = 'rbac/shop/serviceaccount.shop.web.yaml';

/** A pull request: a copy of BASE with `edit` applied to it. */
function pr(edit: (dir: string) => void): string {
  const dir = join(tmp(), 'policy');
  cpSync(BASE, dir, { recursive: true });
  edit(dir);
  return dir;
}
const write = (dir: string, path: string, text: string) => {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
};
const diff = (head: string, ...more: string[]) => cli(['diff', BASE, head, ...more]);

/** A kustomize overlay that patches the storefront's Role to read every secret of its namespace. */
const overlay = (dir: string) => {
  write(
    dir,
    'overlays/prod/kustomization.yaml',
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../\npatches:\n  - path: web-role.yaml\n',
  );
  write(
    dir,
    'overlays/prod/web-role.yaml',
    [
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: Role',
      'metadata:',
      '  name: audit2policy:serviceaccount:shop:web',
      '  namespace: shop',
      'rules:',
      "  - apiGroups: ['']",
      '    resources: [secrets]',
      '    verbs: [get, list]',
      '',
    ].join('\n'),
  );
};

describe('diff as the pull-request gate', () => {
  it('built the demo policies', () => expect(made.map((r) => r.code)).toEqual([0, 0]));

  it('a kustomize overlay patching a Role is not read as nothing: exit 2, naming the kustomization and both Roles', () => {
    const head = pr(overlay);
    for (const format of ['text', 'json', 'markdown', 'sarif', 'github']) {
      const r = diff(head, '--format', format, '--fail-on', 'risky');
      expect(r.code, `${format}: ${r.stdout}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `${join(head, 'overlays/prod/kustomization.yaml')}:1: policy.kustomize-transform: a kustomization with patches`,
      );
      expect(r.stderr).toContain(
        `${join(head, WEB)}:1: policy.duplicate-rbac: document 0 (Role): shop/audit2policy:serviceaccount:shop:web is also defined at ${join(head, 'overlays/prod/web-role.yaml')}:1 with other rules or labels`,
      );
    }
  });

  it('the same name in a second file with other rules (a copy edited in one place): an issue on the later one', () => {
    const head = pr((d) => {
      const text = readFileSync(join(d, WEB), 'utf8');
      write(d, 'rbac/shop/zz-web-copy.yaml', `# hand-edited copy\n---\n${text.replace('      - watch\n', '')}`);
    });
    const r = diff(head);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${join(head, 'rbac/shop/zz-web-copy.yaml')}:3: policy.duplicate-rbac: document 0 (Role): shop/audit2policy:serviceaccount:shop:web is also defined at ${join(head, WEB)}:1`,
    );
    // --on-error skip goes on with the later definition, as kubectl apply in file order leaves it, and says so.
    const s = diff(head, '--on-error', 'skip', '--format', 'json', '-q');
    expect(s.code).toBe(1);
    const j = JSON.parse(s.stdout) as { removedAccess: { summary: string }[]; newAccess: unknown[] };
    expect(j.removedAccess.map((f) => f.summary)).toEqual(['watch configmaps in shop']);
    expect(j.newAccess).toEqual([]);
    expect(s.stderr).toContain('policy.duplicate-rbac');
  });

  it('an invalid Role names the line its document starts on, not line 0', () => {
    const head = pr((d) =>
      write(
        d,
        'rbac/shop/broken.yaml',
        '# a hand-written role\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: x, namespace: shop}\nrules: {verbs: [get]}\n',
      ),
    );
    const r = diff(head);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(head, 'rbac/shop/broken.yaml')}:3: policy.invalid-rbac: document 0 (Role)`);
  });

  it('identical copies, renamed files, reordered documents, comments, JSON Lists, CRLF and a BOM change nothing', () => {
    const head = pr((d) => {
      const text = readFileSync(join(d, WEB), 'utf8');
      write(d, 'rbac/shop/copy-of-web.yaml', text);
      renameSync(join(d, WEB), join(d, 'rbac/shop/web.yml'));
      const [role, binding] = text.split('---\n') as [string, string];
      write(d, 'rbac/shop/web.yml', `\uFEFF# reordered\r\n${[binding, role].join('---\n').replace(/\n/g, '\r\n')}`);
    });
    for (const format of ['text', 'json', 'markdown', 'sarif', 'github']) {
      const r = diff(head, '--format', format, '-q');
      expect(r.code, `${format}: ${r.stderr}${r.stdout}`).toBe(0);
    }
  });

  it('a kustomization that only lists files (as generate writes it) is no issue', () => {
    const head = pr((d) => write(d, 'extra/kustomization.yaml', 'resources:\n  - ../rbac/shop/web.yaml\n'));
    expect(diff(head, '-q').code).toBe(0);
  });

  it('a widened rule fails --fail-on risky, located on its line, with the same bytes twice in every format', () => {
    const head = pr((d) => {
      const f = join(d, WEB);
      writeFileSync(f, readFileSync(f, 'utf8').replace('      - configmaps\n', "      - '*'\n"));
    });
    const at: Record<string, RegExp> = {
      text: /serviceaccount\.shop\.web\.yaml:11\)/,
      markdown: /serviceaccount\.shop\.web\.yaml:11 \|/,
      github: /serviceaccount\.shop\.web\.yaml,line=11,/,
      json: /serviceaccount\.shop\.web\.yaml",\s+"line": 11/,
      sarif: /serviceaccount\.shop\.web\.yaml",[\s\S]*?"startLine": 11,/,
    };
    for (const [format, where] of Object.entries(at)) {
      const a = diff(head, '--format', format, '--fail-on', 'risky', '-q');
      expect(a.code, format).toBe(1);
      expect(a.stdout, format).toMatch(where);
      expect(diff(head, '--format', format, '--fail-on', 'risky', '-q').stdout, format).toBe(a.stdout);
    }
  });
});

/**
 * The review job of docs/ci.md gives no profile: the NetworkPolicies are compared over stand-in pods made from the
 * policies. Before, those declared no ports (a rule's named port matched nothing) and none stood for the pods a
 * default deny alone selects, so these pull requests printed OK and passed.
 */
describe('diff as the pull-request gate: NetworkPolicies without a profile', () => {
  const NP_WEB = 'netpol/shop/web.yaml';
  const TO_CART = [
    '    - to:',
    '        - podSelector:',
    '            matchLabels:',
    '              app: cart',
    '              tier: backend',
    '      ports:',
    '        - protocol: TCP',
    '          port: api',
    '',
  ].join('\n');
  const json = (r: { stdout: string }) =>
    JSON.parse(r.stdout) as Record<'newAccess' | 'removedAccess', { summary: string; access: object; risk?: object }[]>;
  const edit = (d: string, path: string, from: string | RegExp, to: string) => {
    const text = readFileSync(join(d, path), 'utf8');
    expect(text).toMatch(from);
    writeFileSync(join(d, path), text.replace(from, to));
  };

  it('an egress rule on a named port taken away is removed access: exit 1', () => {
    const head = pr((d) => edit(d, NP_WEB, TO_CART, ''));
    const r = diff(head, '--kind', 'netpol', '--format', 'json', '-q');
    expect(r.code).toBe(1);
    const j = json(r);
    expect(j.newAccess).toEqual([]);
    expect(j.removedAccess.map((f) => [f.summary, f.access])).toEqual([
      [
        'shop/app=web,tier=frontend → shop/app=cart,tier=backend TCP/api',
        {
          from: 'shop/app=web,tier=frontend',
          to: 'shop/app=cart,tier=backend',
          protocol: 'TCP',
          port: 0,
          ports: ['api'],
        },
      ],
    ]);
  });

  it('a peer opened both ways on a named port is new access, named by the port', () => {
    const head = pr((d) => {
      const api = 'netpol/payments/payments-api.yaml';
      const peer = (ns: string, app: string) =>
        [
          '        - namespaceSelector:',
          '            matchLabels:',
          `              kubernetes.io/metadata.name: ${ns}`,
          '          podSelector:',
          '            matchLabels:',
          `              app: ${app}`,
          '',
        ].join('\n');
      edit(
        d,
        api,
        /( {14}tier: backend\n)( {6}ports:\n {8}- protocol: TCP\n {10}port: https\n)/,
        `$1${peer('shop', 'web')}$2`,
      );
      const text = readFileSync(join(d, NP_WEB), 'utf8');
      writeFileSync(
        join(d, NP_WEB),
        `${text}    - to:\n${peer('payments', 'payments-api')}      ports:\n        - protocol: TCP\n          port: https\n`,
      );
    });
    const r = diff(head, '--kind', 'netpol', '--format', 'json', '-q');
    expect(r.code).toBe(1);
    expect(json(r).newAccess.map((f) => f.summary)).toEqual([
      'shop/app=web,tier=frontend → payments/app=payments-api TCP/https',
    ]);
    expect(json(r).removedAccess).toEqual([]);
  });

  it("a namespace's default deny deleted is risky new access for the pods no other policy selects", () => {
    const head = pr((d) => rmSync(join(d, 'netpol/ops/_default-deny.yaml')));
    const r = diff(head, '--format', 'github', '--fail-on', 'risky', '-q');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('ops/(other pods) → ::/0 TCP/1-65535 [risk high');
    const j = json(diff(head, '--kind', 'netpol', '--format', 'json', '-q'));
    const risky = j.newAccess.filter((f) => f.risk);
    expect(risky.length).toBeGreaterThan(0);
    expect(j.newAccess.every((f) => f.summary.includes('ops/(other pods)'))).toBe(true);
    expect(j.removedAccess).toEqual([]);
  });

  it('policies rewritten alike (a rule moved, a file renamed) stay OK', () => {
    const head = pr((d) => {
      edit(d, NP_WEB, TO_CART, '');
      const text = readFileSync(join(d, NP_WEB), 'utf8');
      writeFileSync(join(d, NP_WEB), text.replace('  egress:\n', `  egress:\n${TO_CART}`));
      renameSync(join(d, 'netpol/ops/_default-deny.yaml'), join(d, 'netpol/ops/deny.yml'));
    });
    const r = diff(head, '--kind', 'netpol', '-q');
    expect(r.code, r.stdout).toBe(0);
  });
});

describe('documentLines', () => {
  it.each([
    ['a: 1\n---\nb: 2', [1, 3]],
    ['---\na: 1\n---\nb: 2', [2, 4]],
    ['# c\n---\na: 1', [3]],
    ['%YAML 1.2\n---\na: 1', [3]],
    ['a: 1\n---\n---\nb: 1', [1, 2, 4]],
    ['{"a": 1}', [1]],
    ['a: 1\n...\nb: 2', [1, 3]],
    ['--- a\n--- b', [1, 2]],
    ['a: |\n  x\n---\nb: 1', [1, 4]],
    ['\uFEFFa: 1\r\n---\r\n\r\nb: 2\r\n', [1, 4]],
    ['', []],
  ])('%j starts its documents on lines %j', (text, lines) => {
    expect(documentLines(text)).toEqual(lines);
  });
});
