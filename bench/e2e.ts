// End-to-end benchmark on the embedded stack: achieved throughput and latency at several offered
// rates, with the per-stage breakdown that shows where the time goes. Each rate gets a fresh stack
// with the shards a run picks for its rate (transactions by records, decisions by bytes: shards tx/dec).
// Kinesis' per-shard limits are on, as in a run; KINESIS_LIMITS=off lifts them (and polls every 50 ms).
// AGGREGATE=on writes transactions as KPL aggregates (--aggregate).
// CONSUMERS=polling,efo runs each rate with each way the scorer reads (--consumer), side by side;
// COLLECTOR_CONSUMER=efo has the collector read the decisions by enhanced fan-out too (--collector-consumer).
// SCORERS=1,2 runs each rate with each number of scorer processes sharing the shards (--scorers); the
// consumer column then says how many (efo/2), and the scorer's CPU is all of them together.
// Each process's CPU time per decided transaction (µs/tx) and peak resident memory are printed too:
// CPU per transaction is the figure that stays stable on a noisy machine. The CLI is this process
// (run with bin/run.js's heap flag);
// the scorer and emulators are read from /proc (CPU time, and VmHWM for the peak).
// "CPU busy %" is over the load alone (from its start to its last transaction handed over): the share of the
// machine's cores that fraudlab's processes used, then the share the whole machine was busy. Near
// 100%, every stage waits for a core: the latencies are this machine's, not the pipeline's.
//   npm run bench:e2e -- [durationSeconds] [rate,rate,...] [scenario]
import { DEFAULT_MODEL_PATH } from '../src/decision/load-score-model.js'
import { planRun } from '../src/run/run-plan.js'
import { simulate } from '../src/run/simulate-run.js'
import { tempDir } from '../test/helpers.js'
import { availableParallelism } from 'node:os'
import { machineCpuUs, processCpuUs, processPeakRssMb } from './process-stats.js'

const durationMs = Number(process.argv[2] ?? 15) * 1000
const rates = (process.argv[3] ?? '1000,2000,5000').split(',').map(Number)
const scenario = process.argv[4] ?? 'mixed'
const f = (value: number | null) => (value !== null && Number.isFinite(value) ? value.toFixed(1) : '—')

const kinesisLimits = process.env.KINESIS_LIMITS !== 'off'
const aggregate = process.env.AGGREGATE === 'on'
const consumers = (process.env.CONSUMERS ?? 'polling').split(',') as Array<'polling' | 'efo'>
const collectorConsumer = (process.env.COLLECTOR_CONSUMER ?? 'polling') as 'polling' | 'efo'
const scorerCounts = (process.env.SCORERS ?? '1').split(',').map(Number)
const scorersGiven = process.env.SCORERS !== undefined
const shardsUsed = (resources: unknown) => {
  const { transactionShards, decisionShards } = (resources ?? {}) as { transactionShards?: number; decisionShards?: number }
  return `${transactionShards ?? '?'}/${decisionShards ?? '?'}`
}
console.log(`fraudlab e2e benchmark: scenario ${scenario} on the embedded stack, ${durationMs / 1000}s per rate, Kinesis limits ${kinesisLimits ? 'on' : 'off'}${aggregate ? ', transactions aggregated' : ''}, node ${process.versions.node}`)
console.log('offered consumer shards  achieved  decided/s  ratio  dropped  lost  decision p50   p90    p99    max  observed p99 | p99 by stage: lag  put  propagation  scoring  actions  collection | CPU µs/tx: cli  scorer  kinesis  dynamodb  sns | CPU busy %: ours  machine | peak RSS MB: cli  scorer  kinesis  dynamodb  sns')

