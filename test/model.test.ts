import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { exportLabelled } from '../src/export/labelled-export.js'
import { FeatureEngine } from '../src/features/feature-engine.js'
import { F, FEATURE_COUNT, FEATURE_NAMES } from '../src/features/feature-names.js'
import { FeatureMatrixBuilder } from '../src/model/feature-matrix.js'
import { sharedTrainingArraysFor, trainGbt } from '../src/model/gbt-trainer.js'
import { TrainingThreads } from '../src/model/training-threads.js'
import type { Tree } from '../src/model/tree-ensemble.js'
import { chooseThreshold, prAuc } from '../src/metrics/score-ranking.js'
import { Random } from '../src/util/random.js'
import { cardPathFor, type ModelCard } from '../src/model/model-card.js'
import { encodeOnnxModel } from '../src/model/onnx/onnx-builder.js'
import { trainModel } from '../src/model/train-model.js'
import { LookaheadSource } from '../src/scenario/lookahead-source.js'
import { loadScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import type { Transaction } from '../src/schema/transaction.js'
import { OnnxScoreModel } from '../src/decision/onnx-score-model.js'
import { runCli, tempDir } from './helpers.js'

const T0 = Date.UTC(2026, 0, 1)
const MINUTE = 60_000
const HOUR = 60 * MINUTE
let sequence = 0
function tx(overrides: Partial<Transaction>): Transaction {
  return { id: `t${sequence++}`, eventTime: T0, account: 'A1', counterparty: 'M1', type: 'PURCHASE', amount: 10, currency: 'EUR', channel: 'web', ...overrides }
}

function featuresOf(engine: FeatureEngine, transaction: Transaction): Float64Array {
  const row = new Float64Array(FEATURE_COUNT)
  engine.observe(transaction, row)
  return row
}

describe('feature engine', () => {
  it('counts and sums over sliding event-time windows, from the state before the transaction', () => {
    const engine = new FeatureEngine()
    const times = [0, 5, 30, 200, 1_500] // minutes
    let last: Float64Array = new Float64Array(0)
    for (const minute of times) last = featuresOf(engine, tx({ eventTime: T0 + minute * MINUTE, amount: 10 + minute }))
    const now = featuresOf(engine, tx({ eventTime: T0 + 1_505 * MINUTE, amount: 99 }))
    // Before the 6th transaction: events at 0, 5, 30, 200, 1500 minutes; now = 1505.
    assert.equal(now[F.account_count_10m], 1)
    assert.equal(now[F.account_count_1h], 1)
    assert.equal(now[F.account_count_24h], 2) // since minute 1505 − 1440 = 65: the events at 200 and 1500
    assert.equal(now[F.account_amount_24h], 210 + 1_510)
    assert.equal(now[F.account_history_count], 5)
    assert.equal(now[F.account_seconds_since_previous], 5 * 60)
    assert.equal(last[F.account_count_10m], 0)
  })

  it('keeps missing values NaN and balance features PaySim-style', () => {
    const row = featuresOf(new FeatureEngine(), tx({ type: 'TRANSFER', amount: 500, channel: 'mobile', balances: { originBefore: 500, originAfter: 0, destinationBefore: 0, destinationAfter: 0 } }))
    assert.ok(Number.isNaN(row[F.account_age_days]))
    assert.ok(Number.isNaN(row[F.account_new_device]))
    assert.ok(Number.isNaN(row[F.auth_declined]))
    assert.ok(Number.isNaN(row[F.card_count_1h]))
    assert.equal(row[F.balance_error_origin], 0) // 0 + 500 − 500
    assert.equal(row[F.balance_error_destination], 500) // 0 + 500 − 0: the money vanished, as in PaySim frauds
    assert.equal(row[F.empties_account], 1)
    assert.equal(row[F.share_of_balance], 1)
    assert.equal(row[F.destination_after_zero], 1)
  })

  it('measures card-present geo speed with haversine and flags new devices and IPs', () => {
    const engine = new FeatureEngine()
    featuresOf(engine, tx({ channel: 'pos', card: 'K1', geo: { lat: 51.5072, lon: -0.1276 }, device: 'D1', ip: '1.1.1.1' }))
    const paris = featuresOf(engine, tx({ eventTime: T0 + 30 * MINUTE, channel: 'pos', card: 'K1', geo: { lat: 48.8566, lon: 2.3522 }, device: 'D2', ip: '1.1.1.1' }))
    // London → Paris is 344 km; in half an hour that is ~688 km/h.
    assert.ok(Math.abs(paris[F.geo_speed_card_present_kmh] - 688) < 5, String(paris[F.geo_speed_card_present_kmh]))
    assert.equal(paris[F.account_new_device], 1)
    assert.equal(paris[F.account_new_ip], 0)
    assert.equal(paris[F.card_count_1h], 1)
    const next = featuresOf(engine, tx({ eventTime: T0 + 40 * MINUTE, channel: 'web', device: 'D2' }))
    assert.ok(Math.abs(next[F.geo_max_speed_24h_kmh] - 688) < 5)
    assert.equal(next[F.account_new_device], 0)
  })

  it('knows how long an account has used a device and an address, whom it has paid, and how many accounts a device has served', () => {
    const engine = new FeatureEngine()
    featuresOf(engine, tx({ device: 'D1', ip: '1.1.1.1', type: 'TRANSFER', counterparty: 'P1' }))
    const later = featuresOf(engine, tx({ eventTime: T0 + 30 * HOUR, device: 'D1', ip: '2.2.2.2', type: 'TRANSFER', counterparty: 'P1' }))
    assert.equal(later[F.account_device_age_hours], 30)
    assert.equal(later[F.account_ip_age_hours], 0, 'a new address is zero hours old')
    assert.equal(later[F.account_new_ip], 1)
    assert.equal(later[F.account_new_payee], 0, 'P1 was paid before')
    const newPayee = featuresOf(engine, tx({ eventTime: T0 + 31 * HOUR, device: 'D1', ip: '2.2.2.2', type: 'TRANSFER', counterparty: 'P2' }))
    assert.equal(newPayee[F.account_new_payee], 1)
    assert.equal(newPayee[F.account_ip_age_hours], 1)
    assert.ok(Number.isNaN(featuresOf(engine, tx({ eventTime: T0 + 32 * HOUR, type: 'PAYMENT', device: 'D1' }))[F.account_new_payee]), 'only TRANSFERs have payees')
    // A device that serves many accounts (a ring's phone), counted over its whole life, not a window.
    featuresOf(engine, tx({ account: 'B', eventTime: T0 + 33 * HOUR, device: 'D1' }))
    const third = featuresOf(engine, tx({ account: 'C', eventTime: T0 + 80 * HOUR, device: 'D1' }))
    assert.equal(third[F.device_accounts_seen], 3)
    assert.equal(third[F.device_distinct_accounts_24h], 1, 'the 24-hour window has forgotten A and B')
  })

  it('keeps its state bounded: keys beyond the cap are evicted, and memory is reported', () => {
    const engine = new FeatureEngine({ accounts: 1_000, counterparties: 1_000 })
    for (let i = 0; i < 20_000; i++) featuresOf(engine, tx({ account: `A${i}`, counterparty: `C${i}`, type: 'PAYMENT', eventTime: T0 + i }))
    const memory = engine.memory()
    assert.ok(memory.trackedKeys.accounts <= 1_000)
    assert.ok(memory.trackedKeys.counterparties <= 1_000)
    assert.ok(memory.evictedKeys >= 38_000)
    assert.ok(memory.estimatedBytes > 0 && memory.estimatedBytes < 5_000_000, String(memory.estimatedBytes))
  })
})

describe('metrics', () => {
  it('computes average precision and picks the max-F1 threshold between neighbouring scores', () => {
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    const labels = [1, 0, 1, 0, 0, 1]
    // Precision at each positive: 1/1, 2/3, 3/6 → AP = (1 + 2/3 + 1/2) / 3.
    assert.ok(Math.abs(prAuc(scores, labels) - (1 + 2 / 3 + 0.5) / 3) < 1e-12)
    const best = chooseThreshold(scores, labels)
    assert.ok(Math.abs(best.threshold - 0.65) < 1e-12)
    assert.ok(Math.abs(best.f1 - 2 / 3) < 1e-12)
    assert.ok(Math.abs(chooseThreshold(scores, labels, undefined, 1).threshold - 0.85) < 1e-12)
  })

  it('average precision equals the sum over every threshold, with ties and a subset of rows', () => {
    // Scores on a coarse grid: many ties between positives and negatives.
    const random = new Random(5)
    const n = 20_000
    const scores = Float64Array.from({ length: n }, () => Math.round(random.next() * 200) / 200)
    const labels = Uint8Array.from(scores, (s) => (random.next() < s * s * 0.3 ? 1 : 0))
    const rows = Uint32Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 0)
    // Reference: walk all distinct thresholds from the top, area += ΔTP · precision.
    const order = [...rows].sort((a, b) => scores[b] - scores[a])
    const positives = order.filter((r) => labels[r]).length
    let tp = 0
    let fp = 0
    let area = 0
    for (let i = 0; i < order.length; ) {
      const score = scores[order[i]]
      const before = tp
      for (; i < order.length && scores[order[i]] === score; i++) labels[order[i]] ? tp++ : fp++
      area += (tp - before) * (tp / (tp + fp))
    }
    assert.ok(positives > 100 && positives < rows.length / 2)
    assert.ok(Math.abs(prAuc(scores, labels, rows) - area / positives) < 1e-12, `${prAuc(scores, labels, rows)} vs ${area / positives}`)
  })
})

