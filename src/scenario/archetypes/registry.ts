import { accountTakeover } from './account-takeover.js'
import { cardTesting } from './card-testing.js'
import type { AttackContext } from './define-archetype.js'
import { impossibleTravel } from './impossible-travel.js'
import { paysimMule } from './paysim-mule.js'
import { syntheticIdentity } from './synthetic-identity.js'
import { velocityAttack } from './velocity-attack.js'
import type { Label } from '../../schema/labels.js'

/**
 * Every fraud archetype a scenario can name, in one list. A new archetype is one module that
 * exports `defineArchetype(...)` and one line here; the scenario schema, the simulator and
 * `scenarios list` read this list.
 */
export const ARCHETYPE_MODULES = [cardTesting, accountTakeover, velocityAttack, impossibleTravel, syntheticIdentity, paysimMule] as const

type Modules = typeof ARCHETYPE_MODULES
// Mapped over a type parameter, so that a tuple maps to a tuple (zod's union needs one).
type NamesOf<T> = { -readonly [K in keyof T]: T[K] extends { name: infer N } ? N : never }
type SchemasOf<T> = { -readonly [K in keyof T]: T[K] extends { schema: infer S } ? S : never }

export const ARCHETYPE_NAMES = ARCHETYPE_MODULES.map((archetype) => archetype.name) as NamesOf<Modules>

/** The `fraud` entries of a scenario, one schema per archetype, for zod's discriminated union. */
export const ARCHETYPE_SCHEMAS = ARCHETYPE_MODULES.map((archetype) => archetype.schema) as SchemasOf<Modules>

const BY_NAME = new Map<string, Modules[number]>(ARCHETYPE_MODULES.map((archetype) => [archetype.name, archetype]))

/** Starts one attack of `spec`'s archetype at `startMs`: the archetype schedules its own steps. */
export function startAttack(context: AttackContext, spec: { archetype: string }, attackId: string, startMs: number): void {
  const archetype = BY_NAME.get(spec.archetype)
  if (!archetype) throw new Error(`no archetype named ${spec.archetype} is registered`)
  const label: Label = { isFraud: true, archetype: spec.archetype, attackId }
  ;(archetype.start as (context: AttackContext, spec: unknown, label: Label, startMs: number) => void)(context, spec, label, startMs)
}
