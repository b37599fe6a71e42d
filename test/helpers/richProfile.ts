// A small profile made by the real ingest from a few dozen log records written here, that holds every optional field
// of the profile's line format at least once: a compact base for fuzzers of the profile reader and of what reads it.
// Fixed ids and times, relative paths: the same bytes every run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ingest } from '../../src/ingest/index.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { Profile } from '../../src/model/profile.js';
import { defaultScope, Scope } from '../../src/profile/scope.js';
import { tmp } from './cli.js';

type Obj = Record<string, unknown>;

const A = '111122223333';
const REGION = 'eu-west-1';
const RBAC = 'rbac.authorization.k8s.io';
const WORKER = `arn:aws:iam::${A}:role/apps/worker`;
const EKS_OIDC = `arn:aws:iam::${A}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const saGroups = (ns: string) => ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];

/** An audit.k8s.io/v1 Event, the n-th second of the day's window; `e` adds or overrides fields. */
function event(n: number, e: Obj): Obj {
  const t = `2026-11-02T10:00:${pad(n)}.000000Z`;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `6f1c2d3e-0000-4000-8000-${pad(n, 12)}`,
    stage: 'ResponseComplete',
    sourceIPs: ['10.0.1.101'],
    requestReceivedTimestamp: t,
    stageTimestamp: t,
    ...e,
  };
}

/** The fields of an answered request: its code and the authorizer's decision and reason. */
function answered(code: number, decision: 'allow' | 'forbid', reason: string): Obj {
  return {
    responseStatus: { metadata: {}, code },
    annotations: { 'authorization.k8s.io/decision': decision, 'authorization.k8s.io/reason': reason },
  };
}

const byRbac = (what: string) => answered(200, 'allow', `RBAC: allowed by ${what}`);
const web = { username: 'system:serviceaccount:shop:web', groups: saGroups('shop') };
const cleaner = { username: 'system:serviceaccount:ops:cleaner', groups: saGroups('ops') };
const ref = (resource: string, namespace: string, name?: string, apiGroup?: string): Obj => ({
  resource,
  namespace,
  ...(name ? { name } : {}),
  ...(apiGroup ? { apiGroup } : {}),
  apiVersion: 'v1',
});

function auditLog(): string {
  const events: Obj[] = [
    // allowed (by RBAC).
    event(1, {
      verb: 'get',
      user: web,
      requestURI: '/api/v1/namespaces/shop/configmaps/web-config',
      objectRef: ref('configmaps', 'shop', 'web-config'),
      ...byRbac('RoleBinding "web/shop" of Role "web" to ServiceAccount "web/shop"'),
    }),
    // denied: a 403 forbid.
    event(2, {
      verb: 'delete',
      user: web,
      requestURI: '/api/v1/namespaces/shop/secrets/db-password',
      objectRef: ref('secrets', 'shop', 'db-password'),
      ...answered(403, 'forbid', ''),
    }),
    // undecided: a RequestReceived record alone, with neither a decision nor a code (its stages are written).
    event(3, {
      verb: 'list',
      user: web,
      stage: 'RequestReceived',
      requestURI: '/api/v1/namespaces/shop/pods',
      objectRef: ref('pods', 'shop'),
    }),
    // created, with a generated name (the body, logged at Request level, shows generateName).
    event(4, {
      level: 'Request',
      verb: 'create',
      user: web,
      requestURI: '/api/v1/namespaces/shop/pods',
      objectRef: ref('pods', 'shop', 'web-job-x7k2p'),
      requestObject: { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-job-', namespace: 'shop' } },
      ...answered(201, 'allow', 'RBAC: allowed by RoleBinding "web/shop" of Role "web" to ServiceAccount "web/shop"'),
    }),
    // implied: a RoleBinding written checks bind on the ClusterRole its roleRef names.
    event(5, {
      level: 'Request',
      verb: 'create',
      user: cleaner,
      requestURI: `/apis/${RBAC}/v1/namespaces/ops/rolebindings`,
      objectRef: ref('rolebindings', 'ops', 'app-readers', RBAC),
      requestObject: {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { name: 'app-readers', namespace: 'ops' },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: 'ops' }],
      },
      ...answered(
        201,
        'allow',
        'RBAC: allowed by RoleBinding "cleaner/ops" of ClusterRole "admin" to ServiceAccount "cleaner/ops"',
      ),
    }),
    // implied with `role`: a Role written checks escalate on it.
    event(6, {
      level: 'Request',
      verb: 'create',
      user: cleaner,
      requestURI: `/apis/${RBAC}/v1/namespaces/ops/roles`,
      objectRef: ref('roles', 'ops', 'app-reader', RBAC),
      requestObject: {
        apiVersion: `${RBAC}/v1`,
        kind: 'Role',
        metadata: { name: 'app-reader', namespace: 'ops' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
      },
      ...answered(
        201,
        'allow',
        'RBAC: allowed by RoleBinding "cleaner/ops" of ClusterRole "admin" to ServiceAccount "cleaner/ops"',
      ),
    }),
    // roleRefUnknown: a RoleBinding updated at Metadata level (no body, so no roleRef).
    event(7, {
      verb: 'update',
      user: cleaner,
      requestURI: `/apis/${RBAC}/v1/namespaces/ops/rolebindings/legacy`,
      objectRef: ref('rolebindings', 'ops', 'legacy', RBAC),
      ...answered(
        200,
        'allow',
        'RBAC: allowed by RoleBinding "cleaner/ops" of ClusterRole "admin" to ServiceAccount "cleaner/ops"',
      ),
    }),
    // gcOnly: a patch that only clears the finalizers of a RoleBinding.
    event(8, {
      level: 'Request',
      verb: 'patch',
      user: cleaner,
      requestURI: `/apis/${RBAC}/v1/namespaces/ops/rolebindings/app-readers`,
      objectRef: ref('rolebindings', 'ops', 'app-readers', RBAC),
      requestObject: { metadata: { finalizers: null } },
      ...answered(
        200,
        'allow',
        'RBAC: allowed by RoleBinding "cleaner/ops" of ClusterRole "admin" to ServiceAccount "cleaner/ops"',
      ),
    }),
    // implied with `as`: alice impersonates bob (the request is bob's, the impersonate check alice's).
    event(9, {
      verb: 'get',
      user: { username: 'alice@example.com', groups: ['platform', 'system:authenticated'] },
      impersonatedUser: { username: 'bob@example.com', groups: ['system:authenticated'] },
      requestURI: '/api/v1/namespaces/shop/pods/web-7d4b9c6f5-x2kq9',
      objectRef: ref('pods', 'shop', 'web-7d4b9c6f5-x2kq9'),
      ...byRbac('ClusterRoleBinding "viewers" of ClusterRole "view" to User "bob@example.com"'),
    }),
    // roleSessions and outsideRbac: an EKS access entry's user (`admin:{{SessionName}}`), its role session in
    // user.extra, allowed by EKS's access policy webhook, not RBAC; its time has no zone (a per-file notice).
    event(10, {
      verb: 'list',
      user: {
        username: 'admin:alice-session',
        uid: `aws-iam-authenticator:${A}:AROAEXAMPLEID`,
        groups: ['shop-admins', 'system:authenticated'],
        extra: {
          accessKeyId: ['ASIAEXAMPLE0000000001'],
          arn: [`arn:aws:sts::${A}:assumed-role/EKS-Admin/alice-session`],
          canonicalArn: [`arn:aws:iam::${A}:role/EKS-Admin`],
          principalId: ['AROAEXAMPLEID'],
          sessionName: ['alice-session'],
        },
      },
      requestURI: '/api/v1/namespaces/shop/services',
      objectRef: ref('services', 'shop'),
      requestReceivedTimestamp: '2026-11-02T10:00:10',
      stageTimestamp: '2026-11-02T10:00:10',
      ...answered(200, 'allow', 'allowed by access policy "AmazonEKSViewPolicy" associated with the principal'),
    }),
    // Left out by the scope's excludeSubjects (header.filters).
    event(11, {
      verb: 'get',
      user: { username: 'system:serviceaccount:shop:debug', groups: saGroups('shop') },
      requestURI: '/api/v1/namespaces/shop/pods/web-7d4b9c6f5-x2kq9',
      objectRef: ref('pods', 'shop', 'web-7d4b9c6f5-x2kq9'),
      ...byRbac('RoleBinding "debug/shop" of ClusterRole "view" to ServiceAccount "debug/shop"'),
    }),
  ];
  // An EKS export of CloudWatch Logs (envelopes): an audit Event, and a line of another log stream (envelopeSkipped).
  const envelope = {
    events: [
      {
        logStreamName: 'kube-apiserver-audit-0a1b2c3d4e5f6a7b',
        timestamp: 1793613612000,
        message: JSON.stringify(
          event(12, {
            verb: 'get',
            user: web,
            requestURI: '/api/v1/namespaces/shop/services/cart',
            objectRef: ref('services', 'shop', 'cart'),
            ...byRbac('RoleBinding "web/shop" of Role "web" to ServiceAccount "web/shop"'),
          }),
        ),
      },
      { logStreamName: 'authenticator-0a1b2c3d4e5f6a7b', timestamp: 1793613612000, message: 'access granted' },
    ],
  };
  // A line cut short: an input issue (issues, issueSamples), the rest of the file read.
  const broken = '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"6f1c2d3e-0000-4000-8000-0000000';
  return [...events.map((e) => JSON.stringify(e)), JSON.stringify(envelope), broken].join('\n') + '\n';
}

/** A CloudTrail record of the n-th second; `more` adds or overrides fields. */
function trail(n: number, who: Obj, source: string, name: string, params: Obj | null, more: Obj = {}): Obj {
  return {
    eventVersion: '1.09',
    userIdentity: who,
    eventTime: `2026-11-02T10:01:${pad(n)}Z`,
    eventSource: source,
    eventName: name,
    awsRegion: REGION,
    sourceIPAddress: '10.0.1.10',
    userAgent: 'aws-sdk-go-v2/1.30.3',
    requestParameters: params,
    responseElements: null,
    requestID: `3b0e1c2d-0000-4000-9000-${pad(n, 12)}`,
    eventID: `9a8b7c6d-0000-4000-9000-${pad(n, 12)}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: A,
    eventCategory: 'Management',
    ...more,
  };
}

