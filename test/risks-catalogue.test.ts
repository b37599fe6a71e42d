// The risk catalogue (src/kinds/<kind>/risks.ts) against the public lists it follows: each row an access, grant or
// connection, and the reasons and levels the report and `diff --fail-on risky` give it; rows with no reasons must
// stay unflagged (false positives a reviewer would learn to ignore). Sources are named in each risks.ts.
import { describe, expect, it } from 'vitest';
import { actionFacts, awsRiskList } from '../src/kinds/iam/risks.js';
import { netRegionsRiskList, netRiskList, type PortSpan, type Region } from '../src/kinds/netpol/risks.js';
import { k8sRiskList } from '../src/kinds/rbac/risks.js';
import { cidrRange } from '../src/knowledge/network/cidr.js';
import type { Peer } from '../src/model/network.js';

type Expected = [level: string, reason: string][];
const shape = (list: { level: string; reason: string; about?: string }[]) =>
  list.map((r) => [r.level, r.about ? `${r.about}: ${r.reason}` : r.reason]);

// ---- Kubernetes: [verb, apiGroup, resource (with /subresource), expected] --------------------------------------

const K8S: [string, string, string, Expected][] = [
  // Secrets: only the core group's; list and watch return contents as get does.
  ['get', '', 'secrets', [['high', 'reads secrets']]],
  ['list', '', 'secrets', [['high', 'reads secrets']]],
  ['watch', '', 'secrets', [['high', 'reads secrets']]],
  ['deletecollection', '', 'secrets', [['high', 'writes secrets']]],
  [
    '*',
    '',
    'secrets',
    [
      ['high', 'a wildcard'],
      ['high', 'reads secrets'],
      ['high', 'writes secrets'],
    ],
  ],
  [
    'list',
    '*',
    'secrets',
    [
      ['high', 'a wildcard'],
      ['high', 'reads secrets'],
    ],
  ],
  ['get', 'vault.example.com', 'secrets', []],
  ['get', '', 'secrets/status', []],
  // Shells and tunnels: core pods only, any verb (a websocket exec is logged as get).
  ['create', '', 'pods/exec', [['high', 'pods/exec: a shell or a tunnel into pods']]],
  ['get', '', 'pods/exec', [['high', 'pods/exec: a shell or a tunnel into pods']]],
  ['create', '', 'pods/portforward', [['high', 'pods/portforward: a shell or a tunnel into pods']]],
  ['create', 'kubevirt.io', 'pods/exec', []],
  [
    'create',
    '',
    '*/exec',
    [
      ['high', 'a wildcard'],
      ['high', 'pods/exec: a shell or a tunnel into pods'],
    ],
  ],
  ['create', '', 'pods/*', []], // `pods/*` is no wildcard in RBAC: it names a subresource called `*`
  [
    'patch',
    '',
    'pods/ephemeralcontainers',
    [['high', 'pods/ephemeralcontainers: runs a new container inside a running pod']],
  ],
  ['get', '', 'pods/ephemeralcontainers', []],
  ['get', '', 'pods/log', []],
  // Workloads, in their own groups.
  ['create', '', 'pods', [['medium', 'creates pods: can run any image as any service account of the namespace']]],
  ['patch', 'apps', 'deployments', [['medium', 'changes deployments: can swap the image or service account']]],
  [
    'create',
    'batch',
    'cronjobs',
    [['medium', 'creates cronjobs: can run any image as any service account of the namespace']],
  ],
  ['create', 'argoproj.io', 'jobs', []],
  ['create', '', 'deployments', []],
  ['get', 'apps', 'deployments', []],
  ['update', 'apps', 'deployments/scale', []],
  // Persistent volumes (hostPath), nodes.
  [
    'create',
    '',
    'persistentvolumes',
    [['high', 'creates persistentvolumes: a hostPath volume reaches the node filesystem']],
  ],
  ['create', '', 'persistentvolumeclaims', []],
  ['get', '', 'nodes/proxy', [['high', 'nodes/proxy: the kubelet API']]],
  ['patch', '', 'nodes', [['medium', 'changes nodes: labels and taints steer workloads onto a node']]],
  ['patch', '', 'nodes/status', []],
  ['get', '', 'nodes', []],
  // escalate, bind, impersonate: on what RBAC and impersonation check them on.
  ['escalate', 'rbac.authorization.k8s.io', 'roles', [['high', 'escalate: privilege escalation']]],
  ['bind', 'rbac.authorization.k8s.io', 'clusterroles', [['high', 'bind: privilege escalation']]],
  ['bind', 'example.com', 'widgets', []],
  ['impersonate', '', 'serviceaccounts', [['high', 'impersonate: privilege escalation']]],
  ['impersonate', '', 'groups', [['high', 'impersonate: privilege escalation']]],
  ['impersonate', 'authentication.k8s.io', 'userextras/scopes', [['high', 'impersonate: privilege escalation']]],
  ['impersonate', 'authentication.k8s.io', 'uids', [['high', 'impersonate: privilege escalation']]],
  ['impersonate', 'example.com', 'users', []],
  // RBAC writes, token requests, certificates, admission webhooks, namespaces, endpoints.
  ['create', 'rbac.authorization.k8s.io', 'rolebindings', [['high', 'writes RBAC (rolebindings)']]],
  ['list', 'rbac.authorization.k8s.io', 'clusterroles', []],
  ['create', '', 'serviceaccounts/token', [['high', 'mints service account tokens']]],
  ['create', '', 'serviceaccounts', []],
  [
    'update',
    'certificates.k8s.io',
    'certificatesigningrequests/approval',
    [['high', 'approves certificate signing requests']],
  ],
  ['approve', 'certificates.k8s.io', 'signers', [['high', 'approve on signers: can have client certificates issued']]],
  [
    'create',
    'certificates.k8s.io',
    'certificatesigningrequests',
    [['low', 'creates certificate signing requests (issued once approved)']],
  ],
  ['get', 'certificates.k8s.io', 'certificatesigningrequests', []],
  [
    'patch',
    'admissionregistration.k8s.io',
    'mutatingwebhookconfigurations',
    [['high', 'writes admission webhooks (mutatingwebhookconfigurations): sees or changes objects written']],
  ],
  [
    'delete',
    'admissionregistration.k8s.io',
    'validatingwebhookconfigurations',
    [['high', 'writes admission webhooks (validatingwebhookconfigurations): sees or changes objects written']],
  ],
  ['list', 'admissionregistration.k8s.io', 'validatingwebhookconfigurations', []],
  [
    'patch',
    '',
    'namespaces',
    [['medium', 'changes namespaces: labels decide Pod Security admission and NetworkPolicy selection']],
  ],
  ['create', '', 'namespaces', []],
  ['create', '', 'endpoints', [['medium', 'writes endpoints: can forward a Service to any address (CVE-2021-25740)']]],
  [
    'update',
    'discovery.k8s.io',
    'endpointslices',
    [['medium', 'writes endpointslices: can forward a Service to any address (CVE-2021-25740)']],
  ],
  ['list', 'discovery.k8s.io', 'endpointslices', []],
  // Wildcards.
  ['get', '', '*', [['high', 'a wildcard']]],
  ['get', '', 'configmaps', []],
];

