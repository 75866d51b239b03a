import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  constantStretches,
  EventTimeSchedule,
  rampingStretches,
  RateProfileSchedule,
  spikeStretches,
  truncateStretches,
  type ArrivalSchedule,
} from '../src/load/arrival-schedule.js'
import { runOpenModel } from '../src/load/open-model-runner.js'
import { Random } from '../src/util/random.js'

function drain(schedule: ArrivalSchedule): number[] {
  const offsets: number[] = []
  for (let offset = schedule.next(); offset !== undefined; offset = schedule.next()) offsets.push(offset)
  return offsets
}

const close = (actual: number, expected: number, tolerance = 1e-6) => assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} ≉ ${expected}`)

describe('arrival schedules', () => {
  it('constant: exactly 1000/rate ms apart, from the start', () => {
    const offsets = drain(new RateProfileSchedule(constantStretches(400, 2_000)))
    assert.equal(offsets.length, 800)
    assert.deepEqual(offsets.slice(0, 4), [0, 2.5, 5, 7.5])
    close(offsets[799], 1997.5)
  })

  it('ramping: the k-th arrival where the expected count reaches k', () => {
    // 0 → 10/s over 2 s (N(t) = 2.5 t²), then 10/s for 1 s
    const schedule = new RateProfileSchedule(rampingStretches(0, [{ target: 10, durationMs: 2_000 }, { target: 10, durationMs: 1_000 }]))
    const offsets = drain(schedule)
    assert.equal(schedule.expectedTotal, 20)
    assert.equal(offsets.length, 20)
    for (let k = 0; k < 10; k++) close(offsets[k], Math.sqrt(k / 2.5) * 1000)
    for (let k = 10; k < 20; k++) close(offsets[k], 2_000 + (k - 10) * 100)
  })

  it('ramping down and spikes keep exact counts', () => {
    const down = drain(new RateProfileSchedule(rampingStretches(100, [{ target: 0, durationMs: 1_000 }])))
    assert.equal(down.length, 50)
    for (let i = 1; i < down.length; i++) assert.ok(down[i] - down[i - 1] > down[i - 1] - (down[i - 2] ?? 0) - 1e-9, 'gaps widen as the rate falls')
    const spike = drain(new RateProfileSchedule(spikeStretches(10, 1_000, 1_000, 500, 3_000)))
    assert.equal(spike.length, 10 + 500 + 15)
    assert.equal(spike.filter((o) => o >= 1_000 && o < 1_500).length, 500)
  })

  it('Poisson: same mean rate, exponential gaps, reproducible from the seed', () => {
    const a = drain(new RateProfileSchedule(constantStretches(1_000, 20_000), { poisson: new Random(5) }))
    const b = drain(new RateProfileSchedule(constantStretches(1_000, 20_000), { poisson: new Random(5) }))
    assert.deepEqual(a, b)
    assert.ok(Math.abs(a.length - 20_000) < 600, `about 20,000 arrivals, got ${a.length}`)
    const gaps = a.slice(1).map((o, i) => o - a[i])
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length
    const variance = gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length
    close(mean, 1, 0.03)
    close(Math.sqrt(variance) / mean, 1, 0.05) // an exponential's coefficient of variation is 1
  })

  it('count limits and truncation stop the profile early', () => {
    assert.equal(drain(new RateProfileSchedule(constantStretches(100, 10_000), { maxCount: 7 })).length, 7)
    const cut = truncateStretches(rampingStretches(0, [{ target: 100, durationMs: 10_000 }]), 5_000)
    assert.equal(cut.length, 1)
    close(cut[0].endRate, 50)
  })

  it('event-time: each transaction at its event time divided by the scale', () => {
    const eventTimes = [0, 86_400_000, 172_800_000, 40 * 86_400_000]
    let i = 0
    const schedule = new EventTimeSchedule(() => eventTimes[i] ?? Infinity, 0, 86_400, 30_000, { naturalRatePerEventSec: 1 })
    const offsets: number[] = []
    // the runner takes the transaction (i++) before asking for the next arrival
    for (let o = schedule.next(); o !== undefined; i++, o = schedule.next()) offsets.push(o)
    assert.deepEqual(offsets, [0, 1_000, 2_000])
  })
})

describe('open-model runner (fake clock)', () => {
  const fakeClock = () => {
    let now = 0
    return { now: () => now, wait: async (ms: number) => void (now += Math.max(ms, 1)), advance: (ms: number) => (now += ms) }
  }

  it('emits each transaction at its scheduled time when the sink keeps up', async () => {
    const clock = fakeClock()
    const emitted: Array<[number, number]> = []
    const result = await runOpenModel({
      schedule: new RateProfileSchedule(constantStretches(100, 50)),
      startAtMs: 0,
      now: clock.now,
      wait: clock.wait,
      canEmit: () => true,
      maxLatenessMs: 1_000,
      emit: (index, scheduledAt) => emitted.push([index, scheduledAt]),
      drop: () => assert.fail('nothing is dropped'),
    })
    assert.deepEqual(emitted, [[0, 0], [1, 10], [2, 20], [3, 30], [4, 40]])
    assert.deepEqual(result, { emitted: 5, dropped: 0, late: 0, backpressureWaits: 0 })
  })

  it('counts late and dropped transactions when the sink is slow, and never queues them', async () => {
    const clock = fakeClock()
    let busyUntil = 0
    const lateness: number[] = []
    const dropped: number[] = []
    const result = await runOpenModel({
      schedule: new RateProfileSchedule(constantStretches(1_000, 100)),
      startAtMs: 0,
      now: clock.now,
      wait: clock.wait,
      // the sink takes one transaction every 5 ms: five times slower than offered
      canEmit: () => clock.now() >= busyUntil,
      emit: (_index, scheduledAt) => {
        busyUntil = clock.now() + 5
        lateness.push(clock.now() - scheduledAt)
      },
      drop: (index) => dropped.push(index),
      maxLatenessMs: 30,
      lateThresholdMs: 10,
    })
    assert.equal(result.emitted + result.dropped, 100, 'every transaction is either sent or counted as dropped')
    assert.equal(result.dropped, dropped.length)
    assert.ok(result.dropped > 50, `most are dropped, got ${result.dropped}`)
    assert.equal(result.late, lateness.filter((l) => l > 10).length)
    assert.ok(result.late > 0)
    assert.ok(Math.max(...lateness) <= 30, 'nothing is sent later than --max-lateness')
    assert.deepEqual([...dropped].sort((a, b) => a - b), dropped, 'drops happen in schedule order')
  })

  it('stops when its signal aborts', async () => {
    const clock = fakeClock()
    const controller = new AbortController()
    const result = await runOpenModel({
      schedule: new RateProfileSchedule(constantStretches(100, 10_000)),
      startAtMs: 0,
      now: clock.now,
      wait: clock.wait,
      canEmit: () => true,
      maxLatenessMs: 1_000,
      emit: (index) => void (index === 9 && controller.abort()),
      drop: () => undefined,
      signal: controller.signal,
    })
    assert.equal(result.emitted, 10)
  })
})

describe('event-time schedule with unsorted input', () => {
  it('sends an earlier event straight after what came before it, never in the past', () => {
    const eventTimes = [0, 10_000, 5_000, 20_000]
    let i = 0
    const schedule = new EventTimeSchedule(() => eventTimes[i] ?? Infinity, 0, 10, Infinity, { naturalRatePerEventSec: 1 })
    const offsets: number[] = []
    for (let o = schedule.next(); o !== undefined && i < eventTimes.length; i++, o = schedule.next()) offsets.push(o)
    assert.deepEqual(offsets, [0, 1_000, 1_000, 2_000])
  })
})
