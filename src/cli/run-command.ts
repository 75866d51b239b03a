import { Flags, type Interfaces } from '@oclif/core'
import type { RunSummary } from '../report/run-summary.js'
import { renderTerminalSummary } from '../report/terminal-summary.js'
import { parseThreshold, THRESHOLDS_CROSSED_EXIT_CODE } from '../report/thresholds.js'
import type { PipelineOptions } from '../run/pipeline-run.js'
import type { RunTelemetrySource } from '../run/run-telemetry.js'
import type { ReshardPlan } from '../run/reshard-step.js'
import type { Segment } from '../load/segment.js'
import { parseOutput, type OutputSpec } from '../telemetry/output-spec.js'
import { parseDurationMs } from '../util/duration.js'
import { EXIT_CODES } from '../errors/exit-codes.js'
import { PauseGate } from '../load/pause-gate.js'
import { nowMs } from '../util/clock.js'
import { parseFaultPlan } from '../stack/fault-plan.js'
import { assertFaultsSupported } from '../run/fault-injection.js'
import { assertExternalScorerFlags, checkOutputPaths } from '../run/check-run.js'
import type { ConsumerChoice, ObserveChoice, ScorerChoice } from '../run/start-pipeline.js'
import { FraudlabCommand } from './base-command.js'
import { consumerFlag, durationFlag, featuresLogFlag, FlagValueError, integerFlag, leaseFailoverFlag, modelFlag, shadowModelFlag, targetFlags, targetSelectionOf, userResourceFlags, userResourcesOf } from './flags.js'

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
/** Within this long of the first, the same stop signal again is taken as its copy (the wrapper forwards what the process group already got). */
const DUPLICATE_SIGNAL_MS = 250

