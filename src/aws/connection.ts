import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { SNSClient } from '@aws-sdk/client-sns'
import { SQSClient } from '@aws-sdk/client-sqs'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { Agent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import type { Logger } from '@smithy/types'
import type { AwsEndpoints } from './endpoints.js'
import { SILENT_SDK_LOGGER } from './lean-sdk-config.js'

export type AwsService = 'kinesis' | 'dynamodb' | 'sns' | 'sqs'

export interface AwsClientConfig {
  region: string
  endpoint?: string
  credentials?: AwsEndpoints['credentials']
  requestHandler: NodeHttpHandler
  maxAttempts: number
  logger: Logger
}

/** What every SDK v3 client of one target shares: region, credentials and one HTTP/1.1 handler. */
export interface AwsConnection {
  readonly endpoints: AwsEndpoints
  clientConfig(service: AwsService): AwsClientConfig
  destroy(): void
}

/** One client per service of a target over one connection; `kinesis` is the caller's (see openAwsClients). */
export interface AwsClientSet<Kinesis> {
  kinesis: Kinesis
  dynamodb: DynamoDBClient
  sns: SNSClient
  /** Where alerts are observed on LocalStack and AWS (a queue subscribed to the alerts topic). */
  sqs: SQSClient
  destroy(): void
}

/**
 * Unmodified SDK v3 clients for any target all use the HTTP/1.1 NodeHttpHandler: the SDK's HTTP/2
 * default for Kinesis fails against emulators, and keep-alive agents with enough sockets matter
 * more than anything else for throughput at thousands of records per second.
 */
export function openAwsConnection(endpoints: AwsEndpoints, options: { maxSockets?: number; maxAttempts?: number } = {}): AwsConnection {
  const httpAgent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 })
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 })
  const requestHandler = new NodeHttpHandler({ httpAgent, httpsAgent, connectionTimeout: 3_000, requestTimeout: 30_000 })
  const maxAttempts = options.maxAttempts ?? 4
  return {
    endpoints,
    clientConfig: (service) => ({
      region: endpoints.region,
      endpoint: endpoints[service],
      credentials: endpoints.credentials,
      ...(endpoints.profile ? { profile: endpoints.profile } : {}),
      requestHandler,
      maxAttempts,
      logger: SILENT_SDK_LOGGER,
    }),
    destroy() {
      httpAgent.destroy()
      httpsAgent.destroy()
    },
  }
}

/**
 * The clients of a target. The Kinesis client is made by `kinesisFrom`: only the stream port and the
 * stack's control plane construct one, so that every Kinesis call goes through them.
 */
export function openAwsClients<Kinesis extends { destroy(): void }>(
  endpoints: AwsEndpoints,
  kinesisFrom: (config: AwsClientConfig) => Kinesis,
  options: { maxSockets?: number; maxAttempts?: number } = {},
): AwsClientSet<Kinesis> {
  const connection = openAwsConnection(endpoints, options)
  const kinesis = kinesisFrom(connection.clientConfig('kinesis'))
  const dynamodb = new DynamoDBClient(connection.clientConfig('dynamodb'))
  const sns = new SNSClient(connection.clientConfig('sns'))
  const sqs = new SQSClient(connection.clientConfig('sqs'))
  return {
    kinesis,
    dynamodb,
    sns,
    sqs,
    destroy() {
      kinesis.destroy()
      dynamodb.destroy()
      sns.destroy()
      sqs.destroy()
      connection.destroy()
    },
  }
}

/** Retries the SDK made inside one call (its own backoff on throttling and transient errors). */
export function sdkRetries(output: { $metadata?: { attempts?: number } }): number {
  return Math.max(0, (output.$metadata?.attempts ?? 1) - 1)
}
