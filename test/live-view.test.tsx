import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { render } from 'ink-testing-library'
import { LiveWindow } from '../src/collector/live-window.js'
import { RunLedger } from '../src/collector/run-ledger.js'
import { runOpenModel } from '../src/load/open-model-runner.js'
import { PauseGate } from '../src/load/pause-gate.js'
import { RateProfileSchedule, constantStretches } from '../src/load/arrival-schedule.js'
import { buildLiveStatus, type LiveStatus } from '../src/run/live-status.js'
import { liveKey } from '../src/tui/live-view-messages.js'
import { startLiveView } from '../src/tui/live-view-thread.js'
import { PassThrough, Writable } from 'node:stream'
import { LiveView } from '../src/tui/live-view.js'
import { sparkline } from '../src/tui/format.js'

/** A status as a real ledger produces it: 2,000 transactions, some fraud, some blocked, with reasons. */
function statusFixture(overrides: Partial<LiveStatus> = {}): LiveStatus {
  const origin = 1_700_000_000_000
  const ledger = new RunLedger('20261122-101010-abcd', 2_000, 1 << 12, origin, { live: new LiveWindow(5_000, origin) })
  const archetypes = ['card-testing', 'account-takeover', 'impossible-travel']
  for (let i = 0; i < 2_000; i++) {
    const at = origin + i * 5
    const fraud = i % 40 === 0
    const archetype = fraud ? archetypes[(i / 40) % 3] : 'normal'
    ledger.recordEmitted(i, at, { isFraud: fraud, archetype, attackId: fraud ? `a${i}` : '' })
    ledger.recordSent(i, at + 2)
    ledger.recordAcked(i, at + 6)
    const verdict = fraud || i % 500 === 7 || i === 1_995 ? 'block' : 'allow'
    ledger.recordDecision(
      {
        transactionId: ledger.transactionId(i),
        score: verdict === 'block' ? 0.97 : 0.01,
        verdict,
        reasons: verdict === 'block' ? ['share_of_balance=1.00', 'account_count_10m=7', 'new_device=1'] : [],
        modelVersion: 'm',
        scorerId: 's',
        timestamps: { arrivedAt: at + 6, fetchedAt: at + 30 + (i % 50), scoredAt: at + 32 + (i % 50), actedAt: at + 35 + (i % 50) },
      },
      at + 60 + (i % 90),
    )
  }
  const status = buildLiveStatus({
    ledger,
    command: 'simulate',
    title: 'mixed · constant 200/s',
    target: 'embedded stack on 127.0.0.1',
    seed: 42,
    phase: 'load',
    paused: false,
    stopping: false,
    startedAtMs: origin,
    nowMs: origin + 10_000,
    plannedMs: 30_000,
    expected: 6_000,
    offeredTps: 200,
    late: 3,
    scorerRestarts: 0,
    messages: ['run 20261122-101010-abcd: mixed on embedded stack'],
    producer: { requests: 10, recordsAcked: 2_000, recordsFailed: 0, throttled: 2, retried: 2, sdkRetries: 0, requestErrors: 0 },
  })
  return { ...status, lag: { millisBehindLatest: { 'shardId-000000000000': 0, 'shardId-000000000001': 1200 }, pending: 12 }, ...overrides }
}

const lines = (frame: string | undefined) => (frame ?? '').split('\n')
const widthOf = (line: string) => [...line].length

