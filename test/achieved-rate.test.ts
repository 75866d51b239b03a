import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RunLedger } from '../src/collector/run-ledger.js'
import { AckTimes } from '../src/metrics/ack-times.js'
import type { RunStatus } from '../src/report/run-summary.js'
import { Random } from '../src/util/random.js'
import { summaryOfLedger } from './report-fixtures.js'

const START = Date.UTC(2026, 11, 1, 12, 0, 0)
const LABEL = { isFraud: false, archetype: 'normal', attackId: '' }

/**
 * A run offering `tps` for `windowMs` whose backend acks each transaction when `ackAt` says (given
 * its index and scheduled time); the load stops at `stopAtMs` if that is sooner. Returns the
 * summary's status and achieved rate, and how many acks fell inside the offered window itself.
 */
function run(tps: number, windowMs: number, ackAt: (index: number, scheduledAt: number) => number, options: { stopAtMs?: number; status?: RunStatus } = {}) {
  const endsAtMs = START + windowMs
  const ledger = new RunLedger('r', 16, 1 << 12, START - 50, { offeredWindow: { endsAtMs } })
  const loadEndedAtMs = Math.min(endsAtMs, options.stopAtMs ?? Infinity)
  const acks: Array<{ index: number; at: number }> = []
  for (let index = 0; START + (index * 1000) / tps < loadEndedAtMs; index++) {
    const scheduledAt = START + (index * 1000) / tps
    ledger.recordEmitted(index, scheduledAt, LABEL)
    ledger.recordSent(index, scheduledAt + 1)
    acks.push({ index, at: ackAt(index, scheduledAt) })
  }
  acks.sort((a, b) => a.at - b.at).forEach(({ index, at }) => ledger.recordAcked(index, at))
  const summary = summaryOfLedger(ledger, {
    status: options.status ?? 'completed',
    startedAtMs: START - 1_000,
    endedAtMs: Math.max(...acks.map((a) => a.at)) + 1_000,
    loadStartedAtMs: START,
    loadEndedAtMs,
    offeredTps: tps,
    offeredWindowMs: windowMs,
  })
  return { status: summary.status, achievedTps: summary.throughput.achievedTps, ackedInsideWindow: acks.filter((a) => a.at <= endsAtMs).length, sent: acks.length }
}

describe('the achieved rate', () => {
  it('is the offered rate for a backend that keeps up, however slowly it acks', () => {
    // Acks 250 to 450 ms after the schedule, as moto's on a busy machine: the last 350 ms of a 5 s load are acked after it.
    const random = new Random(7)
    const result = run(200, 5_000, (_, scheduledAt) => random.uniform(scheduledAt + 250, scheduledAt + 450))
    assert.ok(result.ackedInsideWindow < 0.95 * result.sent, `the case this is about: ${result.ackedInsideWindow} of ${result.sent} acked inside the window`)
    // It misses the acks' mean distance from their median (50 ms of 5 s here: 2 a second), not their mean delay (350 ms: 14).
    assert.ok(result.achievedTps >= 197 && result.achievedTps <= 200, `achieved ${result.achievedTps}/s of 200`)
    assert.equal(result.status, 'completed')
  })

  it('is what the backend took when it falls behind, however the acks are shifted', () => {
    // A backend that takes 170 a second, in order: each ack waits for the one before it.
    let free = START
    const result = run(200, 5_000, (_, scheduledAt) => (free = Math.max(free, scheduledAt) + 1000 / 170))
    assert.ok(Math.abs(result.achievedTps - 170) <= 3, `achieved ${result.achievedTps}/s, the backend takes 170`)
    assert.equal(result.status, 'over-capacity')
  })

  it('covers the load that ran when it was stopped early, not the window it was offered', () => {
    const result = run(200, 10_000, (_, scheduledAt) => scheduledAt + 150, { stopAtMs: START + 4_000, status: 'interrupted' })
    assert.equal(result.sent, 800)
    assert.ok(Math.abs(result.achievedTps - 200) <= 2, `achieved ${result.achievedTps}/s over the 4 s that ran`)
    assert.equal(result.status, 'interrupted')
  })

  it('keeps counting in wider buckets over a long run, memory bounded', () => {
    const origin = START
    const acks = new AckTimes(origin)
    // Two hours at 10 acks a second, each 80 ms after its schedule: 720,000 ten-millisecond buckets' worth.
    for (let i = 0; i < 72_000; i++) acks.record(origin + i * 100 + 80, 80)
    assert.ok(Math.abs(acks.medianDelayMs - 80) < 0.1)
    // The first hour's load: its acks are the first 36,000, moved 80 ms later.
    assert.ok(Math.abs(acks.inWindow(origin, origin + 3_600_000) - 36_000) <= 2, String(acks.inWindow(origin, origin + 3_600_000)))
    assert.ok(Math.abs(acks.inWindow(origin + 3_600_000, origin + 3_630_000) - 300) <= 2)
  })
})
