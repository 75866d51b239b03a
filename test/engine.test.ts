import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RunLedger } from '../src/collector/run-ledger.js'
import { FeatureEngine } from '../src/features/feature-engine.js'
import { F, FEATURE_COUNT } from '../src/features/feature-names.js'
import { tagHash } from '../src/features/tag-hash.js'
import type { Transaction } from '../src/schema/transaction.js'
import { accuracyFrom } from '../src/metrics/accuracy.js'
import { loadScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import { RulesScoreModel } from '../src/decision/rules-score-model.js'
import { parseTransaction } from '../src/decision/decision-step.js'
import { parseDurationMs } from '../src/util/duration.js'

function generate(seed: number, count: number, scenario = 'paysim-mule') {
  const simulator = new ScenarioSimulator(loadScenario(scenario).scenario, { seed })
  return Array.from({ length: count }, () => simulator.next())
}

describe('features and rules', () => {
  it('marks unknown history as NaN, never 0', () => {
    const row = new Float64Array(FEATURE_COUNT)
    new FeatureEngine().observe(generate(2, 1)[0].transaction, row)
    assert.equal(row[F.account_history_count], 0)
    assert.ok(Number.isNaN(row[F.account_amount_vs_mean]))
    assert.ok(Number.isNaN(row[F.account_seconds_since_previous]))
  })

  it('the rules baseline catches most PaySim mule chains while blocking few genuine transactions', async () => {
    const engine = new FeatureEngine()
    const scorer = new RulesScoreModel()
    const items = generate(11, 50_000)
    const rows = new Float64Array(items.length * FEATURE_COUNT)
    items.forEach(({ transaction }, i) => engine.observe(transaction, rows, i * FEATURE_COUNT))
    const scores = await scorer.scoreBatch(items.map((item) => item.transaction), rows)
    let caught = 0
    let fraud = 0
    let falseBlocks = 0
    items.forEach(({ label }, i) => {
      const blocked = scores[i].verdict === 'block'
      if (label.isFraud) {
        fraud++
        if (blocked) caught++
      } else if (blocked) falseBlocks++
    })
    assert.ok(fraud > 100)
    assert.ok(caught / fraud > 0.85, `recall ${caught / fraud}`)
    assert.ok(falseBlocks / (items.length - fraud) < 0.005, `false-positive rate ${falseBlocks / (items.length - fraud)}`)
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

  it('keeps in-flight timestamps in a ring that grows only while more are in flight, and memory flat otherwise', () => {
    const ledger = new RunLedger('r', 16, 8, 0)
    const label = { isFraud: false, archetype: 'normal', attackId: '' }
    // 20 in flight at once: the 8-slot ring must grow to keep every one timed
    for (let i = 0; i < 20; i++) {
      ledger.recordEmitted(i, i, label)
      ledger.recordSent(i, i + 1)
      ledger.recordAcked(i, i + 2)
    }
    for (let i = 0; i < 20; i++) ledger.recordDecision(decision(`r-${i}`, 'allow'), i + 10)
    assert.equal(ledger.untimedDecisions, 0)
    assert.equal(ledger.endToEnd.totalCount, 20)
    assert.equal(ledger.inFlightCapacity, 32)
    // scheduled at i, observed at i + 10: every end-to-end latency is 10 ms
    assert.ok(Math.abs(ledger.endToEnd.getValueAtPercentile(50) / 1000 - 10) < 0.01)
    assert.ok(Math.abs(ledger.stages.put.getValueAtPercentile(99) / 1000 - 1) < 0.01)
    const grown = ledger.memoryBytes
    // a million more, one in flight at a time: nothing but the seven bytes a transaction grows (state, archetype, verdict, float32 score)
    for (let i = 20; i < 1_000_020; i++) {
      ledger.recordEmitted(i, i, label)
      ledger.recordAcked(i, i + 1)
      ledger.recordDecision(decision(`r-${i}`, 'allow'), i + 2)
    }
    assert.equal(ledger.decided, 1_000_020)
    assert.ok(ledger.memoryBytes - grown <= 7 * 2 ** 20, `grew by ${ledger.memoryBytes - grown} bytes`)
    assert.equal(ledger.inFlightCapacity, 32)
  })

  it('measures decision latency (scheduled → acted) apart from the observed end to end, overall, per archetype and over time', () => {
    const origin = 1_700_000_000_000
    const ledger = new RunLedger('d', 8, 16, origin)
    const archetypes = ['normal', 'card-testing']
    for (let i = 0; i < 4; i++) {
      const scheduled = origin + i * 1_000
      ledger.recordEmitted(i, scheduled, { isFraud: i % 2 === 1, archetype: archetypes[i % 2], attackId: i % 2 ? 'a' : '' })
      ledger.recordSent(i, scheduled + 2)
      ledger.recordAcked(i, scheduled + 5)
      // acted 40 ms (normal) or 90 ms (card testing) after its time; the collector sees it 100 ms later still
      const acted = scheduled + (i % 2 ? 90 : 40)
      const base = decision(`d-${i}`, i % 2 ? 'block' : 'allow')
      ledger.recordDecision({ ...base, timestamps: { arrivedAt: scheduled + 6, fetchedAt: scheduled + 10, scoredAt: scheduled + 12, actedAt: acted } }, acted + 100)
    }
    const ms = (h: { getValueAtPercentile(p: number): number }, p: number) => h.getValueAtPercentile(p) / 1000
    assert.equal(ledger.decision.totalCount, 4)
    assert.ok(Math.abs(ms(ledger.decision, 25) - 40) < 0.1 && Math.abs(ms(ledger.decision, 100) - 90) < 0.1)
    assert.ok(Math.abs(ms(ledger.endToEnd, 100) - 190) < 0.2, 'observed end to end adds the collection')
    assert.ok(Math.abs(ms(ledger.stages.collection, 50) - 100) < 0.1)
    assert.ok(Math.abs(ms(ledger.decisionByArchetype[ledger.archetypes.indexOf('card-testing')], 50) - 90) < 0.1)
    const points = ledger.timeline.summarize().points.filter((p) => p.decision.count > 0)
    assert.deepEqual(points.map((p) => Math.round(p.decision.p50 ?? NaN)), [40, 90, 40, 90], 'the timeline holds decision latency')
  })

  it('lets a later block copy of a decision win and moves it in the confusion matrix', () => {
    const ledger = new RunLedger('r', 4)
    ledger.recordEmitted(0, 0, { isFraud: true, archetype: 'card-testing', attackId: 'a' })
    ledger.recordAcked(0, 1)
    ledger.recordDecision(decision('r-0', 'allow'), 2)
    assert.equal(ledger.confusion.falseNegatives, 1)
    ledger.recordDecision(decision('r-0', 'block'), 3)
    assert.equal(ledger.verdictChanges, 1)
    assert.equal(ledger.blocked, 1)
    assert.deepEqual(ledger.confusion, { truePositives: 1, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 })
    ledger.recordDecision(decision('r-0', 'allow'), 4)
    assert.equal(ledger.blocked, 1, 'a block is never undone')
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
    assert.equal(parseDurationMs('10d'), 864_000_000)
    assert.equal(parseDurationMs('20'), undefined)
    assert.equal(parseDurationMs('-5s'), undefined)
  })
})

describe('remembered values (merchants, devices, addresses, accounts) as hashes', () => {
  it('count each distinct value once, and tell values apart', () => {
    const engine = new FeatureEngine()
    const row = new Float64Array(FEATURE_COUNT)
    const start = Date.UTC(2025, 0, 1)
    const purchase = (minute: number, account: string, merchant: string, device: string, ip: string): Transaction => ({
      id: `t${minute}`,
      eventTime: start + minute * 60_000,
      account,
      counterparty: merchant,
      type: 'PURCHASE',
      amount: 20,
      currency: 'USD',
      channel: 'web',
      card: `card-of-${account}`,
      merchantCategory: '5411',
      device,
      ip,
    })
    const seen = (tx: Transaction) => {
      engine.observe(tx, row)
      return { merchants: row[F.card_distinct_merchants_1h], accounts: row[F.device_distinct_accounts_24h], devices: row[F.account_distinct_devices_24h], ips: row[F.account_distinct_ips_24h], newDevice: row[F.account_new_device] }
    }
    seen(purchase(0, 'A', 'M1', 'D1', '10.0.0.1'))
    seen(purchase(1, 'A', 'M2', 'D1', '10.0.0.1'))
    assert.deepEqual(seen(purchase(2, 'A', 'M1', 'D2', '10.0.0.2')), { merchants: 2, accounts: 1, devices: 2, ips: 2, newDevice: 1 })
    assert.deepEqual(seen(purchase(3, 'A', 'M3', 'D1', '10.0.0.1')), { merchants: 3, accounts: 1, devices: 2, ips: 2, newDevice: 0 })
    // Another account on the device: counted once however often it comes back.
    seen(purchase(4, 'B', 'M1', 'D1', '10.0.0.9'))
    assert.equal(seen(purchase(5, 'B', 'M1', 'D1', '10.0.0.9')).accounts, 2)
    assert.equal(row[F.device_accounts_seen], 2)
  })

  it('hashes a million distinct ids to a million distinct safe integers, the same each time', () => {
    const hashes = new Set<number>()
    for (let i = 0; i < 1_000_000; i++) {
      const hash = tagHash(`C${1_000_000_000 + i}`)
      assert.ok(Number.isSafeInteger(hash) && hash >= 0)
      hashes.add(hash)
    }
    assert.equal(hashes.size, 1_000_000)
    assert.equal(tagHash('D1fc7331'), tagHash(['D1fc', '7331'].join('')))
    assert.notEqual(tagHash('ab'), tagHash('ba'))
  })
})

describe('bounded feature state', () => {
  it('keeps recently used keys and never holds more than its capacity', async () => {
    const { BoundedMap } = await import('../src/util/bounded-map.js')
    const map = new BoundedMap<number, number>(1_000)
    for (let i = 0; i < 1_000; i++) map.set(i, i)
    map.get(0) // touched: survives the next eviction
    for (let i = 1_000; i < 1_600; i++) map.set(i, i)
    assert.ok(map.size <= 1_000)
    assert.equal(map.get(0), 0)
    assert.equal(map.get(1), undefined, 'an untouched old key was dropped')
    assert.equal(map.get(1_599), 1_599)
    // Many more distinct keys than it holds (PaySim's accounts): bounded, and evictions are counted.
    const big = new BoundedMap<string, number>(20_000)
    for (let i = 0; i < 200_000; i++) big.set(`C${i}`, i)
    assert.ok(big.size <= 20_000)
    assert.equal(big.evictions + big.size, 200_000)
  })

  it('claims a key once: a second claim, young or old, is refused and counts as a use', async () => {
    const { BoundedMap } = await import('../src/util/bounded-map.js')
    const map = new BoundedMap<string, boolean>(4)
    assert.equal(map.claim('a', true), true)
    assert.equal(map.claim('a', true), false)
    assert.equal(map.claim('b', true), true)
    // 'c' and 'd' fill a new young generation; 'a' and 'b' are old now.
    assert.equal(map.claim('c', true), true)
    assert.equal(map.claim('d', true), true)
    assert.equal(map.claim('a', false), false, 'an old key is still held')
    assert.equal(map.get('a'), true, 'and keeps its value')
    // Claiming old 'a' moved it up (starting a new generation): untouched 'b' is gone, 'a' stays.
    map.set('e', true)
    assert.equal(map.get('b'), undefined)
    assert.equal(map.get('a'), true)
    // set puts back the same object without a second entry; a new object replaces it.
    const objects = new BoundedMap<string, { n: number }>(10)
    const first = { n: 1 }
    objects.set('k', first)
    objects.set('k', first)
    assert.equal(objects.size, 1)
    objects.set('k', { n: 2 })
    assert.deepEqual(objects.get('k'), { n: 2 })
  })
})
