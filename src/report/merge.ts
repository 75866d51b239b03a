import { once } from 'node:events'
import { createReadStream, createWriteStream, existsSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createGunzip } from 'node:zlib'
import type { Histogram } from 'hdr-histogram-js'
import type { AttackRecord } from '../collector/attack-tracker.js'
import { STAGES, type Stage } from '../schema/stages.js'
import { UserError } from '../errors/user-error.js'
import { newLatencyHistogram } from '../metrics/latency.js'
import { accuracyBeforeAndAfter, coldStartWindowMs, Timeline } from '../metrics/timeline.js'
import type { RunHistograms } from './histogram-file.js'
import { readHistograms, readReport, type StoredReport } from './read-report.js'
import { accuracyWithScores, archetypeAccuracy, archetypePrAuc, summarizeAttacks, summarizeLatencies } from './run-summary.js'
import { SUMMARY_SCHEMA_VERSION, type RunCounts, type RunSummary } from './summary-schema.js'
import { evaluateThresholds, parseThreshold } from './thresholds.js'
import { REPORT_FILES, writeRunReport } from './write-report.js'

export interface MergeResult {
  summary: RunSummary
  folder: string
}

/**
 * Merges reports of runs made at the same time on several hosts or processes into one report:
 * counts and confusion matrices add up, HDR histograms merge exactly (so percentiles are those of
 * all the transactions together), timelines line up on the epoch, throughputs add (the runs ran
 * concurrently), PR-AUC is recomputed from the decision logs, attacks are pooled, and the
 * thresholds of every run are evaluated again on the whole.
 */
export async function mergeReports(folders: string[], reportsDir: string, runId: string): Promise<MergeResult> {
  if (folders.length < 2) throw new UserError('report merge needs at least two reports.', { hint: 'fraudlab report merge reports/RUN-A reports/RUN-B …' })
  const reports = folders.map((folder) => readReport(folder))
  const ids = reports.map((r) => r.summary.runId)
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i)
  if (duplicate) throw new UserError(`Run ${duplicate} is named twice; merging it twice would count its transactions twice.`)
  const histograms = reports.map((r) => readHistograms(r.folder))
  const summaries = reports.map((r) => r.summary)
  const notes: string[] = []

  const merged = mergeHistograms(histograms, summaries)
  const scored = await readScores(reports, notes)
  const falsePositives = sum(summaries.map((s) => s.accuracy.falsePositives))
  const archetypeNames = [...new Set(summaries.flatMap((s) => Object.keys(s.accuracyByArchetype)))]
  const confusion = {
    truePositives: sum(summaries.map((s) => s.accuracy.truePositives)),
    falsePositives,
    trueNegatives: sum(summaries.map((s) => s.accuracy.trueNegatives)),
    falseNegatives: sum(summaries.map((s) => s.accuracy.falseNegatives)),
  }
  const split = splitRunOf(summaries, notes)
  // Attack ids are only unique within a run (two hosts may run the same scenario): the merged list names the run.
  // The segments of one split run generated the same attacks, each sending its accounts' part: the parts pool into one.
  const attacks: AttackRecord[] = split
    ? pooledAttacks(summaries.flatMap((s) => s.attacks.list))
    : summaries.flatMap((s) => s.attacks.list.map((attack) => ({ ...attack, attackId: `${s.runId}:${attack.attackId}` })))
  if (summaries.some((s) => s.attacks.listTruncated)) notes.push('some runs listed only part of their attacks; time to detect covers the listed ones')
  const versions = summaries[0].versions
  if (summaries.some((s) => JSON.stringify(s.versions) !== JSON.stringify(versions))) notes.push('the runs were made with different versions (see each run’s report)')
  const modelVersions = new Set(summaries.map((s) => s.model?.version ?? 'none'))
  if (modelVersions.size > 1) notes.push(`the runs scored with different models: ${[...modelVersions].join(', ')}`)
  const startedAt = summaries.map((s) => s.startedAt).sort()[0]
  const endedAt = summaries.map((s) => s.endedAt).sort().at(-1) as string
  const thresholdExpressions = new Map<string, 'flag' | 'scenario'>()
  for (const s of summaries) for (const t of s.thresholds) thresholdExpressions.set(t.expression, t.source)

  const mergedTimeline = merged.timeline.summarize()
  const summary: RunSummary = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId,
    command: 'merge',
    status: (['failed', 'interrupted', 'over-capacity'] as const).find((status) => summaries.some((s) => s.status === status)) ?? 'completed',
    ...(summaries.some((s) => s.error) ? { error: summaries.flatMap((s) => (s.error ? [`${s.runId}: ${s.error}`] : [])).join('; ') } : {}),
    startedAt,
    endedAt,
    mergedFrom: ids,
    config: { runs: Object.fromEntries(summaries.map((s) => [s.runId, s.config])) },
    versions,
    model: modelVersions.size === 1 ? summaries[0].model : null,
    counts: sumCounts(summaries.map((s) => s.counts)),
    reconciliation: {
      ok: summaries.every((s) => s.reconciliation.ok),
      missingCount: sum(summaries.map((s) => s.reconciliation.missingCount)),
      missingIds: summaries.flatMap((s) => s.reconciliation.missingIds).slice(0, 100),
      notes: [...summaries.flatMap((s) => s.reconciliation.notes.map((note) => `${s.runId}: ${note}`)), ...notes],
    },
    throughput: {
      offeredTps: round(sum(summaries.map((s) => s.throughput.offeredTps))),
      achievedTps: round(sum(summaries.map((s) => s.throughput.achievedTps))),
      decidedTps: round(sum(summaries.map((s) => s.throughput.decidedTps))),
      loadDurationMs: Math.max(...summaries.map((s) => s.throughput.loadDurationMs)),
      windowMs: Math.max(...summaries.map((s) => s.throughput.windowMs)),
    },
    timeline: mergedTimeline,
    accuracyOverTime: accuracyBeforeAndAfter(mergedTimeline.points, coldStartWindowMs(mergedTimeline.bucketMs, Math.max(...summaries.map((s) => s.throughput.loadDurationMs)))),
    latencyMs: summarizeLatencies(merged),
    accuracy: scored ? accuracyWithScores(confusion, scored.scores, scored.labels) : { ...accuracyWithScores(confusion, [], []), prAuc: NaN },
    accuracyByArchetype: archetypeAccuracy(
      archetypeNames.map((name) => ({
        code: scored ? scored.archetypes.indexOf(name) : -1,
        name,
        decided: sum(summaries.map((s) => s.accuracyByArchetype[name]?.decided ?? 0)),
        blocked: sum(summaries.map((s) => s.accuracyByArchetype[name]?.blocked ?? 0)),
      })),
      falsePositives,
      (code) => (scored && code > 0 ? archetypePrAuc(scored, code) : NaN),
    ),
    attacks: summarizeAttacks(attacks),
    thresholds: [],
    files: { ...REPORT_FILES },
    diagnostics: { runs: Object.fromEntries(summaries.map((s) => [s.runId, s.diagnostics])) },
  }
  summary.thresholds = evaluateThresholds(
    [...thresholdExpressions].map(([expression, source]) => parseThreshold(expression, source)),
    summary,
  )
  const folder = await writeRunReport(reportsDir, summary, { ...merged, timeline: { bucketMs: merged.timeline.bucketMs, buckets: merged.timeline.points().map(({ at, latency }) => ({ at, histogram: latency })) } })
  await concatenateDecisionLogs(reports, join(folder, REPORT_FILES.decisions))
  return { summary, folder }
}

