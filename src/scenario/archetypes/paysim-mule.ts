import { DAY_MS, MINUTE_MS } from '../../util/time.js'
import { buildTransaction, outgoing } from '../transaction-builder.js'
import { round2, type Customer } from '../population.js'
import { positive, range, share } from '../schema-parts.js'
import { fraudster, intIn, transferOut, uniformIn } from './attack-helpers.js'
import { defineArchetype } from './define-archetype.js'

/**
 * PaySim's fraud: take over an account, TRANSFER its balance in chunks (at most `maxChunk` each, at
 * most `maxChunks` of them, so a large balance is not emptied) to mule accounts, each of which
 * CASH_OUTs its chunk. A mule is a new account, or a customer recruited with years of history and
 * a balance of their own, who cashes out later from their own phone.
 */
export const paysimMule = defineArchetype({
  name: 'paysim-mule',
  params: {
    /** PaySim splits a fraudster's TRANSFER into chunks of at most this amount. */
    maxChunk: positive('maxChunk').default(10_000),
    maxChunks: range('maxChunks', { integer: true }).default({ min: 1_000, max: 1_000 }),
    minBalance: positive('minBalance').default(1_000),
    cashOutDelayMinutes: range('cashOutDelayMinutes').default({ min: 0.5, max: 10 }),
    /** Share of mules who are recruited customers rather than new accounts. */
    recruitedShare: share('recruitedShare').default(0),
  },
  start(context, spec, label, startMs) {
    const { random } = context
    let victim = random.pick(context.customers)
    for (let tries = 0; tries < 20 && victim.balance < spec.minBalance; tries++) victim = random.pick(context.customers)
    if (victim.balance < spec.minBalance) return
    const who = fraudster(context, victim.home)
    const chunks = Math.min(Math.ceil(victim.balance / spec.maxChunk), Math.max(1, intIn(random, spec.maxChunks)))
    let t = startMs
    for (let i = 0; i < chunks; i++) {
      const recruit: Customer | undefined = random.chance(spec.recruitedShare) ? random.pick(context.customers) : undefined
      const mule = recruit ?? context.newAccountId()
      const muleCreatedAt = Math.round(t - random.uniform(1, 30) * DAY_MS)
      let moved = 0
      context.schedule(t, label, (at) => {
        moved = round2(Math.min(spec.maxChunk, victim.balance))
        return moved <= 0 || recruit === victim ? undefined : transferOut(victim, who, at, moved, mule)
      })
      context.schedule(t + uniformIn(random, spec.cashOutDelayMinutes) * MINUTE_MS, label, (at) => {
        if (moved <= 0 || recruit === victim) return undefined
        if (recruit) {
          const cashed = round2(Math.min(moved, recruit.balance))
          return cashed > 0 ? context.cash(recruit, at, 'CASH_OUT', cashed) : undefined
        }
        return buildTransaction({
          eventTime: at,
          account: mule as string,
          counterparty: random.pick(context.merchants).id,
          type: 'CASH_OUT',
          amount: moved,
          balances: outgoing(moved, 0),
          device: who.device,
          ip: who.ip,
          geo: who.location,
          channel: 'atm',
          accountCreatedAt: muleCreatedAt,
        })
      })
      t += random.uniform(0.2, 3) * MINUTE_MS
    }
  },
})