/** The flags of every command that runs the pipeline, before their help groups (below). */
const runFlags = {
  'max-lateness': durationFlag({ name: 'max-lateness', description: 'Drop (and count) a transaction that cannot be sent this long after its time.', default: '1s', maxMs: 3_600_000 }),
  shards: integerFlag({
    name: 'shards',
    description: 'Shards of the transactions and decisions streams (default: on the embedded stack, enough for the offered rate at 80% of a shard: 1,000 records/s or 1 MiB/s, at least 2; decisions by bytes, at least 1; elsewhere 2).',
    min: 1,
    max: 64,
  }),
  ...targetFlags,
  'poll-interval': durationFlag({ name: 'poll-interval', description: 'Least time between two GetRecords calls on a shard (Kinesis allows 5 a second per shard: 200ms).', default: '200ms', maxMs: 60_000 }),
  'checkpoint-interval': durationFlag({ name: 'checkpoint-interval', description: "How often the scorer saves each shard's position.", default: '1s', maxMs: 3_600_000 }),
  'drain-timeout': durationFlag({ name: 'drain-timeout', description: 'How long to wait for the last decisions after the load ends.', default: '30s', maxMs: 3_600_000 }),
  threshold: Flags.string({
    description: 'Fail the command (exit 99, after writing the report) unless this holds: decision.p99<250ms, e2e.p99<500ms, recall>0.9, scenario:card-testing.recall>0.95, lost==0. Repeatable; adds to the scenario’s.',
    multiple: true,
    helpValue: '<metric op value>',
  }),
  inject: Flags.string({
    description: 'Inject a fault, counted in the report: kinesis.throttle=0.05, kinesis.latency=50ms, dynamodb.throttle=0.02, sns.fail=0.01 (embedded stack), scorer.crash=every:30s (any target). Repeatable.',
    multiple: true,
    helpValue: '<name=value>',
  }),
  'kinesis-limits': Flags.boolean({
    description: "Enforce Kinesis' per-shard limits in the embedded stack (1,000 records and 1 MiB a second written, 5 reads and 2 MiB a second read, per shard); --no-kinesis-limits lifts them.",
    default: true,
    allowNo: true,
  }),
  aggregate: Flags.boolean({
    description:
      "Write transactions packed in the Kinesis Producer Library's aggregated records (many per Kinesis record, bound for one shard), as KPL producers do; the consumer must de-aggregate (the KCL, Lambda and fraudlab's scorer do). Shards then bind by bytes, not records.",
    default: false,
  }),
  reshard: Flags.custom<ReshardPlan>({
    description:
      'Reshard the transactions stream during the load: AT:COUNT (20s:4) calls UpdateShardCount to COUNT open shards AT into the load (from half to double the shards, as Kinesis allows). Readers finish each closed shard before its children, so each account stays in order.',
    helpValue: '<at:count>',
    parse: async (input) => parseReshard(input),
  })(),
  segment: Flags.custom<Segment>({
    description:
      "This host's part of a run split across hosts, as k6's execution segments: i/n (1/2, 2/2) sends the transactions of the scenario's accounts in segment i of n, at about 1/n of the rate; run every segment at once on a shared stack (stack up, LocalStack or AWS) with the same flags, then `report merge` their reports.",
    helpValue: '<i/n>',
    parse: async (input) => parseSegment(input),
  })(),
  scorer: Flags.string({
    description: "Whose scorer consumes the transactions stream: fraudlab's own (started for the run), or external (yours, already running; fraudlab produces, observes its decisions and effects, and reconciles). See docs/scorer-contract.md.",
    options: ['fraudlab', 'external'],
    default: 'fraudlab',
  }),
  consumer: consumerFlag,
  scorers: integerFlag({
    name: 'scorers',
    description: "fraudlab's scorer processes, sharing the transactions stream's shards by lease (each supervised and restarted; --inject scorer.crash kills one of them at a time).",
    min: 1,
    max: 64,
    default: 1,
  }),
  'lease-failover': leaseFailoverFlag,
  'collector-consumer': Flags.string({
    description: "How fraudlab's collector reads the decisions stream, apart from the scorer: polling, or efo (a stream consumer of its own, records pushed). Decision latency does not depend on it; end-to-end latency and the collection stage do.",
    options: ['polling', 'efo'],
    default: 'polling',
  }),
  observe: Flags.string({
    description: "How fraudlab learns each decision: from the decisions stream, or from the effects alone (alerts and BlockList items are blocks; the rest is counted as allowed once the effects are quiet), for a scorer that writes no decisions stream.",
    options: ['decisions', 'effects'],
    default: 'decisions',
  }),
  ...userResourceFlags,
  model: modelFlag,
  'shadow-model': shadowModelFlag,
  'features-log': featuresLogFlag,
  'reports-dir': Flags.string({ description: 'Where run reports are written.', default: 'reports', helpValue: '<dir>' }),
  out: Flags.custom<OutputSpec>({
    description:
      "Send the run's metrics out while it runs, as k6's --out does: prometheus[=[HOST:]PORT] serves /metrics (default 127.0.0.1:9464), otlp[=URL] pushes to an OpenTelemetry Collector over OTLP/HTTP (default http://localhost:4318/v1/metrics). Repeatable. deploy/grafana-dashboard.json charts them.",
    multiple: true,
    helpValue: '<output[=where]>',
    parse: async (input) => {
      const spec = parseOutput(input.trim())
      if ('error' in spec) throw new FlagValueError(`--out ${spec.error}`)
      return spec
    },
  })(),
  ui: Flags.boolean({
    description: 'Show the live view on stderr (on by default on a terminal; off with --no-ui, --json or CI=true, which print a progress line every few seconds instead).',
    default: true,
    allowNo: true,
  }),
}

/** `--reshard AT:COUNT`: a duration into the load, and a shard count. */
function parseReshard(input: string): ReshardPlan {
  const match = /^([^:]+):(\d+)$/.exec(input.trim())
  const atMs = match ? parseDurationMs(match[1]) : undefined
  const shards = match ? Number(match[2]) : NaN
  if (atMs === undefined || atMs < 0 || !(shards >= 1 && shards <= 64)) {
    throw new FlagValueError(`--reshard must be AT:COUNT, a time into the load and a shard count from 1 to 64, like 20s:4; got "${input}"`)
  }
  return { atMs, shards }
}

/** `--segment i/n`: segment i (from 1) of n. */
function parseSegment(input: string): Segment {
  const match = /^(\d+)\/(\d+)$/.exec(input.trim())
  const index = Number(match?.[1])
  const count = Number(match?.[2])
  if (!match || !(count >= 1 && count <= 1_000) || !(index >= 1 && index <= count)) {
    throw new FlagValueError(`--segment must be i/n, segment i of n (1 ≤ i ≤ n ≤ 1000), like 1/2; got "${input}"`)
  }
  return { index, count }
}