describe('the Kubernetes catalogue', () => {
  it.each(K8S)('%s %s/%s', (verb, apiGroup, path, expected) => {
    const [resource = '', subresource = ''] = path.split('/');
    expect(shape(k8sRiskList({ verb, apiGroup, resource, subresource, nonResourceURL: '' }))).toEqual(expected);
  });

  it.each([
    ['get', '/healthz', []],
    ['get', '*', [['high', 'a wildcard']]],
    ['get', '/*', [['high', 'a wildcard']]],
    ['get', '/metrics*', []],
  ] as [string, string, Expected][])('non-resource %s %s', (verb, url, expected) => {
    const got = k8sRiskList({ verb, apiGroup: '', resource: '', subresource: '', nonResourceURL: url });
    expect(shape(got)).toEqual(expected);
  });
});

// ---- AWS: [action, resource, expected]; principal account 111122223333 --------------------------------------

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app`;
const AWS: [string, string, Expected][] = [
  ['iam:PassRole', ROLE, [['high', 'iam:PassRole: hands a role to a service']]],
  // Action names are case-insensitive: the spelling in a policy does not hide a risk, or invent one.
  ['IAM:passrole', ROLE, [['high', 'iam:PassRole: hands a role to a service']]],
  [
    'iam:PassRole',
    '*',
    [
      ['high', 'iam:PassRole: hands a role to a service'],
      ['high', 'iam:PassRole on any role'],
      ['medium', 'a wildcard resource where the action can name one'],
    ],
  ],
  ['iam:getrole', ROLE, []],
  ['iam:GetRole', ROLE, []],
  ['iam:ListRoles', '*', []],
  [
    'iam:CreatePolicyVersion',
    `arn:aws:iam::${ACCOUNT}:policy/p`,
    [['high', 'iam:CreatePolicyVersion: privilege escalation: rewrites a managed policy']],
  ],
  [
    'iam:setdefaultpolicyversion',
    `arn:aws:iam::${ACCOUNT}:policy/p`,
    [['high', 'iam:setdefaultpolicyversion: privilege escalation: switches a managed policy to another version']],
  ],
  ['iam:AttachRolePolicy', ROLE, [['high', 'iam:AttachRolePolicy: privilege escalation: attaches a policy to a role']]],
  [
    'iam:PutUserPolicy',
    `arn:aws:iam::${ACCOUNT}:user/u`,
    [['high', 'iam:PutUserPolicy: privilege escalation: writes a user inline policy']],
  ],
  [
    'iam:CreateAccessKey',
    `arn:aws:iam::${ACCOUNT}:user/u`,
    [['high', "iam:CreateAccessKey: privilege escalation: creates another user's access key"]],
  ],
  [
    'iam:UpdateLoginProfile',
    `arn:aws:iam::${ACCOUNT}:user/u`,
    [['high', "iam:UpdateLoginProfile: privilege escalation: changes a user's console password"]],
  ],
  [
    'iam:UpdateAssumeRolePolicy',
    ROLE,
    [['high', 'iam:UpdateAssumeRolePolicy: privilege escalation: changes who may assume a role']],
  ],
  [
    'iam:AddUserToGroup',
    `arn:aws:iam::${ACCOUNT}:group/g`,
    [['high', 'iam:AddUserToGroup: privilege escalation: adds a user to a group and its policies']],
  ],
  ['iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/u`, [['high', 'iam:CreateUser: an IAM or STS write']]],
  ['sts:AssumeRole', ROLE, [['medium', 'sts:AssumeRole']]],
  ['sts:AssumeRole', 'arn:aws:iam::444455556666:role/x', [['high', 'cross-account sts:AssumeRole into 444455556666']]],
  [
    'sts:AssumeRole',
    '*',
    [
      ['high', 'sts:AssumeRole on any role that trusts the account'],
      ['medium', 'a wildcard resource where the action can name one'],
    ],
  ],
  [
    'sts:AssumeRole',
    'arn:aws:iam::*:role/*',
    [
      ['high', 'sts:AssumeRole on any role that trusts the account'],
      ['medium', 'a wildcard resource where the action can name one'],
    ],
  ],
  ['sts:GetCallerIdentity', '*', []],
  [
    'lambda:UpdateFunctionCode',
    'arn:aws:lambda:eu-west-1:111122223333:function:f',
    [['high', "lambda:UpdateFunctionCode: runs code with a role: runs new code as a function's role"]],
  ],
  [
    'ssm:SendCommand',
    'arn:aws:ec2:eu-west-1:111122223333:instance/i-1',
    [['high', 'ssm:SendCommand: runs code with a role: runs commands on instances']],
  ],
  [
    'ssm:StartSession',
    'arn:aws:ec2:eu-west-1:111122223333:instance/i-1',
    [['high', 'ssm:StartSession: runs code with a role: opens a shell on instances']],
  ],
  [
    'ec2-instance-connect:SendSSHPublicKey',
    'arn:aws:ec2:eu-west-1:111122223333:instance/i-1',
    [['high', 'ec2-instance-connect:SendSSHPublicKey: runs code with a role: pushes an SSH key to instances']],
  ],
  // A compute create alone runs no passed role: only with iam:PassRole (the principal context) is it a path.
  ['lambda:CreateFunction', 'arn:aws:lambda:eu-west-1:111122223333:function:f', []],
  [
    'secretsmanager:GetSecretValue',
    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:s-AbCdEf',
    [['high', 'reads secrets (Secrets Manager)']],
  ],
  ['kms:Decrypt', 'arn:aws:kms:eu-west-1:111122223333:key/k', [['medium', 'kms:Decrypt']]],
  [
    'KMS:decrypt',
    '*',
    [
      ['high', 'kms:Decrypt with any key'],
      ['medium', 'a wildcard resource where the action can name one'],
    ],
  ],
  ['s3:PutBucketPolicy', 'arn:aws:s3:::b', [['high', 's3:PutBucketPolicy: changes who may do what']]],
  ['s3:GetObject', '*', [['medium', 'a wildcard resource where the action can name one']]],
  ['s3:GetObject', 'arn:aws:s3:::*/*', [['medium', 'a wildcard resource where the action can name one']]],
  ['S3:getobject', 'arn:aws:s3:::*/*', [['medium', 'a wildcard resource where the action can name one']]],
  ['s3:GetObject', 'arn:aws:s3:::bucket/*', []],
  ['s3:GetObject', 'arn:aws:s3:::bucket/reports/*', []],
  ['dynamodb:GetItem', 'arn:aws:dynamodb:eu-west-1:111122223333:table/*', []],
  ['ec2:DescribeInstances', '*', []],
  // Authorized on `*` when the call names no resource (the generator writes `*` for it): not one that could name one.
  ['cloudwatch:GetMetricData', '*', []],
  ['CloudWatch:getMetricData', '*', []],
  ['ecr:GetAuthorizationToken', '*', []],
  ['s3:*', 'arn:aws:s3:::b', [['high', 'a wildcard action']]],
  ['*', '*', [['high', 'a wildcard action']]],
];

