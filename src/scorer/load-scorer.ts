import { fileURLToPath } from 'node:url'
import { OnnxModelScorer } from './onnx-model-scorer.js'
import { RulesScorer } from './rules-scorer.js'
import type { Scorer } from './scorer.js'

/** The model the scorer serves unless told otherwise: trained by `npm run model:default`. */
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../../../models/default.onnx', import.meta.url))

/** `rules` for the rules baseline; anything else is the path of an ONNX model with its card. */
export async function loadScorer(model: string): Promise<Scorer> {
  if (model === 'rules') return new RulesScorer()
  return OnnxModelScorer.load(model)
}
