// The identities a managed control plane calls the API server as (EKS's `eks:*` users and Auto Mode's service-linked
// role, GKE's `system:*` components and Google's service agents, and whatever else a distribution names under
// Kubernetes' reserved `system:` prefix) are the provider's, not the owner's: left out of scope by default and counted
// as `system-identity`, kept with --include-system. Records follow the audit.k8s.io/v1 Event shape; the EKS users are
// those of the EKS user guide ("Default Amazon EKS Kubernetes roles and users"), the CSR approval below is the shape
// of the certificate controller's record in EKS's audit log.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isManagedGroup, isManagedUsername } from '../src/knowledge/kubernetes/managedIdentities.js';
import { cli, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

const A = '111122223333';
const MANAGED = [
  'system:kube-controller-manager',
  'system:kube-scheduler',
  'system:apiserver',
  'system:node:ip-10-0-1-23.ec2.internal',
  'system:serviceaccount:kube-system:replicaset-controller',
  // GKE's control plane components, OpenShift's installer admin.
  'system:gcp-controller-manager',
  'system:addon-manager',
  'system:clustermetrics',
  'system:admin',
  // EKS's own users (and the prefixes EKS keeps from access entries' usernames).
  'eks:certificate-controller',
  'eks:node-manager',
  'eks:addon-manager',
  'eks:pod-identity-mutating-webhook',
  'aws:anything',
  'amazon:anything',
  'iam:anything',
  // Auto Mode's controllers: the service-linked role's sessions, as EKS's default username of a role session.
  `arn:aws:sts::${A}:assumed-role/AWSServiceRoleForAmazonEKS/1764570000000000000`,
  `arn:aws-cn:sts::${A}:assumed-role/AWSServiceRoleForAmazonEKS/s`,
  // Google's service agents.
  'service-123456789012@container-engine-robot.iam.gserviceaccount.com',
  'service-123456789012@gcp-sa-gkenode.iam.gserviceaccount.com',
];
const OWNED = [
  'system:anonymous',
  'system:serviceaccount:shop:web',
  'system:serviceaccount:kube-system-tools:backup',
  'alice@example.com',
  'kubernetes-admin',
  'masterclient',
  'admin:alice',
  'eksadmin',
  `arn:aws:sts::${A}:assumed-role/EKS-Admin/alice`,
  `arn:aws:sts::${A}:assumed-role/AWSServiceRole/alice`,
  'deployer@my-project.iam.gserviceaccount.com',
  'service-123@my-project.iam.gserviceaccount.com',
];

describe('which usernames and groups are a control plane or a managed provider', () => {
  it.each(MANAGED)('%s is', (u) => expect(isManagedUsername(u)).toBe(true));
  it.each(OWNED)('%s is not', (u) => expect(isManagedUsername(u)).toBe(false));
  it('groups: Kubernetes built-in ones and EKS Auto Mode eks:managed are; an access entry group is not', () => {
    for (const g of ['system:authenticated', 'system:masters', 'system:serviceaccounts:shop', 'eks:managed'])
      expect(isManagedGroup(g), g).toBe(true);
    for (const g of ['developers', 'ops:readers', 'oidc:admins']) expect(isManagedGroup(g), g).toBe(false);
  });
});

let n = 0;
function event(username: string, groups: string[], over: Record<string, unknown>): Record<string, unknown> {
  n++;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `id-${String(n).padStart(4, '0')}`,
    stage: 'ResponseComplete',
    user: { username, groups },
    sourceIPs: ['10.0.113.236'],
    responseStatus: { metadata: {}, code: 200 },
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    requestReceivedTimestamp: `2026-11-02T08:00:${String(n % 60).padStart(2, '0')}.000000Z`,
    ...over,
  };
}
const getConfigMap = (ns: string, name: string) => ({
  verb: 'get',
  requestURI: `/api/v1/namespaces/${ns}/configmaps/${name}`,
  objectRef: { resource: 'configmaps', namespace: ns, name, apiVersion: 'v1' },
});

