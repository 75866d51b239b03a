import { MINUTE_MS } from '../../util/time.js'
import { round2 } from '../population.js'
import { range, share } from '../schema-parts.js'
import { fraudster, intIn, transferOut, uniformIn, type Fraudster } from './attack-helpers.js'
import { defineArchetype } from './define-archetype.js'

/**
 * Someone else in the account, then transfers out to new payees. Three ways in: from the
 * fraudster's own device far away (phished credentials, with a contact or password change); by SIM
 * swap (a new phone on a local carrier address, the password reset by text); or from the victim's
 * own device and address (malware, a hijacked session), often with no change to the account at all.
 */
export const accountTakeover = defineArchetype({
  name: 'account-takeover',
  params: {
    transfers: range('transfers', { integer: true }).default({ min: 1, max: 3 }),
    shareOfBalance: range('shareOfBalance').default({ min: 0.5, max: 1 }),
    gapMinutes: range('gapMinutes').default({ min: 2, max: 60 }),
    /** Share of takeovers from the victim's own device and address (malware, session hijack). */
    onVictimDeviceShare: share('onVictimDeviceShare').default(0),
    /** Share of takeovers by SIM swap: a new phone on a carrier address in the victim's city. */
    simSwapShare: share('simSwapShare').default(0),
  },
  start(context, spec, label, startMs) {
    const { random } = context
    const victim = random.pick(context.customers)
    const roll = random.next()
    const way = roll < spec.onVictimDeviceShare ? 'victim-device' : roll < spec.onVictimDeviceShare + spec.simSwapShare ? 'sim-swap' : 'remote'
    let who: Fraudster
    if (way === 'victim-device') who = { device: victim.device, ip: victim.ip, location: victim.location }
    else if (way === 'sim-swap') who = { device: context.newDeviceId(), ip: context.carrierIpOf(victim), location: victim.home }
    else who = fraudster(context, victim.home)
    const update = way === 'sim-swap' ? 'password' : way === 'remote' ? (random.chance(0.5) ? 'contact' : 'password') : random.chance(0.3) ? 'contact' : undefined
    if (update) context.schedule(startMs, label, (at) => context.accountUpdate(victim, at, update, who.device, who.ip, who.location))
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
