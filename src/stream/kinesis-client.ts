import { KinesisClient } from '@aws-sdk/client-kinesis'
import type { AwsClientConfig } from '../aws/connection.js'

/** What the stream port's writer and reader call on a Kinesis client (tests stand in for it). */
export type KinesisDataClient = Pick<KinesisClient, 'send' | 'destroy'>

/** The Kinesis client, over the connection's HTTP/1.1 handler (the SDK's HTTP/2 default fails against emulators). */
export function createKinesisClient(config: AwsClientConfig): KinesisClient {
  return new KinesisClient(config)
}
