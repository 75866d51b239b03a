/** Where the three AWS services of a target are, and how to authenticate against them. */
export interface AwsEndpoints {
  target: TargetName
  region: string
  /** Undefined for real AWS (the SDK's default endpoints). */
  kinesis?: string
  dynamodb?: string
  sns?: string
  /** Where SubscribeToShard goes over HTTP/2 when it is not `kinesis` (the embedded Kinesis serves it on its own port). */
  kinesisFanOut?: string
  /** LocalStack's (the embedded stack has no SQS: its SNS endpoint calls back over HTTP). */
  sqs?: string
  /** Static credentials for emulators; undefined means the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string }
  /** The shared-config profile the SDK's credential chain reads (--profile, else AWS_PROFILE, as the AWS CLI does). */
  profile?: string
}

export const TARGETS = ['embedded', 'localstack', 'aws'] as const
export type TargetName = (typeof TARGETS)[number]

/** Emulators accept any credentials; these are not secrets. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'fraudlab', secretAccessKey: 'fraudlab' }
