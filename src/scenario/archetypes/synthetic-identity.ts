import { DAY_MS, MINUTE_MS } from '../../util/time.js'
import { jitter, round2, type Customer } from '../population.js'
import { amount, range } from '../schema-parts.js'
import { intIn, uniformIn } from './attack-helpers.js'
import { defineArchetype } from './define-archetype.js'

/**
 * A made-up identity opens an account, behaves like a small, tidy customer for weeks, then maxes
 * out its credit and cashes out within hours. Every transaction of the account is fraudulent.
 */
export const syntheticIdentity = defineArchetype({
  name: 'synthetic-identity',
  params: {
    warmUpDays: range('warmUpDays').default({ min: 10, max: 40 }),
    warmUpPerDay: range('warmUpPerDay').default({ min: 0.5, max: 3 }),
    warmUpAmount: amount.default({ median: 35, sigma: 0.6 }),
    creditLimit: range('creditLimit').default({ min: 2_000, max: 15_000 }),
    bustOutTransactions: range('bustOutTransactions', { integer: true }).default({ min: 3, max: 8 }),
  },
  start(context, spec, label, startMs) {
    const { random } = context
    const template = random.pick(context.customers)
    const home = jitter(random, context.pickCity())
    const account: Customer = {
      ...template,
      id: context.newAccountId(),
      card: `K${context.newAccountId().slice(1)}`,
      balance: 0,
      device: context.newDeviceId(),
      knownDevices: [],
      ip: context.newIp(),
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
      const merchant = random.pick(context.merchants)
      const repay = random.chance(0.25)
      const channel = random.chance(0.5) ? 'pos' : 'web'
      context.schedule(t, label, (at) =>
        repay ? context.cash(account, at, 'CASH_IN', round2(amount * 3)) : context.payment(account, at, 'PURCHASE', amount, merchant, channel, true),
      )
      t += random.exponential(DAY_MS / perDay)
    }
    const bustOuts = intIn(random, spec.bustOutTransactions)
    const shares = Array.from({ length: bustOuts }, () => random.uniform(0.5, 1.5))
    const total = shares.reduce((sum, s) => sum + s, 0)
    let at = warmUpEnd
    shares.forEach((share, i) => {
      const amount = round2((limit * share) / total)
      const merchant = random.pick(context.merchants)
      const cashOut = i === bustOuts - 1
      context.schedule(at, label, (when) => (cashOut ? context.cash(account, when, 'CASH_OUT', amount) : context.payment(account, when, 'PURCHASE', amount, merchant, 'web', true)))
      at += random.uniform(5, 90) * MINUTE_MS
    })
  },
})
