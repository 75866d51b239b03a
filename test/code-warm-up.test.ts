import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_MODEL_PATH, loadScoreModel } from '../src/decision/load-score-model.js'
import type { ScoreModel } from '../src/decision/score-model.js'
import { FEATURE_COUNT } from '../src/features/feature-names.js'
import { warmUpCode } from '../src/scorer/code-warm-up.js'

describe('the scorer’s warm-up before it reads the stream', () => {
  it('runs parsing, features and the model (and the shadow) on transactions of every type, all valid, with features computed', async () => {
    const model = await loadScoreModel(DEFAULT_MODEL_PATH)
    const seen = { champion: 0, shadow: 0, types: new Set<string>(), withHistory: 0 }
    const counting = (inner: ScoreModel, key: 'champion' | 'shadow'): ScoreModel => ({
      modelVersion: inner.modelVersion,
      scoreBatch: async (transactions, features) => {
        seen[key] += transactions.length
        for (let i = 0; i < transactions.length; i++) {
          seen.types.add(transactions[i].type)
          // Some feature of the account's history is known once the made-up accounts have been seen.
          if (features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT).some((value) => Number.isFinite(value) && value > 0)) seen.withHistory++
        }
        return inner.scoreBatch(transactions, features)
      },
    })
    await warmUpCode(counting(model, 'champion'), counting(await loadScoreModel('rules'), 'shadow'))
    assert.equal(seen.champion, 2_400)
    assert.equal(seen.shadow, 2_400)
    assert.equal(seen.types.size, 7, 'every transaction type')
    assert.ok(seen.withHistory > 2_000, `${seen.withHistory} rows with features from history`)
  })
})
