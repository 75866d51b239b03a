import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { AttackTracker } from '../src/collector/attack-tracker.js'
import { DecisionLog, formatMs } from '../src/collector/decision-log.js'
import { accuracyFrom } from '../src/metrics/accuracy.js'
import { newLatencyHistogram, recordMs, summarize } from '../src/metrics/latency.js'
import { prAuc, prCurve } from '../src/metrics/score-ranking.js'
import { accuracyBeforeAndAfter, coldStartWindowMs, MAX_TIMELINE_BUCKETS, Timeline } from '../src/metrics/timeline.js'
import { compareSummaries } from '../src/report/compare.js'
import MarkdownIt from 'markdown-it'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { mergeReports } from '../src/report/merge.js'
import { readReport } from '../src/report/read-report.js'
import { archetypeAccuracy, distribution } from '../src/report/run-summary.js'
import { RunSummarySchema, SUMMARY_SCHEMA_VERSION } from '../src/report/summary-schema.js'
import { evaluateThresholds, parseThreshold } from '../src/report/thresholds.js'
import { renderSummaryJsonSchema, SUMMARY_SCHEMA_PATH } from '../src/report/write-summary-schema.js'
import { REPO_ROOT, runCli, tempDir } from './helpers.js'
import { syntheticRun, writeSyntheticReport } from './report-fixtures.js'

const close = (actual: number | null, expected: number, relative = 1e-3) => assert.ok(actual !== null && Math.abs(actual - expected) <= Math.abs(expected) * relative, `${actual} ≈ ${expected}`)

