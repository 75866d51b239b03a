import { Flags } from '@oclif/core'
import { TARGETS, type TargetName } from '../aws/endpoints.js'
import type { TargetSelection } from '../stack/targets.js'
import { DEFAULT_PREFIX, isValidPrefix, type UserResources } from '../stack/resource-names.js'
import { KCL_FAILOVER_MS } from '../stream/lease-coordinator.js'
import { defaultStateDir } from '../stack/state-file.js'
import { parseDurationMs } from '../util/duration.js'
import { DEFAULT_MODEL_PATH } from '../decision/load-score-model.js'
import { resolve } from 'node:path'

/** A flag value out of range or malformed; the CLI prints it as one line and exits 2. */
export class FlagValueError extends Error {
  override readonly name = 'FlagValueError'
}

/** A whole number within [min, max]; the error names the flag and the accepted range. */
export function integerFlag(options: { name: string; description: string; min: number; max: number; default?: number }) {
  return Flags.custom<number>({
    description: options.description,
    helpValue: '<n>',
    default: options.default,
    parse: async (input) => {
      const value = Number(input)
      if (!/^-?\d+$/.test(input.trim()) || value < options.min || value > options.max) {
        throw new FlagValueError(`--${options.name} must be a whole number from ${options.min} to ${options.max}; got "${input}"`)
      }
      return value
    },
  })()
}

/** A positive duration such as 500ms, 20s, 2m or 1h, parsed to milliseconds. */
export function durationFlag(options: { name: string; description: string; default?: string; maxMs?: number }) {
  return Flags.custom<number>({
    description: options.description,
    helpValue: '<duration>',
    default: options.default === undefined ? undefined : async () => parseDurationMs(options.default!)!,
    defaultHelp: async () => options.default,
    parse: async (input) => {
      const ms = parseDurationMs(input)
      if (ms === undefined) throw new FlagValueError(`--${options.name} must be a duration like 500ms, 20s, 2m or 1h; got "${input}"`)
      if (ms <= 0) throw new FlagValueError(`--${options.name} must be longer than zero; got "${input}"`)
      if (options.maxMs !== undefined && ms > options.maxMs) throw new FlagValueError(`--${options.name} must be at most ${options.maxMs / 1000}s; got "${input}"`)
      return ms
    },
  })()
}

/** Where the run talks to, the same three choices on every command. */
export const targetFlags = {
  target: Flags.string({
    description: 'Where the pipeline runs: embedded emulators (default), a running LocalStack, or real AWS.',
    options: [...TARGETS],
    default: 'embedded',
    helpGroup: 'TARGET',
  }),
  endpoint: Flags.string({ description: 'LocalStack endpoint (default: the LocalStack `stack up` started, else http://localhost:4566).', helpValue: '<url>', env: 'AWS_ENDPOINT_URL', helpGroup: 'TARGET' }),
  region: Flags.string({ description: 'AWS region (else AWS_DEFAULT_REGION, else the profile’s region in ~/.aws/config, as the AWS CLI finds it; us-east-1 for emulators).', helpValue: '<region>', env: 'AWS_REGION', helpGroup: 'TARGET' }),
  profile: Flags.string({ description: 'With --target aws: the profile of ~/.aws/config and ~/.aws/credentials whose credentials (and region, unless given) the run uses.', helpValue: '<name>', env: 'AWS_PROFILE', helpGroup: 'TARGET' }),
  prefix: Flags.custom<string>({
    description: 'Prefix of every stream, table and topic name.',
    default: DEFAULT_PREFIX,
    helpGroup: 'TARGET',
    parse: async (input) => {
      if (!isValidPrefix(input)) throw new FlagValueError(`--prefix may hold only letters, digits, '-', '_' and '.', at most 40; got "${input}"`)
      return input
    },
  })(),
  yes: Flags.boolean({ description: 'With --target aws: create or delete billable resources without asking.', default: false, helpGroup: 'TARGET' }),
  'state-dir': Flags.string({
    description: 'Where the embedded stack records its processes.',
    helpValue: '<dir>',
    env: 'FRAUDLAB_STATE_DIR',
    default: async () => defaultStateDir(),
    defaultHelp: async () => '.fraudlab',
    helpGroup: 'TARGET',
  }),
}

export const shardsFlag = integerFlag({ name: 'shards', description: 'Shards of the transactions and decisions streams.', min: 1, max: 64, default: 2 })

/** A decimal number within [min, max] (bounds inclusive unless `exclusiveMin`). */
export function numberFlag(options: { name: string; description: string; min: number; max: number; exclusiveMin?: boolean; default?: number }) {
  return Flags.custom<number>({
    description: options.description,
    helpValue: '<x>',
    default: options.default,
    parse: async (input) => {
      const value = Number(input)
      const tooLow = options.exclusiveMin ? value <= options.min : value < options.min
      if (input.trim() === '' || !Number.isFinite(value) || tooLow || value > options.max) {
        throw new FlagValueError(`--${options.name} must be a number from ${options.min}${options.exclusiveMin ? ' (exclusive)' : ''} to ${options.max}; got "${input}"`)
      }
      return value
    },
  })()
}

