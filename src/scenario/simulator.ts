import { DAY_MS, HOUR_MS, MINUTE_MS } from '../util/time.js'
import type { Label, LabelledTransaction } from '../schema/labels.js'
import type { Channel, Transaction, TransactionType } from '../schema/transaction.js'
import type { AttackContext } from './archetypes/define-archetype.js'
import { drifted } from './archetypes/drift.js'
import { startAttack } from './archetypes/registry.js'
import { EventQueue } from './event-queue.js'
import { haversineKm, PLANE_SPEED_KMH, type City, type LatLon } from './geo.js'
import { accountId, cardId, deviceId, ipAddress, merchantCategory, merchantId } from '../util/ids.js'
import { Random } from '../util/random.js'
import { jitter, round2, type Customer, type Merchant, type SegmentRuntime } from './population.js'
import { buildTransaction, outgoing } from './transaction-builder.js'
import type { SegmentSpec } from './population-schema.js'
import type { FraudSpec, ScenarioFile } from './scenario-schema.js'
import type { TransactionSource } from './transaction-source.js'

const YEAR_MS = 365 * DAY_MS

export const NORMAL_LABEL: Label = Object.freeze({ isFraud: false, archetype: 'normal', attackId: '' })


type SimEvent =
  | { timeMs: number; order?: number; kind: 'customer'; customer: Customer }
  | { timeMs: number; order?: number; kind: 'attack-start'; spec: FraudSpec }
  /** A step scheduled ahead: an attack's, or a genuine customer's follow-up (the rest of a shopping trip, a cash-out). */
  | { timeMs: number; order?: number; kind: 'scheduled-step'; build: (timeMs: number) => Transaction | undefined; label: Label }
  | { timeMs: number; order?: number; kind: 'customer-arrival' }

export interface SimulatorOptions {
  seed: number
  /** Prefix of every transaction id; a run passes its run id so ids are unique across runs. */
  idPrefix?: string
}

/**
 * Generates a scenario's traffic in event-time order: each customer transacts as a Poisson process
 * during their waking hours, travels, changes phones; attacks start at their archetype's rate and
 * schedule their own steps. Nothing depends on the wall clock or the send rate, so the same
 * scenario and seed give the same stream, byte for byte.
 */
export class ScenarioSimulator implements TransactionSource {
  readonly name: string
  readonly random: Random
  readonly customers: Customer[]
  readonly merchants: Merchant[]
  readonly cities: City[]
  readonly startTimeMs: number
  private readonly cityCumulative: Float64Array
  private readonly cityIndices: number[]
  private readonly segments: SegmentRuntime[]
  private readonly segmentCumulative: Float64Array
  /** Each city's carrier-NAT addresses, shared by every customer on mobile data there. */
  private readonly carrierIps: string[][]
  private readonly queue = new EventQueue<SimEvent>()
  private readonly idPrefix: string
  private readonly benign: ScenarioFile['population']['benign']
  private sequence = 0
  private nextAccountNumber: number
  private nextDeviceNumber: number
  private nextIpNumber: number
  private readonly attackCounts = new Map<string, number>()
  private context?: AttackContext

  constructor(
    readonly scenario: ScenarioFile,
    options: SimulatorOptions,
  ) {
    this.name = scenario.name
    this.random = new Random(options.seed)
    this.idPrefix = options.idPrefix ?? 'tx'
    this.startTimeMs = Date.parse(scenario.startTime)
    const population = scenario.population
    this.benign = population.benign
    this.cities = population.homeLocations
    this.cityCumulative = cumulativeOf(this.cities.map((c) => c.weight))
    this.cityIndices = this.cities.map((_, i) => i)
    this.segments = population.segments.map(segmentRuntime)
    this.segmentCumulative = cumulativeOf(this.segments.map((s) => s.spec.share))
    this.merchants = Array.from({ length: population.merchants }, (_, i) => {
      const city = this.random.pickWeighted(this.cities, this.cityCumulative)
      return { id: merchantId(i), category: merchantCategory(i), location: jitter(this.random, city) }
    })
    this.nextDeviceNumber = 0
    this.nextIpNumber = population.customers
    this.nextAccountNumber = population.customers
    this.customers = []
    for (let i = 0; i < population.customers; i++) {
      this.customers.push(this.newCustomer(accountId(i), cardId(i), ipAddress(i), this.pickSegment(), this.startTimeMs - Math.round(this.random.uniform(1, 3_000) * DAY_MS)))
    }
    this.carrierIps = this.cities.map(() => Array.from({ length: this.benign.carrierIpsPerCity }, () => this.newIp()))
    for (const customer of this.customers) {
      this.queue.push({ kind: 'customer', customer, timeMs: this.nextActiveTime(customer, this.startTimeMs) })
    }
    if (this.benign.newCustomersPerDay > 0) this.queue.push({ kind: 'customer-arrival', timeMs: this.startTimeMs + this.random.exponential(DAY_MS / this.benign.newCustomersPerDay) })
    for (const spec of scenario.fraud) this.scheduleAttackStarts(spec)
  }