describe('report metrics, against hand-computed cases', () => {
  it('precision, recall, F1 and false-positive rate from a confusion matrix; no denominator gives NaN', () => {
    const a = accuracyFrom({ truePositives: 3, falsePositives: 1, trueNegatives: 5, falseNegatives: 1 })
    assert.equal(a.precision, 0.75)
    assert.equal(a.recall, 0.75)
    assert.equal(a.f1, 0.75)
    assert.equal(a.falsePositiveRate, 1 / 6)
    const none = accuracyFrom({ truePositives: 0, falsePositives: 0, trueNegatives: 4, falseNegatives: 0 })
    assert.ok(Number.isNaN(none.precision) && Number.isNaN(none.recall) && Number.isNaN(none.f1))
    assert.equal(none.falsePositiveRate, 0)
  })

  it('PR-AUC is average precision: Σ ΔR·P over distinct thresholds, ties taken together', () => {
    // Ranked: 0.9 fraud (P 1, R .5), 0.8 genuine, 0.7 fraud (P 2/3, R 1), 0.6 genuine → .5·1 + .5·2/3.
    assert.equal(prAuc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]), 0.5 + 0.5 * (2 / 3))
    assert.equal(prAuc([0.5, 0.5], [1, 0]), 0.5)
    assert.equal(prAuc([0.9, 0.1], [1, 0]), 1)
    assert.ok(Number.isNaN(prAuc([0.3, 0.2], [0, 0])))
    assert.deepEqual(prCurve([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]), [
      [0.5, 1],
      [0.5, 0.5],
      [1, 0.6667],
      [1, 0.5],
    ])
  })

  it('latency percentiles from the HDR histogram (3 significant digits)', () => {
    const histogram = newLatencyHistogram()
    for (let ms = 1; ms <= 100; ms++) recordMs(histogram, ms)
    const s = summarize(histogram)
    assert.equal(s.count, 100)
    close(s.p50, 50)
    close(s.p90, 90)
    close(s.p99, 99)
    close(s.p999, 100)
    close(s.max, 100)
    close(s.mean, 50.5)
    assert.ok(Number.isNaN(summarize(newLatencyHistogram()).p99 as number))
  })

  it('a decision log that cannot be written reports the error when closed instead of crashing the run', async () => {
    const log = new DecisionLog(join(tempDir('log-fail'), 'missing-folder', 'decisions.ndjson.gz'))
    log.recordUndecided('r-0', { isFraud: false, archetype: 'normal', attackId: '' })
    await assert.rejects(log.close(), /ENOENT/)
  })

  it('decision-log timestamps print as String(Math.round(v * 100) / 100) would', () => {
    for (const v of [1795387161726.75, 1795387161726.1, 1795387161726.999, 1795387161726.004, 2.05, 3, 0, 12.5, 99.99]) assert.equal(formatMs(v), String(Math.round(v * 100) / 100), String(v))
    assert.equal(formatMs(NaN), 'null')
  })

  it('time-to-detect percentiles by nearest rank', () => {
    assert.deepEqual(distribution([10, 20, 30, 40]), { count: 4, p50: 20, p90: 40, p99: 40, max: 40, mean: 25 })
    assert.deepEqual(distribution([7]), { count: 1, p50: 7, p90: 7, p99: 7, max: 7, mean: 7 })
    assert.equal(distribution([]).count, 0)
  })

  it('attacks: detection time runs from the first scheduled transaction to the earliest block, whatever order decisions arrive in', () => {
    const attacks = new AttackTracker()
    attacks.recordEmitted(0, 'a1', 'card-testing', 1_000)
    attacks.recordEmitted(1, 'a1', 'card-testing', 1_100)
    attacks.recordEmitted(2, 'a1', 'card-testing', 1_200)
    attacks.recordEmitted(3, 'a2', 'account-takeover', 5_000)
    attacks.recordBlocked(2, 1_450)
    attacks.recordBlocked(1, 1_300) // observed later, took effect earlier
    assert.deepEqual(attacks.records(), [
      { attackId: 'a1', archetype: 'card-testing', transactions: 3, blocked: 2, startedAt: 1_000, timeToDetectMs: 300 },
      { attackId: 'a2', archetype: 'account-takeover', transactions: 1, blocked: 0, startedAt: 5_000, timeToDetectMs: null },
    ])
  })

  it('per archetype: recall of its own transactions, precision against every false positive', () => {
    const result = archetypeAccuracy(
      [
        { code: 0, name: 'normal', decided: 100, blocked: 1 },
        { code: 1, name: 'card-testing', decided: 4, blocked: 3 },
      ],
      1,
      () => 0.9,
    )
    assert.deepEqual(result, { 'card-testing': { decided: 4, blocked: 3, recall: 0.75, precision: 0.75, prAuc: 0.9 } })
  })

  it('timeline: epoch-aligned buckets; past the bucket limit the width doubles and nothing is lost', () => {
    const timeline = new Timeline()
    timeline.recordOffered(10_500)
    timeline.recordOffered(10_900)
    timeline.recordSent(11_200)
    timeline.recordLatency(10_500, 40)
    let points = timeline.summarize().points
    assert.deepEqual(points.map((p) => [p.at, p.offered, p.sent]), [
      [10_000, 2, 0],
      [11_000, 0, 1],
    ])
    close(points[0].decision.p50, 40, 0.01)
    for (let s = 0; s < MAX_TIMELINE_BUCKETS * 2; s++) timeline.recordOffered(10_000 + s * 1000)
    const { bucketMs } = timeline.summarize()
    points = timeline.summarize().points
    assert.ok(bucketMs >= 2000 && points.length <= MAX_TIMELINE_BUCKETS)
    assert.equal(points.reduce((n, p) => n + p.offered, 0), 2 + MAX_TIMELINE_BUCKETS * 2)
    assert.ok(points.every((p) => p.at % bucketMs === 0))
  })

  it('timeline: recall and precision per bucket, overall and per archetype, by scheduled time; they survive coarsening', () => {
    const timeline = new Timeline()
    // Second 0: card testing caught 3 of 4; second 1: caught 1 of 4 (a drift), account takeover 2 of 2, and one genuine block.
    for (const blocked of [true, true, true, false]) timeline.recordOutcome(100, 'card-testing', blocked)
    for (const blocked of [true, false, false, false]) timeline.recordOutcome(1_100, 'card-testing', blocked)
    timeline.recordOutcome(1_200, 'account-takeover', true)
    timeline.recordOutcome(1_300, 'account-takeover', true)
    timeline.recordOutcome(1_400, undefined, true)
    timeline.recordOutcome(1_500, undefined, false)
    let points = timeline.summarize().points
    assert.deepEqual(points.map((p) => [p.frauds, p.caught, p.falsePositives, p.recall, p.precision]), [
      [4, 3, 0, 0.75, 1],
      [6, 3, 1, 0.5, 0.75],
    ])
    assert.deepEqual(points.map((p) => p.archetypes['card-testing'].recall), [0.75, 0.25], 'the drifting archetype’s recall, bucket by bucket')
    assert.deepEqual(points[1].archetypes['account-takeover'], { frauds: 2, caught: 2, recall: 1 })
    assert.equal(points[0].archetypes['account-takeover'], undefined)
    const split = accuracyBeforeAndAfter(points, 1_000)
    assert.deepEqual(split.first, { frauds: 4, caught: 3, falsePositives: 0, recall: 0.75, precision: 1 })
    assert.deepEqual(split.rest, { frauds: 6, caught: 3, falsePositives: 1, recall: 0.5, precision: 0.75 })
    assert.equal(coldStartWindowMs(1_000, 20_000), 5_000, 'a 20 s load: its first quarter')
    assert.equal(coldStartWindowMs(1_000, 600_000), 60_000, 'a long load: its first minute')
    for (let s = 0; s < MAX_TIMELINE_BUCKETS * 2; s++) timeline.recordOffered(s * 1000)
    points = timeline.summarize().points
    assert.deepEqual([points[0].frauds, points[0].caught, points[0].falsePositives, points[0].archetypes['card-testing'].caught], [10, 6, 1, 4], 'merged when buckets double')
  })

  it('thresholds read PR-AUC, attack detection and time to detect', () => {
    const summary = {
      accuracy: { prAuc: 0.97 },
      attacks: { total: 4, detected: 3, timeToDetectMs: { p99: 800 }, byArchetype: { 'card-testing': { total: 2, detected: 2, timeToDetectMs: { p50: 120 } } } },
      accuracyByArchetype: {},
      latencyMs: { byArchetype: {} },
    } as never
    const results = evaluateThresholds(['prAuc>0.95', 'attacksDetected>=0.75', 'ttd.p99<1s', 'scenario:card-testing.ttd.p50<100ms', 'scenario:card-testing.attacksDetected==1'].map((t) => parseThreshold(t, 'flag')), summary)
    assert.deepEqual(results.map((r) => [r.actual, r.ok]), [
      [0.97, true],
      [0.75, true],
      [800, true],
      [120, false],
      [1, true],
    ])
  })
})

