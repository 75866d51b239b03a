import { DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import { DescribeStreamSummaryCommand, type Consumer } from '@aws-sdk/client-kinesis'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import type { AwsClients } from './aws-clients.js'
import { errorName } from '../aws/backoff.js'
import { EXIT_CODES } from '../errors/exit-codes.js'
import { UserError } from '../errors/user-error.js'
import { listStreamConsumers, type FanOutConsumer } from './fan-out-consumers.js'
import { shardCapacityWarning } from './shard-capacity.js'
import { MANAGED_TAG, PREFIX_TAG } from './provision.js'
import type { ResourceNames } from './resource-names.js'

export interface AwsPreflightRequest {
  names: ResourceNames
  transactionShards: number
  decisionShards: number
  region: string
  /** Where the region came from, and the profile: said first, as the AWS CLI's `configure list` would. */
  regionFrom?: string
  profile?: string
  /** The run's offered rate, when there is one: a warning if the shards cannot take it. */
  offeredTps?: number
  /** The stream consumers the run registers for enhanced fan-out. */
  fanOutConsumers?: FanOutConsumer[]
}

/** us-east-1 list prices of enhanced fan-out (provisioned streams). */
const FAN_OUT_CONSUMER_SHARD_HOUR_USD = 0.015
const FAN_OUT_USD_PER_GB = 0.013

/** The region and profile of a run on AWS, and where the region came from (said in the preflight). */
export interface AwsSettings {
  region: string
  profile?: string
  regionFrom: string
}

/**
 * The region as the AWS CLI finds it: --region, AWS_REGION, AWS_DEFAULT_REGION, then the profile's
 * `region` in the shared config file (AWS_CONFIG_FILE, else ~/.aws/config), read by the SDK's own
 * loader. The profile is --profile, else AWS_PROFILE, else `default`.
 */
export async function resolveAwsSettings(request: { region?: string; profile?: string }): Promise<AwsSettings> {
  const profile = request.profile || process.env.AWS_PROFILE || undefined
  const given = request.region ? '--region' : process.env.AWS_REGION ? 'AWS_REGION' : process.env.AWS_DEFAULT_REGION ? 'AWS_DEFAULT_REGION' : undefined
  const region = request.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION
  if (region) return { region, profile, regionFrom: given! }
  const sts = new STSClient({ ...(profile ? { profile } : {}) })
  try {
    const fromProfile = await sts.config.region()
    if (!fromProfile) throw new Error('no region')
    return { region: fromProfile, profile, regionFrom: `profile ${profile ?? 'default'} in ${process.env.AWS_CONFIG_FILE ?? '~/.aws/config'}` }
  } catch {
    throw new UserError(`No AWS region is set${profile ? ` (profile ${profile} has none)` : ''}.`, {
      hint: `Pass --region, set AWS_REGION, or give the profile a region (aws configure set region eu-west-1${profile ? ` --profile ${profile}` : ''}).`,
    })
  } finally {
    sts.destroy()
  }
}

/** Who the credentials belong to: GetCallerIdentity needs no permission and changes nothing. */
export async function checkCredentials(settings: Pick<AwsSettings, 'region' | 'profile'>): Promise<{ account: string; arn: string }> {
  const { region, profile } = settings
  const sts = new STSClient({ region, maxAttempts: 2, ...(profile ? { profile } : {}) })
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}))
    return { account: identity.Account ?? '?', arn: identity.Arn ?? '?' }
  } catch (error) {
    const name = errorName(error)
    const hint =
      name === 'CredentialsProviderError'
        ? 'Pass --profile (or set AWS_PROFILE), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`.'
        : name === 'ExpiredToken' || name === 'ExpiredTokenException'
          ? 'Your session expired: sign in again (`aws sso login`, or refresh your profile).'
          : 'Check the credentials and the region; fraudlab uses the standard AWS credential chain.'
    throw new UserError(`The AWS credentials${profile ? ` of profile ${profile}` : ''} cannot be used in ${region}: ${(error as Error).message.split('\n')[0]} (${name}).`, { hint, exitCode: EXIT_CODES.unreachable })
  } finally {
    sts.destroy()
  }
}

/**
 * What a run or `stack up` would do on AWS, for the user to read before anything is created:
 * which resources exist already (read-only Describe calls) and which would be created, tagged
 * for `stack down`, and what they cost while they exist.
 */
