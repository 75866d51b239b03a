import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { openAwsClients, type AwsClientSet } from '../aws/connection.js'
import type { AwsEndpoints } from '../aws/endpoints.js'
import { createKinesisClient } from '../stream/kinesis-client.js'

/** One client per service of a target, sharing one connection pool. */
export type AwsClients = AwsClientSet<KinesisClient>

export function createAwsClients(endpoints: AwsEndpoints, options: { maxSockets?: number; maxAttempts?: number } = {}): AwsClients {
  return openAwsClients(endpoints, createKinesisClient, options)
}
