import type { AwsEndpoints } from '../aws/endpoints.js'
import { UserError } from '../errors/user-error.js'
import type { RunSummary } from '../report/summary-schema.js'
import { CONTROL_TOKEN_HEADER } from '../stack/emulator-control.js'
import { AWS_FAN_OUT } from '../stack/kinesis/fan-out-server.js'
import { CONTROL_PATH, type FaultPlan, type FrontCounts } from '../stack/fault-plan.js'

type EmulatorFaultService = 'kinesis' | 'dynamodb' | 'sns'

/** An embedded stack's emulators and the token their control path asks for. */
export interface EmulatorControl {
  endpoints: AwsEndpoints
  controlToken?: string
}

/** Emulator faults need the embedded stack; the scorer crash works on every target. */
export function assertFaultsSupported(target: AwsEndpoints['target'] | string, plan: FaultPlan): void {
  const emulatorFaults = [
    plan.kinesisThrottle && 'kinesis.throttle',
    plan.kinesisLatencyMs && 'kinesis.latency',
    plan.dynamodbThrottle && 'dynamodb.throttle',
    plan.snsFail && 'sns.fail',
    plan.efoLifetimeMs !== undefined && 'efo.lifetime',
    plan.efoLatencyMs !== undefined && 'efo.latency',
  ].filter(Boolean)
  if (target !== 'embedded' && emulatorFaults.length) {
    throw new UserError(`--inject ${emulatorFaults.join(', ')} needs the embedded stack; this run's target is ${target}.`, {
      hint: 'Drop --target (embedded is the default), or keep only scorer.crash, which works on every target.',
    })
  }
}

/**
 * Sets the embedded stack's limits and faults for this run (each emulator answers on its control
 * path), resetting their counts. Every run sets them, so a stack started earlier by `stack up`
 * carries no faults over from a previous run.
 */
export async function applyEmulatorFaults(stack: EmulatorControl, plan: FaultPlan, kinesisLimits: boolean, seed: number): Promise<void> {
  const { endpoints } = stack
  const settings: Record<EmulatorFaultService, Record<string, unknown>> = {
    // Every run sets the fan-out's settings too: AWS' own unless this run injects others.
    kinesis: { limits: kinesisLimits, throttle: plan.kinesisThrottle, latencyMs: plan.kinesisLatencyMs, seed, fanOut: { subscriptionLifetimeMs: plan.efoLifetimeMs ?? AWS_FAN_OUT.subscriptionLifetimeMs, pushLatencyMs: plan.efoLatencyMs ?? AWS_FAN_OUT.pushLatencyMs } },
    dynamodb: { limits: false, throttle: plan.dynamodbThrottle, latencyMs: 0, seed: seed + 1 },
    sns: { fail: plan.snsFail, seed: seed + 2 },
  }
  await Promise.all(
    (Object.keys(settings) as EmulatorFaultService[]).map(async (service) => {
      const response = await control(stack, service, { method: 'PUT', body: JSON.stringify(settings[service]) })
      if (!response?.ok) {
        throw new UserError(`The embedded ${service} emulator at ${endpoints[service]} does not take limits and faults (it answered ${response ? response.status : 'nothing'}).`, {
          hint: 'It was started by an older fraudlab, or its state file lost the key to it: run `fraudlab stack down`, then `fraudlab stack up` (or let the run start its own stack).',
        })
      }
    }),
  )
}

/** What each emulator injected and refused during the run. */
export async function readEmulatorFaultCounts(stack: EmulatorControl): Promise<Record<EmulatorFaultService, FrontCounts | null>> {
  const read = async (service: EmulatorFaultService) => {
    const response = await control(stack, service, { method: 'GET' })
    if (!response?.ok) return null
    const { counts } = (await response.json()) as { counts: FrontCounts }
    return { limitThrottled: counts.limitThrottled, injected: counts.injected, delayed: counts.delayed }
  }
  const [kinesis, dynamodb, sns] = await Promise.all([read('kinesis'), read('dynamodb'), read('sns')])
  return { kinesis, dynamodb, sns }
}

export function faultsSummary(specs: readonly string[], kinesisLimits: boolean, counts: Record<EmulatorFaultService, FrontCounts | null>, scorerCrashes: number): NonNullable<RunSummary['faults']> {
  return { kinesisLimits, injected: [...specs], ...counts, scorerCrashes }
}

async function control(stack: EmulatorControl, service: EmulatorFaultService, init: { method: string; body?: string }): Promise<Response | undefined> {
  const base = stack.endpoints[service]
  if (!base) return undefined
  const headers = { 'content-type': 'application/json', ...(stack.controlToken ? { [CONTROL_TOKEN_HEADER]: stack.controlToken } : {}) }
  try {
    return await fetch(new URL(CONTROL_PATH, base), { ...init, headers, signal: AbortSignal.timeout(5_000) })
  } catch {
    return undefined
  }
}
