import { z } from 'zod'
import { duration } from '../schema-parts.js'

/**
 * An archetype's parameters moving over the run: from `from` to `to` (event time since the
 * scenario's start) each listed parameter goes from its value to the one given, linearly (numbers,
 * and the numbers inside ranges and amounts); attacks that start later use the new values.
 */
export interface Drift {
  from: number
  to: number
  params: Record<string, unknown>
}

/** The `drift` entry of an archetype whose parameters are `params`: any of them, each without its default. */
export function driftSchema(params: z.ZodRawShape) {
  const optional = Object.fromEntries(
    Object.entries(params).map(([name, schema]) => {
      const inner = schema as z.ZodType & { def: { type: string }; unwrap?: () => z.ZodType }
      return [name, (inner.def.type === 'default' && inner.unwrap ? inner.unwrap() : inner).optional()]
    }),
  )
  return z
    .strictObject({ from: duration('drift.from'), to: duration('drift.to'), params: z.strictObject(optional) })
    .refine((drift) => drift.to > drift.from, { error: 'drift.to must come after drift.from' })
    .refine((drift) => Object.keys(drift.params).length > 0, { error: 'drift.params must name at least one parameter of the archetype' })
}

/** The spec an attack starting `sinceStartMs` after the scenario's start uses. */
export function drifted<Spec extends { drift?: Drift }>(spec: Spec, sinceStartMs: number): Spec {
  const drift = spec.drift
  if (!drift || sinceStartMs <= drift.from) return spec
  const progress = Math.min(1, (sinceStartMs - drift.from) / (drift.to - drift.from))
  const moved: Record<string, unknown> = { ...spec }
  for (const [name, target] of Object.entries(drift.params)) {
    if (target !== undefined) moved[name] = between((spec as Record<string, unknown>)[name], target, progress)
  }
  return moved as Spec
}

function between(from: unknown, to: unknown, progress: number): unknown {
  if (typeof from === 'number' && typeof to === 'number') return from + (to - from) * progress
  if (from && to && typeof from === 'object' && typeof to === 'object') {
    const result: Record<string, unknown> = { ...(from as Record<string, unknown>) }
    for (const [key, value] of Object.entries(to as Record<string, unknown>)) result[key] = between((from as Record<string, unknown>)[key], value, progress)
    return result
  }
  return progress >= 1 ? to : from
}
