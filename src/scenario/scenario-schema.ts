import { z } from 'zod'
import { duration, nonNegative, positive } from './schema-parts.js'
import { ARCHETYPE_NAMES, ARCHETYPE_SCHEMAS } from './archetypes/registry.js'
import { population } from './population-schema.js'

export const ARCHETYPES = ARCHETYPE_NAMES
export type Archetype = (typeof ARCHETYPES)[number]

const fraud = z.discriminatedUnion('archetype', ARCHETYPE_SCHEMAS)

const stage = z.strictObject({ target: nonNegative('target').max(100_000), duration: duration('duration') })
const poisson = z.boolean().default(false)
const MAX_RATE = 100_000

export const arrivalSchema = z.discriminatedUnion('executor', [
  z.strictObject({ executor: z.literal('constant'), rate: positive('rate').max(MAX_RATE), duration: duration('duration'), poisson }),
  z.strictObject({ executor: z.literal('ramping'), startRate: nonNegative('startRate').max(MAX_RATE).default(0), stages: z.array(stage).min(1), poisson }),
  z.strictObject({
    executor: z.literal('spike'),
    rate: positive('rate').max(MAX_RATE),
    spikeRate: positive('spikeRate').max(MAX_RATE),
    spikeAt: duration('spikeAt'),
    spikeDuration: duration('spikeDuration'),
    duration: duration('duration'),
    poisson,
  }),
  /** Sends each transaction at its event time divided by `timeScale`: the population's own rhythm. */
  z.strictObject({ executor: z.literal('event-time'), timeScale: positive('timeScale').max(1e9), duration: duration('duration') }),
])

export const scenarioSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'name must be lower-case letters, digits and dashes' }),
    description: z.string().default(''),
    seed: nonNegative('seed').int().max(2 ** 32 - 1).default(1),
    startTime: z.iso.datetime({ error: 'startTime must be an ISO date-time such as 2026-01-01T00:00:00Z' }).default('2026-01-01T00:00:00Z'),
    population,
    fraud: z.array(fraud).default([]),
    arrival: arrivalSchema.default({ executor: 'constant', rate: 200, duration: 20_000, poisson: false }),
    thresholds: z.array(z.string().min(1)).default([]),
  })
  .refine((s) => s.arrival.executor !== 'spike' || s.arrival.spikeAt + s.arrival.spikeDuration <= s.arrival.duration, {
    error: 'the spike must end before the run does: spikeAt + spikeDuration ≤ duration',
    path: ['arrival'],
  })

export type ScenarioFile = z.output<typeof scenarioSchema>
export type ArrivalProfile = z.output<typeof arrivalSchema>
export type FraudSpec = z.output<typeof fraud>
