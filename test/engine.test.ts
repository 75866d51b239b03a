import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { RunLedger } from '../src/collector/run-ledger.js'
import { FeatureState } from '../src/features/transaction-features.js'
import { ConstantArrivalSchedule } from '../src/load/arrival-schedule.js'
import { runOpenModel } from '../src/load/open-model-runner.js'
import { accuracyFrom } from '../src/metrics/accuracy.js'
import { PaysimTakeoverScenario } from '../src/scenario/paysim-takeover.js'
import { TransactionSchema } from '../src/schema/transaction.js'
import { RulesScorer } from '../src/scorer/rules-scorer.js'
import { parseTransaction } from '../src/scorer/scorer-service.js'
import { parseDurationMs } from '../src/util/duration.js'

function generate(seed: number, count: number, idPrefix = 'tx') {
  const scenario = new PaysimTakeoverScenario({ seed, idPrefix })
  return Array.from({ length: count }, () => scenario.next())
}

function hashOf(seed: number, count: number): string {
  const hash = createHash('sha256')
  for (const { transaction, label } of generate(seed, count)) hash.update(JSON.stringify(transaction)).update(JSON.stringify(label))
  return hash.digest('hex')
}

describe('arrival schedule', () => {
  it('computes every offset from the start, at exactly 1000/rate ms apart', () => {
    const schedule = new ConstantArrivalSchedule(400, { durationMs: 2_000 })
    assert.equal(schedule.total, 800)
    assert.equal(schedule.offsetMs(0), 0)
    assert.equal(schedule.offsetMs(1), 2.5)
    assert.equal(schedule.offsetMs(799), 1997.5)
  })

  it('takes the smaller of count and duration, and refuses a non-positive rate', () => {
    assert.equal(new ConstantArrivalSchedule(100, { durationMs: 10_000, count: 50 }).total, 50)
    assert.throws(() => new ConstantArrivalSchedule(0, { count: 5 }), RangeError)
    assert.throws(() => new ConstantArrivalSchedule(-5, { count: 5 }), RangeError)
  })
})

describe('open-model runner (fake clock)', () => {
  it('emits each transaction at its scheduled time', async () => {
    let clock = 1_000
    const emitted: Array<[number, number, number]> = []
    await runOpenModel({
      schedule: new ConstantArrivalSchedule(100, { count: 5 }),
      startAtMs: 1_000,
      now: () => clock,
      wait: async (ms) => void (clock += Math.max(ms, 0.5)),
      canEmit: () => true,
      emit: (index, scheduledAt) => emitted.push([index, scheduledAt, clock]),
    })
    assert.deepEqual(
      emitted.map(([index, scheduledAt]) => [index, scheduledAt]),
      [[0, 1000], [1, 1010], [2, 1020], [3, 1030], [4, 1040]],
    )
    for (const [, scheduledAt, emittedAt] of emitted) assert.ok(emittedAt - scheduledAt < 1, 'no lateness when the sink keeps up')
  })

  it('keeps scheduled times when the sink is slow, so the lateness is measured', async () => {
    let clock = 0
    let busyUntil = 0
    const lateness: number[] = []
    const result = await runOpenModel({
      schedule: new ConstantArrivalSchedule(1_000, { count: 20 }),
      startAtMs: 0,
      now: () => clock,
      wait: async (ms) => void (clock += Math.max(ms, 1)),
      // the sink accepts one transaction every 5 ms: five times slower than offered
      canEmit: () => clock >= busyUntil,
      emit: (_index, scheduledAt) => {
        busyUntil = clock + 5
        lateness.push(clock - scheduledAt)
      },
    })
    assert.equal(result.emitted, 20)
    assert.ok(result.backpressureWaits > 0)
    assert.equal(lateness[0], 0)
    assert.ok(lateness[19] >= 70, `the last transaction is about 76 ms late, got ${lateness[19]}`)
    for (let i = 1; i < lateness.length; i++) assert.ok(lateness[i] >= lateness[i - 1], 'lateness accumulates, it is not hidden')
  })

  it('stops when its signal aborts', async () => {
    const controller = new AbortController()
    let clock = 0
    const result = await runOpenModel({
      schedule: new ConstantArrivalSchedule(100, { count: 100 }),
      startAtMs: 0,
      now: () => clock,
      wait: async (ms) => void (clock += Math.max(ms, 1)),
      canEmit: () => true,
      emit: (index) => index === 9 && controller.abort(),
      signal: controller.signal,
    })
    assert.equal(result.emitted, 10)
  })
})

