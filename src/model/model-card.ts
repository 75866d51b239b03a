import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { UserError } from '../errors/user-error.js'

export const MODEL_CARD_SCHEMA_VERSION = 1

const Metrics = z.object({
  prAuc: z.number().nullable(),
  precision: z.number().nullable(),
  recall: z.number().nullable(),
  f1: z.number().nullable(),
})

const ArchetypeMetrics = z.object({
  frauds: z.number().int(),
  caught: z.number().int(),
  recall: z.number().nullable(),
  /** Of this archetype's frauds and every genuine row: the caught ones over everything flagged among those. */
  precision: z.number().nullable(),
  /** This archetype against genuine rows alone, at its own best threshold: recall where precision ≥ 0.9. */
  recallAtPrecision90: z.number().nullable().optional(),
})

/**
 * What the scorer needs to serve an ONNX model, and what a reader needs to trust it: the features
 * in input order (names from the feature engine's vocabulary), the decision thresholds, and where
 * the model came from.
 */
export const ModelCardSchema = z.object({
  schemaVersion: z.literal(MODEL_CARD_SCHEMA_VERSION),
  name: z.string().min(1),
  version: z.string().min(1),
  createdAt: z.string(),
  model: z.object({
    file: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    kind: z.string(),
    input: z.string().min(1),
    output: z.string().min(1),
  }),
  featureEngine: z.string(),
  features: z.array(z.string().min(1)).min(1),
  thresholds: z.object({
    /** Block at or above this probability. */
    block: z.number().gt(0).lte(1),
    /** Review at or above this (and below block). */
    review: z.number().gt(0).lte(1),
    chosenBy: z.string(),
  }),
  training: z
    .object({
      data: z.array(
        z.object({
          file: z.string(),
          format: z.string(),
          rows: z.number().int(),
          positives: z.number().int(),
          bytes: z.number().int(),
          sha256: z.string(),
          /** `validation`: held out whole; absent: the file's latest share validated. */
          role: z.enum(['training', 'validation']).optional(),
        }),
      ),
      trainRows: z.number().int(),
      validationRows: z.number().int(),
      validationShare: z.number(),
      /** What validation is: separate files (another seed or population), or the tail of the training files. */
      heldOut: z.string().optional(),
      params: z.record(z.string(), z.number()),
      rounds: z.number().int(),
      seconds: z.number(),
    })
    .optional(),
  validation: z
    .object({
      overall: Metrics,
      perArchetype: z.record(z.string(), ArchetypeMetrics),
      perSource: z.record(z.string(), Metrics).optional(),
    })
    .optional(),
})

export type ModelCard = z.infer<typeof ModelCardSchema>

/** The card of `modelPath`: the same path with `.card.json` for `.onnx`. */
export function cardPathFor(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.card.json'
}

export function readModelCard(path: string): ModelCard {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UserError(`Cannot read the model card ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
      hint: 'Every model needs a card beside it (NAME.card.json next to NAME.onnx); `fraudlab train` writes both.',
    })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new UserError(`${path} is not valid JSON: ${(error as Error).message}.`)
  }
  const result = ModelCardSchema.safeParse(json)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new UserError(`${path}: ${issue.path.join('.') || 'card'}: ${issue.message}.`, { hint: 'See models/README.md for the model card format.' })
  }
  return result.data
}
