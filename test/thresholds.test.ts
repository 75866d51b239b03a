import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { describe, it } from 'node:test'
import { renderJunit } from '../src/report/junit.js'
import { XMLValidator } from 'fast-xml-parser'
import type { RunSummary } from '../src/report/run-summary.js'
import { evaluateThresholds, parseThreshold, THRESHOLDS_CROSSED_EXIT_CODE } from '../src/report/thresholds.js'
import { REPO_ROOT, runCli, tempDir } from './helpers.js'

const latency = (p99: number) => ({ count: 10, p50: 1, p90: 2, p95: 3, p99, p999: p99, max: p99, mean: 1 })

function summary(): RunSummary {
  return {
    counts: { lost: 0, dropped: 3 },
    accuracy: { precision: 0.9, recall: 0.8, f1: 0.847, falsePositiveRate: 0.001 },
    throughput: { offeredTps: 100, achievedTps: 99, decidedTps: 98 },
    latencyMs: { endToEnd: latency(240), stages: { scoring: latency(12), put: latency(NaN) } },
    accuracyByArchetype: { 'card-testing': { decided: 20, blocked: 19, recall: 0.95, precision: 0.9 } },
    thresholds: [],
    command: 'simulate',
    runId: 'r1',
    startedAt: '2026-01-01T00:00:00.000Z',
    status: 'completed',
    reconciliation: { ok: true, missingCount: 0, missingIds: [], notes: [] },
  } as unknown as RunSummary
}

describe('thresholds', () => {
  it('parse k6-style expressions, with latency units in milliseconds', () => {
    assert.deepEqual(parseThreshold('e2e.p99<250ms', 'flag'), { expression: 'e2e.p99<250ms', source: 'flag', archetype: undefined, metric: 'e2e.p99', operator: '<', value: 250 })
    assert.equal(parseThreshold('scoring.max <= 1.5s', 'flag').value, 1_500)
    assert.equal(parseThreshold('put.p50<500us', 'flag').value, 0.5)
    assert.equal(parseThreshold('e2e.p95<40', 'flag').value, 40)
    const scoped = parseThreshold('scenario:card-testing.recall>0.95', 'scenario')
    assert.equal(scoped.archetype, 'card-testing')
    assert.equal(scoped.metric, 'recall')
    assert.equal(parseThreshold('lost==0', 'flag').operator, '==')
  })

  it('refuse an unknown metric by naming the valid ones, and other mistakes by saying what is wrong', () => {
    assert.throws(() => parseThreshold('e2e.p98<2ms', 'flag'), (e: Error & { hint?: string }) => /unknown metric "e2e.p98"/.test(e.message) && /e2e\|generatorLag/.test(e.hint ?? '') && /recall/.test(e.hint ?? ''))
    assert.throws(() => parseThreshold('scenario:card-testing.latency<3', 'flag'), (e: Error & { hint?: string }) => /recall\|precision/.test(e.hint ?? ''))
    assert.throws(() => parseThreshold('recall>0.9ms', 'flag'), /not a latency/)
    assert.throws(() => parseThreshold('recall is high', 'flag'), /cannot read "recall is high"/)
  })

  it('decision latency is a threshold metric, overall and per archetype', () => {
    const s = summary()
    s.latencyMs.decision = latency(180)
    s.latencyMs.decisionByArchetype = { 'card-testing': latency(90) }
    const results = evaluateThresholds(['decision.p99<250ms', 'decision.p99<0.15s', 'scenario:card-testing.decision.p99<100ms'].map((t) => parseThreshold(t, 'flag')), s)
    assert.deepEqual(results.map((r) => [r.expression, r.actual, r.ok]), [
      ['decision.p99<250ms', 180, true],
      ['decision.p99<0.15s', 180, false],
      ['scenario:card-testing.decision.p99<100ms', 90, true],
    ])
  })

  it('evaluate on a summary; a metric without a value fails', () => {
    const results = evaluateThresholds(
      ['e2e.p99<250ms', 'e2e.p99<200ms', 'recall>=0.8', 'dropped==0', 'throughputRatio>0.98', 'scenario:card-testing.recall>0.9', 'scenario:velocity-attack.recall>0.9', 'put.p99<10'].map((t) => parseThreshold(t, 'flag')),
      summary(),
    )
    assert.deepEqual(
      results.map((r) => [r.expression, r.actual, r.ok]),
      [
        ['e2e.p99<250ms', 240, true],
        ['e2e.p99<200ms', 240, false],
        ['recall>=0.8', 0.8, true],
        ['dropped==0', 3, false],
        ['throughputRatio>0.98', 0.99, true],
        ['scenario:card-testing.recall>0.9', 0.95, true],
        ['scenario:velocity-attack.recall>0.9', null, false],
        ['put.p99<10', null, false],
      ],
    )
  })

  it('render one JUnit test case per threshold, escaped, plus the reconciliation', () => {
    const s = summary()
    s.thresholds = evaluateThresholds(['e2e.p99<200ms', 'lost==0'].map((t) => parseThreshold(t, 'flag')), s)
    const xml = renderJunit(s)
    assert.match(xml, /<testsuites name="fraudlab" tests="3" failures="1">/)
    assert.match(xml, /name="threshold e2e.p99&lt;200ms">\s*<failure message="actual 240"\/>/)
    assert.match(xml, /name="threshold lost==0"\/>/)
    assert.equal(XMLValidator.validate(xml), true)
  })
})

