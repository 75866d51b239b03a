import { MINUTE_MS } from '../../util/time.js'
import { round2 } from '../population.js'
import { amount, range, share } from '../schema-parts.js'
import { cardFraud, distinctMerchants, fraudster, intIn, uniformIn } from './attack-helpers.js'
import { defineArchetype } from './define-archetype.js'

/**
 * Small authorisations on one stolen card at several merchants, minutes to an hour or more apart,
 * from the fraudster's device (far away, or behind a proxy in the victim's city); then, unless the
 * card is sold on, a large purchase.
 */
export const cardTesting = defineArchetype({
  name: 'card-testing',
  params: {
    probes: range('probes', { integer: true }).default({ min: 5, max: 20 }),
    probeAmount: range('probeAmount').default({ min: 0.5, max: 5 }),
    declineRate: share('declineRate').default(0.6),
    gapMinutes: range('gapMinutes').default({ min: 1, max: 10 }),
    finalAmount: amount.default({ median: 900, sigma: 0.5 }),
    /** Share of attacks whose fraudster appears in the victim's city (a residential proxy). */
    nearVictimShare: share('nearVictimShare').default(0),
    /** Share of attacks that end with a large purchase; the others sell the tested card on. */
    finalPurchaseShare: share('finalPurchaseShare').default(1),
  },
  start(context, spec, label, startMs) {
    const { random } = context
    const victim = random.pick(context.customers)
    const who = fraudster(context, victim.home, random.chance(spec.nearVictimShare))
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
    if (!random.chance(spec.finalPurchaseShare)) return
    const finalAmount = round2(random.logNormal(spec.finalAmount.median, spec.finalAmount.sigma))
    context.schedule(t, label, (at) => cardFraud(victim, who, at, finalAmount, merchants[merchants.length - 1], 'web', false))
  },
})