/** `--help` lists the run's flags by topic. */
const RUN_FLAG_GROUPS: Partial<Record<keyof typeof runFlags, string>> = {
  'max-lateness': 'LOAD',
  segment: 'LOAD',
  'drain-timeout': 'LOAD',
  shards: 'STREAMS',
  'poll-interval': 'STREAMS',
  'checkpoint-interval': 'STREAMS',
  'kinesis-limits': 'STREAMS',
  aggregate: 'STREAMS',
  reshard: 'STREAMS',
  scorer: 'SCORER',
  consumer: 'SCORER',
  scorers: 'SCORER',
  'lease-failover': 'SCORER',
  model: 'SCORER',
  'shadow-model': 'SCORER',
  'features-log': 'SCORER',
  'collector-consumer': 'OBSERVING',
  observe: 'OBSERVING',
  inject: 'FAULTS',
  threshold: 'REPORT',
  'reports-dir': 'REPORT',
  out: 'REPORT',
  ui: 'REPORT',
}
/**
 * The flags of every command that runs the pipeline (simulate, replay), each in its help group.
 * Copies: the flags shared with other commands (--consumer, --model…) are left as they are.
 */
export const pipelineFlags = Object.fromEntries(
  Object.entries(runFlags).map(([name, flag]) => [name, { ...flag, helpGroup: RUN_FLAG_GROUPS[name as keyof typeof runFlags] ?? flag.helpGroup }]),
) as typeof runFlags

type PipelineFlagValues = Interfaces.InferredFlags<typeof pipelineFlags>

export type PipelineSettings = Pick<
  PipelineOptions,
  'target' | 'endpoint' | 'region' | 'prefix' | 'yes' | 'stateDir' | 'reportsDir' | 'scorer' | 'observe' | 'consumer' | 'scorers' | 'leaseFailoverMs' | 'collectorConsumer' | 'userResources' | 'faults' | 'kinesisLimits' | 'aggregate' | 'reshard' | 'segment' | 'model' | 'shadowModel' | 'featuresLogPath' | 'thresholds' | 'shards' | 'maxLatenessMs' | 'pollIntervalMs' | 'checkpointIntervalMs' | 'drainTimeoutMs' | 'interrupt' | 'hardStop' | 'log' | 'onStatus' | 'onTelemetry' | 'pause'
>

/**
 * A command that runs the pipeline: it turns the shared flags into settings, stops gracefully on
 * Ctrl-C (the first drains and still writes the report, the second skips the drain), and ends
 * in the same way: the summary on stdout (returned, so --json prints it alone), the error on stderr, exit 1 if it failed.
 */
export abstract class PipelineCommand extends FraudlabCommand {
  static override enableJsonFlag = true

  /** What a dry run checks of the run's own flags, so that a plan that prints is a plan that starts. */
  protected async checkRunFlags(flags: Pick<PipelineFlagValues, 'inject' | 'threshold' | 'target' | 'reports-dir' | 'features-log' | 'scorer' | 'scorers' | 'shadow-model'>): Promise<void> {
    for (const threshold of flags.threshold ?? []) parseThreshold(threshold, 'flag')
    const faultPlan = parseFaultPlan(flags.inject ?? [])
    assertFaultsSupported(flags.target, faultPlan)
    if (flags.scorer === 'external') assertExternalScorerFlags({ shadowModel: flags['shadow-model'], featuresLogPath: flags['features-log'], scorers: flags.scorers }, faultPlan)
    await checkOutputPaths({ reportsDir: flags['reports-dir'], featuresLogPath: flags['features-log'] })
  }

  /** The live view runs on a terminal unless --no-ui, --json or CI=true. */
  protected wantsLiveView(flags: Pick<PipelineFlagValues, 'ui'>): boolean {
    return flags.ui && !this.jsonEnabled() && process.stderr.isTTY === true && process.env.CI !== 'true'
  }