describe('live view', () => {
  it('a wide terminal: two columns, every panel, every stage, recent and overall latency', () => {
    const { lastFrame } = render(<LiveView status={statusFixture()} columns={160} rows={45} showHelp={false} />)
    const frame = lastFrame() ?? ''
    assert.match(frame, /fraudlab simulate · mixed · constant 200\/s · embedded stack on 127\.0\.0\.1 · seed 42 · run 20261122-101010-abcd/)
    assert.match(frame, /10s elapsed · 20s left · 2,000\/6,000 sent/)
    assert.ok(lines(frame).some((line) => /Throughput \/s/.test(line) && /Decisions/.test(line)), 'throughput and decisions side by side')
    for (const stage of ['end to end', 'generator lag', 'put', 'propagation', 'scoring', 'actions', 'collection']) assert.match(frame, new RegExp(`${stage}\\s+\\d`))
    assert.match(frame, /p99 \|\s+p50\s+p99/)
    assert.match(frame, /pending 12 · behind latest #0 0\.0ms {2}#1 1200ms/)
    assert.match(frame, /TP 50 {2}FP 5 {2}FN 0 {2}TN 1945/)
    assert.match(frame, /card-testing\s+recall 1\.000/)
    assert.match(frame, /✓ \S+ 0\.97 \w[\w-]* · share_of_balance=1\.00, account_count_10m=7/)
    assert.match(frame, /✗ \S+ 0\.97 genuine/)
    assert.match(frame, /throttled 2 · retried 2 · dropped 0 · late 3/)
    for (const line of lines(frame)) assert.ok(widthOf(line) <= 160, line)
  })

  it('a narrow, short terminal: one column, nothing wider than the terminal, nothing taller', () => {
    const { lastFrame } = render(<LiveView status={statusFixture()} columns={64} rows={30} showHelp={false} />)
    const frame = lastFrame() ?? ''
    assert.ok(!lines(frame).some((line) => /Throughput \/s/.test(line) && /Decisions/.test(line)), 'panels stacked')
    assert.match(frame, /Decisions/)
    assert.doesNotMatch(frame, /\| +p50/, 'no overall column when narrow')
    for (const line of lines(frame)) assert.ok(widthOf(line) <= 64, `${widthOf(line)}: ${line}`)
    assert.ok(lines(frame).length <= 30, `${lines(frame).length} lines`)
  })

  it('shows the state: paused, stopping, and the help', () => {
    assert.match(render(<LiveView status={statusFixture({ paused: true })} columns={120} rows={40} showHelp={false} />).lastFrame() ?? '', /PAUSED .* · p resume/s)
    assert.match(render(<LiveView status={statusFixture({ stopping: true })} columns={120} rows={40} showHelp={false} />).lastFrame() ?? '', /stopping/)
    const help = render(<LiveView status={statusFixture()} columns={120} rows={40} showHelp={true} />).lastFrame() ?? ''
    assert.match(help, /q or Ctrl-C\s+stop the load, drain, reconcile and write the report/)
    assert.match(help, /p\s+pause or resume the load/)
    assert.equal(render(<LiveView status={undefined} columns={120} rows={40} showHelp={false} />).lastFrame(), 'fraudlab: starting the stack and the scorer…')
  })

  it('keys: q and Ctrl-C stop, p pauses, ? toggles the help', () => {
    assert.deepEqual(['q', '\u0003', 'p', '?', 'x'].map(liveKey), ['stop', 'stop', 'pause', 'help', undefined])
  })

  it('renders in its own thread: frames follow published statuses, keys reach the run, close restores the terminal', async () => {
    let text = ''
    const terminal = Object.assign(new Writable({ write: (chunk: Buffer, _encoding, done) => void ((text += chunk.toString()), done()) }), { columns: 150, rows: 45, isTTY: true })
    let rawMode: boolean | undefined
    const keyboard = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (on: boolean) => void (rawMode = on) })
    const calls: string[] = []
    const view = startLiveView({ onStop: () => calls.push('stop'), onTogglePause: () => calls.push('pause'), stream: terminal as unknown as NodeJS.WriteStream, input: keyboard as unknown as NodeJS.ReadStream })
    assert.equal(rawMode, true)
    view.update(statusFixture())
    await until(() => /2,000\/6,000 sent/.test(text))
    view.update(statusFixture({ emitted: 2_500 }))
    await until(() => /2,500\/6,000 sent/.test(text))
    keyboard.write('p')
    keyboard.write('q')
    keyboard.write('?')
    await until(() => /show or hide this help/.test(text))
    assert.deepEqual(calls, ['pause', 'stop'])
    await view.close()
    assert.equal(rawMode, false)
  })
})

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('the live view’s inputs', () => {
  it('sparklines scale to the offered rate', () => {
    assert.equal(sparkline([0, 50, 100], 10, 100), '▁▅█')
    assert.equal(sparkline([1, 2, 3, 4], 2, 4), '▆█')
  })

  it('pausing the load emits nothing while paused, then shifts the schedule: nothing late, nothing dropped', async () => {
    let now = 0
    const gate = new PauseGate(() => now)
    const emitted: Array<[number, number]> = []
    const run = runOpenModel({
      schedule: new RateProfileSchedule(constantStretches(100, 1_000)), // every 10 ms for 1 s
      startAtMs: 0,
      now: () => now,
      wait: async (ms) => {
        now += Math.max(1, ms)
        if (now >= 300 && now < 320 && !gate.paused && emitted.length < 40) gate.toggle() // pause at 300 ms…
        if (now >= 2_300 && gate.paused) gate.toggle() // …for two seconds
        await Promise.resolve()
      },
      emit: (index, scheduledAtMs) => void emitted.push([index, scheduledAtMs]),
      drop: () => assert.fail('nothing may be dropped'),
      canEmit: () => true,
      maxLatenessMs: 1_000,
      pause: gate,
    })
    const result = await run
    assert.equal(result.emitted, 100)
    assert.equal(result.late, 0)
    const gap = emitted.findIndex(([, at], k) => k > 0 && at - emitted[k - 1][1] > 100)
    assert.ok(gap > 0, 'a pause in the schedule')
    assert.ok(emitted[gap][1] - emitted[gap - 1][1] >= 1_990, `the schedule shifted by the pause (${emitted[gap][1] - emitted[gap - 1][1]} ms)`)
  })
})