function mergeHistograms(all: RunHistograms[], summaries: RunSummary[]): Omit<RunHistograms, 'timeline'> & { timeline: Timeline } {
  const decision = newLatencyHistogram()
  const decisionByArchetype: Record<string, Histogram> = {}
  const endToEnd = newLatencyHistogram()
  const stages = Object.fromEntries(STAGES.map((stage) => [stage, newLatencyHistogram()])) as Record<Stage, Histogram>
  const byArchetype: Record<string, Histogram> = {}
  const timeline = new Timeline()
  all.forEach((h, i) => {
    decision.add(h.decision)
    for (const [name, histogram] of Object.entries(h.decisionByArchetype)) (decisionByArchetype[name] ??= newLatencyHistogram()).add(histogram)
    endToEnd.add(h.endToEnd)
    for (const stage of STAGES) stages[stage].add(h.stages[stage])
    for (const [name, histogram] of Object.entries(h.byArchetype)) (byArchetype[name] ??= newLatencyHistogram()).add(histogram)
    const latencyAt = new Map(h.timeline.buckets.map((b) => [b.at, b.histogram]))
    const { bucketMs, points } = summaries[i].timeline
    for (const point of points) timeline.addBucket(point.at, bucketMs, point, latencyAt.get(point.at))
  })
  return { decision, decisionByArchetype, endToEnd, stages, byArchetype, timeline }
}

