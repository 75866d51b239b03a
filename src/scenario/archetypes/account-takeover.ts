import { MINUTE_MS } from '../../util/time.js'
import { round2 } from '../population.js'
import { range } from '../schema-parts.js'
import { fraudster, intIn, transferOut, uniformIn } from './attack-helpers.js'
import { defineArchetype } from './define-archetype.js'

/** New device and IP far from home, a contact or password change, then high-value transfers out. */
export const accountTakeover = defineArchetype({
  name: 'account-takeover',
  params: {
    transfers: range('transfers', { integer: true }).default({ min: 1, max: 3 }),
    shareOfBalance: range('shareOfBalance').default({ min: 0.5, max: 1 }),
    gapMinutes: range('gapMinutes').default({ min: 2, max: 60 }),
  },
  start(context, spec, label, startMs) {
    const { random } = context
    const victim = random.pick(context.customers)
    const who = fraudster(context, victim.home)
    const update = random.chance(0.5) ? 'contact' : 'password'
    context.schedule(startMs, label, (at) => context.accountUpdate(victim, at, update, who.device, who.ip, who.location))
    let t = startMs
    const transfers = intIn(random, spec.transfers)
    for (let i = 0; i < transfers; i++) {
      t += uniformIn(random, spec.gapMinutes) * MINUTE_MS
      const share = uniformIn(random, spec.shareOfBalance)
      const payee = context.newAccountId()
      context.schedule(t, label, (at) => (victim.balance < 1 ? undefined : transferOut(victim, who, at, round2(victim.balance * share), payee)))
    }
  },
})