  protected async runPipelineCommand(flags: PipelineFlagValues, run: (settings: PipelineSettings) => Promise<{ summary: RunSummary; reportDir: string }>): Promise<RunSummary> {
    const interrupt = new AbortController()
    const hardStop = new AbortController()
    const liveView = this.wantsLiveView(flags)
    let firstSignalAt = -Infinity
    // Ctrl-C, SIGTERM (docker stop, a cancelled CI job, systemd) and SIGHUP (a closed terminal) all stop the same way.
    const onStopSignal = () => {
      // A copy of the same signal, forwarded by the Node-version wrapper to its child, is not a second Ctrl-C.
      if (nowMs() - firstSignalAt < DUPLICATE_SIGNAL_MS) return
      if (!interrupt.signal.aborted) {
        firstSignalAt = nowMs()
        // The live view says "stopping" itself; a line written under it would tear its frame.
        if (!liveView) this.progress('Stopping the load; draining and writing the report (Ctrl-C again to skip the drain).')
        interrupt.abort()
      } else hardStop.abort()
    }
    const thresholds = (flags.threshold ?? []).map((t) => parseThreshold(t, 'flag'))
    const faults = { plan: parseFaultPlan(flags.inject ?? []), specs: flags.inject ?? [] }
    for (const signal of STOP_SIGNALS) process.on(signal, onStopSignal)
    const pause = new PauseGate(nowMs)
    // The view takes over the terminal (stdin in raw mode: Ctrl-C arrives as a key, handled like q).
    // Loaded only when shown: Ink and React stay out of --json and CI runs.
    const view = liveView ? (await import('../tui/live-view-thread.js')).startLiveView({ onStop: onStopSignal, onTogglePause: () => pause.toggle() }) : undefined
    // The exporters (prom-client, the OpenTelemetry SDK) load only for a run that asks for them.
    const outputs = flags.out?.length ? await (await import('../telemetry/run-outputs.js')).RunOutputs.start(flags.out, (line) => this.progress(line)) : undefined
    let viewClosed = false
    const closeView = async () => {
      if (view && !viewClosed) {
        viewClosed = true
        await view.close()
      }
    }
    try {
      const { summary, reportDir } = await run({
        ...targetSelectionOf(flags),
        reportsDir: flags['reports-dir'],
        scorer: flags.scorer as ScorerChoice,
        observe: flags.observe as ObserveChoice,
        consumer: flags.consumer as ConsumerChoice,
        scorers: flags.scorers,
        leaseFailoverMs: flags['lease-failover'],
        collectorConsumer: flags['collector-consumer'] as ConsumerChoice,
        userResources: userResourcesOf(flags),
        faults,
        kinesisLimits: flags['kinesis-limits'],
        aggregate: flags.aggregate,
        reshard: flags.reshard,
        segment: flags.segment,
        model: flags.model,
        shadowModel: flags['shadow-model'],
        featuresLogPath: flags['features-log'],
        thresholds,
        shards: flags.shards,
        maxLatenessMs: flags['max-lateness'],
        pollIntervalMs: flags['poll-interval'],
        checkpointIntervalMs: flags['checkpoint-interval'],
        drainTimeoutMs: flags['drain-timeout'],
        interrupt: interrupt.signal,
        hardStop: hardStop.signal,
        // With the view on, log lines appear in it (its messages); writing them would tear its frame.
        log: view ? () => {} : (line) => this.progress(line),
        ...(view ? { onStatus: (status) => view.update(status), pause } : {}),
        ...(outputs ? { onTelemetry: (source: RunTelemetrySource) => outputs.attach(source) } : {}),
      })
      await outputs?.finish((line) => this.progress(line))
      await closeView()
      if (summary.status === 'failed') this.progress(`Error: ${summary.error}`)
      this.log(renderTerminalSummary(summary, reportDir))
      // A stopped run's thresholds judge part of a load: the stop is what its exit says.
      if (summary.status === 'failed' || !summary.reconciliation.ok) process.exitCode = EXIT_CODES.runFailed
      else if (summary.status === 'interrupted') process.exitCode = EXIT_CODES.interrupted
      else if (summary.thresholds.some((t) => !t.ok)) process.exitCode = THRESHOLDS_CROSSED_EXIT_CODE
      return summary
    } finally {
      await outputs?.finish(() => {})
      await closeView()
      for (const signal of STOP_SIGNALS) process.off(signal, onStopSignal)
    }
  }
}
