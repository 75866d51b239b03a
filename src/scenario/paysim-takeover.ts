import type { Label, LabelledTransaction } from '../schema/labels.js'
import type { Channel, Transaction, TransactionType } from '../schema/transaction.js'
import { Random } from './random.js'
import type { TransactionSource } from './transaction-source.js'

export interface PaysimTakeoverOptions {
  seed: number
  /** Prefix of every transaction id; a run passes its run id so ids are unique across runs. */
  idPrefix?: string
  customers?: number
  merchants?: number
  /** Approximate share of transactions that belong to an attack (each attack is two transactions). */
  fraudShare?: number
  /** Event time of the first transaction; fixed by default so output does not depend on the clock. */
  startEventTimeMs?: number
  /** Mean event-time gap between consecutive transactions of the whole population. */
  meanEventGapMs?: number
}

interface Customer {
  id: string
  balance: number
  device: string
  ip: string
  home: { lat: number; lon: number }
  deviceGeneration: number
}

const CITIES = [
  { lat: 51.5072, lon: -0.1276 },
  { lat: 48.8566, lon: 2.3522 },
  { lat: 40.7128, lon: -74.006 },
  { lat: -23.5505, lon: -46.6333 },
  { lat: 6.5244, lon: 3.3792 },
  { lat: 19.076, lon: 72.8777 },
  { lat: 35.6762, lon: 139.6503 },
  { lat: -33.8688, lon: 151.2093 },
] as const

const NORMAL_MIX: ReadonlyArray<{ type: TransactionType; weight: number; medianAmount: number; channel: Channel }> = [
  { type: 'PAYMENT', weight: 0.45, medianAmount: 60, channel: 'mobile' },
  { type: 'CASH_IN', weight: 0.2, medianAmount: 1500, channel: 'branch' },
  { type: 'CASH_OUT', weight: 0.2, medianAmount: 800, channel: 'atm' },
  { type: 'TRANSFER', weight: 0.12, medianAmount: 1500, channel: 'mobile' },
  { type: 'DEBIT', weight: 0.03, medianAmount: 300, channel: 'web' },
]

const NORMAL: Label = Object.freeze({ isFraud: false, archetype: 'normal', attackId: '' })
export const TAKEOVER_ARCHETYPE = 'account-takeover'

/**
 * Normal mobile-money customers plus PaySim-style account takeover: a fraudster on a new device
 * and IP far from home TRANSFERs the victim's whole balance to a fresh mule account, which
 * CASH_OUTs it straight away. Normal customers also do the benign look-alikes (moving their whole
 * balance, switching to a new phone), so the problem is not trivially separable.
 */
export class PaysimTakeoverScenario implements TransactionSource {
  readonly name = 'paysim-takeover'
  private readonly random: Random
  private readonly customers: Customer[]
  private readonly merchants: string[]
  private readonly idPrefix: string
  private readonly attackProbability: number
  private readonly meanEventGapMs: number
  private readonly pending: LabelledTransaction[] = []
  private eventTimeMs: number
  private sequence = 0
  private attacks = 0

  constructor(options: PaysimTakeoverOptions) {
    this.random = new Random(options.seed)
    this.idPrefix = options.idPrefix ?? 'tx'
    this.attackProbability = (options.fraudShare ?? 0.01) / 2
    this.meanEventGapMs = options.meanEventGapMs ?? 2_000
    this.eventTimeMs = options.startEventTimeMs ?? Date.UTC(2026, 0, 1)
    const customerCount = options.customers ?? 2_000
    this.customers = Array.from({ length: customerCount }, (_, i) => this.newCustomer(i))
    this.merchants = Array.from({ length: options.merchants ?? 300 }, (_, i) => `M${String(1_000_000_000 + i * 7_919)}`)
  }

  next(): LabelledTransaction {
    const queued = this.pending.shift()
    if (queued) return queued
    this.eventTimeMs += Math.max(1, Math.round(-Math.log(1 - this.random.next()) * this.meanEventGapMs))
    if (this.random.chance(this.attackProbability)) {
      const attack = this.accountTakeover()
      if (attack) return attack
    }
    return this.normalTransaction()
  }

