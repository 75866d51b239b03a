import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { RunSummary } from '../src/report/run-summary.js'
import { drifted } from '../src/scenario/archetypes/drift.js'
import { loadScenario, parseScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import { HOUR_MS } from '../src/util/time.js'
import { runCli, tempDir } from './helpers.js'

describe('drift', () => {
  it('moves listed parameters linearly between from and to, numbers inside ranges included, and leaves the rest', () => {
    const spec = { archetype: 'card-testing', probeAmount: { min: 0.5, max: 5 }, declineRate: 0.6, drift: { from: 10, to: 30, params: { probeAmount: { min: 8, max: 40 }, declineRate: 0.2 } } }
    assert.equal(drifted(spec, 5), spec, 'before from: unchanged')
    assert.deepEqual(drifted(spec, 20).probeAmount, { min: 4.25, max: 22.5 })
    assert.ok(Math.abs(drifted(spec, 20).declineRate - 0.4) < 1e-12)
    assert.deepEqual(drifted(spec, 99).probeAmount, { min: 8, max: 40 }, 'after to: the new values')
    const plain: { archetype: string; drift?: undefined } = { archetype: 'x' }
    assert.equal(drifted(plain, 99), plain, 'no drift: the spec itself')
  })

  it('the shipped drift scenario: card-testing probes are tiny before the drift and $8–40 after it', () => {
    const { scenario } = loadScenario('drift')
    const simulator = new ScenarioSimulator(scenario, { seed: 5 })
    const start = Date.parse(scenario.startTime)
    // Probes by attack, with the attack's first event time: an attack uses the parameters of the moment it starts.
    const attacks = new Map<string, { startHours: number; probes: number[] }>()
    for (let i = 0; i < 60_000; i++) {
      const { transaction, label } = simulator.next()
      if (label.archetype !== 'card-testing') continue
      const hours = (transaction.eventTime - start) / HOUR_MS
      const attack = attacks.get(label.attackId) ?? { startHours: hours, probes: [] }
      attacks.set(label.attackId, attack)
      // Probes are the small authorisations; the final purchase is far larger.
      if (transaction.amount <= 100) attack.probes.push(transaction.amount)
    }
    const before = [...attacks.values()].filter((a) => a.startHours < 12).flatMap((a) => a.probes)
    const after = [...attacks.values()].filter((a) => a.startHours > 36).flatMap((a) => a.probes)
    assert.ok(before.length > 50 && after.length > 50, `${before.length} probes before, ${after.length} after`)
    assert.ok(before.every((amount) => amount <= 5), 'before: probes of at most 5')
    assert.ok(after.every((amount) => amount >= 8 && amount <= 40), 'after: probes of 8 to 40')
  })

  it('refuses a drift that names an unknown parameter, goes backwards, or changes nothing, with where', () => {
    const base = { name: 'd', population: loadScenario('mixed').scenario.population, arrival: { executor: 'constant', rate: 10, duration: '5s' } }
    const withDrift = (drift: unknown) => () => parseScenario(JSON.stringify({ ...base, fraud: [{ archetype: 'card-testing', attacksPerDay: 5, drift }] }), 'd.yaml')
    assert.throws(withDrift({ from: '1h', to: '2h', params: { probeSize: 3 } }), /probeSize/)
    assert.throws(withDrift({ from: '2h', to: '1h', params: { declineRate: 0.2 } }), /drift\.to must come after drift\.from/)
    assert.throws(withDrift({ from: '1h', to: '2h', params: {} }), /at least one parameter/)
  })

  it('a run of the drift scenario records the drifting archetype’s recall bucket by bucket', async () => {
    const dir = tempDir('drift-run')
    const run = await runCli(['simulate', '--scenario', 'drift', '--duration', '8s', '--reports-dir', dir, '--json'], { timeoutMs: 180_000 })
    assert.equal(run.code, 0, run.stderr)
    const summary = JSON.parse(run.stdout) as RunSummary
    const series = summary.timeline.points.filter((point) => point.archetypes['card-testing']).map((point) => point.archetypes['card-testing'])
    assert.ok(series.length >= 4, `card-testing in ${series.length} buckets`)
    assert.equal(series.reduce((sum, counts) => sum + counts.frauds, 0), summary.accuracyByArchetype['card-testing'].decided)
    for (const counts of series) assert.equal(counts.recall, counts.caught / counts.frauds)
  })
})
