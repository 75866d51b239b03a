import { DAY_MS, HOUR_MS, MINUTE_MS } from '../util/time.js'
import type { Label } from '../schema/labels.js'
import type { Transaction } from '../schema/transaction.js'
import { haversineKm, type City, type LatLon } from './geo.js'
import type { Random } from '../util/random.js'
import type { FraudSpec } from './scenario-schema.js'
import { jitter, round2, type Customer, type Merchant, type ScenarioSimulator } from './simulator.js'
import { buildTransaction, outgoing } from './transaction-builder.js'


export interface AttackContext {
  simulator: ScenarioSimulator
  random: Random
  /** Queues one step of the attack; `build` runs at its event time, against the state then. */
  schedule(timeMs: number, label: Label, build: (timeMs: number) => Transaction | undefined): void
  pickCity(): City
}

/** Starts one attack of `spec`'s archetype at `startMs`: it schedules its own steps. */
export function startAttack(context: AttackContext, spec: FraudSpec, attackId: string, startMs: number): void {
  const label: Label = { isFraud: true, archetype: spec.archetype, attackId }
  switch (spec.archetype) {
    case 'card-testing':
      return cardTesting(context, spec, label, startMs)
    case 'account-takeover':
      return accountTakeover(context, spec, label, startMs)
    case 'velocity-attack':
      return velocityAttack(context, spec, label, startMs)
    case 'impossible-travel':
      return impossibleTravel(context, spec, label, startMs)
    case 'synthetic-identity':
      return syntheticIdentity(context, spec, label, startMs)
    case 'paysim-mule':
      return paysimMule(context, spec, label, startMs)
  }
}

type Spec<A extends FraudSpec['archetype']> = Extract<FraudSpec, { archetype: A }>

interface Fraudster {
  device: string
  ip: string
  location: LatLon
}

/** A fraudster's own device and IP, somewhere far from the victim. */
function fraudster(context: AttackContext, victim: LatLon): Fraudster {
  let city = context.pickCity()
  for (let tries = 0; tries < 8 && haversineKm(city, victim) < 1_000; tries++) city = context.pickCity()
  return { device: context.simulator.newDeviceId(), ip: context.simulator.newIp(), location: jitter(context.random, city) }
}

function uniformIn(random: Random, range: { min: number; max: number }): number {
  return random.uniform(range.min, range.max)
}

function intIn(random: Random, range: { min: number; max: number }): number {
  return random.int(range.min, range.max + 1)
}

function distinctMerchants(context: AttackContext, count: number): Merchant[] {
  const merchants = context.simulator.merchants
  const chosen = new Set<Merchant>()
  while (chosen.size < Math.min(count, merchants.length)) chosen.add(context.random.pick(merchants))
  return [...chosen]
}

