import { checkModel } from '../decision/check-model.js'
import { UserError } from '../errors/user-error.js'
import { cardPathFor, readModelCard, type ModelCard } from '../model/model-card.js'
import { NO_FAULTS, type FaultPlan } from '../stack/fault-plan.js'
import type { TargetName } from '../aws/endpoints.js'
import { checkWritableDirectory, checkWritableFile } from '../util/writable-path.js'
import { assertFaultsSupported } from './fault-injection.js'

export interface RunChecks {
  modelVersion: string
  modelCard: ModelCard | null
  shadowModelVersion?: string
  faultPlan: FaultPlan
}

/**
 * Phase 1, before anything starts: a wrong model, a fault the target cannot inject or an output
 * path that cannot be written is a user error, not a failed run found out at its end.
 */
export async function checkRun(options: { target: TargetName; scorer?: 'fraudlab' | 'external'; scorers?: number; model: string; shadowModel?: string; faults?: { plan: FaultPlan }; reportsDir: string; featuresLogPath?: string }): Promise<RunChecks> {
  const faultPlan = options.faults?.plan ?? NO_FAULTS
  assertFaultsSupported(options.target, faultPlan)
  await checkOutputPaths(options)
  if (options.scorer === 'external') {
    assertExternalScorerFlags(options, faultPlan)
    return { modelVersion: 'external', modelCard: null, faultPlan }
  }
  const { modelVersion } = await checkModel(options.model)
  const modelCard = options.model === 'rules' ? null : readModelCard(cardPathFor(options.model))
  const shadowModelVersion = options.shadowModel === undefined ? undefined : (await checkModel(options.shadowModel)).modelVersion
  return { modelVersion, modelCard, faultPlan, shadowModelVersion }
}

/** Where the run writes: the reports folder and the features log. */
export async function checkOutputPaths(options: { reportsDir: string; featuresLogPath?: string }): Promise<void> {
  await checkWritableDirectory(options.reportsDir, { what: '--reports-dir', hint: 'Choose a folder you can write to with --reports-dir.' })
  if (options.featuresLogPath !== undefined) await checkWritableFile(options.featuresLogPath, { what: '--features-log', hint: 'Choose a file you can write to with --features-log.' })
}

/** What only fraudlab's own scorer can do, refused with an external scorer rather than ignored. */
export function assertExternalScorerFlags(options: { shadowModel?: string; featuresLogPath?: string; scorers?: number }, faultPlan: FaultPlan): void {
  const ownScorerOnly = [
    options.shadowModel !== undefined && '--shadow-model',
    options.featuresLogPath !== undefined && '--features-log',
    (options.scorers ?? 1) > 1 && '--scorers',
    faultPlan.scorerCrashEveryMs !== undefined && '--inject scorer.crash',
  ].filter(Boolean)
  if (ownScorerOnly.length) {
    throw new UserError(`${ownScorerOnly.join(', ')} act on fraudlab's own scorer; with --scorer external your scorer runs it.`, { hint: 'Drop them, or leave out --scorer external.' })
  }
}