describe('summary.json', () => {
  it('the committed JSON Schema is the one the code defines', () => {
    assert.equal(readFileSync(join(REPO_ROOT, SUMMARY_SCHEMA_PATH), 'utf8'), renderSummaryJsonSchema(), 'run `npm run schema:summary` and commit reports/summary.schema.json')
  })

  it('a written summary validates against the committed JSON Schema (checked by Ajv, not by the code that wrote it)', async () => {
    const { folder } = await writeSyntheticReport('schema-run', syntheticRun(3_000, 10), tempDir('schema'), ['e2e.p99<1s'])
    const ajv = new Ajv2020({ strict: false, allErrors: true })
    const validate = ajv.compile(JSON.parse(readFileSync(join(REPO_ROOT, SUMMARY_SCHEMA_PATH), 'utf8')))
    const written = JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8')) as Record<string, Record<string, unknown>>
    assert.ok(validate(written), JSON.stringify(validate.errors?.slice(0, 3)))
    // and the schema has teeth: a missing field and a wrong type are caught
    const broken: Record<string, unknown> = { ...written, counts: { ...written.counts, lost: -1 } }
    delete broken.latencyMs
    assert.equal(validate(broken), false)
  })

  it('decisions.ndjson.gz holds one line per sent transaction, with label, score, verdict and every stage timestamp in order', async () => {
    const transactions = syntheticRun(500, 5, 3)
    const { summary, folder } = await writeSyntheticReport('log-run', transactions, tempDir('log'))
    const lines = gunzipSync(readFileSync(join(folder, 'decisions.ndjson.gz'))).toString('utf8').trim().split('\n').map((line) => JSON.parse(line))
    assert.equal(lines.length, summary.counts.sent)
    const byId = new Map(lines.map((line) => [line.id, line]))
    transactions.forEach((t, i) => {
      const line = byId.get(`log-run-${i}`)
      assert.equal(line.isFraud, t.label.isFraud)
      assert.equal(line.archetype, t.label.archetype)
      assert.equal(line.attackId, t.label.attackId)
      assert.equal(line.verdict, t.verdict)
      assert.equal(line.score, t.score)
      const order = ['scheduled', 'sent', 'acked', 'fetched', 'scored', 'acted', 'observed'].map((k) => line.t[k])
      assert.ok(order.every((v, k) => k === 0 || v >= order[k - 1]), JSON.stringify(line.t))
      close(line.t.observed - line.t.scheduled, t.stageMs.reduce((a, b) => a + b, 0), 0.01)
    })
    // PR-AUC in the summary equals one recomputed from the log alone.
    assert.equal(summary.accuracy.prAuc, prAuc(lines.map((l) => l.score), lines.map((l) => (l.isFraud ? 1 : 0))))
  })
})

