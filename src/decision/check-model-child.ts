// Child-process entry that loads a model the way the scorer will and reports what it found, so a
// run can refuse a bad model before it starts without loading onnxruntime into its own process.
import { isUserError } from '../errors/user-error.js'
import { loadScoreModel } from './load-score-model.js'

export type CheckModelMessage = { ok: true; modelVersion: string } | { ok: false; message: string; hint?: string; userError: boolean }

try {
  const scorer = await loadScoreModel(process.argv[2] ?? '')
  await scorer.close?.()
  process.send!({ ok: true, modelVersion: scorer.modelVersion } satisfies CheckModelMessage)
} catch (error) {
  const e = error as Error & { hint?: string }
  process.send!({ ok: false, message: e.message, hint: e.hint, userError: isUserError(error) } satisfies CheckModelMessage)
}
process.disconnect()
