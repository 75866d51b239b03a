import { z } from 'zod'
import { parseDurationMs } from '../util/duration.js'
import { DEFAULT_CITIES } from './geo.js'

const duration = (what: string) =>
  z.string({ error: `${what} must be a duration such as "30s", "5m" or "1h"` }).transform((text, context) => {
    const ms = parseDurationMs(text)
    if (ms === undefined || ms <= 0) {
      context.addIssue({ code: 'custom', message: `${what} must be a positive duration such as "30s", "5m" or "1h"; got "${text}"` })
      return z.NEVER
    }
    return ms
  })

const positive = (what: string) => z.number({ error: `${what} must be a number` }).positive({ error: `${what} must be greater than 0` })
const nonNegative = (what: string) => z.number({ error: `${what} must be a number` }).nonnegative({ error: `${what} must not be negative` })
const share = (what: string) => z.number({ error: `${what} must be a number from 0 to 1` }).min(0, { error: `${what} must be at least 0` }).max(1, { error: `${what} must be at most 1 (100%)` })

const range = (what: string, options: { integer?: boolean } = {}) =>
  z
    .strictObject({ min: options.integer ? nonNegative(`${what}.min`).int() : nonNegative(`${what}.min`), max: options.integer ? nonNegative(`${what}.max`).int() : nonNegative(`${what}.max`) })
    .refine((r) => r.max >= r.min, { error: `${what}.max must be at least ${what}.min` })

const amount = z.strictObject({
  median: positive('median'),
  /** Spread of the log-normal: 0 gives a constant, 1 a wide tail. */
  sigma: z.number().min(0).max(3).default(0.8),
})

export const SEGMENT_TYPES = ['PURCHASE', 'PAYMENT', 'TRANSFER', 'CASH_OUT', 'CASH_IN', 'DEBIT'] as const

const segment = z.strictObject({
  name: z.string().min(1),
  share: z.number().gt(0, { error: 'share must be greater than 0' }).max(1, { error: 'share must be at most 1' }),
  amount,
  transactionsPerDay: positive('transactionsPerDay').max(500, { error: 'transactionsPerDay must be at most 500' }),
  activeHours: z
    .tuple([z.number().int().min(0).max(23), z.number().int().min(1).max(24)])
    .refine(([from, to]) => to > from, { error: 'activeHours must be [from, to] with to later than from, e.g. [7, 23]' })
    .default([7, 23]),
  /** Weights of transaction types in this segment's everyday activity. */
  types: z.partialRecord(z.enum(SEGMENT_TYPES), nonNegative('type weight')).default({ PURCHASE: 6, PAYMENT: 1, TRANSFER: 1, CASH_OUT: 1, CASH_IN: 1 }),
  /** Share of card purchases made in person (pos) rather than online. */
  cardPresentShare: share('cardPresentShare').default(0.6),
})

const city = z.strictObject({ name: z.string().min(1), lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), weight: positive('weight').default(1) })

const population = z
  .strictObject({
    customers: positive('customers').int().max(5_000_000, { error: 'customers must be at most 5,000,000' }),
    merchants: positive('merchants').int().max(1_000_000),
    devicesPerCustomer: range('devicesPerCustomer', { integer: true }).default({ min: 1, max: 2 }),
    homeLocations: z.array(city).min(1).default(DEFAULT_CITIES),
    startingBalance: amount.default({ median: 3_000, sigma: 1 }),
    segments: z.array(segment).min(1),
    benign: z
      .strictObject({
        /** Trips per customer per year; travellers then pay in person where they are. */
        tripsPerYear: nonNegative('tripsPerYear').default(3),
        /** Share of purchases that are unusually large (a new TV, a flight). */
        largePurchaseShare: share('largePurchaseShare').default(0.005),
        /** New phones per customer per year; some come with a password reset. */
        newDevicesPerYear: nonNegative('newDevicesPerYear').default(0.7),
        /** Share of TRANSFERs that move the customer's whole balance (savings, moving banks). */
        wholeBalanceTransferShare: share('wholeBalanceTransferShare').default(0.01),
      })
      .default({ tripsPerYear: 3, largePurchaseShare: 0.005, newDevicesPerYear: 0.7, wholeBalanceTransferShare: 0.01 }),
  })
  .refine((p) => Math.abs(p.segments.reduce((sum, s) => sum + s.share, 0) - 1) < 1e-6, { error: 'segment shares must add up to 1', path: ['segments'] })