  next(): LabelledTransaction {
    for (;;) {
      const top = this.queue.peek()
      if (!top) throw new Error(`scenario ${this.name} ran out of events`)
      if (top.kind === 'customer') {
        // The hot path: the customer's event is moved to their next time in place, no allocation.
        const transaction = this.customerTransaction(top.customer, top.timeMs)
        top.timeMs = this.nextActiveTime(top.customer, top.timeMs)
        this.queue.rescheduleTop()
        transaction.id = `${this.idPrefix}-${this.sequence++}`
        return { transaction, label: NORMAL_LABEL }
      }
      const produced = this.handle(this.queue.pop()!)
      if (produced) {
        produced.transaction.id = `${this.idPrefix}-${this.sequence++}`
        return produced
      }
    }
  }

  private handle(event: SimEvent): LabelledTransaction | undefined {
    switch (event.kind) {
      case 'customer':
        throw new Error('customer events are handled in next()')
      case 'attack-start': {
        if (event.spec.attacksPerDay !== undefined) {
          this.queue.push({ kind: 'attack-start', spec: event.spec, timeMs: event.timeMs + Math.max(1, this.random.exponential(DAY_MS / event.spec.attacksPerDay)) })
        }
        const number = this.attackCounts.get(event.spec.archetype) ?? 0
        this.attackCounts.set(event.spec.archetype, number + 1)
        startAttack(this.attackContext(), drifted(event.spec, event.timeMs - this.startTimeMs), `${event.spec.archetype}-${number}`, event.timeMs)
        return undefined
      }
      case 'scheduled-step': {
        const transaction = event.build(event.timeMs)
        return transaction ? { transaction, label: event.label } : undefined
      }
      case 'customer-arrival': {
        this.queue.push({ kind: 'customer-arrival', timeMs: event.timeMs + Math.max(1, this.random.exponential(DAY_MS / this.benign.newCustomersPerDay)) })
        const number = this.nextAccountNumber++
        const customer = this.newCustomer(accountId(number), cardId(number), this.newIp(), this.pickSegment(), Math.round(event.timeMs - this.random.uniform(0, 2) * DAY_MS))
        this.customers.push(customer)
        this.queue.push({ kind: 'customer', customer, timeMs: this.nextActiveTime(customer, event.timeMs) })
        return undefined
      }
    }
  }

  private scheduleAttackStarts(spec: FraudSpec): void {
    if (spec.attacksPerDay !== undefined) {
      this.queue.push({ kind: 'attack-start', spec, timeMs: this.startTimeMs + this.random.exponential(DAY_MS / spec.attacksPerDay) })
      return
    }
    const windowMs = spec.within ?? DAY_MS
    for (let i = 0; i < (spec.count ?? 0); i++) this.queue.push({ kind: 'attack-start', spec, timeMs: this.startTimeMs + this.random.next() * windowMs })
  }

  private pickSegment(): SegmentRuntime {
    return this.random.pickWeighted(this.segments, this.segmentCumulative)
  }

