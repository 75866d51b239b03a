import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import ort from 'onnxruntime-node'
import { UserError } from '../errors/user-error.js'
import { FEATURE_COUNT, FEATURE_NAMES } from '../features/feature-names.js'
import { cardPathFor, readModelCard, type ModelCard } from '../model/model-card.js'
import { readOnnxTrees, type OnnxTree } from '../model/onnx/tree-ensemble-onnx.js'
import { expectedValues } from '../model/tree-ensemble.js'
import type { Verdict } from '../schema/decision.js'
import type { Transaction } from '../schema/transaction.js'
import { atLeast, DEFAULT_RULES, type DecisionRule } from './decision-rules.js'
import { ModelThread } from './model-thread.js'
import type { Score, ScoreModel } from './score-model.js'

const REASONS_PER_DECISION = 3

export interface ModelLoadOptions {
  /** Evaluate the model on a thread of its own (model-thread.ts), off the caller's event loop. */
  ownThread?: boolean
}

interface Explainer {
  trees: OnnxTree[]
  expected: Float64Array[]
}

/**
 * Serves an ONNX binary classifier described by a model card: builds each input row from the
 * feature engine's columns in the card's order (cast once to float32), runs a whole GetRecords
 * batch in one call, and combines the probability with explicit rules. For tree ensembles, the
 * features that pushed a flagged transaction's score up most are its reasons.
 */
export class OnnxScoreModel implements ScoreModel {
  readonly modelVersion: string

  private constructor(
    readonly card: ModelCard,
    private readonly session: ort.InferenceSession,
    private readonly columns: Int32Array,
    private readonly outputStride: number,
    private readonly explainer: Explainer | undefined,
    private readonly rules: readonly DecisionRule[],
    private readonly thread: ModelThread | undefined,
  ) {
    this.modelVersion = card.version
  }