/** How often attacks of one archetype start: a rate in event time, or a number within a window. */
const attackRate = {
  attacksPerDay: positive('attacksPerDay').max(1_000_000).optional(),
  count: positive('count').int().optional(),
  /** With `count`: the attacks start at random within this much event time from the start. */
  within: duration('within').optional(),
}
const rateRule = (f: { attacksPerDay?: number; count?: number }) => (f.attacksPerDay === undefined) !== (f.count === undefined)
const rateError = { error: 'give either attacksPerDay or count (not both)' }

export const ARCHETYPES = ['card-testing', 'account-takeover', 'velocity-attack', 'impossible-travel', 'synthetic-identity', 'paysim-mule'] as const
export type Archetype = (typeof ARCHETYPES)[number]

const fraud = z.discriminatedUnion('archetype', [
  z
    .strictObject({
      archetype: z.literal('card-testing'),
      ...attackRate,
      probes: range('probes', { integer: true }).default({ min: 5, max: 20 }),
      probeAmount: range('probeAmount').default({ min: 0.5, max: 5 }),
      declineRate: share('declineRate').default(0.6),
      gapMinutes: range('gapMinutes').default({ min: 1, max: 10 }),
      finalAmount: amount.default({ median: 900, sigma: 0.5 }),
    })
    .refine(rateRule, rateError),
  z
    .strictObject({
      archetype: z.literal('account-takeover'),
      ...attackRate,
      transfers: range('transfers', { integer: true }).default({ min: 1, max: 3 }),
      shareOfBalance: range('shareOfBalance').default({ min: 0.5, max: 1 }),
      gapMinutes: range('gapMinutes').default({ min: 2, max: 60 }),
    })
    .refine(rateRule, rateError),
  z
    .strictObject({
      archetype: z.literal('velocity-attack'),
      ...attackRate,
      transactions: range('transactions', { integer: true }).default({ min: 10, max: 30 }),
      windowMinutes: range('windowMinutes').default({ min: 5, max: 20 }),
      amount: amount.default({ median: 600, sigma: 0.5 }),
    })
    .refine(rateRule, rateError),
  z
    .strictObject({
      archetype: z.literal('impossible-travel'),
      ...attackRate,
      minDistanceKm: positive('minDistanceKm').default(3_000),
      gapMinutes: range('gapMinutes').default({ min: 10, max: 120 }),
      followUps: range('followUps', { integer: true }).default({ min: 1, max: 4 }),
    })
    .refine(rateRule, rateError),
  z
    .strictObject({
      archetype: z.literal('synthetic-identity'),
      ...attackRate,
      warmUpDays: range('warmUpDays').default({ min: 10, max: 40 }),
      warmUpPerDay: range('warmUpPerDay').default({ min: 0.5, max: 3 }),
      warmUpAmount: amount.default({ median: 35, sigma: 0.6 }),
      creditLimit: range('creditLimit').default({ min: 2_000, max: 15_000 }),
      bustOutTransactions: range('bustOutTransactions', { integer: true }).default({ min: 3, max: 8 }),
    })
    .refine(rateRule, rateError),
  z
    .strictObject({
      archetype: z.literal('paysim-mule'),
      ...attackRate,
      /** PaySim splits a fraudster's TRANSFER into chunks of at most this amount. */
      maxChunk: positive('maxChunk').default(10_000),
      minBalance: positive('minBalance').default(1_000),
      cashOutDelayMinutes: range('cashOutDelayMinutes').default({ min: 0.5, max: 10 }),
    })
    .refine(rateRule, rateError),
])

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
export type SegmentSpec = z.output<typeof segment>