  private newCustomer(id: string, card: string, homeIp: string, segment: SegmentRuntime, createdAt: number): Customer {
    const population = this.scenario.population
    const homeCity = this.random.pickWeighted(this.cityIndices, this.cityCumulative)
    const home = jitter(this.random, this.cities[homeCity])
    const deviceCount = this.random.int(population.devicesPerCustomer.min, population.devicesPerCustomer.max + 1) || 1
    const knownDevices = Array.from({ length: deviceCount }, () => this.newDeviceId())
    // A household's shared tablet: one device of a housemate's household, which joins theirs.
    if (this.customers.length > 0 && this.random.chance(this.benign.sharedDeviceShare)) {
      const housemate = this.random.pick(this.customers)
      if (!housemate.householdDevice) {
        housemate.householdDevice = this.newDeviceId()
        housemate.knownDevices.push(housemate.householdDevice)
      }
      knownDevices.push(housemate.householdDevice)
    }
    return {
      id,
      card,
      segment,
      balance: round2(this.random.logNormal(population.startingBalance.median, population.startingBalance.sigma)),
      device: knownDevices[0],
      knownDevices,
      ip: homeIp,
      homeIp,
      homeCity,
      home,
      utcOffsetHours: Math.round(home.lon / 15),
      location: home,
      phase: 'home',
      phaseEndsAt: Infinity,
      nextTripAt: Math.max(createdAt, this.startTimeMs) + this.random.exponential(YEAR_MS / Math.max(1e-9, this.benign.tripsPerYear)),
      nextDeviceChangeAt: Math.max(createdAt, this.startTimeMs) + this.random.exponential(YEAR_MS / Math.max(1e-9, this.benign.newDevicesPerYear)),
      // Some genuine accounts are new too, so account age alone does not give synthetic ones away.
      createdAt,
    }
  }

  newDeviceId(): string {
    return deviceId(this.nextDeviceNumber++)
  }

  newIp(): string {
    return ipAddress(this.nextIpNumber++)
  }

  newAccountId(): string {
    return accountId(this.nextAccountNumber++)
  }

  /** The next moment, after `fromMs`, at which the customer transacts (only while awake). */
  private nextActiveTime(customer: Customer, fromMs: number): number {
    const [fromHour, toHour] = customer.segment.spec.activeHours
    let remaining = this.random.exponential(customer.segment.meanActiveGapMs)
    let t = fromMs
    for (let guard = 0; guard < 10_000; guard++) {
      const localHour = ((((t / HOUR_MS + customer.utcOffsetHours) % 24) + 24) % 24)
      if (localHour < fromHour) t += (fromHour - localHour) * HOUR_MS
      else if (localHour >= toHour) t += (24 - localHour + fromHour) * HOUR_MS
      else {
        const awakeLeftMs = (toHour - localHour) * HOUR_MS
        if (remaining <= awakeLeftMs) return Math.round(t + remaining)
        remaining -= awakeLeftMs
        t += awakeLeftMs + (24 - toHour + fromHour) * HOUR_MS
      }
    }
    return Math.round(t)
  }

  /** Where the customer is at `timeMs`: trips move on at their own times, whoever's event asks. */
  private advanceTravel(customer: Customer, timeMs: number): void {
    while (timeMs >= customer.phaseEndsAt) this.advanceTrip(customer)
    if (customer.phase === 'home' && timeMs >= customer.nextTripAt) this.startTrip(customer, timeMs)
  }

  private inFlight(customer: Customer): boolean {
    return customer.phase === 'outbound' || customer.phase === 'inbound'
  }

  private updateLife(customer: Customer, timeMs: number): 'password-reset' | undefined {
    this.advanceTravel(customer, timeMs)
    if (timeMs >= customer.nextDeviceChangeAt) {
      customer.nextDeviceChangeAt = timeMs + this.random.exponential(YEAR_MS / Math.max(1e-9, this.benign.newDevicesPerYear))
      // The new phone replaces the old one (the first device); a laptop or a household tablet stays.
      customer.device = customer.knownDevices[0] = this.newDeviceId()
      if (this.random.chance(0.3)) return 'password-reset'
    }
    return undefined
  }

