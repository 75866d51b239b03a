import { UserError } from '../errors/user-error.js'
import { parseDurationMs } from '../util/duration.js'

/**
 * Faults a run injects (`--inject NAME=VALUE`, repeatable). Emulator faults are applied by the
 * embedded stack's fronts; the scorer crash by the run's scorer supervisor.
 */
export interface FaultPlan {
  /** Probability that Kinesis refuses a PutRecords record or a GetRecords call with ProvisionedThroughputExceededException. */
  kinesisThrottle: number
  /** Added to every Kinesis response, in milliseconds. */
  kinesisLatencyMs: number
  /** Probability that a DynamoDB data call is refused with ProvisionedThroughputExceededException. */
  dynamodbThrottle: number
  /** Probability that an SNS Publish fails (500 InternalError; a PublishBatch entry fails alone). */
  snsFail: number
  /** Kill the scorer process this often (it is restarted from its checkpoints). */
  scorerCrashEveryMs: number | undefined
  /** Enhanced fan-out subscriptions end this soon (AWS: 5 minutes), so that renewals are exercised. */
  efoLifetimeMs: number | undefined
  /** Enhanced fan-out pushes a record this long after it arrives (AWS: about 70 ms on average). */
  efoLatencyMs: number | undefined
}

export const NO_FAULTS: FaultPlan = { kinesisThrottle: 0, kinesisLatencyMs: 0, dynamodbThrottle: 0, snsFail: 0, scorerCrashEveryMs: undefined, efoLifetimeMs: undefined, efoLatencyMs: undefined }

export const FAULT_NAMES = ['kinesis.throttle', 'kinesis.latency', 'dynamodb.throttle', 'sns.fail', 'scorer.crash', 'efo.lifetime', 'efo.latency'] as const

const EXAMPLES = 'kinesis.throttle=0.05, kinesis.latency=50ms, dynamodb.throttle=0.02, sns.fail=0.01, scorer.crash=every:30s, efo.lifetime=10s, efo.latency=200ms'

export function parseFaultPlan(specs: readonly string[]): FaultPlan {
  const plan: FaultPlan = { ...NO_FAULTS }
  for (const spec of specs) {
    const match = /^([a-z0-9]+\.[a-z]+)=(.+)$/.exec(spec.trim())
    if (!match) throw new UserError(`--inject ${spec} is not NAME=VALUE.`, { hint: `For example: ${EXAMPLES}.` })
    const [, name, value] = match
    const probability = () => {
      const p = Number(value)
      if (!/^\d*\.?\d+$/.test(value) || !(p >= 0 && p <= 1)) throw new UserError(`--inject ${spec}: ${value} is not a probability.`, { hint: `Give a number from 0 to 1, as in ${name}=0.05.` })
      return p
    }
    const duration = (minMs: number, maxMs: number, what: string, hint: string) => {
      const ms = parseDurationMs(value)
      if (ms === undefined || ms < minMs || ms > maxMs) throw new UserError(`--inject ${spec}: ${value} is not ${what}.`, { hint })
      return ms
    }
    switch (name) {
      case 'kinesis.throttle':
        plan.kinesisThrottle = probability()
        break
      case 'dynamodb.throttle':
        plan.dynamodbThrottle = probability()
        break
      case 'sns.fail':
        plan.snsFail = probability()
        break
      case 'kinesis.latency':
        plan.kinesisLatencyMs = duration(0, 60_000, 'a latency up to 60s', 'Give a duration, as in kinesis.latency=50ms.')
        break
      case 'scorer.crash': {
        const ms = value.startsWith('every:') ? parseDurationMs(value.slice('every:'.length)) : undefined
        if (ms === undefined || ms < 1_000) throw new UserError(`--inject ${spec}: ${value} is not every:DURATION of at least 1s.`, { hint: 'As in scorer.crash=every:30s.' })
        plan.scorerCrashEveryMs = ms
        break
      }
      case 'efo.lifetime':
        plan.efoLifetimeMs = duration(500, 300_000, 'a lifetime from 500ms to 5m', 'As in efo.lifetime=10s (AWS ends a subscription after 5 minutes).')
        break
      case 'efo.latency':
        plan.efoLatencyMs = duration(0, 10_000, 'a latency up to 10s', 'As in efo.latency=200ms (AWS: about 70 ms on average).')
        break
      default:
        throw new UserError(`--inject ${spec}: there is no fault named ${name}.`, { hint: `Faults: ${FAULT_NAMES.join(', ')}; for example ${EXAMPLES}.` })
    }
  }
  return plan
}

/** Where an embedded emulator takes its faults (PUT) and reports what it injected (GET). */
export const CONTROL_PATH = '/__fraudlab/faults'

/** What an emulator front injected and enforced, as its control endpoint reports it. */
export interface FrontCounts {
  /** Records and calls refused by the per-shard limits (Kinesis). */
  limitThrottled: number
  /** Records, calls or publishes refused or failed by an injected fault. */
  injected: number
  /** Responses delayed by an injected latency. */
  delayed: number
}
