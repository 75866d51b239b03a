import type { Transaction } from '../schema/transaction.js'
import { haversineKmOf } from '../util/haversine.js'
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../util/time.js'
import { BoundedMap } from '../util/bounded-map.js'
import { F, FEATURE_COUNT } from './feature-names.js'
import { RecentEvents } from './recent-events.js'
import { NO_TAG, tagHash } from './tag-hash.js'

const WINDOW_MS = DAY_MS
/** The shortest gap used for a speed, so two transactions a second apart do not read as light speed. */
const MIN_SPEED_GAP_MS = MINUTE_MS
const KNOWN_VALUES_PER_ACCOUNT = 16

export interface FeatureLimits {
  accounts: number
  counterparties: number
  cards: number
  devices: number
  merchants: number
  /** Events kept per entity within the 24-hour window; window counts saturate here. */
  eventsPerEntity: number
}

/**
 * Sized so that the scorer stays within 600 MB resident on a full PaySim replay, where nearly every
 * account is new (about 190 MB of heap with the scorer’s dedup window, `npm run bench:feature-memory`).
 */
export const DEFAULT_FEATURE_LIMITS: FeatureLimits = {
  accounts: 200_000,
  counterparties: 200_000,
  cards: 200_000,
  devices: 200_000,
  merchants: 50_000,
  eventsPerEntity: 64,
}

export interface FeatureMemory {
  trackedKeys: { accounts: number; counterparties: number; cards: number; devices: number; merchants: number }
  evictedKeys: number
  /** Estimated from a sample of tracked entities; for the report, not for accounting. */
  estimatedBytes: number
}

/** The state's size before the first transaction. */
export const EMPTY_FEATURE_MEMORY: FeatureMemory = Object.freeze({
  trackedKeys: Object.freeze({ accounts: 0, counterparties: 0, cards: 0, devices: 0, merchants: 0 }),
  evictedKeys: 0,
  estimatedBytes: 0,
})

class AccountState {
  readonly events = new RecentEvents()
  devices?: RecentEvents
  ips?: RecentEvents
  knownDevices?: FirstSeen
  knownIps?: FirstSeen
  /** Whom the account has sent TRANSFERs to. */
  payees?: FirstSeen
  lastUpdateAt = NaN
  inboundAmount = 0
  inboundAt = NaN
  /** Only for accounts whose transactions carry a location (none in PaySim): most accounts never need it. */
  geo?: AccountGeo
}

/** Where an account has been. Every field starts as a location or a time, never as a placeholder. */
class AccountGeo {
  cardPresentLat = NaN
  cardPresentLon = NaN
  cardPresentAt = NaN
  /** The fastest card-present jump within the last day, and when it happened. */
  maxSpeedKmh = 0
  maxSpeedAt = NaN

  constructor(
    public lastLat: number,
    public lastLon: number,
    /** Where the account usually is: a moving average of its locations (most recent weigh 1/8). */
    public usualLat: number,
    public usualLon: number,
  ) {}
}

/** A device's recent events, and every account it has been used by (up to a cap): households share one, rings share a few. */
class DeviceEvents extends RecentEvents {
  /** The accounts' tagHash. */
  readonly accountsSeen: number[]

  constructor(firstAccount: number) {
    super()
    this.accountsSeen = [firstAccount]
  }

  /** Adds the account if new (up to the cap) and returns how many accounts the device has served, this one included. */
  noteAccount(account: number): number {
    const seen = this.accountsSeen
    if (seen.includes(account)) return seen.length
    const count = seen.length + 1
    if (seen.length < ACCOUNTS_PER_DEVICE) seen.push(account)
    return count
  }
}

const ACCOUNTS_PER_DEVICE = 16

/** The last few values an account used (devices, addresses, payees), as their tagHash, each with when it was first used. */
class FirstSeen {
  readonly values: number[]
  readonly since: number[]

  constructor(value: number, t: number) {
    this.values = [value]
    this.since = [t]
  }

  /** Hours since `value` was first used, or NaN if it is not remembered. */
  ageHours(value: number, t: number): number {
    const i = this.values.indexOf(value)
    return i < 0 ? NaN : (t - this.since[i]) / HOUR_MS
  }

  note(value: number, t: number): void {
    if (this.values.includes(value)) return
    this.values.push(value)
    this.since.push(t)
    if (this.values.length > KNOWN_VALUES_PER_ACCOUNT) {
      this.values.shift()
      this.since.shift()
    }
  }
}

