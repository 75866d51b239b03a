import { z } from 'zod'
import type { Label } from '../../schema/labels.js'
import type { Channel, Transaction, TransactionType } from '../../schema/transaction.js'
import type { Random } from '../../util/random.js'
import type { City, LatLon } from '../geo.js'
import type { Customer, Merchant } from '../population.js'
import { duration, positive } from '../schema-parts.js'
import { driftSchema, type Drift } from './drift.js'

/** What an attack sees of the simulated world, and how it acts in it. */
export interface AttackContext {
  readonly random: Random
  readonly customers: Customer[]
  readonly merchants: Merchant[]
  newAccountId(): string
  newDeviceId(): string
  newIp(): string
  /** One of the carrier-NAT addresses of the customer's home city (mobile data, shared by many). */
  carrierIpOf(customer: Customer): string
  /** A customer's own purchase or payment (balances move). */
  payment(customer: Customer, timeMs: number, type: TransactionType, amount: number, merchant: Merchant, channel: Channel, withCard: boolean, declined?: boolean): Transaction
  cash(customer: Customer, timeMs: number, type: 'CASH_IN' | 'CASH_OUT', amount: number): Transaction
  accountUpdate(customer: Customer, timeMs: number, update: 'contact' | 'password', device: string, ip: string, geo: LatLon): Transaction
  /** Queues one step of the attack; `build` runs at its event time, against the state then. */
  schedule(timeMs: number, label: Label, build: (timeMs: number) => Transaction | undefined): void
  pickCity(): City
}

/** How often attacks of one archetype start: a rate in event time, or a number within a window. */
const attackRate = {
  attacksPerDay: positive('attacksPerDay').max(1_000_000).optional(),
  count: positive('count').int().optional(),
  /** With `count`: the attacks start at random within this much event time from the start. */
  within: duration('within').optional(),
}

type SpecShape<Name extends string, Params extends z.ZodRawShape> = { archetype: z.ZodLiteral<Name>; drift: z.ZodOptional<z.ZodType<Drift>> } & typeof attackRate & Params

/** The validated parameters of one attack: the archetype, its rate, and its own parameters with defaults filled in. */
export type ArchetypeSpec<Name extends string, Params extends z.ZodRawShape> = z.output<z.ZodObject<SpecShape<Name, Params>, z.core.$strict>>

export interface ArchetypeDefinition<Name extends string, Params extends z.ZodRawShape> {
  /** The name scenario files use (`archetype: card-testing`). */
  name: Name
  /** The parameters a scenario may set, each with its default. */
  params: Params
  /** Starts one attack at `startMs`: it schedules its own steps through the context. */
  start(context: AttackContext, spec: ArchetypeSpec<Name, Params>, label: Label, startMs: number): void
}

export interface Archetype<Name extends string = string, Params extends z.ZodRawShape = z.ZodRawShape> {
  name: Name
  /** A scenario's `fraud` entry for this archetype. */
  schema: z.ZodObject<SpecShape<Name, Params>, z.core.$strict>
  start(context: AttackContext, spec: ArchetypeSpec<Name, Params>, label: Label, startMs: number): void
}

/** A fraud archetype in one module: its parameters (a zod shape) and its behaviour. Register it in `registry.ts`. */
export function defineArchetype<const Name extends string, Params extends z.ZodRawShape>(definition: ArchetypeDefinition<Name, Params>): Archetype<Name, Params> {
  const shape = { archetype: z.literal(definition.name), ...attackRate, drift: driftSchema(definition.params).optional(), ...definition.params } as SpecShape<Name, Params>
  const schema = z.strictObject(shape).refine((spec) => givesOneRate(spec as { attacksPerDay?: number; count?: number }), {
    error: 'give either attacksPerDay or count (not both)',
  })
  return { name: definition.name, schema, start: definition.start }
}

function givesOneRate(spec: { attacksPerDay?: number; count?: number }): boolean {
  return (spec.attacksPerDay === undefined) !== (spec.count === undefined)
}
