import type { TransactionType } from '../schema/transaction.js'
import type { Random } from '../util/random.js'
import type { City, LatLon } from './geo.js'
import type { SegmentSpec } from './population-schema.js'

/** A segment's spec with what the simulator derives from it once. */
export interface SegmentRuntime {
  spec: SegmentSpec
  types: TransactionType[]
  cumulative: Float64Array
  /** Mean gap between transactions, counted in active (awake) time only. */
  meanActiveGapMs: number
}

export type TravelPhase = 'home' | 'outbound' | 'away' | 'inbound'

/** A genuine customer and everything the generator tracks about them. */
export interface Customer {
  id: string
  card: string
  segment: SegmentRuntime
  balance: number
  /** The device and IP of the customer's latest transaction (attacks that hijack a session use them). */
  device: string
  /** The customer's own devices, their phone first; a household may share one. */
  knownDevices: string[]
  /** The tablet their household shares, once someone shares it with them. */
  householdDevice?: string
  ip: string
  /** The home broadband address; mobile data and travel use other, shared ones. */
  homeIp: string
  /** Index of the home city in the scenario's homeLocations. */
  homeCity: number
  /** The hotel or roaming address while away. */
  tripIp?: string
  home: LatLon
  /** Hours to add to UTC for the customer's local time (from the home longitude). */
  utcOffsetHours: number
  location: LatLon
  phase: TravelPhase
  phaseEndsAt: number
  tripDestination?: City
  /** The people and own accounts elsewhere the customer usually sends money to; chosen at their first TRANSFER. */
  regularPayees?: Array<Customer | string>
  nextTripAt: number
  nextDeviceChangeAt: number
  createdAt: number
}

export interface Merchant {
  id: string
  category: string
  location: LatLon
}

/** A point within a few kilometres of a city centre. */
export function jitter(random: Random, city: LatLon): LatLon {
  return { lat: round4(city.lat + random.normal() * 0.03), lon: round4(city.lon + random.normal() * 0.03) }
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000
}