function noted(known: FirstSeen | undefined, value: number, t: number): FirstSeen {
  if (!known) return new FirstSeen(value, t)
  known.note(value, t)
  return known
}

const USUAL_LOCATION_WEIGHT = 1 / 8

const ENTITY_BYTES = 420
const EVENT_BYTES = 40

/**
 * The one feature engine: the scorer runs it online and the trainer offline, so a model is trained
 * on exactly the features it is served. For each transaction it writes the features from the state
 * as it was before the transaction, then folds the transaction in. Unknown values are NaN, never 0;
 * everything is computed in doubles and cast to float32 only where a model reads it.
 */
export class FeatureEngine {
  private readonly accounts: BoundedMap<string, AccountState>
  private readonly counterparties: BoundedMap<string, RecentEvents>
  private readonly cards: BoundedMap<string, RecentEvents>
  private readonly devices: BoundedMap<string, DeviceEvents>
  private readonly merchants: BoundedMap<string, RecentEvents>
  private readonly limits: FeatureLimits

  constructor(limits: Partial<FeatureLimits> = {}) {
    this.limits = { ...DEFAULT_FEATURE_LIMITS, ...limits }
    this.accounts = new BoundedMap(this.limits.accounts)
    this.counterparties = new BoundedMap(this.limits.counterparties)
    this.cards = new BoundedMap(this.limits.cards)
    this.devices = new BoundedMap(this.limits.devices)
    this.merchants = new BoundedMap(this.limits.merchants)
  }

  /** Writes the features of `tx` to `row[offset … offset + FEATURE_COUNT)`, then updates the state. */
  observe(tx: Transaction, row: Float64Array, offset = 0): void {
    row.fill(NaN, offset, offset + FEATURE_COUNT)
    const t = tx.eventTime
    const isCard = tx.merchantCategory !== undefined
    const declined = tx.authResult === undefined ? NaN : tx.authResult === 'declined' ? 1 : 0
    this.transactionFeatures(tx, row, offset, declined)
    const tags = tagsOf(tx)

    const account = this.accounts.get(tx.account)
    this.accountFeatures(tx, tags, account, row, offset)

    const counterparty = isCard ? undefined : this.counterparties.get(tx.counterparty)
    if (!isCard) {
      row[offset + F.counterparty_count_1h] = counterparty ? counterparty.countSince(t - HOUR_MS) : 0
      row[offset + F.counterparty_count_24h] = counterparty ? counterparty.countSince(t - DAY_MS) : 0
      row[offset + F.counterparty_amount_24h] = counterparty ? counterparty.sumSince(t - DAY_MS) : 0
      row[offset + F.counterparty_history_count] = counterparty ? counterparty.total : 0
    }
    const card = tx.card === undefined ? undefined : this.cards.get(tx.card)
    if (tx.card !== undefined) {
      row[offset + F.card_count_10m] = card ? card.countSince(t - 10 * MINUTE_MS) : 0
      row[offset + F.card_count_1h] = card ? card.countSince(t - HOUR_MS) : 0
      row[offset + F.card_distinct_merchants_1h] = card ? card.distinctTagsSince(t - HOUR_MS, tags.counterparty) : 1
      row[offset + F.card_declines_1h] = card ? card.flagsSince(t - HOUR_MS) : 0
    }
    const device = tx.device === undefined ? undefined : this.devices.get(tx.device)
    if (tx.device !== undefined) {
      row[offset + F.device_count_1h] = device ? device.countSince(t - HOUR_MS) : 0
      row[offset + F.device_distinct_accounts_24h] = device ? device.distinctTagsSince(t - DAY_MS, tags.account) : 1
      // Counting the account in now is what the feature reports anyway (this transaction's account included).
      row[offset + F.device_accounts_seen] = device ? device.noteAccount(tags.account) : 1
    }
    const merchant = isCard ? this.merchants.get(tx.counterparty) : undefined
    if (isCard) {
      row[offset + F.merchant_count_1h] = merchant ? merchant.countSince(t - HOUR_MS) : 0
      if (merchant && merchant.total > 0 && merchant.amountTotal > 0) row[offset + F.merchant_amount_vs_mean] = tx.amount / (merchant.amountTotal / merchant.total)
    }

    this.updateAccount(tx, tags, account)
    const { eventsPerEntity: cap } = this.limits
    const declinedFlag = declined === 1 ? 1 : 0
    if (!isCard) this.upsert(this.counterparties, tx.counterparty, counterparty).push(t, tx.amount, NO_TAG, 0, WINDOW_MS, cap)
    if (tx.card !== undefined) this.upsert(this.cards, tx.card, card).push(t, tx.amount, tags.counterparty, declinedFlag, WINDOW_MS, cap)
    if (tx.device !== undefined) {
      const events = device ?? new DeviceEvents(tags.account)
      this.devices.set(tx.device, events)
      events.push(t, tx.amount, tags.account, 0, WINDOW_MS, cap)
    }
    if (isCard) this.upsert(this.merchants, tx.counterparty, merchant).push(t, tx.amount, NO_TAG, declinedFlag, WINDOW_MS, cap)
  }

