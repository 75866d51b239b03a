import { checkModel } from '../decision/check-model.js'
import { cardPathFor, readModelCard, type ModelCard } from '../model/model-card.js'
import { NO_FAULTS, type FaultPlan } from '../stack/fault-plan.js'
import type { TargetName } from '../aws/endpoints.js'
import { assertFaultsSupported } from './fault-injection.js'

export interface RunChecks {
  modelVersion: string
  modelCard: ModelCard | null
  shadowModelVersion?: string
  faultPlan: FaultPlan
}

/**
 * Phase 1, before anything starts: a wrong model or a fault the target cannot inject is a user
 * error, not a failed run with a report.
 */
export async function checkRun(options: { target: TargetName; model: string; shadowModel?: string; faults?: { plan: FaultPlan } }): Promise<RunChecks> {
  const faultPlan = options.faults?.plan ?? NO_FAULTS
  assertFaultsSupported(options.target, faultPlan)
  const { modelVersion } = await checkModel(options.model)
  const modelCard = options.model === 'rules' ? null : readModelCard(cardPathFor(options.model))
  const shadowModelVersion = options.shadowModel === undefined ? undefined : (await checkModel(options.shadowModel)).modelVersion
  return { modelVersion, modelCard, faultPlan, shadowModelVersion }
}