describe('the AWS catalogue', () => {
  it.each(AWS)('%s on %s', async (action, resource, expected) => {
    const got = awsRiskList(action, resource, ACCOUNT, 0, await actionFacts(action));
    expect(shape(got)).toEqual(expected);
  });

  it.each([
    ['lambda:CreateFunction', 'arn:aws:lambda:eu-west-1:111122223333:function:f'],
    ['ec2:RunInstances', 'arn:aws:ec2:eu-west-1:111122223333:instance/*'],
    ['ecs:RunTask', 'arn:aws:ecs:eu-west-1:111122223333:task-definition/t:1'],
    ['glue:CreateDevEndpoint', 'arn:aws:glue:eu-west-1:111122223333:devEndpoint/d'],
    ['cloudformation:CreateStack', 'arn:aws:cloudformation:eu-west-1:111122223333:stack/s/*'],
    ['sagemaker:CreateNotebookInstance', 'arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/n'],
    ['lambda:UpdateFunctionConfiguration', 'arn:aws:lambda:eu-west-1:111122223333:function:f'],
    ['ec2:AssociateIamInstanceProfile', 'arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc'],
    ['ecs:CreateService', 'arn:aws:ecs:eu-west-1:111122223333:service/c/s'],
    ['states:CreateStateMachine', 'arn:aws:states:eu-west-1:111122223333:stateMachine:sm'],
    ['elasticmapreduce:RunJobFlow', '*'],
  ])('%s beside iam:PassRole is a privilege escalation path', async (action, resource) => {
    const f = await actionFacts(action);
    expect(shape(awsRiskList(action, resource, ACCOUNT, 0, f, { passesRole: true }))).toEqual([
      ['high', `${action}: with iam:PassRole: runs code as a passed role`],
    ]);
    expect(awsRiskList(action, resource, ACCOUNT, 0, f, { passesRole: false })).toEqual([]);
  });

  it('S3 on more than 3 buckets is low, whatever the spelling', async () => {
    const f = await actionFacts('s3:GetObject');
    expect(shape(awsRiskList('S3:GetObject', 'arn:aws:s3:::b/k', ACCOUNT, 4, f))).toEqual([['low', 'S3 on 4 buckets']]);
    expect(awsRiskList('s3:GetObject', 'arn:aws:s3:::b/k', ACCOUNT, 3, f)).toEqual([]);
  });
});

