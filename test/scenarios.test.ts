import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { instantiatePlan, planRun } from '../src/run/run-plan.js'
import { haversineKm } from '../src/scenario/geo.js'
import { listScenarioNames, loadScenario, parseScenario, ScenarioError } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import type { LabelledTransaction } from '../src/schema/labels.js'
import { TransactionSchema, type Transaction } from '../src/schema/transaction.js'
import { UserError } from '../src/errors/user-error.js'
import { tempDir } from './helpers.js'

const MINUTE = 60_000
const cache = new Map<string, LabelledTransaction[]>()

function generate(name: string, count: number, seed = 1): LabelledTransaction[] {
  const key = `${name}/${count}/${seed}`
  if (!cache.has(key)) {
    const simulator = new ScenarioSimulator(loadScenario(name).scenario, { seed })
    cache.set(key, Array.from({ length: count }, () => simulator.next()))
  }
  return cache.get(key)!
}

function attacks(items: LabelledTransaction[], archetype: string): Map<string, Transaction[]> {
  const byAttack = new Map<string, Transaction[]>()
  for (const { transaction, label } of items) {
    if (label.archetype !== archetype) continue
    if (!byAttack.has(label.attackId)) byAttack.set(label.attackId, [])
    byAttack.get(label.attackId)!.push(transaction)
  }
  return byAttack
}

function hash(items: LabelledTransaction[]): string {
  const digest = createHash('sha256')
  for (const item of items) digest.update(JSON.stringify(item))
  return digest.digest('hex')
}

const kmh = (a: Transaction, b: Transaction) => haversineKm(a.geo!, b.geo!) / (Math.abs(b.eventTime - a.eventTime) / 3_600_000)
const cardPresent = (t: Transaction) => t.channel === 'pos' || t.channel === 'atm'

describe('shipped scenarios', () => {
  it('ship every required scenario, and every one validates and generates valid, label-free transactions', () => {
    const names = listScenarioNames()
    for (const required of ['baseline', 'card-testing', 'account-takeover', 'velocity-attack', 'impossible-travel', 'synthetic-identity', 'paysim-mule', 'mixed']) {
      assert.ok(names.includes(required), `${required} is shipped`)
    }
    for (const name of names) {
      let last = 0
      for (const { transaction } of generate(name, 3_000)) {
        assert.ok(TransactionSchema.safeParse(transaction).success, `${name}: ${JSON.stringify(transaction)}`)
        assert.doesNotMatch(JSON.stringify(transaction), /isFraud|archetype|attackId/)
        assert.ok(transaction.eventTime >= last, `${name}: event time never goes back`)
        last = transaction.eventTime
      }
    }
  })

  it('mixed carries every archetype and keeps fraud well under 1%', () => {
    const items = generate('mixed', 200_000)
    const fraud = items.filter((i) => i.label.isFraud)
    const share = fraud.length / items.length
    assert.ok(share > 0.002 && share < 0.009, `fraud share ${share}`)
    const archetypes = new Set(fraud.map((i) => i.label.archetype))
    for (const a of ['card-testing', 'account-takeover', 'velocity-attack', 'impossible-travel', 'synthetic-identity', 'paysim-mule']) assert.ok(archetypes.has(a), a)
  })

  it('baseline has no fraud', () => {
    assert.equal(generate('baseline', 20_000).filter((i) => i.label.isFraud).length, 0)
  })

  it('ids never reveal a label: mules, fraudsters and synthetic accounts look like everyone else', () => {
    for (const { transaction: t } of generate('mixed', 200_000)) {
      assert.match(t.account, /^C\d{10}$/)
      assert.match(t.counterparty, /^[CM]\d{10}$/)
      if (t.device) assert.match(t.device, /^D[0-9a-z]+$/)
      if (t.card) assert.match(t.card, /^K\d{10}$/)
    }
  })
})

