import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { loadScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import { DecisionSchema } from '../src/schema/decision.js'
import { compileFastCheck } from '../src/schema/fast-check.js'
import { TransactionSchema } from '../src/schema/transaction.js'
import { MAX_BATCH } from '../src/serve/openapi.js'
import { Random } from '../src/util/random.js'

type Json = Record<string, unknown>

/** Ways to break (or not) one transaction, each as JSON would carry it. */
const FIELDS = Object.keys(TransactionSchema.shape)
const ODD_VALUES: unknown[] = [null, true, 0, -1, 1.5, 2 ** 53, -0, 1e308, '', 'x', 'EUR', 'eur', 'EURO', '1234', '12345', '😀', [], {}, [1], { lat: 0, lon: 0 }, 'PAYMENT', 'web']

function mutate(tx: Json, random: Random): Json {
  const copy = structuredClone(tx)
  const field = FIELDS[Math.floor(random.next() * FIELDS.length)]
  switch (Math.floor(random.next() * 9)) {
    case 0:
      delete copy[field]
      break
    case 1:
      copy[random.next() < 0.5 ? 'isFraud' : 'archetype'] = random.next() < 0.5 ? 1 : 'card-testing'
      break
    case 2:
      copy[field] = ODD_VALUES[Math.floor(random.next() * ODD_VALUES.length)]
      break
    case 3: {
      // Lengths at and around the limits, in plain and in astral characters.
      const unit = random.next() < 0.5 ? 'a' : '😀'
      copy[field] = unit.repeat([0, 1, 63, 64, 65, 127, 128, 129][Math.floor(random.next() * 8)])
      break
    }
    case 4:
      copy.geo = random.next() < 0.5 ? { lat: 90.0001, lon: 0 } : { lat: -90, lon: 180, alt: 3 }
      break
    case 5:
      copy.balances = random.next() < 0.5 ? { originBefore: 1, originAfter: 2, destinationBefore: 3 } : { originBefore: 1, originAfter: 2, destinationBefore: 3, destinationAfter: 4 }
      break
    case 6:
      copy[field] = typeof copy[field] === 'number' ? -(copy[field] as number) - 0.5 : copy[field]
      break
    case 7:
      // Numbers JSON cannot write but JSON.parse can read: 1e999 is Infinity.
      return JSON.parse(JSON.stringify(copy).replace(/"amount":[^,}]+/, '"amount":1e999')) as Json
    default:
      break // unchanged: must pass
  }
  return JSON.parse(JSON.stringify(copy)) as Json
}

/** Holds a schema's compiled check to zod's own answer on each value, counting both answers. */
function agreement(schema: z.ZodType) {
  const check = compileFastCheck(schema)
  const counts = { accepted: 0, refused: 0 }
  return {
    counts,
    compare(value: unknown): void {
      const zodSays = schema.safeParse(value).success
      assert.equal(check(value), zodSays, JSON.stringify(value))
      if (zodSays) counts.accepted++
      else counts.refused++
    },
  }
}

describe('compiled checks of the zod schemas', () => {
  it('accept exactly what zod accepts, on valid and broken transactions of every scenario', () => {
    const transactions = agreement(TransactionSchema)
    const random = new Random(17)
    for (const name of ['mixed', 'card-testing', 'impossible-travel', 'paysim-mule', 'account-takeover']) {
      const simulator = new ScenarioSimulator(loadScenario(name).scenario, { seed: 3 })
      for (let i = 0; i < 1_500; i++) {
        transactions.compare(mutate(JSON.parse(JSON.stringify(simulator.next().transaction)) as Json, random))
      }
    }
    const { accepted, refused } = transactions.counts
    assert.ok(accepted > 1_000 && refused > 3_000, `${accepted} accepted, ${refused} refused`)
  })

  it('hold a batch to its size limits and to each transaction', () => {
    const Batch = z.strictObject({ transactions: z.array(TransactionSchema).min(1).max(MAX_BATCH) })
    const isBatch = compileFastCheck(Batch)
    const simulator = new ScenarioSimulator(loadScenario('mixed').scenario, { seed: 5 })
    const transactions = Array.from({ length: MAX_BATCH + 1 }, () => JSON.parse(JSON.stringify(simulator.next().transaction)) as Json)
    const cases: unknown[] = [
      { transactions: [] },
      { transactions: transactions.slice(0, 1) },
      { transactions: transactions.slice(0, MAX_BATCH) },
      { transactions: transactions.slice(0, MAX_BATCH + 1) },
      { transactions: [...transactions.slice(0, 5), { ...transactions[5], currency: 'eur' }] },
      { transactions: transactions.slice(0, 2), extra: 1 },
      { transactions: 'none' },
      [transactions[0]],
    ]
    const verdicts = cases.map((value) => isBatch(value))
    assert.deepEqual(verdicts, cases.map((value) => Batch.safeParse(value).success))
    assert.deepEqual(verdicts, [false, true, true, false, false, false, false, false])
  })

  it('accept exactly what zod accepts, on valid and broken decisions', () => {
    const decisions = agreement(DecisionSchema)
    const random = new Random(23)
    const fields = Object.keys(DecisionSchema.shape)
    for (let i = 0; i < 5_000; i++) {
      const decision: Json = {
        transactionId: `tx-${i}`,
        score: random.next(),
        verdict: ['allow', 'review', 'block', 'reject'][i % 4],
        reasons: i % 3 ? [] : ['model-score', 'rule:transfer-over-200k'],
        modelVersion: 'default-8ecda4352588',
        scorerId: 'scorer-1',
        timestamps: { arrivedAt: 1_700_000_000_000, fetchedAt: 1_700_000_000_050.5, scoredAt: 1_700_000_000_052.25, actedAt: 1_700_000_000_053 },
        ...(i % 5 === 0 ? { modelMs: 0.4, shadow: { modelVersion: 'rules', score: 0, verdict: 'allow', modelMs: 0.1 } } : {}),
      }
      const field = fields[Math.floor(random.next() * fields.length)]
      switch (i % 8) {
        case 0:
          delete decision[field]
          break
        case 1:
          decision[field] = ODD_VALUES[Math.floor(random.next() * ODD_VALUES.length)]
          break
        case 2:
          decision.reasons = Array.from({ length: [20, 21][i % 2] }, () => 'r'.repeat([200, 201][Math.floor(random.next() * 2)]))
          break
        case 3:
          decision.timestamps = { arrivedAt: -1, note: 'x' }
          break
        case 4:
          decision.shadow = { modelVersion: 'x', score: 1.5, verdict: 'allow', modelMs: 0 }
          break
        case 5:
          decision.score = [0, 1, 1.0000001, -0][Math.floor(random.next() * 4)]
          break
        default:
          break
      }
      decisions.compare(JSON.parse(JSON.stringify(decision)))
    }
    const { accepted, refused } = decisions.counts
    assert.ok(accepted > 1_000 && refused > 1_000, `${accepted} accepted, ${refused} refused`)
  })

  it('refuses a schema JSON Schema cannot describe whole', () => {
    assert.throws(() => compileFastCheck(z.object({ when: z.date() })))
  })
})