/** Every run's decision log, read back for PR-AUC; undefined (with a note) if any run has none. */
async function readScores(reports: StoredReport[], notes: string[]): Promise<{ scores: Float32Array; labels: Uint8Array; archetypeCodes: Uint8Array; archetypes: string[] } | undefined> {
  const missing = reports.filter((r) => !existsSync(join(r.folder, REPORT_FILES.decisions)))
  if (missing.length) {
    notes.push(`PR-AUC is not computed: ${missing.map((r) => r.summary.runId).join(', ')} ${missing.length > 1 ? 'have' : 'has'} no ${REPORT_FILES.decisions}`)
    return undefined
  }
  // Typed arrays sized from the summaries (one scored line per decided transaction): a merge of
  // millions of decisions must not put millions of numbers on the CLI's small heap.
  let capacity = Math.max(16, reports.reduce((total, r) => total + r.summary.counts.decided, 0))
  let scores = new Float32Array(capacity)
  let labels = new Uint8Array(capacity)
  let codes = new Uint8Array(capacity)
  let n = 0
  const archetypes = ['normal']
  for (const report of reports) {
    const path = join(report.folder, REPORT_FILES.decisions)
    const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity })
    let lineNumber = 0
    try {
      for await (const line of lines) {
        lineNumber++
        if (!line) continue
        const row = JSON.parse(line) as { score: number | null; isFraud: boolean; archetype: string }
        if (row.score === null) continue
        let code = archetypes.indexOf(row.archetype)
        if (code === -1) code = archetypes.push(row.archetype) - 1
        if (n === capacity) {
          capacity *= 2
          scores = grow(scores, new Float32Array(capacity))
          labels = grow(labels, new Uint8Array(capacity))
          codes = grow(codes, new Uint8Array(capacity))
        }
        scores[n] = row.score
        labels[n] = row.isFraud ? 1 : 0
        codes[n++] = Math.min(code, 255)
      }
    } catch (error) {
      throw new UserError(`${path}:${lineNumber}: cannot read the decision log: ${(error as Error).message}.`, { hint: 'The file may be truncated; re-run, or move it aside to merge without PR-AUC.' })
    }
  }
  return { scores: scores.subarray(0, n), labels: labels.subarray(0, n), archetypeCodes: codes.subarray(0, n), archetypes }
}

function grow<T extends Float32Array | Uint8Array>(from: T, to: T): T {
  to.set(from)
  return to
}

/** Gzip members concatenated are one valid gzip file: the merged log is the runs' logs back to back. */
async function concatenateDecisionLogs(reports: StoredReport[], to: string): Promise<void> {
  const sources = reports.map((r) => join(r.folder, REPORT_FILES.decisions)).filter((path) => existsSync(path))
  const out = createWriteStream(to)
  for (const source of sources) await pipeline(createReadStream(source), out, { end: false })
  out.end()
  await once(out, 'close')
}

function sumCounts(all: RunCounts[]): RunCounts {
  const result = {} as Record<string, number | null>
  for (const key of Object.keys(all[0]) as Array<keyof RunCounts>) {
    const values = all.map((c) => c[key])
    result[key] = values.every((v) => v === null) ? null : sum(values.map((v) => v ?? 0))
  }
  return result as unknown as RunCounts
}

function sum(values: number[]): number {
  return values.reduce((total, v) => total + v, 0)
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

/**
 * Whether the reports are the segments of one split run (`--segment`, same group): then their
 * attacks pool. A missing or repeated segment is said in the notes: the merge is not the whole run.
 */
function splitRunOf(summaries: RunSummary[], notes: string[]): boolean {
  const segments = summaries.map((s) => s.diagnostics.segment as { segment: string; group: string } | undefined)
  if (segments.some((segment) => segment === undefined)) return false
  const groups = new Set(segments.map((segment) => segment!.group))
  if (groups.size > 1) {
    notes.push(`the reports are segments of different split runs (${[...groups].join('; ')}): their attacks are counted apart`)
    return false
  }
  const count = Number(segments[0]!.segment.split('/')[1])
  const given = segments.map((segment) => Number(segment!.segment.split('/')[0]))
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !given.includes(i))
  const repeated = given.filter((i, k) => given.indexOf(i) !== k)
  if (missing.length) notes.push(`segments ${missing.map((i) => `${i}/${count}`).join(', ')} of this split run are missing: the merge covers part of its accounts`)
  if (repeated.length) notes.push(`segments ${[...new Set(repeated)].map((i) => `${i}/${count}`).join(', ')} were run more than once: their accounts' transactions are counted twice`)
  return true
}

/** An attack's parts from several segments as one: its first transaction's time, and its first block. */
function pooledAttacks(parts: AttackRecord[]): AttackRecord[] {
  const byId = new Map<string, AttackRecord[]>()
  for (const part of parts) byId.set(part.attackId, [...(byId.get(part.attackId) ?? []), part])
  return [...byId.values()].map((same) => {
    const startedAt = Math.min(...same.map((part) => part.startedAt))
    const blockedAt = Math.min(...same.map((part) => (part.timeToDetectMs === null ? Infinity : part.startedAt + part.timeToDetectMs)))
    return {
      attackId: same[0].attackId,
      archetype: same[0].archetype,
      transactions: sum(same.map((part) => part.transactions)),
      blocked: sum(same.map((part) => part.blocked)),
      startedAt,
      timeToDetectMs: Number.isFinite(blockedAt) ? blockedAt - startedAt : null,
    }
  })
}