export async function awsPreflight(clients: AwsClients, request: AwsPreflightRequest, identity: { account: string; arn: string }): Promise<string[]> {
  const { names } = request
  const exists = async (describe: () => Promise<unknown>) =>
    describe().then(
      () => true,
      (error: unknown) => {
        if (errorName(error) === 'ResourceNotFoundException') return false
        throw error
      },
    )
  const [transactions, decisions, blockList, leases] = await Promise.all([
    exists(() => clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: names.transactionsStream }))),
    exists(() => clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: names.decisionsStream }))),
    exists(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: names.blockListTable }))),
    exists(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: names.leaseTable }))),
  ])
  const state = (found: boolean) => (found ? 'exists, reused as it is' : 'to create')
  const shards = request.transactionShards + request.decisionShards
  const fanOut = await fanOutPlan(clients, request, { [names.transactionsStream]: transactions, [names.decisionsStream]: decisions })
  const lines = [
    `Plan for AWS account ${identity.account} in ${request.region}${request.regionFrom ? ` (region from ${request.regionFrom})` : ''}, as ${identity.arn}${request.profile ? ` (profile ${request.profile})` : ''}:`,
    `  Kinesis stream ${names.transactionsStream}: ${request.transactionShards} provisioned shards (${state(transactions)})`,
    `  Kinesis stream ${names.decisionsStream}: ${request.decisionShards} provisioned shards (${state(decisions)})`,
    `  DynamoDB table ${names.blockListTable}, on-demand (${state(blockList)})`,
    `  DynamoDB table ${names.leaseTable}, on-demand (${state(leases)})`,
    `  SNS topic ${names.alertsTopic} (created if missing)`,
    `  SQS queue per run, subscribed to the topic to observe alerts (tagged, deleted when the run ends)`,
    ...fanOut.lines,
    `  What fraudlab creates is tagged ${MANAGED_TAG}=true and ${PREFIX_TAG}=${names.prefix}; \`fraudlab stack down --target aws --prefix ${names.prefix}\` deletes exactly that.`,
    'Cost drivers (us-east-1 list prices; check your region):',
    `  Kinesis: ${shards} shard-hours per hour at $0.015 = $${(shards * 0.015).toFixed(3)}/hour while the streams exist, plus $0.014 per million PUT payload units`,
    '  DynamoDB on-demand: $0.625 per million writes, $0.125 per million reads; no hourly charge',
    '  SNS: $0.50 per million publishes; no hourly charge',
    ...fanOut.cost,
  ]
  return lines.concat(capacityWarning(request))
}

function capacityWarning(request: AwsPreflightRequest): string[] {
  const capacity = request.offeredTps === undefined ? undefined : shardCapacityWarning(request.offeredTps, request.transactionShards)
  return capacity ? [`Warning: ${capacity}`] : []
}

/**
 * The consumers registered on the run's streams and those the run will register, with what they
 * cost: enhanced fan-out is billed per consumer-shard-hour while a consumer is registered, used or not.
 */
async function fanOutPlan(clients: AwsClients, request: AwsPreflightRequest, streamExists: Record<string, boolean>): Promise<{ lines: string[]; cost: string[] }> {
  const shardsOf: Record<string, number> = { [request.names.transactionsStream]: request.transactionShards, [request.names.decisionsStream]: request.decisionShards }
  const lines: string[] = []
  let consumerShards = 0
  for (const stream of Object.keys(shardsOf)) {
    let registered: Consumer[] = []
    try {
      registered = streamExists[stream] ? await listStreamConsumers(clients.kinesis, stream) : []
    } catch (error) {
      lines.push(`  Enhanced fan-out consumers on ${stream}: not listed (${errorName(error)}); the cost below counts only those the run registers`)
    }
    const wanted = (request.fanOutConsumers ?? []).filter((consumer) => consumer.stream === stream).map((consumer) => consumer.name)
    const toRegister = wanted.filter((name) => !registered.some((consumer) => consumer.ConsumerName === name))
    if (registered.length + toRegister.length === 0) continue
    consumerShards += (registered.length + toRegister.length) * shardsOf[stream]
    const described = [...registered.map((consumer) => `${consumer.ConsumerName} (${consumer.ConsumerStatus?.toLowerCase() ?? 'registered'}${wanted.includes(consumer.ConsumerName ?? '') ? ', reused' : ''})`), ...toRegister.map((name) => `${name} (to register)`)]
    lines.push(`  Enhanced fan-out consumers on ${stream}: ${described.join(', ')}`)
  }
  if (consumerShards === 0) return { lines, cost: [] }
  lines.push(`  Consumers fraudlab registers are tagged too: on your own streams a run deregisters its consumers when it ends; \`fraudlab stack down --target aws --prefix ${request.names.prefix}\` removes any left behind.`)
  const cost = [
    `  Enhanced fan-out: ${consumerShards} consumer-shard-hours per hour at $${FAN_OUT_CONSUMER_SHARD_HOUR_USD} = $${(consumerShards * FAN_OUT_CONSUMER_SHARD_HOUR_USD).toFixed(3)}/hour while registered (used or not), plus $${FAN_OUT_USD_PER_GB} per GB pushed`,
  ]
  return { lines, cost }
}

