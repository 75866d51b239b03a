import { KinesisClient } from '@aws-sdk/client-kinesis'
import { NodeHttp2Handler } from '@smithy/node-http-handler'
import { SILENT_SDK_LOGGER } from '../aws/lean-sdk-config.js'
import type { AwsClientConfig } from '../aws/connection.js'
import type { AwsEndpoints } from '../aws/endpoints.js'

/** What the stream port's writer and reader call on a Kinesis client (tests stand in for it). */
export type KinesisDataClient = Pick<KinesisClient, 'send' | 'destroy'>

/** The Kinesis client, over the connection's HTTP/1.1 handler (the SDK's HTTP/2 default fails against emulators). */
export function createKinesisClient(config: AwsClientConfig): KinesisClient {
  return new KinesisClient(config)
}

/**
 * The client for SubscribeToShard: HTTP/2, as enhanced fan-out requires (the embedded Kinesis
 * serves it on a port of its own). One session per endpoint carries every shard's subscription.
 */
export function createFanOutClient(endpoints: AwsEndpoints): KinesisClient {
  return new KinesisClient({
    region: endpoints.region,
    endpoint: endpoints.kinesisFanOut ?? endpoints.kinesis,
    credentials: endpoints.credentials,
    ...(endpoints.profile ? { profile: endpoints.profile } : {}),
    requestHandler: new NodeHttp2Handler({ requestTimeout: 0, sessionTimeout: 0 }),
    maxAttempts: 1,
    logger: SILENT_SDK_LOGGER,
  })
}
