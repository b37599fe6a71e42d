// `--map FROM=TO`: the staging soak's AWS names (account, region, resource names) written as production's. The demo's
// CloudTrail is a staging account (111122223333, eu-west-1, buckets acme-staging-*): its policy, generated with the
// map, must name only production's, and replay with the same map must allow every observed call, as without one.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapProfile, NameMap } from '../src/profile/nameMap.js';
import type { PolicyDocument } from '../src/generate/iam/policy.js';
import { evaluateIdentityPolicies } from '../src/verify/iam/evaluate.js';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

const CT = ['--cloudtrail', join(ROOT, 'fixtures/demo/cloudtrail')];
const MAP = ['111122223333=444455556666', 'acme-staging=acme-prod', ':eu-west-1:=:eu-central-1:'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe('NameMap', () => {
  it('replaces every FROM in one pass, the longest first where two start at one place: x=y y=x swaps', () => {
    const m = new NameMap(['blue=green', 'green=blue', 'staging=prod', 'staging-eu=prod-us']);
    expect(m.text('arn:aws:s3:::blue-green')).toBe('arn:aws:s3:::green-blue');
    expect(m.text('staging-eu staging')).toBe('prod-us prod');
    expect(m.unused()).toEqual([]);
  });

  it('refuses what is no pair, a FROM given twice, and a TO that would be a pattern', () => {
    for (const bad of ['nothing', '=x', '']) expect(() => new NameMap([bad]), bad).toThrow(/expected FROM=TO/);
    expect(() => new NameMap(['a=b', 'a=c'])).toThrow(/mapped twice/);
    for (const bad of ['acme=*', 'acme=a?', 'acme=${aws:username}'])
      expect(() => new NameMap([bad]), bad).toThrow(/would be a pattern/);
  });

  it('refuses to make an ARN into no ARN, or an account into nothing', () => {
    expect(() => new NameMap(['arn:aws:=']).arn('arn:aws:s3:::b')).toThrow(/no ARN/);
    expect(() => new NameMap(['111122223333=']).principal(awsPrincipal('111122223333'))).toThrow(/account or region/);
  });

  it("writes a secret's six random characters as ?????? where it maps the secret's ARN, and only there", () => {
    const m = new NameMap(['111122223333=444455556666']);
    const secret = (account: string, name: string) => `arn:aws:secretsmanager:eu-west-1:${account}:secret:${name}`;
    expect(m.arn(secret('111122223333', 'shop/db-Xk9P2q'))).toBe(secret('444455556666', 'shop/db-??????'));
    expect(m.arn(secret('111122223333', 'shop/db-??????'))).toBe(secret('444455556666', 'shop/db-??????'));
    expect(m.arn(secret('999988887777', 'shop/db-Xk9P2q'))).toBe(secret('999988887777', 'shop/db-Xk9P2q'));
    expect(m.arn('arn:aws:ssm:eu-west-1:111122223333:parameter/db-Xk9P2q')).toBe(
      'arn:aws:ssm:eu-west-1:444455556666:parameter/db-Xk9P2q',
    );
  });

  it('leaves a Kubernetes name alone; maps a username that is an ARN', () => {
    const m = new NameMap(['111122223333=444455556666', 'shop=store']);
    expect(m.arn('system:serviceaccount:shop:web')).toBe('system:serviceaccount:shop:web');
    expect(m.arn('arn:aws:sts::111122223333:assumed-role/shop-admin/alice')).toBe(
      'arn:aws:sts::444455556666:assumed-role/store-admin/alice',
    );
  });
});

function awsPrincipal(account: string, resources: string[] = []) {
  const arn = `arn:aws:iam::${account}:role/web`;
  return {
    subject: { kind: 'IAMRole' as const, name: arn },
    username: arn,
    groups: [],
    k8s: [],
    aws: [{ eventSource: 's3.amazonaws.com', eventName: 'GetObject', resources, implied: [], account }],
  };
}

describe('a profile mapped', () => {
  const dir = tmp();
  const file = join(dir, 'p.json');
  const made = cli(['profile', ...CT, '-o', file, '-q']);

  it('by a map that matches nothing is the same profile', async () => {
    expect(made.code, made.stderr).toBe(0);
    const p = await readProfileFile(file);
    const m = new NameMap(['no-such-name=x']);
    const r = mapProfile(p, m);
    expect(r.profile).toEqual(p);
    expect(r.joined).toBe(0);
    expect(m.unused()).toEqual(['no-such-name']);
  });

  it('holds no staging name after the map, nor a principal fewer', async () => {
    const p = await readProfileFile(file);
    const r = mapProfile(p, new NameMap(MAP));
    const text = JSON.stringify(r.profile.principals);
    expect(text).not.toMatch(/111122223333|acme-staging|eu-west-1:/);
    expect(text).toMatch(/arn:aws:s3:::acme-prod-/);
    expect(r.profile.principals).toHaveLength(p.principals.length);
  });

  it('refuses a map that makes a name no log could hold, rather than write or drop it', async () => {
    const p = await readProfileFile(file);
    // An account of four digits: no IAM policy would be written for its roles, silently.
    expect(() => mapProfile(p, new NameMap(['111122223333=4444']))).toThrow(/no log could hold: .*"arn:aws:iam::4444:/);
    expect(() => mapProfile(p, new NameMap(['acme-staging=acme\nprod']))).toThrow(/holds a control character/);
    expect(() => mapProfile(p, new NameMap([':eu-west-1:=:EU/x:']))).toThrow(/"EU\/x" is not a region/);
    // A `$` seen and a TO's `{`: a policy variable, though the TO holds no `$`.
    const dollar = { ...p, principals: [awsPrincipal('111122223333', ['arn:aws:s3:::acme/price$list'])] };
    expect(() => mapProfile(dollar, new NameMap(['list={aws:username}']))).toThrow(/policy variable/);
    expect(mapProfile(dollar, new NameMap(['list=table'])).profile.principals[0]!.aws![0]!.resources).toEqual([
      'arn:aws:s3:::acme/price$table',
    ]);
  });
});

describe('--map on Kubernetes users that are ARNs', () => {
  it("maps the user an impersonation names as it maps the user: the impersonator may impersonate production's", () => {
    const dir = tmp();
    const bot = 'arn:aws:sts::111122223333:assumed-role/acme-staging-admin/bot';
    const log = join(dir, 'audit.log');
    writeFileSync(
      log,
      JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        auditID: '00000000-0000-0000-0000-000000000009',
        stage: 'ResponseComplete',
        requestURI: '/api/v1/namespaces/shop/configmaps/cfg',
        verb: 'get',
        user: { username: 'alice', groups: ['system:authenticated'] },
        impersonatedUser: { username: bot, groups: ['system:authenticated'] },
        objectRef: { resource: 'configmaps', namespace: 'shop', name: 'cfg', apiVersion: 'v1' },
        responseStatus: { code: 200 },
        requestReceivedTimestamp: '2026-11-09T00:00:09.000000Z',
        stageTimestamp: '2026-11-09T00:00:09.100000Z',
        annotations: { 'authorization.k8s.io/decision': 'allow' },
      }) + '\n',
    );
    const out = join(dir, 'policy');
    const map = ['--map', '111122223333=444455556666', 'acme-staging=acme-prod'];
    const g = cli(['generate', 'rbac', '--k8s-audit', log, ...map, '-o', out, '-q']);
    expect(g.code, g.stderr).toBe(0);
    const all = filesUnder(out).map((f) => readFileSync(f, 'utf8'));
    expect(all.join('\n')).not.toMatch(/111122223333|acme-staging/);
    expect(readFileSync(join(out, 'rbac/_cluster/user.alice.yaml'), 'utf8')).toContain(
      'arn:aws:sts::444455556666:assumed-role/acme-prod-admin/bot',
    );
    const v = cli(['verify', '--k8s-audit', log, ...map, '--policies', out]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});

describe('generate and verify with --map', () => {
  const out = join(tmp(), 'policy');
  const g = cli(['generate', 'iam', ...CT, '--map', ...MAP, '-o', out]);

  it("writes production's names only, under production's account, and says what it did", () => {
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toMatch(
      /^map 111122223333=444455556666 acme-staging=acme-prod :eu-west-1:=:eu-central-1:: \d+ names rewritten$/m,
    );
    expect(readdirSync(join(out, 'iam'))).toEqual(['444455556666']);
    const all = filesUnder(out).map((f) => readFileSync(f, 'utf8'));
    expect(all.join('\n')).not.toMatch(/111122223333|acme-staging|:eu-west-1:/);
    expect(all.join('\n')).toMatch(/arn:aws:s3:::acme-prod-backups/);
    // The IAM path of the Identity Center role holds the region too; the pair with colons keeps it to ARNs' field.
    expect(all.join('\n')).toMatch(/aws-reserved\/sso\.amazonaws\.com\/eu-west-1\//);
  });

  it("grants a secret seen by its full ARN as production's secret of that name: its six random characters were staging's", () => {
    const file = join(out, 'iam/444455556666/role/payments-api.json');
    const policy = JSON.parse(readFileSync(file, 'utf8')) as PolicyDocument;
    const staging = 'secret:payments/stripe-api-key-Q7xLm2';
    const resources = policy.Statement.filter((x) => x.Action.includes('secretsmanager:GetSecretValue')).flatMap(
      (x) => x.Resource,
    );
    expect(resources).toEqual([
      'arn:aws:secretsmanager:eu-central-1:444455556666:secret:payments/stripe-api-key-??????',
    ]);
    // Production's secret of the name, whatever AWS appended, is allowed; another name, or a longer one, is not.
    const read = (secret: string) =>
      evaluateIdentityPolicies([{ name: file, document: policy }], {
        action: 'secretsmanager:GetSecretValue',
        resource: `arn:aws:secretsmanager:eu-central-1:444455556666:${secret}`,
      }).result;
    expect(read('secret:payments/stripe-api-key-Ab3dE9')).toBe('allow');
    expect(read('secret:payments/stripe-api-key-old-Ab3dE9')).toBe('deny');
    expect(read('secret:payments/other-Ab3dE9')).toBe('deny');
    // Without a map the ARN is kept as seen: the secret seen, not one re-created under its name.
    const bare = cli(['generate', 'iam', ...CT, '--subject', 'arn:aws:iam::*:role/payments-api']);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toContain(`:111122223333:${staging}"`);
    expect(bare.stdout).not.toContain('-??????');
  });

  it('verify with the same map allows every call; without it, none of the IAM ones', () => {
    const ok = cli(['verify', ...CT, '--policies', out, '--map', ...MAP]);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout + ok.stderr).toMatch(/OK: (\d+) of \1 observed accesses allowed \(iam (\d+)\/\2\)/);
    const bare = cli(['verify', ...CT, '--policies', out]);
    expect(bare.code).toBe(1);
    expect(bare.stdout + bare.stderr).toMatch(/iam 0\/\d+/);
    // Each says why, and what to do: the tree is production's, the calls staging's.
    expect(bare.stdout).toMatch(
      /\n {6}no policy for 111122223333\/role\/shop-cart: the IAM policies read are for account 444455556666 only \(made with --map\? give the same pairs here\)\n/,
    );
  });

  it('merges two roles a map makes one, and the merged policy still allows both roles’ calls', () => {
    const joined = join(tmp(), 'policy');
    const map = [...MAP, 'role/ci/ci-deployer=role/shop-cart'];
    const r = cli(['generate', 'iam', ...CT, '--map', ...map, '-o', joined]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/; 1 principal merged into another/);
    const roles = readdirSync(join(joined, 'iam/444455556666/role'));
    expect(roles).toContain('shop-cart.json');
    expect(roles).not.toContain('ci-deployer.json');
    const v = cli(['verify', ...CT, '--policies', joined, '--map', ...map]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('warns of a pair that matched nothing, even with --quiet', () => {
    const r = cli(['generate', 'iam', ...CT, '--map', 'acme-stagin=acme-prod', 'acme-prd=x', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('warning: --map acme-prd=…: "acme-prd" is in no ARN, account, region or DNS name\n');
  });

  it('writes a pair holding a line break on one line: no pair starts a line of its own (::error:: in CI)', () => {
    const r = cli(['verify', ...CT, '--policies', out, '--map', ...MAP, 'none\n::error::x=\n::error::y']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/^::error::/m);
    expect(r.stderr).toMatch(/^map .* none\\n::error::x=\\n::error::y: \d+ names rewritten$/m);
    expect(r.stderr).toMatch(/^warning: --map none\\n::error::x=…: "none\\n::error::x" is in no ARN/m);
  });

  it('refuses a wildcard TO with exit 2, writing nothing', () => {
    const r = cli(['generate', 'iam', ...CT, '--map', 'acme-staging-carts=*', '-o', join(tmp(), 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TO may not hold \* \? or \$/);
  });

  it('refuses with exit 2, writing nothing, a map that makes an account no account', () => {
    const dir = join(tmp(), 'x');
    const r = cli(['generate', 'iam', ...CT, '--map', '111122223333=4444', '-o', dir]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /--map makes a name no log could hold: .*"arn:aws:iam::4444:.*" is not the ARN of an IAM role/,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('takes the map from the config file, as filters.map', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'audit2policy.yaml'),
      [
        'apiVersion: audit2policy.dev/v1alpha1',
        'kind: Config',
        'filters:',
        '  map:',
        ...MAP.map((m) => `    - "${m}"`),
      ].join('\n') + '\n',
    );
    const r = cli(['verify', ...CT, '--policies', out], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('the report says the map it read the names with, escaped like every string in it', () => {
    const dir = tmp();
    const html = join(dir, 'r.html');
    const r = cli([
      'report',
      ...CT,
      '--map',
      ...MAP,
      'acme-staging-backups=<img src=x onerror=alert(1)>',
      '-o',
      html,
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(html, 'utf8');
    expect(text).toMatch(
      /AWS names are shown as production&#39;s, read with --map 111122223333=444455556666 acme-staging=acme-prod/,
    );
    expect(text).not.toMatch(/<img src=x/);
    expect(text).toMatch(/&lt;img src=x onerror=alert\(1\)&gt;/);
    const md = join(dir, 'r.md');
    expect(cli(['report', ...CT, '--map', ...MAP, '-o', md, '-q']).code).toBe(0);
    expect(readFileSync(md, 'utf8')).toMatch(
      /AWS names are shown as production's, read with --map .*acme-staging=acme-prod/,
    );
    // Each pair as given: the sentence's full stop is no part of the last one's code span.
    expect(readFileSync(md, 'utf8')).toContain('` :eu-west-1:=:eu-central-1: `');
    const bare = join(dir, 'bare.md');
    expect(cli(['report', ...CT, '-o', bare, '-q']).code).toBe(0);
    expect(readFileSync(bare, 'utf8')).not.toMatch(/--map/);
  });

  it('from a profile file: the same tree, byte for byte, and verify --profile allows every call', () => {
    const prof = join(tmp(), 'p.json');
    expect(cli(['profile', ...CT, '-o', prof, '-q']).code).toBe(0);
    const fromProfile = join(tmp(), 'policy');
    expect(cli(['generate', 'iam', '--profile', prof, '--map', ...MAP, '-o', fromProfile, '-q']).code).toBe(0);
    const read = (root: string) =>
      filesUnder(root)
        .map((f) => [f.slice(root.length), readFileSync(f, 'utf8')])
        .sort();
    expect(read(fromProfile)).toEqual(read(out));
    const v = cli(['verify', '--profile', prof, '--policies', out, '--map', ...MAP]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it("Cilium's toFQDNs name production's DNS names; replay with the same map allows every flow, without it not", () => {
    const flows = ['--flows', join(ROOT, 'fixtures/demo/flows'), '--inventory', join(ROOT, 'fixtures/demo/inventory')];
    const dnsMap = ['acme-staging=acme-prod', 'eu-west-1=eu-central-1'];
    const np = join(tmp(), 'policy');
    const g = cli(['generate', 'netpol', ...flows, '--flavor', 'cilium', '--map', ...dnsMap, '-o', np, '-q']);
    expect(g.code, g.stderr).toBe(0);
    const text = filesUnder(np)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(text).toMatch(/matchName: acme-prod-backups\.s3\.eu-central-1\.amazonaws\.com/);
    expect(text).not.toMatch(/acme-staging|eu-west-1/);
    const ok = cli(['verify', ...flows, '--policies', np, '--map', ...dnsMap]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const bare = cli(['verify', ...flows, '--policies', np]);
    expect(bare.code).toBe(1);
  });
});