/** The last CPU reading and peak memory of each watched process, sampled until the run ends (a process may exit first). */
class CpuSampler {
  private readonly last = new Map<number, { name: string; us: number; peakRssMb: number }>()
  private readonly followed: Array<{ name: string; pid: () => number | undefined }> = []
  private readonly timer = setInterval(() => this.sample(), 100)
  /** Watches whatever process `pid` names at each sample (a restarted scorer is a new process). */
  follow(name: string, pid: () => number | undefined): void {
    this.followed.push({ name, pid })
    this.sample()
  }
  sample(): void {
    for (const { name, pid } of this.followed) {
      const current = pid()
      if (current !== undefined && !this.last.has(current)) this.last.set(current, { name, us: 0, peakRssMb: 0 })
    }
    for (const [pid, entry] of this.last) {
      entry.us = processCpuUs(pid) ?? entry.us
      entry.peakRssMb = processPeakRssMb(pid) ?? entry.peakRssMb
    }
  }
  /** CPU time of every watched process and of this one, and of the whole machine, now. */
  reading(): { atMs: number; oursUs: number; machine: { busyUs: number; totalUs: number } } {
    this.sample()
    const self = process.cpuUsage()
    let oursUs = self.user + self.system
    for (const { us } of this.last.values()) oursUs += us
    return { atMs: performance.now(), oursUs, machine: machineCpuUs() }
  }
  stop(): { cpuUs: Map<string, number>; peakRssMb: Map<string, number> } {
    clearInterval(this.timer)
    this.sample()
    const cpuUs = new Map<string, number>()
    const peakRssMb = new Map<string, number>()
    for (const { name, us, peakRssMb: rss } of this.last.values()) {
      cpuUs.set(name, (cpuUs.get(name) ?? 0) + us)
      peakRssMb.set(name, Math.max(peakRssMb.get(name) ?? 0, rss))
    }
    return { cpuUs, peakRssMb }
  }
}

for (const tps of rates) for (const consumer of consumers) for (const scorers of scorerCounts) {
  const sampler = new CpuSampler()
  const cliBefore = process.cpuUsage()
  const load: { start?: ReturnType<CpuSampler['reading']>; end?: ReturnType<CpuSampler['reading']> } = {}
  const { summary } = await simulate({
    hooks: {
      onLoadStarted: () => (load.start = sampler.reading()),
      onLoadEnded: () => (load.end = sampler.reading()),
      onTargetReady: (target) => target.ownedStack?.services.forEach((service) => sampler.follow(service.service, () => service.pid)),
      // Every scorer process counts as the scorer: CPU summed, the largest peak memory.
      onScorerStarted: (scorers) => scorers.members.forEach((member) => sampler.follow('scorer', () => member.pid)),
    },
    target: 'embedded',
    plan: planRun(scenario, { tps, durationMs, seed: 1 }),
    prefix: 'bench-',
    model: process.env.MODEL ?? DEFAULT_MODEL_PATH,
    yes: false,
    stateDir: tempDir('bench-state'),
    reportsDir: tempDir('bench-reports'),
    kinesisLimits,
    aggregate,
    consumer,
    scorers,
    collectorConsumer,
    maxLatenessMs: 1_000,
    pollIntervalMs: kinesisLimits ? 200 : 50,
    checkpointIntervalMs: 1_000,
    drainTimeoutMs: 120_000,
  })
  const cli = process.cpuUsage(cliBefore)
  const { cpuUs: cpu, peakRssMb } = sampler.stop()
  const perTx = (us: number | undefined) => (us === undefined ? '—' : (us / Math.max(1, summary.counts.decided)).toFixed(0))
  const busy = (() => {
    const { start, end } = load
    if (!start || !end) return '—  —'
    const coreUs = (end.atMs - start.atMs) * 1_000 * availableParallelism()
    const machine = (100 * (end.machine.busyUs - start.machine.busyUs)) / (end.machine.totalUs - start.machine.totalUs)
    return `${((100 * (end.oursUs - start.oursUs)) / coreUs).toFixed(0)}  ${machine.toFixed(0)}`
  })()
  const d = summary.latencyMs.decision
  const e = summary.latencyMs.endToEnd
  const s = summary.latencyMs.stages
  console.log(
    [
      String(tps).padStart(7),
      (scorersGiven ? `${consumer}/${scorers}` : consumer).padStart(8),
      shardsUsed(summary.diagnostics.resources).padStart(6),
      f(summary.throughput.achievedTps).padStart(9),
      f(summary.throughput.decidedTps).padStart(10),
      (summary.throughput.achievedTps / tps).toFixed(3).padStart(6),
      String(summary.counts.dropped).padStart(8),
      String(summary.counts.lost).padStart(5),
      f(d.p50).padStart(13),
      f(d.p90).padStart(6),
      f(d.p99).padStart(6),
      f(d.max).padStart(6),
      f(e.p99).padStart(13),
      '|',
      [s.generatorLag, s.put, s.propagation, s.scoring, s.actions, s.collection].map((l) => f(l.p99)).join('  '),
      '|',
      [cli.user + cli.system, cpu.get('scorer'), cpu.get('kinesis'), cpu.get('dynamodb'), cpu.get('sns')].map(perTx).join('  '),
      '|',
      busy,
      '|',
      [processPeakRssMb(process.pid), ...['scorer', 'kinesis', 'dynamodb', 'sns'].map((name) => peakRssMb.get(name))].map((mb) => String(mb ?? '—')).join('  '),
    ].join(' '),
  )
}