describe('archetype signatures', () => {
  it('card testing: ≥5 tiny authorisations on one card at ≥5 merchants, minutes apart, many declined, then a large purchase', () => {
    const found = attacks(generate('card-testing', 60_000), 'card-testing')
    assert.ok(found.size >= 20)
    let declined = 0
    let probes = 0
    for (const [id, txs] of found) {
      if (!txs.some((t) => t.amount > 5)) continue // still probing when the sample ends
      const [final] = txs.slice(-1)
      const tests = txs.slice(0, -1)
      assert.equal(new Set(txs.map((t) => t.card)).size, 1, id)
      assert.ok(tests.length >= 5, id)
      assert.ok(new Set(tests.map((t) => t.counterparty)).size >= 5, `${id}: many merchants`)
      for (const t of tests) assert.ok(t.amount <= 5 && t.type === 'PURCHASE' && t.channel === 'web', id)
      for (let i = 1; i < tests.length; i++) {
        const gap = tests[i].eventTime - tests[i - 1].eventTime
        assert.ok(gap >= MINUTE - 1 && gap <= 10 * MINUTE + 1, `${id}: gap ${gap}`)
      }
      assert.ok(final.amount > Math.max(...tests.map((t) => t.amount)) * 10, `${id}: then a large purchase`)
      declined += tests.filter((t) => t.authResult === 'declined').length
      probes += tests.length
    }
    assert.ok(declined / probes > 0.45 && declined / probes < 0.75, `about 60% declined, got ${declined / probes}`)
  })

  it('account takeover: new device and IP far from home, a contact or password change, then high-value transfers to new payees', () => {
    const items = generate('account-takeover', 60_000)
    const seenDevices = new Map<string, Set<string>>()
    const seenParties = new Set<string>()
    const firstByAttack = new Map<string, number>()
    const homeOf = new Map<string, { lat: number; lon: number }>()
    let checked = 0
    items.forEach(({ transaction: t, label }, i) => {
      if (!label.isFraud) {
        if (t.device) (seenDevices.get(t.account) ?? seenDevices.set(t.account, new Set()).get(t.account)!).add(t.device)
        if (!homeOf.has(t.account)) homeOf.set(t.account, t.geo!)
      } else if (!firstByAttack.has(label.attackId)) {
        firstByAttack.set(label.attackId, i)
        assert.equal(t.type, 'ACCOUNT_UPDATE')
        assert.ok(t.update === 'contact' || t.update === 'password')
        assert.ok(!seenDevices.get(t.account)?.has(t.device!), 'a device the account never used')
        const home = homeOf.get(t.account)
        if (home) assert.ok(haversineKm(home, t.geo!) > 1_000, 'far from home')
        checked++
      } else {
        assert.equal(t.type, 'TRANSFER')
        assert.ok(t.amount >= 0.5 * t.balances!.originBefore - 0.01, 'at least half the balance')
        assert.ok(!seenParties.has(t.counterparty), 'to a payee never seen before')
      }
      seenParties.add(t.account)
      seenParties.add(t.counterparty)
    })
    assert.ok(checked >= 50)
  })

  it('velocity attack: ≥10 high-value purchases at ≥10 merchants within 20 minutes', () => {
    const items = generate('velocity-attack', 60_000)
    const found = attacks(items, 'velocity-attack')
    assert.ok(found.size >= 10)
    // An attack that starts in the window's last 20 minutes is cut short by the window, not by the generator.
    const cut = items.at(-1)!.transaction.eventTime - 20 * MINUTE
    for (const [id, txs] of found) {
      if (txs[0].eventTime > cut) continue
      assert.ok(txs.length >= 10, id)
      assert.ok(new Set(txs.map((t) => t.counterparty)).size >= 10, id)
      assert.ok(txs.at(-1)!.eventTime - txs[0].eventTime <= 20 * MINUTE, id)
      const sorted = txs.map((t) => t.amount).sort((a, b) => a - b)
      assert.ok(sorted[Math.floor(sorted.length / 2)] > 150, `${id}: high value`)
    }
  })

  it('impossible travel: the card is present far away sooner than any plane; genuine travellers exist and stay below plane speed', () => {
    const previousByCard = new Map<string, LabelledTransaction>()
    let impossible = 0
    let genuineLongTrips = 0
    for (const item of generate('impossible-travel', 120_000)) {
      const t = item.transaction
      if (!t.card || !cardPresent(t)) continue
      const previous = previousByCard.get(t.card)
      previousByCard.set(t.card, item)
      if (!previous || previous.label.isFraud) continue
      const distanceKm = haversineKm(previous.transaction.geo!, t.geo!)
      if (item.label.isFraud) {
        assert.ok(kmh(previous.transaction, t) > 1_000, `a fraud pair implies ${kmh(previous.transaction, t)} km/h`)
        impossible++
      } else if (distanceKm > 50) {
        assert.ok(kmh(previous.transaction, t) <= 1_000, `a genuine pair at ${kmh(previous.transaction, t)} km/h`)
        if (distanceKm > 1_000) genuineLongTrips++
      }
    }
    assert.ok(impossible >= 30, `impossible pairs: ${impossible}`)
    assert.ok(genuineLongTrips >= 5, `genuine travellers between cities: ${genuineLongTrips}`)
  })

  it('synthetic identity: a new account warms up with small purchases for ≥10 days, then busts out within hours', () => {
    const found = attacks(generate('synthetic-identity', 60_000), 'synthetic-identity')
    let complete = 0
    for (const [id, txs] of found) {
      const created = txs[0].accountCreatedAt!
      assert.ok(txs.every((t) => t.accountCreatedAt === created && t.eventTime >= created && t.account === txs[0].account), id)
      const outs = txs.filter((t) => t.amount > 400 && t.type !== 'CASH_IN')
      if (outs.length < 3) continue
      const bustStart = outs[0].eventTime
      const warmUp = txs.filter((t) => t.eventTime < bustStart)
      assert.ok(bustStart - created >= 10 * 86_400_000 - 1, `${id}: warms up for ${(bustStart - created) / 86_400_000} days`)
      const warmUpSpend = warmUp.filter((t) => t.type === 'PURCHASE').map((t) => t.amount).sort((a, b) => a - b)
      assert.ok(warmUpSpend[Math.floor(warmUpSpend.length / 2)] < 100, `${id}: small warm-up purchases`)
      assert.ok(outs.at(-1)!.eventTime - bustStart < 12 * 3_600_000, `${id}: bust-out within hours`)
      const bustOut = txs.filter((t) => t.eventTime >= bustStart && t.type !== 'CASH_IN')
      assert.ok(bustOut.reduce((sum, t) => sum + t.amount, 0) >= 2_000 * 0.95, `${id}: maxes out`)
      assert.equal(txs.at(-1)!.type, 'CASH_OUT')
      complete++
    }
    assert.ok(complete >= 10, `complete bust-outs: ${complete}`)
  })

  it('PaySim mule chain: the whole balance TRANSFERred in chunks ≤ 10,000 to new mules, each of which CASH_OUTs its chunk at once', () => {
    const found = attacks(generate('paysim-mule', 100_000), 'paysim-mule')
    assert.ok(found.size >= 20)
    for (const [id, txs] of found) {
      const transfers = txs.filter((t) => t.type === 'TRANSFER')
      const cashOuts = txs.filter((t) => t.type === 'CASH_OUT')
      if (transfers.length === 0 || cashOuts.length < transfers.length) continue
      assert.ok(transfers.every((t) => t.amount <= 10_000 && t.account === transfers[0].account), id)
      // Each chunk takes what is left, up to 10,000 (the victim's own spending between chunks changes how much): the last leaves nothing.
      assert.ok(transfers.every((t) => t.amount === Math.min(10_000, t.balances!.originBefore)), `${id}: chunks of what is left`)
      assert.equal(transfers.at(-1)!.balances!.originAfter, 0, `${id}: drains the balance`)
      assert.equal(new Set(transfers.map((t) => t.counterparty)).size, transfers.length, `${id}: a new mule per chunk`)
      for (const transfer of transfers) {
        const out = cashOuts.find((c) => c.account === transfer.counterparty)!
        assert.equal(out.amount, transfer.amount, id)
        assert.ok(out.eventTime - transfer.eventTime <= 10 * MINUTE, `${id}: cashed out at once`)
      }
    }
  })

  it('genuine customers make large purchases, change phones and move whole balances too', () => {
    const items = generate('baseline', 120_000)
    const byAccount = new Map<string, number[]>()
    for (const { transaction: t } of items) if (t.type === 'PURCHASE') (byAccount.get(t.account) ?? byAccount.set(t.account, []).get(t.account)!).push(t.amount)
    const large = items.filter(({ transaction: t }) => t.type === 'PURCHASE' && t.amount > 1_000).length
    assert.ok(large > 10, `large genuine purchases: ${large}`)
    const resets = items.filter(({ transaction: t }) => t.type === 'ACCOUNT_UPDATE').length
    assert.ok(resets > 5, `genuine password resets: ${resets}`)
    const drains = items.filter(({ transaction: t }) => t.type === 'TRANSFER' && t.balances!.originAfter === 0 && t.amount > 0).length
    assert.ok(drains > 5, `genuine whole-balance transfers: ${drains}`)
  })
})