/** An assumed role's session, its issuer the role. */
function session(roleArn: string, name: string, more: Obj = {}): Obj {
  const role = roleArn.split('/').at(-1)!;
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLEID:${name}`,
    arn: `arn:aws:sts::${A}:assumed-role/${role}/${name}`,
    accountId: A,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEID', arn: roleArn, accountId: A, userName: role },
    },
    ...more,
  };
}

const TLS = {
  tlsVersion: 'TLSv1.3',
  cipherSuite: 'TLS_AES_128_GCM_SHA256',
  clientProvidedHostHeader: 'ec2.amazonaws.com',
};

function cloudTrail(): string {
  const worker = session(WORKER, 'botocore-session-1');
  const sts = 'sts.amazonaws.com';
  const records: Obj[] = [
    // createdArns (the snapshot id AWS made up), resources (the volume), origins (an address over TLS).
    trail(
      1,
      worker,
      'ec2.amazonaws.com',
      'CreateSnapshot',
      { volumeId: 'vol-0a1b2c3d4e5f67890' },
      {
        tlsDetails: TLS,
        responseElements: { snapshotId: 'snap-0a1b2c3d4e5f67890', volumeId: 'vol-0a1b2c3d4e5f67890' },
      },
    ),
    // originsMore: the same call from a record that does not say where it came from.
    trail(
      2,
      worker,
      'ec2.amazonaws.com',
      'CreateSnapshot',
      { volumeId: 'vol-0a1b2c3d4e5f67890' },
      {
        sourceIPAddress: undefined,
        responseElements: { snapshotId: 'snap-0a1b2c3d4e5f67891', volumeId: 'vol-0a1b2c3d4e5f67890' },
      },
    ),
    // implied: a role handed to Lambda needs iam:PassRole on it.
    trail(3, worker, 'lambda.amazonaws.com', 'UpdateFunctionConfiguration20150331v2', {
      functionName: 'thumbnailer',
      role: `arn:aws:iam::${A}:role/lambda/thumbnailer-exec`,
    }),
    // denied: AccessDenied.
    trail(
      4,
      worker,
      's3.amazonaws.com',
      'GetObject',
      { bucketName: 'acme-data', key: 'private/report.csv' },
      {
        errorCode: 'AccessDenied',
        errorMessage: 'Access Denied',
        readOnly: true,
      },
    ),
    // assumes (IRSA): service account shop/web becomes the worker role with its cluster's OIDC token.
    trail(
      5,
      {
        type: 'WebIdentityUser',
        principalId: `${EKS_OIDC}:sts.amazonaws.com:system:serviceaccount:shop:web`,
        userName: 'system:serviceaccount:shop:web',
        identityProvider: EKS_OIDC,
      },
      sts,
      'AssumeRoleWithWebIdentity',
      { roleArn: WORKER, roleSessionName: 'botocore-session-1' },
      { responseElements: { provider: EKS_OIDC, audience: 'sts.amazonaws.com' }, readOnly: true },
    ),
    // webIdentityAssumption, with its audience and (a source identity in the answer) its actions: GitHub Actions.
    trail(
      6,
      {
        type: 'WebIdentityUser',
        principalId: `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/app:ref:refs/heads/main`,
        userName: 'repo:acme/app:ref:refs/heads/main',
        identityProvider: `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`,
      },
      sts,
      'AssumeRoleWithWebIdentity',
      { roleArn: `arn:aws:iam::${A}:role/ci/deployer`, roleSessionName: 'GitHubActions' },
      { responseElements: { audience: 'sts.amazonaws.com', sourceIdentity: 'octocat' }, readOnly: true },
    ),
    // samlAssumption, with its subject type and audience: an Okta user signs in to a role.
    trail(
      7,
      { type: 'SAMLUser', principalId: 'EXAMPLEID:alice@example.com', userName: 'alice@example.com' },
      sts,
      'AssumeRoleWithSAML',
      { roleArn: `arn:aws:iam::${A}:role/sso/admin`, principalArn: `arn:aws:iam::${A}:saml-provider/Okta` },
      {
        responseElements: {
          subject: 'alice@example.com',
          subjectType: 'persistent',
          audience: 'https://signin.aws.amazon.com/saml',
          issuer: 'http://www.okta.com/exk1a2b3c4',
        },
        readOnly: true,
      },
    ),
    // serviceAssumption: Lambda becomes its function's role.
    trail(
      8,
      { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' },
      sts,
      'AssumeRole',
      { roleArn: `arn:aws:iam::${A}:role/lambda/thumbnailer-exec`, roleSessionName: 'thumbnailer' },
      { sourceIPAddress: 'lambda.amazonaws.com', readOnly: true },
    ),
    // serviceAssumption with actions: IAM Roles Anywhere sets a source identity and passes session tags.
    trail(
      9,
      { type: 'AWSService', invokedBy: 'rolesanywhere.amazonaws.com' },
      sts,
      'AssumeRole',
      {
        roleArn: `arn:aws:iam::${A}:role/onprem/backup`,
        roleSessionName: 'backup01',
        sourceIdentity: 'CN=backup01',
        tags: [{ key: 'x509Subject/CN', value: 'backup01' }],
      },
      { sourceIPAddress: 'rolesanywhere.amazonaws.com', readOnly: true },
    ),
    // leftOut root-user: the account's root user.
    trail(
      10,
      { type: 'Root', principalId: A, arn: `arn:aws:iam::${A}:root`, accountId: A },
      'ec2.amazonaws.com',
      'DescribeInstances',
      { instancesSet: {}, filterSet: {} },
      { readOnly: true },
    ),
    // leftOut federated-session: a GetFederationToken session whose record does not name the user that issued it (one
    // that does is that user's call).
    trail(
      11,
      {
        type: 'FederatedUser',
        principalId: `${A}:bob`,
        arn: `arn:aws:sts::${A}:federated-user/bob`,
        accountId: A,
      },
      's3.amazonaws.com',
      'ListBuckets',
      null,
      { readOnly: true },
    ),
    // leftOut service-linked-role: Elastic Load Balancing's own role.
    trail(
      12,
      session(
        `arn:aws:iam::${A}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`,
        'ElasticLoadBalancing',
        { invokedBy: 'elasticloadbalancing.amazonaws.com' },
      ),
      'ec2.amazonaws.com',
      'DescribeNetworkInterfaces',
      { networkInterfaceIdSet: {} },
      { sourceIPAddress: 'elasticloadbalancing.amazonaws.com', readOnly: true },
    ),
  ];
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** A pod of a Deployment (its ReplicaSet not listed), as `kubectl get pods -o json` gives it. */
function pod(name: string, app: string, ip: string, port: number): Obj {
  const rs = name.split('-').slice(0, 2).join('-');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      labels: { app, 'pod-template-hash': rs.split('-')[1] },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, controller: true, uid: `uid-${rs}` }],
    },
    spec: {
      serviceAccountName: app,
      nodeName: 'ip-10-0-1-23.ec2.internal',
      containers: [{ name: app, ports: [{ containerPort: port }] }],
    },
    status: { podIP: ip },
  };
}

/** workload (with serviceAccount and pods), namespace and nodeInstance lines. */
const inventory = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } },
    },
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'ip-10-0-1-23.ec2.internal' },
      spec: { providerID: 'aws:///eu-west-1a/i-0a1b2c3d4e5f60718' },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.1.23' }] },
    },
    pod('web-7d4b9c6f5-x2kq9', 'web', '10.0.1.101', 8080),
    pod('cart-5f7b9c8d4-m8wzt', 'cart', '10.0.1.102', 8081),
  ],
};

/** A Hubble flow (`hubble observe -o json`) from the web pod, to `to` at `ip`:`port`. */
function flow(n: number, to: Obj, ip: string, port: number, verdict: string, more: Obj = {}): string {
  const t = `2026-11-02T10:02:${pad(n)}.000000000Z`;
  return JSON.stringify({
    flow: {
      time: t,
      verdict,
      IP: { source: '10.0.1.101', destination: ip, ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 40000 + n, destination_port: port, flags: { SYN: true } } },
      source: {
        ID: 1000,
        identity: 20000,
        namespace: 'shop',
        labels: ['k8s:app=web', 'k8s:io.kubernetes.pod.namespace=shop'],
        pod_name: 'web-7d4b9c6f5-x2kq9',
      },
      destination: to,
      Type: 'L3_L4',
      is_reply: false,
      traffic_direction: 'EGRESS',
      ...more,
    },
    node_name: 'acme/ip-10-0-1-23.ec2.internal',
    time: t,
  });
}

function flows(): string {
  const cart = {
    ID: 1001,
    identity: 20001,
    namespace: 'shop',
    labels: ['k8s:app=cart', 'k8s:io.kubernetes.pod.namespace=shop'],
    pod_name: 'cart-5f7b9c8d4-m8wzt',
  };
  const world = { identity: 2, labels: ['reserved:world'] };
  return (
    [
      // network allowed.
      flow(1, cart, '10.0.1.102', 8081, 'FORWARDED'),
      // network denied: a connection the cluster's policy dropped.
      flow(2, cart, '10.0.1.102', 9090, 'DROPPED', { drop_reason_desc: 'POLICY_DENIED' }),
      // dnsName: the name Hubble knew for the address.
      flow(3, world, '93.184.216.34', 443, 'FORWARDED', { destination_names: ['example.com.'] }),
    ].join('\n') + '\n'
  );
}

/**
 * The profile of the records above (a few dozen lines), made as `profile` makes it: excludeSubjects set (header
 * filters), one worker, paths relative to a fresh temporary directory (so its sources are the same every run).
 */
export async function richSlice(): Promise<Profile> {
  const dir = tmp('a2p-rich-');
  writeFileSync(join(dir, 'audit.log'), auditLog());
  writeFileSync(join(dir, 'cloudtrail.jsonl'), cloudTrail());
  // Not a log (sources[].notice): a file of text given with the CloudTrail records.
  writeFileSync(join(dir, 'notes.txt'), 'exported from the console on 2026-11-03\n');
  writeFileSync(join(dir, 'hubble.json'), flows());
  writeFileSync(join(dir, 'inventory.json'), JSON.stringify(inventory));
  const { inventory: inv } = await loadInventory(['inventory.json'], dir);
  const { profile } = await ingest({
    k8sAudit: ['audit.log'],
    cloudtrail: ['cloudtrail.jsonl', 'notes.txt'],
    flows: ['hubble.json'],
    inventory: inv,
    scope: new Scope({ ...defaultScope(), excludeSubjects: ['system:serviceaccount:*:debug'] }),
    workers: 1,
    cwd: dir,
  });
  return profile;
}

/**
 * The optional fields `richSlice` covers, dotted: the line's kind (`header` for the first line), then the field; a
 * third part is a field of the objects of a list (`principal.assumes.providers`). `k8s.stages` is evidence with its
 * stages written, `leftOut.<reason>` a left-out identity of that reason; `end.*` the end line's optional counts.
 */
export const RICH_FIELDS = [
  'header.filters',
  'header.sources.issues',
  'header.sources.issueSamples',
  'header.sources.notices',
  'header.sources.noticeSamples',
  'header.sources.notice',
  'header.sources.envelopes',
  'header.sources.envelopeSkipped',
  'principal.groups',
  'principal.assumes',
  'principal.assumes.providers',
  'principal.created',
  'principal.created.generated',
  'principal.createdArns',
  'principal.outsideRbac',
  'principal.roleSessions',
  'k8s.allowed',
  'k8s.denied',
  'k8s.undecided',
  'k8s.stages',
  'k8s.implied',
  'k8s.implied.as',
  'k8s.implied.role',
  'k8s.roleRefUnknown',
  'k8s.gcOnly',
  'aws.allowed',
  'aws.denied',
  'aws.resources',
  'aws.implied',
  'aws.origins',
  'aws.originsMore',
  'leftOut',
  'leftOut.root-user',
  'leftOut.federated-session',
  'leftOut.service-linked-role',
  'workload',
  'workload.serviceAccount',
  'workload.pods',
  'network',
  'network.allowed',
  'network.denied',
  'dnsName',
  'namespace',
  'nodeInstance',
  'serviceAssumption',
  'serviceAssumption.actions',
  'webIdentityAssumption',
  'webIdentityAssumption.audience',
  'webIdentityAssumption.actions',
  'samlAssumption',
  'samlAssumption.subjectType',
  'samlAssumption.audience',
  'end.workloads',
  'end.network',
  'end.dnsNames',
  'end.namespaces',
  'end.nodeInstances',
  'end.serviceAssumptions',
  'end.webIdentityAssumptions',
  'end.samlAssumptions',
] as const;

/** A value that says something: not absent, false, 0, '' or an empty list or object. */
function given(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** The dotted fields a profile's lines hold (as RICH_FIELDS names them). */
function fieldsOf(text: string): Set<string> {
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const o = JSON.parse(line) as Obj;
    const first = Object.keys(o)[0]!;
    const kind = first === 'apiVersion' ? 'header' : first;
    // Accesses carry their fields beside the access; the header is its own object; other kinds are one inner object.
    const fields = kind === 'header' || kind === 'k8s' || kind === 'aws' ? o : (o[first] as Obj);
    seen.add(kind);
    for (const [k, v] of Object.entries(fields)) {
      if (!given(v)) continue;
      seen.add(`${kind}.${k}`);
      if (Array.isArray(v))
        for (const x of v)
          if (x !== null && typeof x === 'object' && !Array.isArray(x))
            for (const [k2, v2] of Object.entries(x as Obj)) if (given(v2)) seen.add(`${kind}.${k}.${k2}`);
    }
    if (kind === 'k8s' && ['allowed', 'denied', 'undecided'].some((k) => (o[k] as unknown[] | undefined)?.length === 5))
      seen.add('k8s.stages');
    if (kind === 'leftOut') seen.add(`leftOut.${String(fields['reason'])}`);
  }
  return seen;
}

/** The fields of RICH_FIELDS that the serialized profile `text` does not hold. */
export function missingFields(text: string): string[] {
  const seen = fieldsOf(text);
  return RICH_FIELDS.filter((f) => !seen.has(f));
}