  memory(): FeatureMemory {
    const maps = [this.accounts, this.counterparties, this.cards, this.devices, this.merchants]
    let bytes = 0
    for (const map of maps) {
      const sample = map.sample(200)
      if (sample.length === 0) continue
      let sampleBytes = 0
      for (const value of sample) sampleBytes += ENTITY_BYTES + EVENT_BYTES * retained(value)
      bytes += (sampleBytes / sample.length) * map.size
    }
    return {
      trackedKeys: {
        accounts: this.accounts.size,
        counterparties: this.counterparties.size,
        cards: this.cards.size,
        devices: this.devices.size,
        merchants: this.merchants.size,
      },
      evictedKeys: maps.reduce((sum, map) => sum + map.evictions, 0),
      estimatedBytes: Math.round(bytes),
    }
  }

  private transactionFeatures(tx: Transaction, row: Float64Array, o: number, declined: number): void {
    row[o + F.amount] = tx.amount
    row[o + F.type_payment] = tx.type === 'PAYMENT' ? 1 : 0
    row[o + F.type_transfer] = tx.type === 'TRANSFER' ? 1 : 0
    row[o + F.type_cash_out] = tx.type === 'CASH_OUT' ? 1 : 0
    row[o + F.type_cash_in] = tx.type === 'CASH_IN' ? 1 : 0
    row[o + F.type_debit] = tx.type === 'DEBIT' ? 1 : 0
    row[o + F.type_purchase] = tx.type === 'PURCHASE' ? 1 : 0
    row[o + F.type_account_update] = tx.type === 'ACCOUNT_UPDATE' ? 1 : 0
    row[o + F.channel_mobile] = tx.channel === 'mobile' ? 1 : 0
    row[o + F.channel_web] = tx.channel === 'web' ? 1 : 0
    row[o + F.channel_pos] = tx.channel === 'pos' ? 1 : 0
    row[o + F.channel_atm] = tx.channel === 'atm' ? 1 : 0
    row[o + F.channel_branch] = tx.channel === 'branch' ? 1 : 0
    row[o + F.card_present] = tx.channel === 'pos' || tx.channel === 'atm' ? 1 : 0
    row[o + F.hour_of_day] = (tx.eventTime % DAY_MS) / HOUR_MS
    row[o + F.auth_declined] = declined
    const b = tx.balances
    if (b) {
      // PaySim's two tell-tale errors: newbalanceOrig + amount − oldbalanceOrg, oldbalanceDest + amount − newbalanceDest.
      row[o + F.balance_error_origin] = b.originAfter + tx.amount - b.originBefore
      row[o + F.balance_error_destination] = b.destinationBefore + tx.amount - b.destinationAfter
      row[o + F.origin_before_zero] = b.originBefore === 0 ? 1 : 0
      row[o + F.origin_after_zero] = b.originAfter === 0 ? 1 : 0
      row[o + F.destination_before_zero] = b.destinationBefore === 0 ? 1 : 0
      row[o + F.destination_after_zero] = b.destinationAfter === 0 ? 1 : 0
      row[o + F.empties_account] = b.originBefore > 0 && tx.amount >= b.originBefore ? 1 : 0
      if (b.originBefore > 0) row[o + F.share_of_balance] = tx.amount / b.originBefore
    }
    if (tx.accountCreatedAt !== undefined) row[o + F.account_age_days] = (tx.eventTime - tx.accountCreatedAt) / DAY_MS
  }