async function writeScenarioData(path: string, scenario: string, count: number, seed: number): Promise<void> {
  const source = new LookaheadSource(new ScenarioSimulator(loadScenario(scenario).scenario, { seed, idPrefix: 'tx' }))
  await exportLabelled(source, { count, path, format: 'ndjson' })
}

describe('trainer and ONNX export', () => {
  it('onnxruntime-node reproduces the trainer’s probabilities to 1e-5 on 10,000 rows, with identical verdicts', async () => {
    const dir = tempDir('model')
    const data = join(dir, 'mixed.ndjson')
    await writeScenarioData(data, 'mixed', 40_000, 3)
    const out = join(dir, 'parity.onnx')
    const { card, result, matrix } = await trainModel({ data: [data], out, validationShare: 0.25, reviewPrecision: 0.8, params: { rounds: 40, earlyStoppingRounds: 0 } })
    assert.equal(card.features.length, FEATURE_COUNT)
    assert.ok(result.model.trees.length === 40)
    const scorer = await OnnxScoreModel.load(out, [])
    const n = 10_000
    const first = matrix.rows - n
    const rows = new Float64Array(n * FEATURE_COUNT)
    for (let i = 0; i < n * FEATURE_COUNT; i++) rows[i] = matrix.values[first * FEATURE_COUNT + i]
    const transactions = Array.from({ length: n }, (_, i) => tx({ id: `p${i}` }))
    const scores = await scorer.scoreBatch(transactions, rows)
    let maxDifference = 0
    let flagged = 0
    for (let i = 0; i < n; i++) {
      const p = result.model.probability(matrix.values, first + i)
      maxDifference = Math.max(maxDifference, Math.abs(p - scores[i].score))
      const verdict = p >= card.thresholds.block ? 'block' : p >= card.thresholds.review ? 'review' : 'allow'
      assert.equal(scores[i].verdict, verdict, `row ${first + i}: trainer p=${p}, onnxruntime p=${scores[i].score}`)
      if (verdict === 'block') {
        flagged++
        assert.ok(scores[i].reasons.length > 0 && scores[i].reasons.every((r) => FEATURE_NAMES.some((name) => r.startsWith(`${name}=`))), scores[i].reasons.join(','))
      }
    }
    // Shard loops score concurrently: batches in flight together must not mix their inputs.
    const halves = await Promise.all([0, 1].map((h) => scorer.scoreBatch(transactions.slice(h * 5_000, (h + 1) * 5_000), rows.subarray(h * 5_000 * FEATURE_COUNT, (h + 1) * 5_000 * FEATURE_COUNT))))
    assert.deepEqual(halves.flat().map((s) => s.score), scores.map((s) => s.score))
    await scorer.close()
    // The score is rounded to 1e-6 in decisions; the raw difference is below 1e-6.
    assert.ok(maxDifference <= 1e-5, `max difference ${maxDifference}`)
    assert.ok(flagged > 10, `${flagged} blocks among the rows compared`)
    // A sanity bar, not a quality claim: 40 rounds on 30,000 rows of mixed, built so that no single feature gives fraud away.
    assert.ok(card.validation!.overall.prAuc! > 0.8, JSON.stringify(card.validation!.overall))
  })

  it('learns a known rule from synthetic rows and stops early once validation stops improving', async () => {
    const builder = new FeatureMatrixBuilder(['x', 'y'])
    const row = new Float64Array(2)
    let seed = 7
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    for (let i = 0; i < 20_000; i++) {
      row[0] = random()
      row[1] = i % 10 === 0 ? NaN : random()
      const label = row[0] > 0.8 && !(row[1] < 0.5) ? 1 : 0
      builder.add(row, 0, label, i, label ? 'fraud' : 'normal')
    }
    const matrix = builder.build([{ fromRow: 0, toRow: 20_000, validationShare: 0.2 }])
    const result = await trainGbt(matrix, { rounds: 500, earlyStoppingRounds: 10, subsample: 1, colsample: 1 })
    assert.ok(result.history.length < 500, `ran ${result.history.length} rounds`)
    assert.equal(result.model.trees.length, result.bestRound)
    assert.ok(result.history.at(-1)!.validationPrAuc > 0.99)
    // Missing y counts as "not below 0.5": the learnt missing direction must agree.
    const probe = new Float32Array([0.95, NaN, 0.95, 0.2])
    assert.ok(result.model.probability(probe, 0) > 0.9)
    assert.ok(result.model.probability(probe, 1) < 0.1)
  })
})

