import { SCORER_CONSUMER_NAME } from '../stream/consumer-names.js'
import type { ResourceNames } from '../stack/resource-names.js'

/** What a scorer deployment on Kubernetes is rendered from. */
export interface DeploymentSettings {
  names: ResourceNames
  region: string
  /** The AWS account the run's resources live in (their ARNs name it). */
  account: string
  /** Shards of the transactions stream: the most replicas that can each hold one. */
  shards: number
  image: string
  namespace: string
  /** The IAM role the scorer's ServiceAccount assumes (EKS IAM roles for service accounts). */
  roleArn: string
  consumer: 'polling' | 'efo'
  /** KEDA's second trigger: scale out when the oldest unread record is older than this. */
  iteratorAgeMs: number
}

export interface RenderedFile {
  name: string
  /** A Kubernetes object (written as YAML), or a JSON document. */
  content: Record<string, unknown>
  format: 'yaml' | 'json'
}

const APP = 'fraudlab-scorer'

/**
 * The scorer on Kubernetes, scaled by KEDA: a Deployment of `fraudlab scorer` processes that share
 * the transactions stream's shards by lease, a ServiceAccount bound to an IAM role, a KEDA
 * ScaledObject with the `aws-kinesis-stream` scaler (one replica per shard, never more replicas
 * than shards) plus a CloudWatch trigger on the iterator age (the Kinesis scaler ignores lag), and
 * least-privilege IAM policies naming only the run's resources.
 */
export function renderScorerDeployment(settings: DeploymentSettings): RenderedFile[] {
  const { names, region, account, namespace } = settings
  const labels = { 'app.kubernetes.io/name': APP, 'app.kubernetes.io/part-of': 'fraudlab', 'fraudlab/prefix': names.prefix.replace(/[^A-Za-z0-9_.-]/g, '') || 'none' }
  const metadata = (name: string) => ({ name, namespace, labels })
  const streamArn = (stream: string) => `arn:aws:kinesis:${region}:${account}:stream/${stream}`
  const tableArn = (table: string) => `arn:aws:dynamodb:${region}:${account}:table/${table}`
  const topicArn = `arn:aws:sns:${region}:${account}:${names.alertsTopic}`

  const serviceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { ...metadata(APP), annotations: { 'eks.amazonaws.com/role-arn': settings.roleArn } },
  }
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(APP),
    spec: {
      // KEDA sets the count; one replica until it does.
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': APP } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: APP,
          // A stopping scorer finishes its batch, checkpoints and gives its leases back: give it the time.
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: 'scorer',
              image: settings.image,
              args: ['scorer', '--target', 'aws', '--region', region, '--prefix', names.prefix, '--consumer', settings.consumer, '--shards', String(settings.shards)],
              env: [
                { name: 'AWS_REGION', value: region },
                { name: 'NODE_OPTIONS', value: '--max-old-space-size=1536' },
              ],
              resources: { requests: { cpu: '500m', memory: '768Mi' }, limits: { memory: '2Gi' } },
              // The image's `node` user (uid 1000); only /tmp is writable.
              securityContext: { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  }
  const triggerAuthentication = {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'TriggerAuthentication',
    metadata: metadata(`${APP}-aws`),
    // KEDA reads the stream and CloudWatch with the scorer's own role (pod identity on EKS).
    spec: { podIdentity: { provider: 'aws', identityOwner: 'workload' } },
  }
  const scaledObject = {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: metadata(APP),
    spec: {
      scaleTargetRef: { name: APP },
      minReplicaCount: 1,
      // Replicas beyond the shard count would hold no lease and sit idle.
      maxReplicaCount: settings.shards,
      pollingInterval: 30,
      cooldownPeriod: 300,
      triggers: [
        {
          type: 'aws-kinesis-stream',
          authenticationRef: { name: `${APP}-aws` },
          metadata: { streamName: names.transactionsStream, awsRegion: region, shardCount: '1', activationShardCount: '1' },
        },
        {
          // The Kinesis scaler counts shards only; this one adds replicas when the scorers fall behind.
          type: 'aws-cloudwatch',
          authenticationRef: { name: `${APP}-aws` },
          metadata: {
            namespace: 'AWS/Kinesis',
            metricName: 'GetRecords.IteratorAgeMilliseconds',
            dimensionName: 'StreamName',
            dimensionValue: names.transactionsStream,
            metricStat: 'Maximum',
            metricStatPeriod: '60',
            targetMetricValue: String(settings.iteratorAgeMs),
            minMetricValue: '0',
            awsRegion: region,
          },
        },
      ],
    },
  }
  const transactions = streamArn(names.transactionsStream)
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadTransactions',
        Effect: 'Allow',
        Action: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:RegisterStreamConsumer', 'kinesis:DescribeStreamConsumer'],
        Resource: [transactions],
      },
      { Sid: 'SubscribeByFanOut', Effect: 'Allow', Action: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'], Resource: [`${transactions}/consumer/${SCORER_CONSUMER_NAME}:*`] },
      { Sid: 'WriteDecisions', Effect: 'Allow', Action: ['kinesis:DescribeStreamSummary', 'kinesis:PutRecords'], Resource: [streamArn(names.decisionsStream)] },
      { Sid: 'BlockList', Effect: 'Allow', Action: ['dynamodb:DescribeTable', 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'], Resource: [tableArn(names.blockListTable)] },
      { Sid: 'Leases', Effect: 'Allow', Action: ['dynamodb:DescribeTable', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Scan'], Resource: [tableArn(names.leaseTable)] },
      // CreateTopic on an existing topic only returns its ARN (the scorer finds the topic that way).
      { Sid: 'Alerts', Effect: 'Allow', Action: ['sns:CreateTopic', 'sns:Publish'], Resource: [topicArn] },
    ],
  }
  const kedaPolicy = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'CountShards', Effect: 'Allow', Action: ['kinesis:DescribeStreamSummary'], Resource: [transactions] },
      // CloudWatch's metric reads cannot be scoped to a resource: AWS accepts only "*" for them.
      { Sid: 'ReadIteratorAge', Effect: 'Allow', Action: ['cloudwatch:GetMetricData'], Resource: ['*'] },
    ],
  }
  return [
    { name: 'serviceaccount.yaml', content: serviceAccount, format: 'yaml' },
    { name: 'deployment.yaml', content: deployment, format: 'yaml' },
    { name: 'trigger-authentication.yaml', content: triggerAuthentication, format: 'yaml' },
    { name: 'scaledobject.yaml', content: scaledObject, format: 'yaml' },
    { name: 'iam-policy.json', content: policy, format: 'json' },
    { name: 'keda-iam-policy.json', content: kedaPolicy, format: 'json' },
  ]
}
