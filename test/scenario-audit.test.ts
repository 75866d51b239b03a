import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FEATURE_NAMES } from '../src/features/feature-names.js'
import { FeatureMatrixBuilder } from '../src/model/feature-matrix.js'
import { compareModelWithRules, type ModelAgainstRules } from '../src/model/model-vs-rules.js'
import { auditSingleFeatureRules, type DifficultyAudit } from '../src/model/single-feature-audit.js'
import { Random } from '../src/util/random.js'
import { runCli } from './helpers.js'

const amount = FEATURE_NAMES.indexOf('amount')
const age = FEATURE_NAMES.indexOf('account_age_days')

/** 20,000 genuine rows and two archetypes: one a single threshold separates, one that overlaps genuine traffic. */
function matrix() {
  const random = new Random(3)
  const builder = new FeatureMatrixBuilder(FEATURE_NAMES, 1 << 15)
  const row = new Float64Array(FEATURE_NAMES.length).fill(Number.NaN)
  const add = (label: number, archetype: string, amountValue: number, ageValue: number) => {
    row[amount] = amountValue
    row[age] = ageValue
    builder.add(row, 0, label, 0, archetype)
  }
  for (let i = 0; i < 20_000; i++) add(0, 'normal', 10 + random.next() * 990, 30 + random.next() * 3000)
  // Tiny amounts: below every genuine one.
  for (let i = 0; i < 300; i++) add(1, 'card-testing', 1 + random.next() * 4, 30 + random.next() * 3000)
  // Amounts and ages drawn like genuine ones: no threshold catches many at 1% false positives.
  for (let i = 0; i < 300; i++) add(1, 'blends-in', 10 + random.next() * 990, 30 + random.next() * 3000)
  return builder.build([])
}

describe('scenarios audit', () => {
  it('finds the threshold that separates an archetype, keeps within the false-positive budget, and scores one that blends in low', () => {
    const audit = auditSingleFeatureRules(matrix(), 0.01)
    const byName = new Map(audit.archetypes.map((row) => [row.archetype, row]))
    const easy = byName.get('card-testing')!
    assert.equal(easy.best?.feature, 'amount')
    assert.equal(easy.best?.op, '<')
    assert.equal(easy.best?.recall, 1)
    assert.ok(easy.best!.threshold > 5 && easy.best!.threshold < 25, `threshold ${easy.best!.threshold}: the 1st percentile of genuine amounts is about 20`)
    const hard = byName.get('blends-in')!
    assert.ok(hard.best!.recall < 0.05, `blends-in caught at ${hard.best!.recall}`)
    for (const row of [...audit.archetypes, audit.overall]) assert.ok(row.best!.falsePositiveRate <= 0.01, `${row.archetype}: FPR ${row.best!.falsePositiveRate}`)
    assert.equal(audit.overall.frauds, 600)
    assert.ok(Math.abs(audit.overall.best!.recall - 0.5) < 0.03, 'all fraud together: the tiny amounts, and about 1% of the rest')
    assert.deepEqual(audit.archetypes.map((row) => row.archetype), ['card-testing', 'blends-in'], 'easiest first')
  })

  it('on the command line: a table, JSON, and exit 99 when an archetype is easier than --fail-above', async () => {
    const table = await runCli(['scenarios', 'audit', 'mixed', '--count', '30000'])
    assert.equal(table.code, 0, table.stderr)
    assert.match(table.stdout, /best single-feature rule per archetype at ≤ 1\.0% false positives/)
    assert.match(table.stdout, /card-testing\s+\d+\s+\d\.\d{3}/)
    const strict = await runCli(['scenarios', 'audit', 'mixed', '--count', '30000', '--fail-above', '0.5', '--json'])
    assert.equal(strict.code, 99, strict.stderr)
    const audit = JSON.parse(strict.stdout) as DifficultyAudit
    assert.ok(audit.archetypes.length >= 5)
    assert.ok(audit.archetypes.some((row) => row.best!.recall > 0.5))
    const refused = await runCli(['scenarios', 'audit', 'mixed', '--fpr', '2'])
    assert.equal(refused.code, 2)
    assert.doesNotMatch(refused.stderr, /at .*\.js:\d+/, 'no stack trace for a bad flag')
  })

  it('sets a model beside each best rule at the rule’s own false-positive rate', () => {
    const m = matrix()
    const audit = auditSingleFeatureRules(m, 0.01)
    const random = new Random(9)
    // A model that ranks every fraud above every genuine row, and one that knows only what the amount rule knows.
    const perfect = Float64Array.from({ length: m.rows }, (_, r) => (m.labels[r] ? 0.9 + random.next() * 0.1 : random.next() * 0.8))
    const amountOnly = Float64Array.from({ length: m.rows }, (_, r) => 1 / m.values[r * m.columns + amount])
    const best = compareModelWithRules(m, audit, perfect, 'perfect')
    for (const row of [...best.archetypes, best.overall]) {
      assert.equal(row.recallAtRuleFpr, 1, row.archetype)
      assert.equal(row.prAuc, 1, row.archetype)
    }
    assert.equal(best.overall.precisionAtRecall90, 1)
    const rule = compareModelWithRules(m, audit, amountOnly, 'amount')
    const byName = new Map(rule.archetypes.map((row) => [row.archetype, row]))
    assert.equal(byName.get('card-testing')!.recallAtRuleFpr, byName.get('card-testing')!.ruleRecall, 'the same knowledge, the same recall')
    assert.ok(byName.get('blends-in')!.recallAtRuleFpr < 0.05)
    assert.ok(rule.overall.precisionAtRecall90 < 0.2, `about half the frauds rank like genuine rows: ${rule.overall.precisionAtRecall90}`)
  })

  it('the shipped mixed: no single feature catches more than 0.8 of any archetype; the default model beats each rule by at least 0.1', async () => {
    // Seed 1234: neither the default model's training seed (42) nor its validation seed (7).
    const run = await runCli(['scenarios', 'audit', 'mixed', '--fail-above', '0.8', '--model', 'models/default.onnx', '--json'], { timeoutMs: 120_000 })
    assert.equal(run.code, 0, run.stderr)
    const result = JSON.parse(run.stdout) as DifficultyAudit & { model: ModelAgainstRules }
    assert.equal(result.archetypes.length, 6)
    for (const row of result.archetypes) assert.ok(row.best!.recall <= 0.8, `${row.archetype}: ${row.best!.feature} catches ${row.best!.recall}`)
    for (const row of result.model.archetypes) {
      assert.ok(row.prAuc >= 0.9, `${row.archetype}: PR-AUC ${row.prAuc}`)
      assert.ok(row.recallAtRuleFpr - row.ruleRecall >= 0.1, `${row.archetype}: model ${row.recallAtRuleFpr} against rule ${row.ruleRecall}`)
    }
    assert.ok(result.model.overall.precisionAtRecall90 >= 0.9, `precision at recall 0.9: ${result.model.overall.precisionAtRecall90}`)
  })
})