describe('paysim-takeover scenario', () => {
  it('is deterministic: the same seed gives identical output, another seed differs', () => {
    assert.equal(hashOf(7, 5_000), hashOf(7, 5_000))
    assert.notEqual(hashOf(7, 5_000), hashOf(8, 5_000))
  })

  it('produces valid canonical transactions that carry no label', () => {
    for (const { transaction } of generate(1, 3_000)) {
      assert.ok(TransactionSchema.safeParse(transaction).success, JSON.stringify(transaction))
      for (const key of ['isFraud', 'archetype', 'attackId', 'label']) assert.ok(!(key in transaction))
    }
  })

  it('mixes in takeovers: TRANSFER of the whole balance to a new mule, then its CASH_OUT of the same amount', () => {
    const items = generate(3, 20_000)
    const fraud = items.filter((item) => item.label.isFraud)
    const share = fraud.length / items.length
    assert.ok(share > 0.005 && share < 0.02, `fraud share near 1%, got ${share}`)
    const byAttack = Map.groupBy(fraud, (item) => item.label.attackId)
    for (const [attackId, [transfer, cashOut]] of byAttack) {
      assert.equal(transfer.transaction.type, 'TRANSFER', attackId)
      assert.equal(transfer.transaction.balances?.originAfter, 0)
      assert.equal(transfer.transaction.amount, transfer.transaction.balances?.originBefore)
      assert.equal(cashOut.transaction.type, 'CASH_OUT')
      assert.equal(cashOut.transaction.account, transfer.transaction.counterparty)
      assert.equal(cashOut.transaction.amount, transfer.transaction.amount)
      assert.ok(cashOut.transaction.eventTime > transfer.transaction.eventTime)
    }
    const benignDrains = items.filter(
      ({ transaction: t, label }) => !label.isFraud && t.type === 'TRANSFER' && t.balances && t.balances.originBefore > 0 && t.amount === t.balances.originBefore,
    )
    assert.ok(benignDrains.length > 0, 'genuine customers also move their whole balance (a benign look-alike)')
  })

  it('numbers transactions with the id prefix in emission order', () => {
    const items = generate(5, 10, 'run1')
    assert.deepEqual(
      items.map((item) => item.transaction.id),
      Array.from({ length: 10 }, (_, i) => `run1-${i}`),
    )
  })
})

describe('features and rules', () => {
  it('marks unknown history as NaN, never 0', () => {
    const features = new FeatureState().observe(generate(2, 1)[0].transaction)
    assert.equal(features.accountTransactionCount, 0)
    assert.ok(Number.isNaN(features.accountMeanAmount))
    assert.ok(Number.isNaN(features.knownDevice))
  })

  it('blocks the takeover pair when the scorer sees the transfer before the cash-out', () => {
    const state = new FeatureState()
    const scorer = new RulesScorer()
    const items = generate(11, 5_000)
    const verdicts = items.map(({ transaction }) => scorer.score(transaction, state.observe(transaction)))
    const fraudIndexes = items.flatMap((item, i) => (item.label.isFraud ? [i] : []))
    assert.ok(fraudIndexes.length > 0)
    for (const i of fraudIndexes) assert.equal(verdicts[i].verdict, 'block', `${items[i].transaction.type} ${verdicts[i].reasons}`)
    const falsePositives = items.filter((item, i) => !item.label.isFraud && verdicts[i].verdict === 'block').length
    assert.ok(falsePositives / items.length < 0.02, 'blocks stay rare among genuine transactions')
  })

  it('refuses a stream record that carries labels or junk', () => {
    const transaction = generate(4, 1)[0].transaction
    assert.equal(parseTransaction(Buffer.from(JSON.stringify(transaction))).ok, true)
    const withLabel = parseTransaction(Buffer.from(JSON.stringify({ ...transaction, isFraud: 1 })))
    assert.equal(withLabel.ok, false)
    assert.equal(!withLabel.ok && withLabel.id, transaction.id)
    assert.equal(parseTransaction(Buffer.from('not json')).ok, false)
  })
})

describe('ledger and accuracy', () => {
  const decision = (transactionId: string, verdict: 'allow' | 'block') => ({
    transactionId,
    score: verdict === 'block' ? 0.9 : 0.1,
    verdict,
    reasons: [],
    modelVersion: 'test',
    scorerId: 'test',
    timestamps: { arrivedAt: 1, fetchedAt: 2, scoredAt: 3, actedAt: 4 },
  })

  it('joins decisions by id, counts duplicates once and ignores other runs', () => {
    const ledger = new RunLedger('r1', 3)
    for (let i = 0; i < 3; i++) {
      ledger.recordEmitted(i, i, { isFraud: i === 0, archetype: i === 0 ? 'account-takeover' : 'normal', attackId: i === 0 ? 'a' : '' })
      ledger.recordAcked(i, 10 + i)
    }
    ledger.recordDecision(decision('r1-0', 'block'), 20)
    ledger.recordDecision(decision('r1-0', 'block'), 21)
    ledger.recordDecision(decision('r2-1', 'allow'), 22)
    ledger.recordDecision(decision('r1-1', 'allow'), 23)
    assert.equal(ledger.decided, 2)
    assert.equal(ledger.duplicateDecisions, 1)
    assert.equal(ledger.foreignDecisions, 1)
    assert.equal(ledger.blocked, 1)
    assert.deepEqual(ledger.undecidedIds(), ['r1-2'])
  })

  it('computes precision, recall and F1, with NaN where undefined', () => {
    const a = accuracyFrom({ truePositives: 8, falsePositives: 2, trueNegatives: 88, falseNegatives: 2 })
    assert.equal(a.precision, 0.8)
    assert.equal(a.recall, 0.8)
    assert.ok(Math.abs(a.f1 - 0.8) < 1e-12)
    assert.ok(Number.isNaN(accuracyFrom({ truePositives: 0, falsePositives: 0, trueNegatives: 5, falseNegatives: 0 }).precision))
  })
})

describe('durations', () => {
  it('parses the units users type and rejects the rest', () => {
    assert.equal(parseDurationMs('500ms'), 500)
    assert.equal(parseDurationMs('20s'), 20_000)
    assert.equal(parseDurationMs('1m30s'), 90_000)
    assert.equal(parseDurationMs('2h'), 7_200_000)
    assert.equal(parseDurationMs('20'), undefined)
    assert.equal(parseDurationMs('-5s'), undefined)
  })
})