// ---- network: [peer, the policy's side, ports, expected] -------------------------------------------------------

const ip = (a: string): Peer => ({ kind: 'ip', ip: a });
const node = (a: string): Peer => ({ kind: 'node', ip: a });
const tcp = (port: number, endPort?: number): PortSpan => ({ protocol: 'TCP', port, ...(endPort ? { endPort } : {}) });
const META = 'egress to the cloud metadata service (169.254.169.254): node credentials';

const NET: [string, Peer, 'from' | 'to', PortSpan | undefined, Expected][] = [
  ['a public address', ip('52.218.48.7'), 'from', tcp(443), [['medium', 'egress to the internet']]],
  ['a private address', ip('10.0.0.9'), 'from', tcp(443), []],
  ['a workload', { kind: 'workload', namespace: 'shop', name: 'api' }, 'from', tcp(8080), []],
  ['ingress from an address', ip('10.0.0.50'), 'to', tcp(8080), [['medium', 'ingress from outside the cluster']]],
  ['the metadata address', ip('169.254.169.254'), 'from', tcp(80), [['high', META]]],
  ['the IPv6 metadata address', ip('fd00:ec2::254'), 'from', tcp(80), [['high', META]]],
  ['another link-local address', ip('169.254.1.1'), 'from', tcp(80), []],
  [
    'ingress from the metadata address',
    ip('169.254.169.254'),
    'to',
    tcp(80),
    [['medium', 'ingress from outside the cluster']],
  ],
  [
    'the kubelet on a node',
    node('10.0.1.23'),
    'from',
    tcp(10250),
    [
      ['low', 'a node or host-network peer'],
      ['medium', 'egress to the kubelet port (TCP/10250)'],
    ],
  ],
  [
    'the kubelet read-only port',
    ip('10.0.1.23'),
    'from',
    tcp(10255),
    [['medium', 'egress to the kubelet port (TCP/10255)']],
  ],
  [
    'a range over the kubelet port',
    ip('10.0.1.23'),
    'from',
    tcp(10000, 11000),
    [['medium', 'egress to the kubelet port (TCP/10250)']],
  ],
  ['UDP 10250', ip('10.0.1.23'), 'from', { protocol: 'UDP', port: 10250 }, []],
  ['a node on another port', node('10.0.1.23'), 'from', tcp(9100), [['low', 'a node or host-network peer']]],
];

