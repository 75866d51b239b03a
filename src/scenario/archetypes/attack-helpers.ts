import type { Transaction } from '../../schema/transaction.js'
import type { Random } from '../../util/random.js'
import { haversineKm, type LatLon } from '../geo.js'
import { jitter, round2, type Customer, type Merchant } from '../population.js'
import { buildTransaction, outgoing } from '../transaction-builder.js'
import type { AttackContext } from './define-archetype.js'

export interface Fraudster {
  device: string
  ip: string
  location: LatLon
}

/**
 * A fraudster's own device and IP, somewhere far from the victim, or, through a residential proxy
 * in the victim's city (`nearVictim`), apparently next door.
 */
export function fraudster(context: AttackContext, victim: LatLon, nearVictim = false): Fraudster {
  if (nearVictim) return { device: context.newDeviceId(), ip: context.newIp(), location: jitter(context.random, victim) }
  let city = context.pickCity()
  for (let tries = 0; tries < 8 && haversineKm(city, victim) < 1_000; tries++) city = context.pickCity()
  return { device: context.newDeviceId(), ip: context.newIp(), location: jitter(context.random, city) }
}

export function uniformIn(random: Random, range: { min: number; max: number }): number {
  return random.uniform(range.min, range.max)
}

export function intIn(random: Random, range: { min: number; max: number }): number {
  return random.int(range.min, range.max + 1)
}

export function distinctMerchants(context: AttackContext, count: number): Merchant[] {
  const merchants = context.merchants
  const chosen = new Set<Merchant>()
  while (chosen.size < Math.min(count, merchants.length)) chosen.add(context.random.pick(merchants))
  return [...chosen]
}

/** A card purchase by the fraudster with the victim's card details (balances move only if approved). */
export function cardFraud(victim: Customer, who: Fraudster, timeMs: number, amount: number, merchant: Merchant, channel: 'web' | 'pos', declined: boolean): Transaction {
  const originBefore = victim.balance
  if (!declined) victim.balance = round2(originBefore - amount)
  return buildTransaction({
    eventTime: timeMs,
    account: victim.id,
    counterparty: merchant.id,
    type: 'PURCHASE',
    amount,
    balances: outgoing(originBefore, victim.balance),
    device: channel === 'web' ? who.device : victim.device,
    ip: channel === 'web' ? who.ip : victim.ip,
    geo: who.location,
    channel,
    card: victim.card,
    merchantCategory: merchant.category,
    authResult: declined ? 'declined' : 'approved',
    accountCreatedAt: victim.createdAt,
  })
}

/**
 * A TRANSFER out of the victim's account by the fraudster, from their device and IP (the balance
 * moves). The payee is a new account elsewhere (an id), or a customer of the bank, who is credited.
 */
export function transferOut(victim: Customer, who: Fraudster, timeMs: number, amount: number, payee: string | Customer): Transaction {
  const originBefore = victim.balance
  victim.balance = round2(originBefore - amount)
  const payeeBefore = typeof payee === 'string' ? 0 : payee.balance
  if (typeof payee !== 'string') payee.balance = round2(payeeBefore + amount)
  return buildTransaction({
    eventTime: timeMs,
    account: victim.id,
    counterparty: typeof payee === 'string' ? payee : payee.id,
    type: 'TRANSFER',
    amount,
    balances: outgoing(originBefore, victim.balance, payeeBefore, typeof payee === 'string' ? amount : payee.balance),
    device: who.device,
    ip: who.ip,
    geo: who.location,
    channel: 'mobile',
    accountCreatedAt: victim.createdAt,
  })
}