  private accountFeatures(tx: Transaction, tags: TransactionTags, a: AccountState | undefined, row: Float64Array, o: number): void {
    const t = tx.eventTime
    const merchantTag = tx.merchantCategory !== undefined ? tags.counterparty : NO_TAG
    if (!a) {
      row[o + F.account_count_10m] = 0
      row[o + F.account_count_1h] = 0
      row[o + F.account_count_24h] = 0
      row[o + F.account_amount_10m] = 0
      row[o + F.account_amount_1h] = 0
      row[o + F.account_amount_24h] = 0
      row[o + F.account_distinct_merchants_1h] = merchantTag === merchantTag ? 1 : 0
      row[o + F.account_distinct_devices_24h] = tx.device === undefined ? 0 : 1
      row[o + F.account_distinct_ips_24h] = tx.ip === undefined ? 0 : 1
      row[o + F.account_declines_1h] = 0
      row[o + F.account_history_count] = 0
      if (tx.device !== undefined) row[o + F.account_device_age_hours] = 0
      if (tx.ip !== undefined) row[o + F.account_ip_age_hours] = 0
      if (tx.type === 'TRANSFER') row[o + F.account_new_payee] = 1
      return
    }
    const events = a.events
    row[o + F.account_count_10m] = events.countSince(t - 10 * MINUTE_MS)
    row[o + F.account_count_1h] = events.countSince(t - HOUR_MS)
    row[o + F.account_count_24h] = events.countSince(t - DAY_MS)
    row[o + F.account_amount_10m] = events.sumSince(t - 10 * MINUTE_MS)
    row[o + F.account_amount_1h] = events.sumSince(t - HOUR_MS)
    row[o + F.account_amount_24h] = events.sumSince(t - DAY_MS)
    row[o + F.account_distinct_merchants_1h] = events.distinctTagsSince(t - HOUR_MS, merchantTag)
    row[o + F.account_distinct_devices_24h] = a.devices ? a.devices.distinctTagsSince(t - DAY_MS, tags.device) : tx.device === undefined ? 0 : 1
    row[o + F.account_distinct_ips_24h] = a.ips ? a.ips.distinctTagsSince(t - DAY_MS, tags.ip) : tx.ip === undefined ? 0 : 1
    row[o + F.account_declines_1h] = events.flagsSince(t - HOUR_MS)
    row[o + F.account_history_count] = events.total
    if (events.total > 0) {
      row[o + F.account_seconds_since_previous] = (t - events.lastTime) / 1000
      const mean = events.amountTotal / events.total
      if (mean > 0) row[o + F.account_amount_vs_mean] = tx.amount / mean
    }
    if (tx.device !== undefined) {
      const age = a.knownDevices ? a.knownDevices.ageHours(tags.device, t) : NaN
      row[o + F.account_new_device] = age === age ? 0 : 1
      row[o + F.account_device_age_hours] = age === age ? age : 0
    }
    if (tx.ip !== undefined) {
      const age = a.knownIps ? a.knownIps.ageHours(tags.ip, t) : NaN
      row[o + F.account_new_ip] = age === age ? 0 : 1
      row[o + F.account_ip_age_hours] = age === age ? age : 0
    }
    if (tx.type === 'TRANSFER') row[o + F.account_new_payee] = a.payees?.values.includes(tags.counterparty) ? 0 : 1
    if (!Number.isNaN(a.lastUpdateAt)) row[o + F.account_seconds_since_update] = (t - a.lastUpdateAt) / 1000
    if (a.inboundAmount > 0 && t - a.inboundAt <= DAY_MS) row[o + F.account_amount_vs_inbound_24h] = tx.amount / a.inboundAmount
    const seen = a.geo
    if (!seen) return
    const geo = tx.geo
    if (geo) {
      row[o + F.geo_km_from_previous] = haversineKmOf(seen.lastLat, seen.lastLon, geo.lat, geo.lon)
      row[o + F.geo_km_from_usual] = haversineKmOf(seen.usualLat, seen.usualLon, geo.lat, geo.lon)
      if (isCardPresent(tx) && !Number.isNaN(seen.cardPresentLat)) row[o + F.geo_speed_card_present_kmh] = cardPresentSpeedKmh(seen, geo.lat, geo.lon, t)
    }
    if (!Number.isNaN(seen.cardPresentLat)) row[o + F.geo_max_speed_24h_kmh] = t - seen.maxSpeedAt <= DAY_MS ? seen.maxSpeedKmh : 0
  }