function eksLog(): string {
  const auth = ['system:authenticated'];
  const records = [
    event('eks:certificate-controller', auth, {
      verb: 'update',
      requestURI: '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr-6plsz/approval',
      userAgent: 'eks-certificates-controller/v0.0.0 (linux/amd64) kubernetes/$Format',
      objectRef: {
        resource: 'certificatesigningrequests',
        name: 'csr-6plsz',
        apiGroup: 'certificates.k8s.io',
        apiVersion: 'v1',
        subresource: 'approval',
      },
    }),
    event('eks:node-manager', auth, getConfigMap('kube-system', 'aws-auth')),
    event(`arn:aws:sts::${A}:assumed-role/AWSServiceRoleForAmazonEKS/1764570000000000000`, ['eks:managed', ...auth], {
      ...getConfigMap('kube-system', 'amazon-vpc-cni'),
    }),
    event('system:gcp-controller-manager', auth, getConfigMap('kube-system', 'ingress-uid')),
    event('system:serviceaccount:shop:web', ['system:serviceaccounts', 'system:serviceaccounts:shop', ...auth], {
      ...getConfigMap('shop', 'web-config'),
    }),
    event(`arn:aws:sts::${A}:assumed-role/EKS-Admin/alice`, ['ops', ...auth], getConfigMap('shop', 'web-config')),
  ];
  const dir = tmp();
  writeFileSync(join(dir, 'audit.log'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return dir;
}

async function profileOf(logs: string, extra: string[] = []) {
  const out = join(tmp(), 'p.json');
  const r = cli(['profile', '--k8s-audit', logs, '-o', out, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return readProfileFile(out);
}

describe('a managed cluster audit log', () => {
  const logs = eksLog();

  it("profiles only the owner's identities; the providers' are counted as system-identity", async () => {
    const p = await profileOf(logs);
    expect(p.principals.map((x) => x.username).sort()).toEqual([
      `arn:aws:sts::${A}:assumed-role/EKS-Admin/alice`,
      'system:serviceaccount:shop:web',
    ]);
    expect(p.skipped['system-identity']).toBe(4);
  });

  it('keeps every one with --include-system', async () => {
    const p = await profileOf(logs, ['--include-system']);
    expect(p.principals.map((x) => x.username)).toEqual(
      expect.arrayContaining(['eks:certificate-controller', 'eks:node-manager', 'system:gcp-controller-manager']),
    );
    expect(p.principals).toHaveLength(6);
    expect(p.skipped['system-identity'] ?? 0).toBe(0);
  });

  it('as groups: the access entry group is profiled, eks:managed and system:* are not', async () => {
    const p = await profileOf(logs, ['--subject-kind', 'Group']);
    expect(p.principals.map((x) => x.username)).toEqual(['ops']);
  });

  it('generate writes no role for a provider identity', () => {
    const r = cli(['generate', 'rbac', '--k8s-audit', logs]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kind: ServiceAccount\n\s+name: web\n\s+namespace: shop/);
    expect(r.stdout).not.toMatch(/eks:|gcp-controller-manager|AWSServiceRoleForAmazonEKS/);
    expect(r.stderr).toMatch(/left out of scope: .*system-identity 4/);
  });
});

describe('GKE: a Google service agent in a Cloud Logging entry', () => {
  it("is left out; the project's own service account is kept", async () => {
    const entry = (id: string, email: string) => ({
      insertId: id,
      logName: 'projects/my-project/logs/cloudaudit.googleapis.com%2Factivity',
      timestamp: '2026-11-02T08:00:00.000000Z',
      labels: { 'authorization.k8s.io/decision': 'allow' },
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        serviceName: 'k8s.io',
        methodName: 'io.k8s.core.v1.configmaps.get',
        resourceName: 'core/v1/namespaces/shop/configmaps/web-config',
        authenticationInfo: { principalEmail: email },
      },
    });
    const dir = tmp();
    const lines = [
      entry('e1', 'service-123456789012@container-engine-robot.iam.gserviceaccount.com'),
      entry('e2', 'deployer@my-project.iam.gserviceaccount.com'),
    ];
    writeFileSync(join(dir, 'gke.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const p = await profileOf(dir);
    expect(p.principals.map((x) => x.username)).toEqual(['deployer@my-project.iam.gserviceaccount.com']);
    expect(p.skipped['system-identity']).toBe(1);
  });
});
