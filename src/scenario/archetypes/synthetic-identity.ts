import { DAY_MS, MINUTE_MS } from '../../util/time.js'
import { jitter, round2, type Customer } from '../population.js'
import { amount, positive, range, share } from '../schema-parts.js'
import { intIn, uniformIn } from './attack-helpers.js'
import type { AttackContext } from './define-archetype.js'
import { defineArchetype } from './define-archetype.js'

/** Devices a fraud ring runs its made-up identities from, per simulated world. */
const ringDevices = new WeakMap<AttackContext, string[]>()

/**
 * A made-up identity behaves like a small, tidy customer for weeks, then maxes out its credit and
 * cashes out within hours. The account is opened during the run, or bought aged, with years of
 * history elsewhere; rings run many identities from a few shared devices. Every transaction of the
 * account is fraudulent.
 */
export const syntheticIdentity = defineArchetype({
  name: 'synthetic-identity',
  params: {
    warmUpDays: range('warmUpDays').default({ min: 10, max: 40 }),
    warmUpPerDay: range('warmUpPerDay').default({ min: 0.5, max: 3 }),
    warmUpAmount: amount.default({ median: 35, sigma: 0.6 }),
    creditLimit: range('creditLimit').default({ min: 2_000, max: 15_000 }),
    bustOutTransactions: range('bustOutTransactions', { integer: true }).default({ min: 3, max: 8 }),
    /** Share of identities bought aged (opened months or years before), in bulk, by a ring that runs them from its shared devices. */
    agedShare: share('agedShare').default(0),
    /** Share of the other, newly opened identities that a ring runs from its shared devices too. */
    ringShare: share('ringShare').default(0),
    /** Devices a ring shares among all its identities. */
    ringDevices: positive('ringDevices').int().max(10_000).default(8),
  },
  start(context, spec, label, startMs) {
    const { random } = context
    const template = random.pick(context.customers)
    const home = jitter(random, context.pickCity())
    const number = context.newAccountId()
    const aged = random.chance(spec.agedShare)
    const device = aged || random.chance(spec.ringShare) ? random.pick(ringOf(context, spec.ringDevices)) : context.newDeviceId()
    const ip = context.newIp()
    const account: Customer = {
      ...template,
      id: number,
      card: `K${number.slice(1)}`,
      balance: 0,
      device,
      knownDevices: [device],
      ip,
      homeIp: ip,
      home,
      location: home,
      phase: 'home',
      createdAt: aged ? Math.round(startMs - random.uniform(120, 2_000) * DAY_MS) : Math.round(startMs),
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

function ringOf(context: AttackContext, size: number): string[] {
  let ring = ringDevices.get(context)
  if (!ring) ringDevices.set(context, (ring = []))
  while (ring.length < size) ring.push(context.newDeviceId())
  return ring
}