describe('realistic mixed', () => {
  const items = generate('mixed', 250_000)
  const start = Date.parse(loadScenario('mixed').scenario.startTime)
  const DAY = 86_400_000

  it('genuine customers carry real noise: several IPs a day, shared and fresh devices, new accounts, tiny and declined purchases, cash-outs soon after money comes in', () => {
    const genuine = items.filter((i) => !i.label.isFraud).map((i) => i.transaction)
    const ipsByAccountDay = new Map<string, Set<string>>()
    const accountsByDevice = new Map<string, Set<string>>()
    for (const t of genuine) {
      const key = `${t.account}/${Math.floor((t.eventTime - start) / DAY)}`
      ;(ipsByAccountDay.get(key) ?? ipsByAccountDay.set(key, new Set()).get(key)!).add(t.ip!)
      ;(accountsByDevice.get(t.device!) ?? accountsByDevice.set(t.device!, new Set()).get(t.device!)!).add(t.account)
    }
    const days = [...ipsByAccountDay.values()]
    assert.ok(days.filter((ips) => ips.size > 1).length / days.length > 0.3, 'mobile data and travel: many account-days use more than one IP')
    const shared = [...accountsByDevice.values()].filter((accounts) => accounts.size > 1).length
    assert.ok(shared > 100, `devices shared by a household: ${shared}`)
    assert.ok(Math.max(...[...accountsByDevice.values()].map((a) => a.size)) <= 8, 'a household tablet is shared by a household, not a city')
    assert.ok(new Set(genuine.filter((t) => t.accountCreatedAt! > start).map((t) => t.account)).size > 50, 'new customers arrive during the run')
    assert.ok(genuine.filter((t) => t.type === 'PURCHASE' && t.amount < 5).length > 500, 'tiny genuine purchases')
    assert.ok(genuine.filter((t) => t.authResult === 'declined').length > 200, 'genuine declines')
    const lastInbound = new Map<string, number>()
    let quickCashOuts = 0
    for (const t of genuine) {
      if (t.type === 'TRANSFER') lastInbound.set(t.counterparty, t.eventTime)
      if (t.type === 'CASH_OUT' && t.eventTime - (lastInbound.get(t.account) ?? -Infinity) < 4 * 3_600_000) quickCashOuts++
    }
    assert.ok(quickCashOuts > 100, `genuine cash-outs within 4 h of a transfer in: ${quickCashOuts}`)
  })

  it('attackers blend in: takeovers from the victim’s own device, aged synthetic accounts, recruited mules, slow and larger card tests', () => {
    const lastDevice = new Map<string, string>()
    const seenAccounts = new Set<string>()
    let takeoversOnOwnDevice = 0
    let agedSynthetic = 0
    let recruitedMuleCashOuts = 0
    const probes: Transaction[] = []
    for (const { transaction: t, label } of items) {
      if (label.archetype === 'account-takeover' && t.type === 'TRANSFER' && lastDevice.get(t.account) === t.device) takeoversOnOwnDevice++
      if (label.archetype === 'synthetic-identity' && start - t.accountCreatedAt! > 100 * DAY) agedSynthetic++
      if (label.archetype === 'paysim-mule' && t.type === 'CASH_OUT' && seenAccounts.has(t.account) && start - t.accountCreatedAt! > 100 * DAY) recruitedMuleCashOuts++
      if (label.archetype === 'card-testing') probes.push(t)
      if (!label.isFraud) {
        lastDevice.set(t.account, t.device!)
        seenAccounts.add(t.account)
      }
    }
    assert.ok(takeoversOnOwnDevice > 10, `takeover transfers from the victim's own device: ${takeoversOnOwnDevice}`)
    assert.ok(agedSynthetic > 10, `synthetic-identity rows on accounts opened long before: ${agedSynthetic}`)
    assert.ok(recruitedMuleCashOuts > 5, `cash-outs by recruited mules with a genuine history: ${recruitedMuleCashOuts}`)
    assert.ok(probes.filter((t) => t.amount > 5 && t.amount < 30).length > 50, 'card-testing probes above $5')
  })
})

