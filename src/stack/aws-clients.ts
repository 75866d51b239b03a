import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { SNSClient } from '@aws-sdk/client-sns'
import { openAwsConnection } from '../aws/connection.js'
import type { AwsEndpoints } from '../aws/endpoints.js'
import { createKinesisClient } from '../stream/kinesis-client.js'

/** One client per service of a target, sharing one connection pool. */
export interface AwsClients {
  kinesis: KinesisClient
  dynamodb: DynamoDBClient
  sns: SNSClient
  destroy(): void
}

export function createAwsClients(endpoints: AwsEndpoints, options: { maxSockets?: number; maxAttempts?: number } = {}): AwsClients {
  const connection = openAwsConnection(endpoints, options)
  const kinesis = createKinesisClient(connection)
  const dynamodb = new DynamoDBClient(connection.clientConfig('dynamodb'))
  const sns = new SNSClient(connection.clientConfig('sns'))
  return {
    kinesis,
    dynamodb,
    sns,
    destroy() {
      kinesis.destroy()
      dynamodb.destroy()
      sns.destroy()
      connection.destroy()
    },
  }
}
