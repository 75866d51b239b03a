import { MINUTE_MS } from '../../util/time.js'
import { round2 } from '../population.js'
import { amount, range, share } from '../schema-parts.js'
import { cardFraud, distinctMerchants, fraudster, intIn, uniformIn } from './attack-helpers.js'
import { defineArchetype } from './define-archetype.js'

/** Many high-value purchases across different merchants within minutes, or, slower, within the hour. */
export const velocityAttack = defineArchetype({
  name: 'velocity-attack',
  params: {
    transactions: range('transactions', { integer: true }).default({ min: 10, max: 30 }),
    windowMinutes: range('windowMinutes').default({ min: 5, max: 20 }),
    amount: amount.default({ median: 600, sigma: 0.5 }),
    /** Share of attacks whose fraudster appears in the victim's city (a residential proxy). */
    nearVictimShare: share('nearVictimShare').default(0),
  },
  start(context, spec, label, startMs) {
    const { random } = context
    const victim = random.pick(context.customers)
    const who = fraudster(context, victim.home, random.chance(spec.nearVictimShare))
    const count = intIn(random, spec.transactions)
    const windowMs = uniformIn(random, spec.windowMinutes) * MINUTE_MS
    const merchants = distinctMerchants(context, count)
    const offsets = Array.from({ length: count }, () => random.next() * windowMs).sort((a, b) => a - b)
    offsets.forEach((offset, i) => {
      const amount = round2(random.logNormal(spec.amount.median, spec.amount.sigma))
      context.schedule(startMs + offset, label, (at) => cardFraud(victim, who, at, amount, merchants[i % merchants.length], 'web', false))
    })
  },
})