  /** Loads and checks a model and its card; every mismatch is refused here, with what to fix. */
  static async load(modelPath: string, rules: readonly DecisionRule[] = DEFAULT_RULES, options: ModelLoadOptions = {}): Promise<OnnxScoreModel> {
    const cardPath = cardPathFor(modelPath)
    const card = readModelCard(cardPath)
    const known = new Map<string, number>(FEATURE_NAMES.map((name, i) => [name, i]))
    const unknown = card.features.filter((name) => !known.has(name))
    if (unknown.length) {
      throw new UserError(`${cardPath} lists feature${unknown.length > 1 ? 's' : ''} the feature engine does not compute: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}.`, {
        hint: `A card's features must come from the engine's vocabulary (\`fraudlab model features\` lists them); retrain or fix the card.`,
      })
    }
    let bytes: Uint8Array
    try {
      bytes = readFileSync(modelPath)
    } catch (error) {
      throw new UserError(`Cannot read the model ${modelPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, { hint: 'Check --model; `fraudlab train` writes NAME.onnx and NAME.card.json.' })
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    if (card.model.sha256 && card.model.sha256 !== sha256) {
      throw new UserError(`${cardPath} describes another model: its sha256 is ${card.model.sha256.slice(0, 12)}…, ${modelPath} has ${sha256.slice(0, 12)}….`, {
        hint: 'Keep each model with the card `fraudlab train` wrote for it.',
      })
    }
    let session: ort.InferenceSession
    try {
      session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' })
    } catch (error) {
      throw new UserError(`${modelPath} is not a model onnxruntime can load: ${(error as Error).message.split('\n')[0]}.`, { hint: 'Give an ONNX file (opset ≤ 21, ai.onnx.ml ≤ 5).' })
    }
    const outputStride = checkSignature(session, card, modelPath)
    const trees = readOnnxTrees(bytes)
    const explainer = trees && treesReadColumns(trees, card.features.length) ? { trees, expected: trees.map((tree) => expectedValues(tree)) } : undefined
    const thread = options.ownThread ? await ModelThread.start(bytes, card.model.input, card.model.output) : undefined
    return new OnnxScoreModel(card, session, Int32Array.from(card.features, (name) => known.get(name)!), outputStride, explainer, rules, thread)
  }

  async scoreBatch(transactions: readonly Transaction[], features: Float64Array): Promise<Score[]> {
    const n = transactions.length
    if (n === 0) return []
    const k = this.columns.length
    // A fresh buffer per call: the shard loops score concurrently, and onnxruntime reads its input
    // later, in a setImmediate, so a shared buffer could be overwritten by the next batch first.
    const input = new Float32Array(n * k)
    for (let i = 0; i < n; i++) {
      const from = i * FEATURE_COUNT
      const to = i * k
      for (let c = 0; c < k; c++) input[to + c] = features[from + this.columns[c]]
    }
    // On the model's own thread the input is handed over, so that thread gets a copy: the reasons read it here after.
    const probabilities = this.thread
      ? await this.thread.run(input.slice(), n)
      : ((await this.session.run({ [this.card.model.input]: new ort.Tensor('float32', input, [n, k]) }))[this.card.model.output].data as Float32Array)
    const { block, review } = this.card.thresholds
    const scores: Score[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const p = probabilities[i * this.outputStride + this.outputStride - 1]
      let verdict: Verdict = p >= block ? 'block' : p >= review ? 'review' : 'allow'
      const reasons: string[] = []
      for (const rule of this.rules) {
        if (!rule.applies(transactions[i])) continue
        verdict = atLeast(verdict, rule.verdict)
        reasons.push(rule.name)
      }
      if (verdict !== 'allow' && p >= review) reasons.unshift(...this.reasonsFor(input, i))
      scores[i] = { score: Math.round(p * 1e6) / 1e6, verdict, reasons }
    }
    return scores
  }

  /**
   * The model's probability for each row of a feature matrix whose columns are the feature engine's
   * (FEATURE_NAMES order), without rules or verdicts: for offline evaluation.
   */
  async probabilities(values: Float32Array, rows: number, batchRows = 16_384): Promise<Float32Array> {
    const k = this.columns.length
    const result = new Float32Array(rows)
    for (let start = 0; start < rows; start += batchRows) {
      const n = Math.min(batchRows, rows - start)
      const input = new Float32Array(n * k)
      for (let i = 0; i < n; i++) {
        const from = (start + i) * FEATURE_COUNT
        for (let c = 0; c < k; c++) input[i * k + c] = values[from + this.columns[c]]
      }
      const output = await this.session.run({ [this.card.model.input]: new ort.Tensor('float32', input, [n, k]) })
      const probabilities = output[this.card.model.output].data as Float32Array
      for (let i = 0; i < n; i++) result[start + i] = probabilities[i * this.outputStride + this.outputStride - 1]
    }
    return result
  }

  async close(): Promise<void> {
    await this.thread?.close()
    await this.session.release()
  }

  /** The features whose splits raised this row's margin most (path attribution), with their values. */
  private reasonsFor(input: Float32Array, row: number): string[] {
    if (!this.explainer) return ['model-score']
    const k = this.columns.length
    const base = row * k
    const contribution = new Float64Array(k)
    const { trees, expected } = this.explainer
    for (let t = 0; t < trees.length; t++) {
      const tree = trees[t]
      let node = 0
      while (tree.feature[node] >= 0) {
        const x = input[base + tree.feature[node]]
        const next = x !== x ? (tree.missingLeft[node] ? tree.left[node] : tree.right[node]) : x <= tree.threshold[node] ? tree.left[node] : tree.right[node]
        contribution[tree.feature[node]] += expected[t][next] - expected[t][node]
        node = next
      }
    }
    const order = Array.from({ length: k }, (_, c) => c)
      .filter((c) => contribution[c] > 0)
      .sort((a, b) => contribution[b] - contribution[a])
      .slice(0, REASONS_PER_DECISION)
    return order.map((c) => `${this.card.features[c]}=${formatValue(input[base + c])}`)
  }
}

function formatValue(value: number): string {
  if (value !== value) return 'missing'
  if (Number.isInteger(value)) return String(value)
  return Math.abs(value) >= 100 ? String(Math.round(value)) : value.toPrecision(3)
}

function treesReadColumns(trees: ReadonlyArray<{ feature: Int32Array }>, columns: number): boolean {
  return trees.every((tree) => tree.feature.every((f) => f < columns))
}

/** Checks the model's input and output against the card; returns the output's row stride (1, or 2 for [p0, p1]). */
function checkSignature(session: ort.InferenceSession, card: ModelCard, modelPath: string): number {
  const where = `${modelPath} and its card`
  const fix = { hint: 'The card must name the model input (float32 [N, features]) and a float32 probability output, and list exactly as many features as the input has columns.' }
  if (!session.inputNames.includes(card.model.input)) throw new UserError(`${where} disagree: the card's input "${card.model.input}" is not among the model's inputs (${session.inputNames.join(', ')}).`, fix)
  if (session.inputNames.length !== 1) throw new UserError(`${modelPath} has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); the scorer feeds exactly one float32 [N, features] tensor.`, fix)
  if (!session.outputNames.includes(card.model.output)) throw new UserError(`${where} disagree: the card's output "${card.model.output}" is not among the model's outputs (${session.outputNames.join(', ')}).`, fix)
  const input = session.inputMetadata?.find((m) => m.name === card.model.input)
  if (input?.isTensor) {
    if (input.type !== 'float32') throw new UserError(`${modelPath}: input "${input.name}" is ${input.type}; the scorer feeds float32.`, fix)
    const columns = input.shape.at(-1)
    if (input.shape.length !== 2) throw new UserError(`${modelPath}: input "${input.name}" has shape [${input.shape.join(', ')}]; expected [N, ${card.features.length}].`, fix)
    if (typeof columns === 'number' && columns !== card.features.length) {
      throw new UserError(`${where} disagree: the model reads ${columns} features per row, the card lists ${card.features.length}.`, fix)
    }
  }
  const output = session.outputMetadata?.find((m) => m.name === card.model.output)
  if (output && !output.isTensor) {
    throw new UserError(`${modelPath}: output "${output.name}" is not a tensor (a ZipMap of class probabilities?); onnxruntime-node cannot read it.`, {
      hint: 'Export without ZipMap (skl2onnx: options={"zipmap": False}) so the probability is a plain float tensor.',
    })
  }
  if (output?.isTensor) {
    if (output.type !== 'float32') throw new UserError(`${modelPath}: output "${output.name}" is ${output.type}; expected float32 probabilities.`, fix)
    const last = output.shape.length === 2 ? output.shape[1] : 1
    if (output.shape.length > 2 || (typeof last === 'number' && last !== 1 && last !== 2)) {
      throw new UserError(`${modelPath}: output "${output.name}" has shape [${output.shape.join(', ')}]; expected [N], [N, 1] or [N, 2] probabilities.`, fix)
    }
    return typeof last === 'number' ? last : 1
  }
  return 1
}

