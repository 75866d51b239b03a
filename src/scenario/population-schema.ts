import { z } from 'zod'
import { DEFAULT_CITIES } from './geo.js'
import { amount, nonNegative, positive, range, share } from './schema-parts.js'

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

export const population = z
  .strictObject({
    customers: positive('customers').int().max(5_000_000, { error: 'customers must be at most 5,000,000' }),
    merchants: positive('merchants').int().max(1_000_000),
    devicesPerCustomer: range('devicesPerCustomer', { integer: true }).default({ min: 1, max: 2 }),
    homeLocations: z.array(city).min(1).default(DEFAULT_CITIES),
    startingBalance: amount.default({ median: 3_000, sigma: 1 }),
    segments: z.array(segment).min(1),
    benign: z
      .strictObject({
        /** Trips per customer per year; travellers then pay in person where they are, over hotel or roaming IPs. */
        tripsPerYear: nonNegative('tripsPerYear').default(3),
        /** Share of purchases that are unusually large (a new TV, a flight). */
        largePurchaseShare: share('largePurchaseShare').default(0.005),
        /** Share of purchases under $5 (coffee, app stores, a subscription's card check). */
        smallPurchaseShare: share('smallPurchaseShare').default(0.05),
        /** Share of card purchases declined (insufficient funds, a mistyped code). */
        declineShare: share('declineShare').default(0.02),
        /** Shopping trips: the share of purchases followed by 1–5 more at other merchants within the hour. */
        sessionShare: share('sessionShare').default(0.04),
        /** New phones per customer per year; some come with a password reset. */
        newDevicesPerYear: nonNegative('newDevicesPerYear').default(0.7),
        /** Share of a customer's transactions from a fresh device fingerprint (cleared cookies, a private window, a reinstalled app). */
        freshFingerprintShare: share('freshFingerprintShare').default(0.02),
        /** Share of customers who share a device with someone in their household. */
        sharedDeviceShare: share('sharedDeviceShare').default(0.1),
        /** Share of transactions made over mobile data: from one of the city's carrier-NAT addresses, which many customers share. */
        mobileDataShare: share('mobileDataShare').default(0.3),
        /** Carrier-NAT addresses per city. */
        carrierIpsPerCity: positive('carrierIpsPerCity').int().max(100_000).default(24),
        /** Share of TRANSFERs and CASH_OUTs that move most or all of the balance (savings, moving banks, rent). */
        wholeBalanceTransferShare: share('wholeBalanceTransferShare').default(0.01),
        /** Share of TRANSFERs to someone the customer has not paid before (the rest go to family, a landlord, their own savings). */
        newPayeeShare: share('newPayeeShare').default(0.3),
        /** Share of TRANSFERs whose receiver cashes most of them out within hours (rent, a shared bill). */
        cashOutAfterTransferInShare: share('cashOutAfterTransferInShare').default(0.1),
        /** Genuine accounts opened per day during the run; they arrive with no history. */
        newCustomersPerDay: nonNegative('newCustomersPerDay').max(1_000_000).default(0),
      })
      .prefault({}),
  })
  .refine((p) => Math.abs(p.segments.reduce((sum, s) => sum + s.share, 0) - 1) < 1e-6, { error: 'segment shares must add up to 1', path: ['segments'] })

export type SegmentSpec = z.output<typeof segment>