  /** Benign travel: a flight no faster than a plane, days away, a flight back. */
  private startTrip(customer: Customer, timeMs: number): void {
    let destination = this.random.pickWeighted(this.cities, this.cityCumulative)
    for (let tries = 0; tries < 5 && haversineKm(destination, customer.home) < 300; tries++) destination = this.random.pickWeighted(this.cities, this.cityCumulative)
    customer.tripDestination = destination
    customer.tripIp = this.random.pick(this.carrierIps[this.cities.indexOf(destination)])
    customer.phase = 'outbound'
    customer.phaseEndsAt = timeMs + flightMs(customer.home, destination, this.random)
  }

  private advanceTrip(customer: Customer): void {
    const endedAt = customer.phaseEndsAt
    if (customer.phase === 'outbound') {
      customer.phase = 'away'
      customer.location = jitter(this.random, customer.tripDestination!)
      customer.phaseEndsAt = endedAt + this.random.uniform(2, 10) * DAY_MS
    } else if (customer.phase === 'away') {
      customer.phase = 'inbound'
      customer.phaseEndsAt = endedAt + flightMs(customer.location, customer.home, this.random)
    } else {
      customer.phase = 'home'
      customer.location = customer.home
      customer.phaseEndsAt = Infinity
      customer.nextTripAt = endedAt + this.random.exponential(YEAR_MS / Math.max(1e-9, this.benign.tripsPerYear))
    }
  }

  /** The device and address of a customer's next transaction: home broadband, mobile data, a hotel abroad. */
  private chooseAccess(customer: Customer): void {
    const devices = customer.knownDevices
    customer.device = this.random.chance(this.benign.freshFingerprintShare)
      ? this.newDeviceId()
      : devices.length > 1 && this.random.chance(0.35) ? this.random.pick(devices) : devices[0]
    if (customer.phase === 'away') customer.ip = customer.tripIp ?? customer.homeIp
    else if (this.random.chance(this.benign.mobileDataShare)) customer.ip = this.random.pick(this.carrierIps[customer.homeCity])
    else customer.ip = customer.homeIp
  }

  private customerTransaction(customer: Customer, timeMs: number): Transaction {
    this.chooseAccess(customer)
    if (this.updateLife(customer, timeMs) === 'password-reset') {
      return this.accountUpdate(customer, timeMs, 'password', customer.device, customer.ip, customer.location)
    }
    const segment = customer.segment
    let type = this.random.pickWeighted(segment.types, segment.cumulative)
    let amount = round2(this.random.logNormal(segment.spec.amount.median, segment.spec.amount.sigma))
    if (type === 'CASH_IN') amount = round2(amount * 3)
    else if (amount > customer.balance) {
      // Out of money: genuine customers top up rather than overdraw.
      type = 'CASH_IN'
      amount = round2(this.random.logNormal(segment.spec.amount.median * 5, 0.5))
    }
    const inFlight = this.inFlight(customer)
    switch (type) {
      case 'PURCHASE': {
        if (this.random.chance(this.benign.largePurchaseShare)) amount = Math.min(customer.balance, round2(amount * this.random.uniform(10, 30)))
        else if (this.random.chance(this.benign.smallPurchaseShare)) amount = round2(this.random.uniform(0.5, 5))
        const cardPresent = !inFlight && this.random.chance(segment.spec.cardPresentShare)
        if (!inFlight && this.random.chance(this.benign.sessionShare)) this.scheduleShoppingTrip(customer, timeMs, cardPresent ? 'pos' : 'web')
        const merchant = this.random.pick(this.merchants)
        return this.payment(customer, timeMs, 'PURCHASE', amount, merchant, cardPresent ? 'pos' : 'web', true, this.random.chance(this.benign.declineShare))
      }
      case 'PAYMENT':
        return this.payment(customer, timeMs, 'PAYMENT', amount, this.random.pick(this.merchants), 'mobile', false)
      case 'DEBIT':
        return this.payment(customer, timeMs, 'DEBIT', amount, this.random.pick(this.merchants), 'web', false)
      case 'TRANSFER': {
        const most = this.mostOfBalance(customer)
        // Savings and rent go to someone known; a new payee gets an everyday amount.
        const payee = most === undefined && this.random.chance(this.benign.newPayeeShare) ? (this.random.chance(0.5) ? this.newAccountId() : this.random.pick(this.customers)) : this.regularPayeeOf(customer)
        if (most !== undefined) amount = most
        if (typeof payee === 'string') return this.transferOutside(customer, payee, timeMs, amount)
        if (payee !== customer && this.random.chance(this.benign.cashOutAfterTransferInShare)) {
          const share = this.random.uniform(0.8, 1)
          this.queue.push({
            kind: 'scheduled-step',
            label: NORMAL_LABEL,
            timeMs: Math.round(timeMs + this.random.uniform(5, 240) * MINUTE_MS),
            build: (at) => {
              this.advanceTravel(payee, at)
              const cashed = round2(Math.min(payee.balance, amount * share))
              if (cashed <= 0 || this.inFlight(payee)) return undefined
              this.chooseAccess(payee)
              return this.cash(payee, at, 'CASH_OUT', cashed)
            },
          })
        }
        return this.transfer(customer, payee, timeMs, amount)
      }
      case 'CASH_OUT':
        if (inFlight) return this.payment(customer, timeMs, 'PAYMENT', amount, this.random.pick(this.merchants), 'mobile', false)
        return this.cash(customer, timeMs, 'CASH_OUT', this.mostOfBalance(customer) ?? amount)
      case 'CASH_IN':
      default:
        return this.cash(customer, timeMs, 'CASH_IN', amount)
    }
  }

