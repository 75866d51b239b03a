import { MINUTE_MS } from '../../util/time.js'
import { haversineKm } from '../geo.js'
import { jitter, round2 } from '../population.js'
import type { Label } from '../../schema/labels.js'
import { positive, range } from '../schema-parts.js'
import { cardFraud, intIn, uniformIn, type Fraudster } from './attack-helpers.js'
import { defineArchetype } from './define-archetype.js'

/**
 * A cloned card used in person far away, soon after the real card was used at home: the pair
 * implies a speed no plane reaches. The genuine purchase is labelled genuine.
 */
export const impossibleTravel = defineArchetype({
  name: 'impossible-travel',
  params: {
    minDistanceKm: positive('minDistanceKm').default(3_000),
    /** The clone is used no farther than this from the card's owner (a neighbouring country looks less odd than another continent). */
    maxDistanceKm: positive('maxDistanceKm').default(20_100),
    gapMinutes: range('gapMinutes').default({ min: 10, max: 120 }),
    followUps: range('followUps', { integer: true }).default({ min: 1, max: 4 }),
  },
  start(context, spec, label, startMs) {
    const { random } = context
    const victim = random.pick(context.customers.filter((c) => c.phase === 'home').slice(0, 200)) ?? random.pick(context.customers)
    const fits = (km: number) => km >= spec.minDistanceKm && km <= spec.maxDistanceKm
    let city = context.pickCity()
    for (let tries = 0; tries < 40 && !fits(haversineKm(city, victim.location)); tries++) city = context.pickCity()
    if (!fits(haversineKm(city, victim.location))) return
    const genuineMerchant = random.pick(context.merchants)
    const genuineAmount = round2(random.logNormal(victim.segment.spec.amount.median, 0.5))
    const genuine: Label = { isFraud: false, archetype: 'normal', attackId: '' }
    // The real card at home: paid, or declined for want of funds, but present either way.
    context.schedule(startMs, genuine, (at) => context.payment(victim, at, 'PURCHASE', genuineAmount, genuineMerchant, 'pos', true, victim.balance < genuineAmount))
    const clone: Fraudster = { device: victim.device, ip: victim.ip, location: jitter(random, city) }
    let t = startMs + uniformIn(random, spec.gapMinutes) * MINUTE_MS
    const uses = 1 + intIn(random, spec.followUps)
    for (let i = 0; i < uses; i++) {
      const amount = round2(random.logNormal(300, 0.7))
      const merchant = random.pick(context.merchants)
      context.schedule(t, label, (at) => cardFraud(victim, clone, at, amount, merchant, 'pos', false))
      t += random.uniform(5, 60) * MINUTE_MS
    }
  },
})