/** A card purchase by the fraudster with the victim's card details (balances move only if approved). */
function cardFraud(victim: Customer, who: Fraudster, timeMs: number, amount: number, merchant: Merchant, channel: 'web' | 'pos', declined: boolean): Transaction {
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

/** Many tiny authorisations on one card at many merchants, minutes apart, then a large purchase. */
function cardTesting(context: AttackContext, spec: Spec<'card-testing'>, label: Label, startMs: number): void {
  const { random } = context
  const victim = random.pick(context.simulator.customers)
  const who = fraudster(context, victim.home)
  const probes = intIn(random, spec.probes)
  const merchants = distinctMerchants(context, probes + 1)
  let t = startMs
  for (let i = 0; i < probes; i++) {
    const merchant = merchants[i % merchants.length]
    const amount = round2(uniformIn(random, spec.probeAmount))
    const declined = random.chance(spec.declineRate)
    context.schedule(t, label, (at) => cardFraud(victim, who, at, amount, merchant, 'web', declined))
    t += uniformIn(random, spec.gapMinutes) * MINUTE_MS
  }
  const finalAmount = round2(random.logNormal(spec.finalAmount.median, spec.finalAmount.sigma))
  context.schedule(t, label, (at) => cardFraud(victim, who, at, finalAmount, merchants[merchants.length - 1], 'web', false))
}

/** New device and IP far from home, a contact or password change, then high-value transfers out. */
function accountTakeover(context: AttackContext, spec: Spec<'account-takeover'>, label: Label, startMs: number): void {
  const { random, simulator } = context
  const victim = random.pick(simulator.customers)
  const who = fraudster(context, victim.home)
  const update = random.chance(0.5) ? 'contact' : 'password'
  context.schedule(startMs, label, (at) => simulator.accountUpdate(victim, at, update, who.device, who.ip, who.location))
  let t = startMs
  const transfers = intIn(random, spec.transfers)
  for (let i = 0; i < transfers; i++) {
    t += uniformIn(random, spec.gapMinutes) * MINUTE_MS
    const share = uniformIn(random, spec.shareOfBalance)
    const payee = simulator.newAccountId()
    context.schedule(t, label, (at) => {
      if (victim.balance < 1) return undefined
      const amount = round2(victim.balance * share)
      const originBefore = victim.balance
      victim.balance = round2(originBefore - amount)
      return buildTransaction({
        eventTime: at,
        account: victim.id,
        counterparty: payee,
        type: 'TRANSFER',
        amount,
        balances: outgoing(originBefore, victim.balance, 0, amount),
        device: who.device,
        ip: who.ip,
        geo: who.location,
        channel: 'mobile',
        accountCreatedAt: victim.createdAt,
      })
    })
  }
}

/** Many high-value purchases across different merchants within minutes. */
function velocityAttack(context: AttackContext, spec: Spec<'velocity-attack'>, label: Label, startMs: number): void {
  const { random } = context
  const victim = random.pick(context.simulator.customers)
  const who = fraudster(context, victim.home)
  const count = intIn(random, spec.transactions)
  const windowMs = uniformIn(random, spec.windowMinutes) * MINUTE_MS
  const merchants = distinctMerchants(context, count)
  const offsets = Array.from({ length: count }, () => random.next() * windowMs).sort((a, b) => a - b)
  offsets.forEach((offset, i) => {
    const amount = round2(random.logNormal(spec.amount.median, spec.amount.sigma))
    context.schedule(startMs + offset, label, (at) => cardFraud(victim, who, at, amount, merchants[i % merchants.length], 'web', false))
  })
}

/**
 * A cloned card used in person far away, soon after the real card was used at home: the pair
 * implies a speed no plane reaches. The genuine purchase is labelled genuine.
 */
function impossibleTravel(context: AttackContext, spec: Spec<'impossible-travel'>, label: Label, startMs: number): void {
  const { random, simulator } = context
  const victim = random.pick(simulator.customers.filter((c) => c.phase === 'home').slice(0, 200)) ?? random.pick(simulator.customers)
  let city = context.pickCity()
  for (let tries = 0; tries < 20 && haversineKm(city, victim.location) < spec.minDistanceKm; tries++) city = context.pickCity()
  if (haversineKm(city, victim.location) < spec.minDistanceKm) return
  const genuineMerchant = random.pick(simulator.merchants)
  const genuineAmount = round2(random.logNormal(victim.segment.spec.amount.median, 0.5))
  const genuine: Label = { isFraud: false, archetype: 'normal', attackId: '' }
  context.schedule(startMs, genuine, (at) => simulator.payment(victim, at, 'PURCHASE', Math.min(genuineAmount, Math.max(0, victim.balance)), genuineMerchant, 'pos', true))
  const clone: Fraudster = { device: victim.device, ip: victim.ip, location: jitter(random, city) }
  let t = startMs + uniformIn(random, spec.gapMinutes) * MINUTE_MS
  const uses = 1 + intIn(random, spec.followUps)
  for (let i = 0; i < uses; i++) {
    const amount = round2(random.logNormal(300, 0.7))
    const merchant = random.pick(simulator.merchants)
    context.schedule(t, label, (at) => cardFraud(victim, clone, at, amount, merchant, 'pos', false))
    t += random.uniform(5, 60) * MINUTE_MS
  }
}

/**
 * A made-up identity opens an account, behaves like a small, tidy customer for weeks, then maxes
 * out its credit and cashes out within hours. Every transaction of the account is fraudulent.
 */
function syntheticIdentity(context: AttackContext, spec: Spec<'synthetic-identity'>, label: Label, startMs: number): void {
  const { random, simulator } = context
  const template = random.pick(simulator.customers)
  const home = jitter(random, context.pickCity())
  const account: Customer = {
    ...template,
    id: simulator.newAccountId(),
    card: `K${simulator.newAccountId().slice(1)}`,
    balance: 0,
    device: simulator.newDeviceId(),
    knownDevices: [],
    ip: simulator.newIp(),
    home,
    location: home,
    phase: 'home',
    createdAt: Math.round(startMs),
  }
  const limit = round2(uniformIn(random, spec.creditLimit))
  const warmUpEnd = startMs + uniformIn(random, spec.warmUpDays) * DAY_MS
  const perDay = uniformIn(random, spec.warmUpPerDay)
  let t = startMs + random.exponential(DAY_MS / perDay)
  while (t < warmUpEnd) {
    const amount = round2(random.logNormal(spec.warmUpAmount.median, spec.warmUpAmount.sigma))
    const merchant = random.pick(simulator.merchants)
    const repay = random.chance(0.25)
    const channel = random.chance(0.5) ? 'pos' : 'web'
    context.schedule(t, label, (at) =>
      repay ? simulator.cash(account, at, 'CASH_IN', round2(amount * 3)) : simulator.payment(account, at, 'PURCHASE', amount, merchant, channel, true),
    )
    t += random.exponential(DAY_MS / perDay)
  }
  const bustOuts = intIn(random, spec.bustOutTransactions)
  const shares = Array.from({ length: bustOuts }, () => random.uniform(0.5, 1.5))
  const total = shares.reduce((sum, s) => sum + s, 0)
  let at = warmUpEnd
  shares.forEach((share, i) => {
    const amount = round2((limit * share) / total)
    const merchant = random.pick(simulator.merchants)
    const cashOut = i === bustOuts - 1
    context.schedule(at, label, (when) => (cashOut ? simulator.cash(account, when, 'CASH_OUT', amount) : simulator.payment(account, when, 'PURCHASE', amount, merchant, 'web', true)))
    at += random.uniform(5, 90) * MINUTE_MS
  })
}

/**
 * PaySim's fraud: take over an account, TRANSFER its whole balance in chunks (at most `maxChunk`
 * each) to new mule accounts, each of which CASH_OUTs its chunk at once.
 */
function paysimMule(context: AttackContext, spec: Spec<'paysim-mule'>, label: Label, startMs: number): void {
  const { random, simulator } = context
  let victim = random.pick(simulator.customers)
  for (let tries = 0; tries < 20 && victim.balance < spec.minBalance; tries++) victim = random.pick(simulator.customers)
  if (victim.balance < spec.minBalance) return
  const who = fraudster(context, victim.home)
  const chunks = Math.ceil(victim.balance / spec.maxChunk)
  let t = startMs
  for (let i = 0; i < chunks; i++) {
    const mule = simulator.newAccountId()
    const muleCreatedAt = Math.round(t - random.uniform(1, 30) * DAY_MS)
    let moved = 0
    context.schedule(t, label, (at) => {
      moved = round2(Math.min(spec.maxChunk, victim.balance))
      if (moved <= 0) return undefined
      const originBefore = victim.balance
      victim.balance = round2(originBefore - moved)
      return buildTransaction({
        eventTime: at,
        account: victim.id,
        counterparty: mule,
        type: 'TRANSFER',
        amount: moved,
        balances: outgoing(originBefore, victim.balance, 0, moved),
        device: who.device,
        ip: who.ip,
        geo: who.location,
        channel: 'mobile',
        accountCreatedAt: victim.createdAt,
      })
    })
    context.schedule(t + uniformIn(random, spec.cashOutDelayMinutes) * MINUTE_MS, label, (at) =>
      moved <= 0
        ? undefined
        : buildTransaction({
            eventTime: at,
            account: mule,
            counterparty: random.pick(simulator.merchants).id,
            type: 'CASH_OUT',
            amount: moved,
            balances: outgoing(moved, 0),
            device: who.device,
            ip: who.ip,
            geo: who.location,
            channel: 'atm',
            accountCreatedAt: muleCreatedAt,
          }),
    )
    t += random.uniform(0.2, 3) * MINUTE_MS
  }
}