  /** Sometimes most or all of the balance (savings, rent, moving banks); otherwise undefined. */
  private mostOfBalance(customer: Customer): number | undefined {
    if (customer.balance <= 0 || !this.random.chance(this.benign.wholeBalanceTransferShare)) return undefined
    return this.random.chance(0.5) ? customer.balance : round2(customer.balance * this.random.uniform(0.6, 0.98))
  }

  /** One of the few people or own accounts elsewhere a customer usually pays. */
  private regularPayeeOf(customer: Customer): Customer | string {
    customer.regularPayees ??= Array.from({ length: this.random.int(1, 4) }, () => (this.random.chance(0.3) ? this.newAccountId() : this.random.pick(this.customers)))
    return this.random.pick(customer.regularPayees)
  }

  /** A few more purchases at other merchants within the hour, as on a trip to the shops or an online basket. */
  private scheduleShoppingTrip(customer: Customer, timeMs: number, channel: 'pos' | 'web'): void {
    const more = this.random.int(1, 6)
    let t = timeMs
    for (let i = 0; i < more; i++) {
      t += this.random.uniform(2, 15) * MINUTE_MS
      const merchant = this.random.pick(this.merchants)
      const amount = round2(this.random.logNormal(customer.segment.spec.amount.median, customer.segment.spec.amount.sigma))
      this.queue.push({
        kind: 'scheduled-step',
        label: NORMAL_LABEL,
        timeMs: Math.round(t),
        build: (at) => {
          this.advanceTravel(customer, at)
          return amount > customer.balance || this.inFlight(customer) ? undefined : this.payment(customer, at, 'PURCHASE', amount, merchant, channel, true)
        },
      })
    }
  }

  /** A card purchase, bill payment or debit by a genuine customer (balances move unless declined). */
  payment(customer: Customer, timeMs: number, type: TransactionType, amount: number, merchant: Merchant, channel: Channel, withCard: boolean, declined = false): Transaction {
    const originBefore = customer.balance
    if (!declined) customer.balance = round2(originBefore - amount)
    return buildTransaction({
      eventTime: timeMs,
      account: customer.id,
      counterparty: merchant.id,
      type,
      amount,
      balances: outgoing(originBefore, customer.balance),
      device: customer.device,
      ip: customer.ip,
      geo: customer.location,
      channel,
      card: withCard ? customer.card : undefined,
      merchantCategory: withCard ? merchant.category : undefined,
      authResult: withCard ? (declined ? 'declined' : 'approved') : undefined,
      accountCreatedAt: customer.createdAt,
    })
  }