  private updateAccount(tx: Transaction, tags: TransactionTags, existing: AccountState | undefined): void {
    const a = existing ?? new AccountState()
    const { eventsPerEntity: cap } = this.limits
    const t = tx.eventTime
    a.events.push(t, tx.amount, tx.merchantCategory !== undefined ? tags.counterparty : NO_TAG, tx.authResult === 'declined' ? 1 : 0, WINDOW_MS, cap)
    if (tx.device !== undefined) {
      ;(a.devices ??= new RecentEvents()).push(t, 0, tags.device, 0, WINDOW_MS, cap)
      a.knownDevices = noted(a.knownDevices, tags.device, t)
    }
    if (tx.ip !== undefined) {
      ;(a.ips ??= new RecentEvents()).push(t, 0, tags.ip, 0, WINDOW_MS, cap)
      a.knownIps = noted(a.knownIps, tags.ip, t)
    }
    if (tx.type === 'TRANSFER') a.payees = noted(a.payees, tags.counterparty, t)
    if (tx.type === 'ACCOUNT_UPDATE') a.lastUpdateAt = t
    if (tx.geo) {
      const { lat, lon } = tx.geo
      let seen = a.geo
      if (!seen) seen = a.geo = new AccountGeo(lat, lon, lat, lon)
      else {
        seen.lastLat = lat
        seen.lastLon = lon
        // Averaging degrees is fine at city scale; an account that lives across the antimeridian is rare.
        seen.usualLat += USUAL_LOCATION_WEIGHT * (lat - seen.usualLat)
        seen.usualLon += USUAL_LOCATION_WEIGHT * (lon - seen.usualLon)
      }
      if (isCardPresent(tx)) {
        if (!Number.isNaN(seen.cardPresentLat)) {
          const speed = cardPresentSpeedKmh(seen, lat, lon, t)
          if (speed >= seen.maxSpeedKmh || t - seen.maxSpeedAt > DAY_MS) {
            seen.maxSpeedKmh = speed
            seen.maxSpeedAt = t
          }
        }
        seen.cardPresentLat = lat
        seen.cardPresentLon = lon
        seen.cardPresentAt = t
      }
    }
    this.accounts.set(tx.account, a)
    if (tx.type === 'TRANSFER') {
      const receiver = this.accounts.get(tx.counterparty) ?? new AccountState()
      receiver.inboundAmount = tx.amount
      receiver.inboundAt = t
      this.accounts.set(tx.counterparty, receiver)
    }
  }

  private upsert(map: BoundedMap<string, RecentEvents>, key: string, existing: RecentEvents | undefined): RecentEvents {
    if (existing) {
      map.set(key, existing)
      return existing
    }
    const created = new RecentEvents()
    map.set(key, created)
    return created
  }
}

/** The values of a transaction its entities remember, hashed once (NO_TAG where absent). */
interface TransactionTags {
  account: number
  counterparty: number
  device: number
  ip: number
}

/** Only those some entity will compare: a device's accounts, a card's or account's merchants, an account's payees. */
function tagsOf(tx: Transaction): TransactionTags {
  const device = tx.device === undefined ? NO_TAG : tagHash(tx.device)
  const counterpartyRemembered = tx.merchantCategory !== undefined || tx.card !== undefined || tx.type === 'TRANSFER'
  return {
    account: device === device ? tagHash(tx.account) : NO_TAG,
    counterparty: counterpartyRemembered ? tagHash(tx.counterparty) : NO_TAG,
    device,
    ip: tx.ip === undefined ? NO_TAG : tagHash(tx.ip),
  }
}

function cardPresentSpeedKmh(a: AccountGeo, lat: number, lon: number, t: number): number {
  const km = haversineKmOf(a.cardPresentLat, a.cardPresentLon, lat, lon)
  return km / (Math.max(MIN_SPEED_GAP_MS, t - a.cardPresentAt) / HOUR_MS)
}

function isCardPresent(tx: Transaction): boolean {
  return tx.channel === 'pos' || tx.channel === 'atm'
}

function retained(value: AccountState | RecentEvents): number {
  if (value instanceof DeviceEvents) return value.retainedEvents + value.accountsSeen.length
  if (value instanceof RecentEvents) return value.retainedEvents
  return value.events.retainedEvents + (value.devices?.retainedEvents ?? 0) + (value.ips?.retainedEvents ?? 0) + 2 * ((value.knownDevices?.values.length ?? 0) + (value.knownIps?.values.length ?? 0) + (value.payees?.values.length ?? 0))
}