describe('trainer threads', () => {
  /** Rows enough that histograms are shared out by feature and the top splits by row range. */
  function syntheticMatrix(rows: number) {
    const names = Array.from({ length: 12 }, (_, i) => `f${i}`)
    const builder = new FeatureMatrixBuilder(names)
    const random = new Random(11)
    const row = new Float64Array(names.length)
    for (let i = 0; i < rows; i++) {
      for (let f = 0; f < names.length; f++) row[f] = f % 4 === 3 && random.next() < 0.2 ? NaN : f % 3 === 0 ? Math.floor(random.next() * 4) : random.next()
      const risk = row[1] * 2 + (row[0] === 3 ? 1.5 : 0) + (Number.isNaN(row[3]) ? 0.8 : row[3]) + row[5] * row[7]
      const label = random.next() < 1 / (1 + Math.exp(-(risk * 3 - 9))) ? 1 : 0
      builder.add(row, 0, label, i, label ? 'fraud' : 'normal')
    }
    return builder.build([{ fromRow: 0, toRow: rows, validationShare: 0.2 }])
  }

  it('grows the same trees, bit for bit, on 1, 2 and 3 threads', async () => {
    const matrix = syntheticMatrix(100_000)
    const options = { rounds: 12, earlyStoppingRounds: 0, maxLeaves: 16 }
    const [one, two, three] = await Promise.all([1, 2, 3].map((threads) => trainGbt(matrix, { ...options, threads })))
    assert.equal(one.model.trees.length, 12)
    assert.ok(one.model.trees.every((tree) => tree.feature.filter((f) => f >= 0).length >= 8), 'every tree splits')
    for (const other of [two, three]) {
      assert.deepEqual(other.model.trees, one.model.trees)
      assert.deepEqual(other.history.map((r) => r.validationPrAuc), one.history.map((r) => r.validationPrAuc))
    }
    assert.equal(two.params.threads, 2)
    assert.ok(one.history.at(-1)!.validationPrAuc > 0.5, String(one.history.at(-1)!.validationPrAuc))
  })

  it('a failure in a training thread reaches the trainer as an error, and the threads stop', async () => {
    const matrix = syntheticMatrix(20_000)
    const threads = await TrainingThreads.start(2, sharedTrainingArraysFor(matrix))
    // A tree without its arrays: the worker's margin update throws.
    assert.throws(() => threads.run([{ kind: 'gradients', from: 0, to: 0 }, { kind: 'margins', from: 0, to: 10, tree: {} as Tree }]), /training thread 1 failed: TypeError/)
    // The thread answers the next job.
    assert.deepEqual(threads.run([{ kind: 'gradients', from: 0, to: 0 }, { kind: 'gradients', from: 0, to: 0 }]), [0, 0])
    await threads.close()
  })
})