  /** A TRANSFER to an account at another bank: its balances are not known here (PaySim's merchant-like zeros). */
  private transferOutside(customer: Customer, payee: string, timeMs: number, amount: number): Transaction {
    const originBefore = customer.balance
    customer.balance = round2(originBefore - amount)
    return buildTransaction({
      eventTime: timeMs,
      account: customer.id,
      counterparty: payee,
      type: 'TRANSFER',
      amount,
      balances: outgoing(originBefore, customer.balance, 0, amount),
      device: customer.device,
      ip: customer.ip,
      geo: customer.location,
      channel: 'mobile',
      accountCreatedAt: customer.createdAt,
    })
  }

  transfer(customer: Customer, payee: Customer, timeMs: number, amount: number): Transaction {
    const originBefore = customer.balance
    const destinationBefore = payee.balance
    customer.balance = round2(originBefore - amount)
    if (payee !== customer) payee.balance = round2(destinationBefore + amount)
    return buildTransaction({
      eventTime: timeMs,
      account: customer.id,
      counterparty: payee.id,
      type: 'TRANSFER',
      amount,
      balances: outgoing(originBefore, customer.balance, destinationBefore, payee === customer ? destinationBefore : payee.balance),
      device: customer.device,
      ip: customer.ip,
      geo: customer.location,
      channel: 'mobile',
      accountCreatedAt: customer.createdAt,
    })
  }

  cash(customer: Customer, timeMs: number, type: 'CASH_IN' | 'CASH_OUT', amount: number): Transaction {
    const originBefore = customer.balance
    customer.balance = round2(type === 'CASH_IN' ? originBefore + amount : originBefore - amount)
    return buildTransaction({
      eventTime: timeMs,
      account: customer.id,
      counterparty: this.random.pick(this.merchants).id,
      type,
      amount,
      balances: outgoing(originBefore, customer.balance),
      device: customer.device,
      ip: customer.ip,
      geo: customer.location,
      channel: type === 'CASH_IN' ? 'branch' : 'atm',
      card: type === 'CASH_OUT' ? customer.card : undefined,
      accountCreatedAt: customer.createdAt,
    })
  }

  accountUpdate(customer: Customer, timeMs: number, update: 'contact' | 'password', device: string, ip: string, geo: LatLon): Transaction {
    return buildTransaction({
      eventTime: timeMs,
      account: customer.id,
      counterparty: customer.id,
      type: 'ACCOUNT_UPDATE',
      amount: 0,
      device,
      ip,
      geo,
      channel: 'mobile',
      accountCreatedAt: customer.createdAt,
      update,
    })
  }

  private attackContext(): AttackContext {
    this.context ??= {
      random: this.random,
      customers: this.customers,
      merchants: this.merchants,
      newAccountId: () => this.newAccountId(),
      newDeviceId: () => this.newDeviceId(),
      newIp: () => this.newIp(),
      carrierIpOf: (customer) => this.random.pick(this.carrierIps[customer.homeCity]),
      payment: (...args) => this.payment(...args),
      cash: (...args) => this.cash(...args),
      accountUpdate: (...args) => this.accountUpdate(...args),
      schedule: (timeMs, label, build) => this.queue.push({ kind: 'scheduled-step', timeMs: Math.round(timeMs), label, build }),
      pickCity: () => this.random.pickWeighted(this.cities, this.cityCumulative),
    }
    return this.context
  }
}

function segmentRuntime(spec: SegmentSpec): SegmentRuntime {
  const entries = Object.entries(spec.types).filter(([, weight]) => (weight ?? 0) > 0) as Array<[TransactionType, number]>
  const activeHours = spec.activeHours[1] - spec.activeHours[0]
  return {
    spec,
    types: entries.map(([type]) => type),
    cumulative: cumulativeOf(entries.map(([, weight]) => weight)),
    meanActiveGapMs: (activeHours * HOUR_MS) / spec.transactionsPerDay,
  }
}

function cumulativeOf(weights: number[]): Float64Array {
  const cumulative = new Float64Array(weights.length)
  let sum = 0
  weights.forEach((weight, i) => (cumulative[i] = sum += weight))
  return cumulative
}

/** Door-to-door time of a flight: distance at cruising speed plus airports, never faster than a plane. */
function flightMs(from: LatLon, to: LatLon, random: Random): number {
  return (haversineKm(from, to) / PLANE_SPEED_KMH) * HOUR_MS + random.uniform(2, 5) * HOUR_MS
}
