import { Flags } from '@oclif/core'
import { resolve } from 'node:path'
import { FraudlabCommand } from '../cli/base-command.js'
import { integerFlag, numberFlag } from '../cli/flags.js'
import { UserError } from '../errors/user-error.js'
import { DEFAULT_TRAIN_OPTIONS as D } from '../model/gbt-trainer.js'
import type { ModelCard } from '../model/model-card.js'
import { trainInChild } from '../model/train-in-child.js'
import { formatTrainingSummary } from '../model/training-report.js'
import { checkWritableFile } from '../util/writable-path.js'

export default class Train extends FraudlabCommand {
  static override summary = 'Train a gradient-boosted-trees fraud model on labelled transactions and export it as ONNX with its model card.'
  static override description =
    'Reads each --data file (NDJSON or CSV from `fraudlab generate`, or a PaySim CSV) through the same feature engine the ' +
    'scorer runs online, validates on --validation-data files (another seed: the honest test) or else on the latest share ' +
    'of each file by event time, trains with early stopping ' +
    'on validation PR-AUC, and chooses the block threshold (max F1, or --target-precision). Writes NAME.onnx and ' +
    'NAME.card.json; serve them with `--model NAME.onnx`.'

  static override examples = [
    '<%= config.bin %> train --data data/mixed.ndjson --out models/mine.onnx',
    '<%= config.bin %> train --data data/mixed.ndjson --data data/paysim.csv --out models/mine.onnx --target-precision 0.95',
  ]

  static override enableJsonFlag = true

  static override flags = {
    data: Flags.string({ description: 'Labelled training file; repeat for several.', required: true, multiple: true, helpValue: '<file>' }),
    'validation-data': Flags.string({
      description: 'Labelled file held out whole for validation (another seed or population): early stopping, thresholds and the card’s figures come from it. Repeat for several. Without it, the latest --validation-share of each --data file is held out.',
      multiple: true,
      helpValue: '<file>',
    }),
    out: Flags.string({ description: 'Model file to write (.onnx); the card goes beside it.', required: true, helpValue: '<file.onnx>' }),
    rounds: integerFlag({ name: 'rounds', description: 'Most boosting rounds.', min: 1, max: 100_000, default: D.rounds }),
    'learning-rate': numberFlag({ name: 'learning-rate', description: 'Shrinkage of each tree.', min: 0, exclusiveMin: true, max: 1, default: D.learningRate }),
    'max-depth': integerFlag({ name: 'max-depth', description: 'Deepest a tree may grow.', min: 1, max: 32, default: D.maxDepth }),
    'max-leaves': integerFlag({ name: 'max-leaves', description: 'Most leaves per tree (grown best-first).', min: 2, max: 4096, default: D.maxLeaves }),
    'min-child-weight': numberFlag({ name: 'min-child-weight', description: 'Least hessian in a child.', min: 0, max: 1e9, default: D.minChildWeight }),
    lambda: numberFlag({ name: 'lambda', description: 'L2 regularisation of leaf values.', min: 0, max: 1e9, default: D.lambda }),
    gamma: numberFlag({ name: 'gamma', description: 'Least loss reduction to split.', min: 0, max: 1e9, default: D.gamma }),
    subsample: numberFlag({ name: 'subsample', description: 'Share of training rows per tree.', min: 0, exclusiveMin: true, max: 1, default: D.subsample }),
    colsample: numberFlag({ name: 'colsample', description: 'Share of features per tree.', min: 0, exclusiveMin: true, max: 1, default: D.colsample }),
    'early-stopping': integerFlag({ name: 'early-stopping', description: 'Stop after this many rounds without a better validation PR-AUC (0: never).', min: 0, max: 100_000, default: D.earlyStoppingRounds }),
    'positive-weight': numberFlag({ name: 'positive-weight', description: 'Weight of a fraud row relative to a genuine one (class weighting).', min: 0, exclusiveMin: true, max: 1e6, default: D.positiveWeight }),
    'validation-share': numberFlag({ name: 'validation-share', description: 'Latest share of each file, by event time, held out for validation.', min: 0.01, max: 0.9, default: 0.2 }),
    'target-precision': numberFlag({ name: 'target-precision', description: 'Block threshold: the highest recall at this validation precision (default: max F1).', min: 0, exclusiveMin: true, max: 1 }),
    'review-precision': numberFlag({ name: 'review-precision', description: 'Review threshold: the highest recall at this validation precision (flagged by model, blocked or reviewed).', min: 0, exclusiveMin: true, max: 1, default: 0.8 }),
    seed: integerFlag({ name: 'seed', description: 'Seed for row and column sampling.', min: 0, max: 2 ** 32 - 1, default: D.seed }),
    threads: integerFlag({ name: 'threads', description: "Threads that train (default: one per core of this machine). The model is the same for any number.", min: 1, max: 256 }),
    quiet: Flags.boolean({ description: 'Print every 10th round only.', default: false }),
  }

  async run(): Promise<ModelCard> {
    const { flags } = await this.parse(Train)
    if (!/\.onnx$/i.test(flags.out)) throw new UserError(`--out must name an .onnx file; got "${flags.out}".`, { hint: 'For example --out models/mine.onnx (the card is written as models/mine.card.json).' })
    // Checked now, not after minutes of training.
    await checkWritableFile(flags.out, { what: '--out', hint: 'Choose a folder you can write to for --out.' })
    let lastRead = 0
    const training = trainInChild(
      {
        data: flags.data.map((path) => resolve(path)),
        validationData: flags['validation-data']?.map((path) => resolve(path)),
        out: resolve(flags.out),
        validationShare: flags['validation-share'],
        targetPrecision: flags['target-precision'],
        reviewPrecision: flags['review-precision'],
        params: {
          rounds: flags.rounds,
          learningRate: flags['learning-rate'],
          maxDepth: flags['max-depth'],
          maxLeaves: flags['max-leaves'],
          minChildWeight: flags['min-child-weight'],
          lambda: flags.lambda,
          gamma: flags.gamma,
          subsample: flags.subsample,
          colsample: flags.colsample,
          earlyStoppingRounds: flags['early-stopping'],
          positiveWeight: flags['positive-weight'],
          seed: flags.seed,
          ...(flags.threads === undefined ? {} : { threads: flags.threads }),
        },
      },
      (message) => {
        if (message.type === 'read') {
          if (message.rows - lastRead < 200_000) return
          lastRead = message.rows
          this.progress(`reading ${message.file}: ${message.rows.toLocaleString('en-US')} rows`)
        } else if (message.type === 'features') {
          lastRead = 0
          this.progress(`features: ${message.rows.toLocaleString('en-US')} rows × ${message.columns} in ${message.seconds.toFixed(1)}s; training (Ctrl-C stops and keeps the best model so far)…`)
        } else if (message.type === 'round') {
          const r = message.report
          if (flags.quiet && r.round % 10 !== 0) return
          this.progress(`round ${String(r.round).padStart(4)}  train log-loss ${r.trainLogLoss.toFixed(5)}  valid PR-AUC ${r.validationPrAuc.toFixed(4)}  best @ ${r.bestRound}  ${(r.elapsedMs / 1000).toFixed(1)}s`)
        }
      },
    )
    process.once('SIGINT', () => {
      this.progress('Stopping after this round; the best model so far will be written…')
      training.stop()
    })
    const { card, modelPath, cardPath, roundsRun, stoppedByUser } = await training.done
    if (stoppedByUser) this.progress(`Stopped by Ctrl-C after ${roundsRun} rounds.`)
    this.log(formatTrainingSummary(card, modelPath, cardPath, roundsRun))
    return card
  }
}