describe('serving an external model', () => {
  function logisticModel(dir: string, features: string[], weights: number[], inputColumns = features.length): string {
    const path = join(dir, 'logistic.onnx')
    const bytes = encodeOnnxModel({
      name: 'logistic',
      producerVersion: 'test',
      opsets: { '': 13 },
      inputs: [{ name: 'x', shape: ['N', inputColumns] }],
      outputs: [{ name: 'p', shape: ['N', 1] }],
      initializers: [
        { name: 'w', dims: [inputColumns, 1], values: weights },
        { name: 'b', dims: [1], values: [-3] },
      ],
      nodes: [
        { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['z0'] },
        { opType: 'Add', inputs: ['z0', 'b'], outputs: ['z'] },
        { opType: 'Sigmoid', inputs: ['z'], outputs: ['p'] },
      ],
    })
    writeFileSync(path, bytes)
    const card: ModelCard = {
      schemaVersion: 1,
      name: 'logistic',
      version: 'logistic-1',
      createdAt: new Date(0).toISOString(),
      model: { file: 'logistic.onnx', kind: 'logistic-regression', input: 'x', output: 'p' },
      featureEngine: 'features-v1',
      features,
      thresholds: { block: 0.5, review: 0.2, chosenBy: 'by hand' },
    }
    writeFileSync(cardPathFor(path), JSON.stringify(card))
    return path
  }

  it('serves any ONNX binary classifier whose card names engine features, in the card’s order', async () => {
    const path = logisticModel(tempDir('external'), ['empties_account', 'type_transfer'], [2, 2])
    const scorer = await OnnxScoreModel.load(path)
    const rows = new Float64Array(2 * FEATURE_COUNT)
    rows[F.empties_account] = 1
    rows[F.type_transfer] = 1
    const scores = await scorer.scoreBatch([tx({ type: 'TRANSFER', amount: 300_000 }), tx({})], rows)
    await scorer.close()
    assert.ok(Math.abs(scores[0].score - 1 / (1 + Math.exp(-1))) < 1e-6)
    assert.equal(scores[0].verdict, 'block')
    assert.deepEqual(scores[0].reasons, ['model-score', 'rule:transfer-over-200k'])
    assert.equal(scores[1].verdict, 'allow')
  })

  it('refuses a card that does not match its model, saying what differs', async () => {
    const dir = tempDir('mismatch')
    const wrongCount = logisticModel(dir, ['empties_account', 'type_transfer'], [1, 1, 1], 3)
    await assert.rejects(OnnxScoreModel.load(wrongCount), /reads 3 features per row, the card lists 2/)
    const unknown = logisticModel(tempDir('mismatch'), ['empties_account', 'favourite_colour'], [1, 1])
    await assert.rejects(OnnxScoreModel.load(unknown), /does not compute: favourite_colour/)
    const card = JSON.parse(readFileSync(cardPathFor(unknown), 'utf8')) as ModelCard
    writeFileSync(cardPathFor(unknown), JSON.stringify({ ...card, features: ['empties_account', 'type_transfer'], model: { ...card.model, input: 'features' } }))
    await assert.rejects(OnnxScoreModel.load(unknown), /input "features" is not among the model's inputs \(x\)/)
    writeFileSync(cardPathFor(unknown), JSON.stringify({ ...card, features: ['empties_account', 'type_transfer'], model: { ...card.model, sha256: '0'.repeat(64) } }))
    await assert.rejects(OnnxScoreModel.load(unknown), /describes another model/)
  })
})

describe('a run refuses a model it cannot serve, before it starts', () => {
  it('--validation-data: validates on another seed, whole, and the card says so', async () => {
    const dir = tempDir('validation-data')
    const train = join(dir, 'train.ndjson')
    const validate = join(dir, 'validate.ndjson')
    assert.equal((await runCli(['generate', '--scenario', 'card-testing', '--count', '20000', '--seed', '3', '--out', train])).code, 0)
    assert.equal((await runCli(['generate', '--scenario', 'card-testing', '--count', '8000', '--seed', '4', '--out', validate])).code, 0)
    const run = await runCli(['train', '--data', train, '--validation-data', validate, '--out', join(dir, 'm.onnx'), '--rounds', '10', '--json'], { timeoutMs: 120_000 })
    assert.equal(run.code, 0, run.stderr)
    const card = JSON.parse(run.stdout) as ModelCard
    assert.equal(card.training?.heldOut, 'separate files')
    assert.deepEqual(card.training?.data.map((d) => [d.file, d.role]), [['train.ndjson', 'training'], ['validate.ndjson', 'validation']])
    assert.equal(card.training?.trainRows, 20_000)
    assert.equal(card.training?.validationRows, 8_000)
    assert.deepEqual(Object.keys(card.validation?.perSource ?? {}), ['validate.ndjson'])
  })

  it('--threads: the same model bytes on 1 thread and on 3, and the card records the threads', async () => {
    const dir = tempDir('threads')
    const data = join(dir, 'train.ndjson')
    assert.equal((await runCli(['generate', '--scenario', 'card-testing', '--count', '60000', '--seed', '3', '--out', data])).code, 0)
    const cards: ModelCard[] = []
    for (const threads of ['1', '3']) {
      // The model's name comes from its file name: the same name in two folders.
      const run = await runCli(['train', '--data', data, '--out', join(dir, threads, 'm.onnx'), '--rounds', '8', '--threads', threads, '--json'], { timeoutMs: 120_000 })
      assert.equal(run.code, 0, run.stderr)
      cards.push(JSON.parse(run.stdout) as ModelCard)
    }
    assert.deepEqual(readFileSync(join(dir, '3', 'm.onnx')), readFileSync(join(dir, '1', 'm.onnx')))
    assert.equal(cards[1].model.sha256, cards[0].model.sha256)
    assert.deepEqual(cards.map((card) => card.training?.params.threads), [1, 3])
    const refused = await runCli(['train', '--data', data, '--out', join(dir, 'm0.onnx'), '--threads', '0'])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /--threads/)
  })

  it('names the missing card and exits 2 without a stack trace', async () => {
    const dir = tempDir('bad-model')
    writeFileSync(join(dir, 'lonely.onnx'), 'not a model')
    const run = await runCli(['simulate', '--duration', '2s', '--model', join(dir, 'lonely.onnx')], { env: { FRAUDLAB_STATE_DIR: dir } })
    assert.equal(run.code, 2, run.stderr)
    assert.match(run.stderr, /Cannot read the model card .*lonely\.card\.json: ENOENT/)
    assert.doesNotMatch(run.stderr, /at .*\.js:\d+/)
  })
})

