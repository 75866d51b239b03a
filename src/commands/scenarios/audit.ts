import { Args, Flags } from '@oclif/core'
import { OnnxScoreModel } from '../../decision/onnx-score-model.js'
import { compareModelWithRules, type ModelAgainstRules } from '../../model/model-vs-rules.js'
import { FraudlabCommand } from '../../cli/base-command.js'
import { integerFlag, numberFlag } from '../../cli/flags.js'
import { auditSingleFeatureRules, featureMatrixOf, type DifficultyAudit } from '../../model/single-feature-audit.js'
import { renderDifficultyAudit, renderModelAgainstRules } from '../../report/difficulty-audit-table.js'
import { THRESHOLDS_CROSSED_EXIT_CODE } from '../../report/thresholds.js'
import { loadScenario } from '../../scenario/scenario-loader.js'
import { ScenarioSimulator } from '../../scenario/simulator.js'

export default class ScenariosAudit extends FraudlabCommand {
  static override summary = 'How hard a scenario is: the best single-feature rule per archetype, and its recall at a false-positive budget.'
  static override description =
    'Generates transactions from the scenario, computes their features as the scorer does, and for each fraud archetype finds the one-feature threshold with the highest recall that flags at most --fpr of the genuine transactions. An archetype that one threshold catches makes every model look good on it. Exit 99 with --fail-above when an archetype exceeds that recall.'
  static override examples = [
    '<%= config.bin %> scenarios audit mixed',
    '<%= config.bin %> scenarios audit ./my-scenario.yaml --count 100000 --fail-above 0.8 --json',
    '<%= config.bin %> scenarios audit mixed --model models/default.onnx',
  ]
  static override args = { scenario: Args.string({ description: 'Scenario name or path.', required: true }) }
  static override enableJsonFlag = true

  static override flags = {
    count: integerFlag({ name: 'count', description: 'Transactions to generate.', min: 1_000, max: 20_000_000, default: 300_000 }),
    seed: integerFlag({ name: 'seed', description: 'Seed (default 1234: not the default model’s training seed).', min: 0, max: 2 ** 32 - 1, default: 1234 }),
    fpr: numberFlag({ name: 'fpr', description: 'Largest share of genuine transactions a rule may flag.', min: 0, max: 1, exclusiveMin: true, default: 0.01 }),
    'fail-above': numberFlag({ name: 'fail-above', description: 'Exit 99 if any archetype’s best single-feature recall exceeds this.', min: 0, max: 1 }),
    model: Flags.string({ description: 'Also score the transactions with this ONNX model and compare it with each best rule, at the rule’s false-positive rate.', helpValue: '<file.onnx>' }),
  }

  async run(): Promise<DifficultyAudit & { model?: ModelAgainstRules }> {
    const { args, flags } = await this.parse(ScenariosAudit)
    const { scenario } = loadScenario(args.scenario)
    const simulator = new ScenarioSimulator(scenario, { seed: flags.seed })
    const matrix = featureMatrixOf(() => simulator.next(), flags.count)
    const audit = auditSingleFeatureRules(matrix, flags.fpr)
    if (!this.jsonEnabled()) this.log(renderDifficultyAudit(audit, scenario.name, flags['fail-above']).join('\n'))
    let model: ModelAgainstRules | undefined
    if (flags.model) {
      const scorer = await OnnxScoreModel.load(flags.model)
      try {
        model = compareModelWithRules(matrix, audit, await scorer.probabilities(matrix.values, matrix.rows), scorer.modelVersion)
      } finally {
        await scorer.close()
      }
      if (!this.jsonEnabled()) this.log(['', ...renderModelAgainstRules(model)].join('\n'))
    }
    const limit = flags['fail-above']
    if (limit !== undefined && audit.archetypes.some((row) => (row.best?.recall ?? 0) > limit)) process.exitCode = THRESHOLDS_CROSSED_EXIT_CODE
    return model ? { ...audit, model } : audit
  }
}