  private newCustomer(index: number): Customer {
    const home = this.random.pick(CITIES)
    return {
      id: `C${String(1_000_000_000 + index * 104_729).padStart(10, '0')}`,
      balance: Math.round(this.random.logNormal(20_000, 1) * 100) / 100,
      device: `D${index}-0`,
      ip: `10.${index % 250}.${Math.floor(index / 250) % 250}.${1 + (index % 200)}`,
      home: { lat: home.lat + this.random.normal() * 0.05, lon: home.lon + this.random.normal() * 0.05 },
      deviceGeneration: 0,
    }
  }

  private nextId(): string {
    return `${this.idPrefix}-${this.sequence++}`
  }

  private normalTransaction(): LabelledTransaction {
    const customer = this.random.pick(this.customers)
    if (this.random.chance(0.01)) {
      customer.deviceGeneration += 1
      customer.device = `D${customer.id}-${customer.deviceGeneration}`
    }
    const kind = this.pickKind()
    const movesWholeBalance = kind.type === 'TRANSFER' && customer.balance > 0 && this.random.chance(0.02)
    let amount = movesWholeBalance ? customer.balance : round2(this.random.logNormal(kind.medianAmount, 0.9))
    if (kind.type !== 'CASH_IN') amount = Math.min(amount, customer.balance)
    const counterparty =
      kind.type === 'TRANSFER' ? this.random.pick(this.customers) : undefined
    const originBefore = customer.balance
    customer.balance = round2(kind.type === 'CASH_IN' ? customer.balance + amount : customer.balance - amount)
    const destinationBefore = counterparty ? counterparty.balance : 0
    if (counterparty && counterparty !== customer) counterparty.balance = round2(counterparty.balance + amount)
    const transaction: Transaction = {
      id: this.nextId(),
      eventTime: this.eventTimeMs,
      account: customer.id,
      counterparty: counterparty ? counterparty.id : this.random.pick(this.merchants),
      type: kind.type,
      amount,
      currency: 'USD',
      balances: {
        originBefore,
        originAfter: customer.balance,
        destinationBefore,
        destinationAfter: counterparty ? counterparty.balance : 0,
      },
      device: customer.device,
      ip: customer.ip,
      geo: customer.home,
      channel: kind.channel,
    }
    return { transaction, label: NORMAL }
  }

  private pickKind() {
    let roll = this.random.next()
    for (const kind of NORMAL_MIX) {
      roll -= kind.weight
      if (roll < 0) return kind
    }
    return NORMAL_MIX[0]
  }

  private accountTakeover(): LabelledTransaction | undefined {
    const victim = this.random.pick(this.customers)
    if (victim.balance < 100) return undefined
    const attackNumber = this.attacks++
    const label: Label = { isFraud: true, archetype: TAKEOVER_ARCHETYPE, attackId: `ato-${attackNumber}` }
    const mule = `C${String(2_000_000_000 + attackNumber * 15_485_863).padStart(10, '0')}`
    const far = this.random.pick(CITIES.filter((city) => Math.abs(city.lat - victim.home.lat) > 1))
    const amount = victim.balance
    victim.balance = 0
    const transfer: Transaction = {
      id: this.nextId(),
      eventTime: this.eventTimeMs,
      account: victim.id,
      counterparty: mule,
      type: 'TRANSFER',
      amount,
      currency: 'USD',
      balances: { originBefore: amount, originAfter: 0, destinationBefore: 0, destinationAfter: amount },
      device: `X${attackNumber}`,
      ip: `172.16.${attackNumber % 250}.${1 + (attackNumber % 200)}`,
      geo: { lat: far.lat, lon: far.lon },
      channel: 'mobile',
    }
    const cashOut: Transaction = {
      id: this.nextId(),
      eventTime: this.eventTimeMs + 1_000 + this.random.int(0, 120_000),
      account: mule,
      counterparty: this.random.pick(this.merchants),
      type: 'CASH_OUT',
      amount,
      currency: 'USD',
      balances: { originBefore: amount, originAfter: 0, destinationBefore: 0, destinationAfter: 0 },
      device: `X${attackNumber}`,
      ip: transfer.ip,
      geo: transfer.geo,
      channel: 'atm',
    }
    this.pending.push({ transaction: cashOut, label })
    return { transaction: transfer, label }
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100
}