describe('fraudlab train refuses bad training data', () => {
  const dir = tempDir('bad-training')
  const header = 'id,eventTime,account,counterparty,type,amount,currency,channel,isFraud'

  it('a file without positive labels', async () => {
    const path = join(dir, 'no-fraud.csv')
    writeFileSync(path, `${header}\nt1,1,A,B,PAYMENT,5,EUR,web,0\nt2,2,A,B,PAYMENT,6,EUR,web,0\n`)
    const run = await runCli(['train', '--data', path, '--out', join(dir, 'm.onnx')])
    assert.equal(run.code, 2, run.stderr)
    assert.match(run.stderr, /no positive labels: none of its 2 rows has isFraud = 1/)
    assert.doesNotMatch(run.stderr, /at .*\.js:\d+/)
  })

  it('a file of frauds only: refused before training, not a block-everything model', async () => {
    const path = join(dir, 'only-fraud.csv')
    writeFileSync(path, `${header}\nt1,1,A,B,TRANSFER,5,EUR,web,1\nt2,2,A,B,TRANSFER,6,EUR,web,1\n`)
    const run = await runCli(['train', '--data', path, '--out', join(dir, 'only.onnx')])
    assert.equal(run.code, 2, run.stderr)
    assert.match(run.stderr, /only-fraud\.csv\) has no genuine rows: every row has isFraud = 1/)
    assert.doesNotMatch(run.stderr, /at .*\.js:\d+/)
    assert.ok(!existsSync(join(dir, 'only.onnx')), 'no model written')
  })

  it('unknown columns', async () => {
    const path = join(dir, 'unknown.csv')
    writeFileSync(path, `${header},colour\nt1,1,A,B,PAYMENT,5,EUR,web,1,red\n`)
    const run = await runCli(['train', '--data', path, '--out', join(dir, 'm.onnx')])
    assert.equal(run.code, 2, run.stderr)
    assert.match(run.stderr, /unknown\.csv:1: unknown column "colour"/)
  })

  it('NaN labels, with the line', async () => {
    const path = join(dir, 'nan.csv')
    writeFileSync(path, `${header}\nt1,1,A,B,PAYMENT,5,EUR,web,1\nt2,2,A,B,PAYMENT,6,EUR,web,NaN\n`)
    const run = await runCli(['train', '--data', path, '--out', join(dir, 'm.onnx')])
    assert.equal(run.code, 2, run.stderr)
    assert.match(run.stderr, /nan\.csv:3: isFraud must be 0 or 1 \(or true\/false\), got "NaN"/)
    const json = join(dir, 'nan.ndjson')
    writeFileSync(json, '{"id":"t1","eventTime":1,"account":"A","counterparty":"B","type":"PAYMENT","amount":5,"currency":"EUR","channel":"web","isFraud":null}\n')
    const jsonRun = await runCli(['train', '--data', json, '--out', join(dir, 'm.onnx')])
    assert.equal(jsonRun.code, 2, jsonRun.stderr)
    assert.match(jsonRun.stderr, /nan\.ndjson:1: isFraud must be 0 or 1/)
  })
})
