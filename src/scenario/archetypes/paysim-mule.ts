import { DAY_MS, MINUTE_MS } from '../../util/time.js'
import { buildTransaction, outgoing } from '../transaction-builder.js'
import { round2 } from '../population.js'
import { positive, range } from '../schema-parts.js'
import { fraudster, transferOut, uniformIn } from './attack-helpers.js'
import { defineArchetype } from './define-archetype.js'

/**
 * PaySim's fraud: take over an account, TRANSFER its whole balance in chunks (at most `maxChunk`
 * each) to new mule accounts, each of which CASH_OUTs its chunk at once.
 */
export const paysimMule = defineArchetype({
  name: 'paysim-mule',
  params: {
    /** PaySim splits a fraudster's TRANSFER into chunks of at most this amount. */
    maxChunk: positive('maxChunk').default(10_000),
    minBalance: positive('minBalance').default(1_000),
    cashOutDelayMinutes: range('cashOutDelayMinutes').default({ min: 0.5, max: 10 }),
  },
  start(context, spec, label, startMs) {
    const { random } = context
    let victim = random.pick(context.customers)
    for (let tries = 0; tries < 20 && victim.balance < spec.minBalance; tries++) victim = random.pick(context.customers)
    if (victim.balance < spec.minBalance) return
    const who = fraudster(context, victim.home)
    const chunks = Math.ceil(victim.balance / spec.maxChunk)
    let t = startMs
    for (let i = 0; i < chunks; i++) {
      const mule = context.newAccountId()
      const muleCreatedAt = Math.round(t - random.uniform(1, 30) * DAY_MS)
      let moved = 0
      context.schedule(t, label, (at) => {
        moved = round2(Math.min(spec.maxChunk, victim.balance))
        return moved <= 0 ? undefined : transferOut(victim, who, at, moved, mule)
      })
      context.schedule(t + uniformIn(random, spec.cashOutDelayMinutes) * MINUTE_MS, label, (at) =>
        moved <= 0
          ? undefined
          : buildTransaction({
              eventTime: at,
              account: mule,
              counterparty: random.pick(context.merchants).id,
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
  },
})