/** How fraudlab's scorer reads the transactions stream (a run's scorer, or `fraudlab scorer`). */
export const consumerFlag = Flags.string({
  description: "How fraudlab's scorer reads the transactions stream: polling (GetRecords, 5 calls a second per shard) or efo (enhanced fan-out: a registered stream consumer, SubscribeToShard over HTTP/2, records pushed about 70 ms after they arrive).",
  options: ['polling', 'efo'],
  default: 'polling',
})

/** KCL's failover time for the scorers' shard leases (a run's scorers, or `fraudlab scorer`). */
export const leaseFailoverFlag = durationFlag({
  name: 'lease-failover',
  description: "How long a scorer's shard lease may go unrenewed before another scorer of the group takes it (the Kinesis Client Library's failoverTimeMillis): a dead scorer's shards move after about this long.",
  default: `${KCL_FAILOVER_MS / 1000}s`,
  maxMs: 600_000,
})

/** The model the scorer serves: an ONNX file with its card, or `rules`. */
export const modelFlag = Flags.string({
  description: 'Model the scorer serves: an .onnx file with NAME.card.json beside it, or "rules" for the rules baseline.',
  default: DEFAULT_MODEL_PATH,
  defaultHelp: async () => 'models/default.onnx',
  helpValue: '<file.onnx|rules>',
  parse: async (input) => (input === 'rules' ? input : resolve(input)),
})

export const shadowModelFlag = Flags.string({
  description:
    'A challenger: a second model (an .onnx file with its card, or "rules") that scores every transaction from the same features and takes no action. The report sets its precision, recall, PR-AUC per archetype and call time beside the champion’s (--model).',
  helpValue: '<file.onnx|rules>',
  parse: async (input) => (input === 'rules' ? input : resolve(input)),
})

export const featuresLogFlag = Flags.string({
  description: 'Write the features the scorer computes for each transaction to this NDJSON file (for train/serve checks; slows scoring).',
  helpValue: '<file>',
  parse: async (input) => resolve(input),
})

/** The load a k6 test offers, from a scenario: shared by `k6 script` and `k6 run`. */
export const k6LoadFlags = {
  scenario: Flags.string({ description: 'Scenario name or file.', default: 'mixed', helpValue: '<name|path>' }),
  tps: integerFlag({ name: 'tps', description: "Transactions per second, constant (default: the scenario's profile).", min: 1, max: 100_000 }),
  duration: durationFlag({ name: 'duration', description: "How long (default: the scenario's).", maxMs: 24 * 3_600_000 }),
  seed: integerFlag({ name: 'seed', description: "Seed (default: the scenario's).", min: 0, max: 2 ** 32 - 1 }),
  batch: integerFlag({ name: 'batch', description: 'Transactions per request (1 sends single transactions).', min: 1, max: 1_000, default: 1 }),
}

/** Resources of the user's own, by name: fraudlab uses them as they are, never creates or deletes them. */
export const userResourceFlags = {
  'transactions-stream': Flags.string({ description: 'Use this existing Kinesis stream for transactions (never created or deleted by fraudlab; default: PREFIX + transactions).', helpValue: '<name>' }),
  'decisions-stream': Flags.string({ description: 'Use this existing Kinesis stream for decisions (never created or deleted by fraudlab).', helpValue: '<name>' }),
  'blocklist-table': Flags.string({ description: 'Use this existing DynamoDB table as the BlockList (keys account, transactionId; never created or deleted by fraudlab).', helpValue: '<name>' }),
  'alerts-topic': Flags.string({ description: 'Use this existing SNS topic (its name) for alerts (never created or deleted by fraudlab).', helpValue: '<name>' }),
}

export function userResourcesOf(flags: { 'transactions-stream'?: string; 'decisions-stream'?: string; 'blocklist-table'?: string; 'alerts-topic'?: string }): UserResources {
  return { transactionsStream: flags['transactions-stream'], decisionsStream: flags['decisions-stream'], blockListTable: flags['blocklist-table'], alertsTopic: flags['alerts-topic'] }
}

/** The target the shared target flags select, as every command that reaches one takes it. */
export function targetSelectionOf(flags: { target: string; endpoint?: string; region?: string; profile?: string; prefix: string; yes: boolean; 'state-dir': string }): TargetSelection {
  return { target: flags.target as TargetName, endpoint: flags.endpoint || undefined, region: flags.region || undefined, profile: flags.profile || undefined, prefix: flags.prefix, yes: flags.yes, stateDir: flags['state-dir'] }
}