describe('report merge', () => {
  it('two halves of a run merge into the same percentiles, counts, accuracy, timeline and attacks as the whole', async () => {
    const dir = tempDir('merge')
    const transactions = syntheticRun(8_000, 40, 7)
    const whole = await writeSyntheticReport('whole', transactions, dir)
    // Two hosts running at the same time: every other genuine transaction each, and every other attack whole.
    const onA = (t: (typeof transactions)[number], i: number) => (t.label.attackId ? Number(t.label.attackId.split('-')[1]) % 2 === 0 : i % 2 === 0)
    const a = await writeSyntheticReport('half-a', transactions.filter(onA), dir, ['e2e.p99<80ms'])
    const b = await writeSyntheticReport('half-b', transactions.filter((t, i) => !onA(t, i)), dir)
    const { summary: merged, folder } = await mergeReports([a.folder, b.folder], join(dir, 'out'), 'merged')
    const w = whole.summary
    assert.notDeepEqual(a.summary.latencyMs.endToEnd, w.latencyMs.endToEnd, 'each half alone differs from the whole')
    assert.deepEqual(merged.latencyMs, w.latencyMs)
    assert.deepEqual(merged.timeline, w.timeline)
    assert.deepEqual(merged.counts, w.counts)
    assert.deepEqual(merged.accuracy, w.accuracy)
    assert.deepEqual(merged.accuracyByArchetype, w.accuracyByArchetype)
    const { list: mergedList, ...mergedAttacks } = merged.attacks
    const { list: wholeList, ...wholeAttacks } = w.attacks
    assert.deepEqual(mergedAttacks, wholeAttacks)
    assert.deepEqual(mergedList.map((x) => x.attackId).sort(), wholeList.map((x) => `half-${Number(x.attackId.split('-')[1]) % 2 ? 'b' : 'a'}:${x.attackId}`).sort())
    assert.deepEqual(merged.mergedFrom, ['half-a', 'half-b'])
    // The half's threshold is evaluated again on the whole.
    assert.deepEqual(merged.thresholds.map((t) => [t.expression, t.actual]), [['e2e.p99<80ms', w.latencyMs.endToEnd.p99]])
    const log = gunzipSync(readFileSync(join(folder, 'decisions.ndjson.gz'))).toString('utf8').trim().split('\n')
    assert.equal(log.length, w.counts.sent)
    assert.equal(readReport(folder).summary.runId, 'merged')
  })

  it('through the CLI: writes the merged report and exits 99 when a run’s threshold fails on the whole', async () => {
    const dir = tempDir('merge-cli')
    const transactions = syntheticRun(2_000, 10, 4)
    await writeSyntheticReport('20260101-000000-aaaa', transactions.slice(0, 1_000), dir, ['recall>0.99'])
    await writeSyntheticReport('20260101-000000-bbbb', transactions.slice(1_000), dir)
    const run = await runCli(['report', 'merge', '20260101-000000-aaaa', '20260101-000000-bbbb', '--reports-dir', dir, '--json'])
    const merged = JSON.parse(run.stdout) as { runId: string; mergedFrom: string[]; counts: { sent: number }; thresholds: Array<{ ok: boolean }> }
    assert.equal(merged.thresholds[0].ok, false, 'the synthetic model misses some fraud')
    assert.equal(run.code, 99, run.stderr)
    assert.deepEqual(merged.mergedFrom, ['20260101-000000-aaaa', '20260101-000000-bbbb'])
    assert.equal(merged.counts.sent, 2_000)
    assert.equal(readReport(join(dir, merged.runId)).summary.counts.sent, 2_000)
  })

  it('refuses a run named twice and a report of another schema version', async () => {
    const dir = tempDir('merge-bad')
    const a = await writeSyntheticReport('a', syntheticRun(100, 1), dir)
    await assert.rejects(mergeReports([a.folder, a.folder], dir, 'm'), /named twice/)
    const old = join(dir, 'old')
    const b = await writeSyntheticReport('old', syntheticRun(100, 1), dir)
    const summary = JSON.parse(readFileSync(join(b.folder, 'summary.json'), 'utf8'))
    writeFileSync(join(old, 'summary.json'), JSON.stringify({ ...summary, schemaVersion: 1 }))
    await assert.rejects(mergeReports([a.folder, old], dir, 'm'), new RegExp(`schema version 1; this fraudlab reads version ${SUMMARY_SCHEMA_VERSION}`))
  })
})

