import { fileURLToPath } from 'node:url'
import { OnnxScoreModel, type ModelLoadOptions } from './onnx-score-model.js'
import { RulesScoreModel } from './rules-score-model.js'
import type { ScoreModel } from './score-model.js'

/** The model the scorer serves unless told otherwise: trained by `npm run model:default`. */
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../../../models/default.onnx', import.meta.url))

/** `rules` for the rules baseline; anything else is the path of an ONNX model with its card. */
export async function loadScoreModel(model: string, options: ModelLoadOptions = {}): Promise<ScoreModel> {
  if (model === 'rules') return new RulesScoreModel()
  return OnnxScoreModel.load(model, undefined, options)
}