describe('determinism', () => {
  it('the same scenario and seed give the same transactions byte for byte; another seed differs', () => {
    const run = (seed: number) => {
      const simulator = new ScenarioSimulator(loadScenario('mixed').scenario, { seed })
      return hash(Array.from({ length: 20_000 }, () => simulator.next()))
    }
    const one = run(7)
    const other = run(8)
    assert.equal(one, run(7))
    assert.notEqual(one, other)
  })

  it('whatever the rate or arrival profile: the plan at 100/s, at 5,000/s and with Poisson arrivals sends the same stream', () => {
    const streams = [{ tps: 100 }, { tps: 5_000 }, { tps: 5_000, poisson: true }, { timeScale: 1_000 }].map((overrides) => {
      const { source } = instantiatePlan(planRun('mixed', { seed: 3, ...overrides }), 'run')
      return hash(Array.from({ length: 5_000 }, () => source.next()))
    })
    assert.equal(new Set(streams).size, 1)
  })
})

describe('bad scenarios and plans are refused before anything starts', () => {
  const invalid = (yaml: string) => {
    try {
      parseScenario(yaml, 'my.yaml')
    } catch (error) {
      assert.ok(error instanceof ScenarioError)
      return error.problems
    }
    return assert.fail('expected a ScenarioError')
  }
  const base = (extra = '', customers = '100') =>
    `name: t\npopulation:\n  customers: ${customers}\n  merchants: 10\n  segments:\n    - name: s\n      share: 1\n      amount: { median: 10 }\n      transactionsPerDay: 3\n${extra}`

  it('an unknown scenario name lists the known ones', () => {
    assert.throws(() => loadScenario('nope'), (error: UserError) => /Unknown scenario "nope"\. Known scenarios: .*card-testing.*mixed/.test(error.message))
  })

  it('reports file, line and field for a bad value', () => {
    assert.deepEqual(invalid(base('', '-5')), ['my.yaml:3:14: population.customers: customers must be greater than 0'])
  })

  it('reports unknown keys at their own line', () => {
    const problems = invalid(base('fraud:\n  - archetype: card-testing\n    attacksPerDay: 3\n    probs: { min: 1, max: 2 }\n'))
    assert.deepEqual(problems, ['my.yaml:13:5: fraud[0].probs: unknown key "probs": remove it or check its spelling'])
  })

  it('names the archetypes when one is misspelt, and refuses a negative rate or a share above 100%', () => {
    assert.match(invalid(base('fraud:\n  - archetype: card-tester\n    attacksPerDay: 3\n'))[0], /my\.yaml:11:16: fraud\[0\]\.archetype: archetype must be one of: card-testing, account-takeover/)
    assert.match(invalid(base('fraud:\n  - archetype: card-testing\n    attacksPerDay: -3\n'))[0], /my\.yaml:12:20: fraud\[0\]\.attacksPerDay: attacksPerDay must be greater than 0/)
    assert.match(invalid(base('fraud:\n  - archetype: card-testing\n    attacksPerDay: 3\n    declineRate: 1.5\n'))[0], /fraud\[0\]\.declineRate: declineRate must be at most 1 \(100%\)/)
    assert.match(invalid(base('arrival:\n  executor: constant\n  rate: -10\n  duration: 10s\n'))[0], /my\.yaml:12:9: arrival\.rate: rate must be greater than 0/)
    assert.match(invalid(base('arrival:\n  executor: constant\n  rate: 100000000\n  duration: 10s\n'))[0], /my\.yaml:12:9: arrival\.rate: rate 100000000 exceeds the maximum of 100,000/)
    assert.match(invalid(base('arrival:\n  executor: constant\n  rate: fast\n  duration: 10s\n'))[0], /arrival\.rate: rate must be a number/)
    assert.match(invalid(base('arrival:\n  executor: constant\n  rate: 10\n  duration: soon\n'))[0], /arrival\.duration: duration must be a positive duration/)
    assert.match(invalid(base('arrival:\n  executor: steady\n  rate: 10\n'))[0], /my\.yaml:11:13: arrival\.executor: executor must be one of: constant, ramping, spike, event-time/)
  })

  it('reports YAML syntax errors with their line', () => {
    assert.match(invalid('name: t\npopulation:\n  customers: [1, 2\n')[0], /^my\.yaml:\d+:\d+: YAML syntax: /)
  })

  it('segment shares must add up to 1', () => {
    assert.match(invalid(base().replace('share: 1', 'share: 0.5'))[0], /population\.segments: segment shares must add up to 1/)
  })

  it('a scenario file from disk is validated the same way, with its path in the message', () => {
    const path = join(tempDir('scenario'), 'broken.yaml')
    writeFileSync(path, base('', '0'))
    assert.throws(() => loadScenario(path), (error: ScenarioError) => error.problems[0].includes('broken.yaml:3:14: population.customers'))
  })

  it('refuses --tps together with --time-scale', () => {
    assert.throws(() => planRun('mixed', { tps: 10, timeScale: 100 }), /--tps and --time-scale both set the arrival rate/)
  })
})