describe('report compare', () => {
  it('passes a run against itself and flags an injected regression in latency, recall and losses', async () => {
    const dir = tempDir('compare')
    const base = await writeSyntheticReport('base', syntheticRun(3_000, 10, 5), dir)
    assert.deepEqual(compareSummaries(base.summary, base.summary).filter((r) => r.regression), [])
    const worse = structuredClone(base.summary)
    worse.runId = 'worse'
    worse.latencyMs.endToEnd.p99 = (base.summary.latencyMs.endToEnd.p99 as number) * 1.5
    worse.latencyMs.stages.scoring.p99 = (base.summary.latencyMs.stages.scoring.p99 as number) * 1.05 // within 10%
    worse.accuracy.recall = (base.summary.accuracy.recall as number) - 0.1
    worse.counts.lost = 3
    assert.ok(RunSummarySchema.safeParse(JSON.parse(JSON.stringify(worse))).success)
    const regressions = compareSummaries(base.summary, worse).filter((r) => r.regression).map((r) => r.metric)
    assert.deepEqual(regressions, ['e2e.p99', 'recall', 'lost'])
    assert.deepEqual(compareSummaries(base.summary, worse, { relative: 0.6, quality: 0.2 }).filter((r) => r.regression).map((r) => r.metric), ['lost'])
  })

  it('through the CLI: exit 0 without regression, 99 with one, 2 with a clear message for incompatible schema versions', async () => {
    const dir = tempDir('compare-cli')
    const base = await writeSyntheticReport('base', syntheticRun(2_000, 10, 5), dir)
    const slower = structuredClone(base.summary)
    slower.runId = 'slower'
    slower.latencyMs.endToEnd.p99 = (base.summary.latencyMs.endToEnd.p99 as number) * 2
    const slowerDir = join(dir, 'slower')
    const old = join(dir, 'old')
    for (const [folder, summary] of [
      [slowerDir, slower],
      [old, { ...base.summary, schemaVersion: 1 }],
    ] as const) {
      await import('node:fs/promises').then((fs) => fs.mkdir(folder, { recursive: true }))
      writeFileSync(join(folder, 'summary.json'), JSON.stringify(summary))
    }
    const same = await runCli(['report', 'compare', base.folder, base.folder])
    assert.equal(same.code, 0, same.stderr)
    assert.match(same.stdout, /No regression beyond tolerance/)
    const regressed = await runCli(['report', 'compare', 'base', 'slower', '--reports-dir', dir])
    assert.equal(regressed.code, 99, regressed.stderr)
    assert.match(regressed.stdout, /e2e\.p99 .*\+100\.0%\s+✗ regression/)
    const json = await runCli(['report', 'compare', base.folder, slowerDir, '--json'])
    assert.equal(JSON.parse(json.stdout).regressions, 1)
    const incompatible = await runCli(['report', 'compare', old, base.folder])
    assert.equal(incompatible.code, 2)
    assert.match(incompatible.stderr, new RegExp(`summary schema version 1; this fraudlab reads version ${SUMMARY_SCHEMA_VERSION}, so the two are not comparable`))
    assert.doesNotMatch(incompatible.stderr, /at .*\.js:\d+/)
  })

  it('refuses runs of another scenario, rate, target or status (exit 2, naming each difference) unless --force; writes valid Markdown and JUnit', async () => {
    const dir = tempDir('compare-formats')
    const base = await writeSyntheticReport('base', syntheticRun(2_000, 10, 5), dir)
    const other = structuredClone(base.summary)
    other.runId = 'other'
    other.status = 'interrupted'
    other.config = { ...other.config, scenario: 'card-testing', target: 'aws' }
    other.throughput.offeredTps = base.summary.throughput.offeredTps * 2.5
    other.counts.failedToProduce = 49_892
    other.latencyMs.decision.p99 = (base.summary.latencyMs.decision.p99 as number) * 3
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'other'), { recursive: true }))
    writeFileSync(join(dir, 'other', 'summary.json'), JSON.stringify(other))

    const refused = await runCli(['report', 'compare', 'base', 'other', '--reports-dir', dir])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /base and other are not comparable: scenario: \S+ against card-testing; offered rate \(\/s\): \d+ against \d+; target: \S+ against aws; status: completed against interrupted\./)
    assert.match(refused.stderr, /--force/)
    assert.equal(refused.stdout, '')

    const text = await runCli(['report', 'compare', 'base', 'other', '--reports-dir', dir, '--force'])
    assert.equal(text.code, 99)
    assert.match(text.stdout, /compared despite --force: status: completed against interrupted/)
    // A large count keeps its column, and a change from 0 is a difference, not a percentage.
    assert.match(text.stdout, /^failedToProduce +0 +49,892 +\+49,892  ✗ regression$/m)
    assert.match(text.stdout, /^decision\.p99 .* \+200\.0%  ✗ regression$/m)

    const markdown = await runCli(['report', 'compare', 'base', 'other', '--reports-dir', dir, '--force', '--format', 'markdown'])
    const html = new MarkdownIt().render(markdown.stdout)
    const table = html.slice(html.indexOf('<table>'), html.indexOf('</table>'))
    const metrics = compareSummaries(base.summary, other)
    assert.equal((table.match(/<tr>/g) ?? []).length, metrics.length + 1, 'one row per metric under a header: the table parses as GFM')
    assert.match(html, /<h3>fraudlab report compare: ❌ \d+ regressions beyond tolerance/)
    assert.equal((table.match(/❌ regression/g) ?? []).length, metrics.filter((m) => m.regression).length)

    const junit = await runCli(['report', 'compare', 'base', 'other', '--reports-dir', dir, '--force', '--format', 'junit'])
    assert.equal(XMLValidator.validate(junit.stdout), true)
    const suite = new XMLParser({ ignoreAttributes: false }).parse(junit.stdout).testsuites.testsuite
    assert.equal(Number(suite['@_tests']), metrics.length)
    assert.equal(Number(suite['@_failures']), metrics.filter((m) => m.regression).length)
    const failed = (suite.testcase as Array<{ '@_name': string; failure?: { '@_message': string } }>).filter((c) => c.failure)
    assert.ok(failed.some((c) => c['@_name'] === 'failedToProduce' && /baseline 0, current 49,892/.test(c.failure!['@_message'])))
  })

  it('report open prints the report.html path of a run (or of the latest run)', async () => {
    const dir = tempDir('open')
    await writeSyntheticReport('20260101-000000-aaaa', syntheticRun(100, 1), dir)
    const latest = await writeSyntheticReport('20260102-000000-bbbb', syntheticRun(100, 1), dir)
    const run = await runCli(['report', 'open', 'latest', '--reports-dir', dir])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout.trim(), join(latest.folder, 'report.html'))
    const missing = await runCli(['report', 'open', 'nope', '--reports-dir', dir])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /No report at "nope"/)
  })
})
