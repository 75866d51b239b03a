import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { KinesisClient } from '@aws-sdk/client-kinesis'
import { SNSClient } from '@aws-sdk/client-sns'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { Agent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import type { AwsEndpoints } from '../aws/endpoints.js'

export interface AwsClients {
  kinesis: KinesisClient
  dynamodb: DynamoDBClient
  sns: SNSClient
  destroy(): void
}

/**
 * Unmodified SDK v3 clients for any target. All use the HTTP/1.1 NodeHttpHandler: the SDK's
 * HTTP/2 default for Kinesis fails against emulators, and keep-alive agents with enough sockets
 * matter more than anything else for throughput at thousands of records per second.
 */
export function createAwsClients(endpoints: AwsEndpoints, options: { maxSockets?: number; maxAttempts?: number } = {}): AwsClients {
  const httpAgent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 })
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 })
  const requestHandler = new NodeHttpHandler({ httpAgent, httpsAgent, connectionTimeout: 3_000, requestTimeout: 30_000 })
  const common = { region: endpoints.region, credentials: endpoints.credentials, requestHandler, maxAttempts: options.maxAttempts ?? 4 }
  const kinesis = new KinesisClient({ ...common, endpoint: endpoints.kinesis })
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb })
  const sns = new SNSClient({ ...common, endpoint: endpoints.sns })
  return {
    kinesis,
    dynamodb,
    sns,
    destroy() {
      kinesis.destroy()
      dynamodb.destroy()
      sns.destroy()
      httpAgent.destroy()
      httpsAgent.destroy()
    },
  }
}

/** Retries the SDK made inside one call (its own backoff on throttling and transient errors). */
export function sdkRetries(output: { $metadata?: { attempts?: number } }): number {
  return Math.max(0, (output.$metadata?.attempts ?? 1) - 1)
}
