import { KinesisClient } from '@aws-sdk/client-kinesis'
import type { AwsConnection } from '../aws/connection.js'

/** What the stream port's writer and reader call on a Kinesis client (tests stand in for it). */
export type KinesisDataClient = Pick<KinesisClient, 'send' | 'destroy'>

/** The Kinesis client for data calls, over the connection's HTTP/1.1 handler (see openAwsConnection). */
export function createKinesisClient(connection: AwsConnection): KinesisClient {
  return new KinesisClient(connection.clientConfig('kinesis'))
}