describe('a crossed threshold', () => {
  it(`exits ${THRESHOLDS_CROSSED_EXIT_CODE} after writing every report file`, async () => {
    const reportsDir = tempDir('thresholds')
    const run = await runCli(['simulate', '--scenario', 'paysim-mule', '--count', '300', '--tps', '300', '--threshold', 'e2e.p99<1us', '--threshold', 'lost==0', '--reports-dir', reportsDir, '--json'], {
      env: { FRAUDLAB_STATE_DIR: tempDir('state') },
    })
    assert.equal(run.code, THRESHOLDS_CROSSED_EXIT_CODE, run.stderr)
    const printed = JSON.parse(run.stdout) as RunSummary
    assert.equal(printed.reconciliation.ok, true)
    // The scenario's own thresholds come first, then the flags'.
    assert.deepEqual(printed.thresholds.map((t) => [t.expression, t.source]), [['lost==0', 'scenario'], ['attacksDetected>0.9', 'scenario'], ['e2e.p99<1us', 'flag'], ['lost==0', 'flag']])
    assert.equal(printed.thresholds[2].ok, false)
    assert.equal(printed.thresholds[3].ok, true)
    const folder = join(reportsDir, printed.runId)
    for (const file of ['summary.json', 'junit.xml', 'summary.md', 'report.html', 'histograms.json', 'decisions.ndjson.gz']) assert.ok(existsSync(join(folder, file)), `${file} written`)
    assert.equal(gunzipSync(readFileSync(join(folder, 'decisions.ndjson.gz'))).toString('utf8').trim().split('\n').length, printed.counts.sent)
    assert.match(readFileSync(join(folder, 'report.html'), 'utf8'), /class="badge bad">\d+ thresholds? crossed/)
    assert.match(readFileSync(join(folder, 'summary.md'), 'utf8'), /thresholds? crossed/)
    assert.match(readFileSync(join(folder, 'junit.xml'), 'utf8'), /name="threshold e2e.p99&lt;1us">\s*<failure/)
  })

  it('in a scenario file is refused before the run, naming the file', async () => {
    const dir = tempDir('bad-scenario')
    const path = join(dir, 'bad.yaml')
    writeFileSync(path, readFileSync(join(REPO_ROOT, 'scenarios', 'paysim-mule.yaml'), 'utf8').replace(/thresholds:.*$/m, "thresholds: ['recall>0.8', 'latency<3']"))
    const run = await runCli(['simulate', '--scenario', path, '--duration', '2s'], { env: { FRAUDLAB_STATE_DIR: dir } })
    assert.equal(run.code, 2, run.stderr)
    assert.match(run.stderr, /bad\.yaml: thresholds: unknown metric "latency"/)
  })
})