describe('the network catalogue', () => {
  it.each(NET)('%s', (_name, peer, self, ports, expected) => {
    expect(shape(netRiskList(peer, self, ports))).toEqual(expected);
  });

  it('a region holding the metadata address is flagged, one beside it is not', () => {
    expect(shape(netRiskList(ip('169.254.0.0'), 'from', tcp(80), cidrRange('169.254.0.0/16')))).toEqual([
      ['high', META],
    ]);
    expect(netRiskList(ip('169.254.169.255'), 'from', tcp(80), cidrRange('169.254.169.255/32'))).toEqual([]);
  });

  const regions = (...cidrs: string[]): Region[] => cidrs.map((c) => cidrRange(c)!);
  it.each([
    ['0.0.0.0/0', regions('0.0.0.0/0'), [['high', 'egress to any internet address (0.0.0.0/0)']]],
    [
      'every block but 10.0.0.0/8 and 127.0.0.0/8',
      regions(
        '0.0.0.0/5',
        '8.0.0.0/7',
        '11.0.0.0/8',
        '12.0.0.0/6',
        '16.0.0.0/4',
        '32.0.0.0/3',
        '64.0.0.0/3',
        '96.0.0.0/4',
        '112.0.0.0/5',
        '120.0.0.0/6',
        '124.0.0.0/7',
        '126.0.0.0/8',
        '128.0.0.0/1',
      ),
      [['high', 'egress to any internet address (0.0.0.0/0)']],
    ],
    ['0.0.0.0/1', regions('0.0.0.0/1'), []],
    [
      'every block but 10.0.0.0/8 and 1.0.0.0/8',
      regions(
        '0.0.0.0/8',
        '2.0.0.0/7',
        '4.0.0.0/6',
        '8.0.0.0/7',
        '11.0.0.0/8',
        '12.0.0.0/6',
        '16.0.0.0/4',
        '32.0.0.0/3',
        '64.0.0.0/2',
        '128.0.0.0/1',
      ),
      [],
    ],
    ['one address', regions('1.2.3.4/32'), []],
  ] as [string, Region[], Expected][])('egress to %s', (_name, rs, expected) => {
    expect(shape(netRegionsRiskList(rs, 'from'))).toEqual(expected);
  });

  it('0.0.0.0/0 less one address is still the world, as ingress a medium', () => {
    const all = cidrRange('0.0.0.0/0')!;
    const hole = cidrRange('1.2.3.4/32')!;
    const rs = [
      { lo: all.lo, hi: hole.lo - 1n },
      { lo: hole.hi + 1n, hi: all.hi },
    ];
    expect(shape(netRegionsRiskList(rs, 'from'))).toEqual([['high', 'egress to any internet address (0.0.0.0/0)']]);
    expect(shape(netRegionsRiskList(rs, 'to'))).toEqual([['medium', 'ingress from any internet address (0.0.0.0/0)']]);
    expect(netRegionsRiskList([], 'from')).toEqual([]);
  });
});
