import { RunLedger } from '../src/collector/run-ledger.js'
import { DecisionLog } from '../src/collector/decision-log.js'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { buildRunSummary, ledgerHistograms, type SummaryInputs } from '../src/report/run-summary.js'
import type { RunSummary } from '../src/report/summary-schema.js'
import { evaluateThresholds, parseThreshold } from '../src/report/thresholds.js'
import { REPORT_FILES, writeRunReport } from '../src/report/write-report.js'
import type { Decision, Verdict } from '../src/schema/decision.js'
import type { Label } from '../src/schema/labels.js'

/** One synthetic transaction's life: when it was scheduled, how long each stage took, its label and verdict. */
export interface SyntheticTransaction {
  scheduledAt: number
  stageMs: [generatorLag: number, put: number, propagation: number, scoring: number, actions: number, collection: number]
  label: Label
  score: number
  verdict: Verdict
}

const ORIGIN = Date.UTC(2026, 10, 22, 12, 0, 0)
const ARCHETYPES = ['card-testing', 'account-takeover', 'velocity-attack']

/** A deterministic pseudo-random stream (mulberry32), so fixtures are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` transactions over `seconds`, ~3% fraud in attacks of 5, with heavy-tailed stage latencies. */
export function syntheticRun(count: number, seconds: number, seed = 1): SyntheticTransaction[] {
  const rnd = random(seed)
  const tail = (base: number) => base * (1 + 8 * rnd() ** 6)
  const result: SyntheticTransaction[] = []
  let attack = 0
  let inAttack = 0
  for (let i = 0; i < count; i++) {
    const scheduledAt = ORIGIN + (i * seconds * 1000) / count
    if (inAttack === 0 && rnd() < 0.006) {
      attack++
      inAttack = 5
    }
    const fraud = inAttack > 0
    if (fraud) inAttack--
    const archetype = fraud ? ARCHETYPES[attack % ARCHETYPES.length] : 'normal'
    const label: Label = { isFraud: fraud, archetype, attackId: fraud ? `attack-${attack}` : '' }
    // Six decimals, as the scorer writes them.
    const score = Math.round((fraud ? 0.3 + 0.7 * rnd() : 0.6 * rnd() ** 3) * 1e6) / 1e6
    result.push({ scheduledAt, stageMs: [tail(2), tail(4), tail(30), tail(1), tail(3), tail(20)], label, score, verdict: score >= 0.5 ? 'block' : score >= 0.3 ? 'review' : 'allow' })
  }
  return result
}

/**
 * Plays synthetic transactions through a real RunLedger (as the pipeline would, out of order
 * where the stages say so) and writes a complete report; returns the summary and its folder.
 */
export async function writeSyntheticReport(runId: string, transactions: SyntheticTransaction[], reportsDir: string, thresholds: string[] = []): Promise<{ summary: RunSummary; folder: string }> {
  const folder = join(reportsDir, runId)
  mkdirSync(folder, { recursive: true })
  const decisionLog = new DecisionLog(join(folder, REPORT_FILES.decisions))
  const ledger = new RunLedger(runId, transactions.length, 1 << 16, ORIGIN, { decisionLog })
  const events: Array<{ at: number; apply: () => void }> = []
  transactions.forEach((t, index) => {
    const [lag, put, propagation, scoring, actions, collection] = t.stageMs
    const sentAt = t.scheduledAt + lag
    const ackedAt = sentAt + put
    const fetchedAt = ackedAt + propagation
    const scoredAt = fetchedAt + scoring
    const actedAt = scoredAt + actions
    const observedAt = actedAt + collection
    ledger.recordEmitted(index, t.scheduledAt, t.label)
    ledger.recordSent(index, sentAt)
    events.push({ at: ackedAt, apply: () => ledger.recordAcked(index, ackedAt) })
    const decision: Decision = {
      transactionId: ledger.transactionId(index),
      score: t.score,
      verdict: t.verdict,
      reasons: [],
      modelVersion: 'synthetic',
      scorerId: 's',
      timestamps: { arrivedAt: Math.round(ackedAt), fetchedAt, scoredAt, actedAt },
    }
    events.push({ at: observedAt, apply: () => ledger.recordDecision(decision, observedAt) })
  })
  events.sort((a, b) => a.at - b.at).forEach((event) => event.apply())
  ledger.logUndecided()
  await decisionLog.close()
  const first = transactions[0]?.scheduledAt ?? ORIGIN
  const last = transactions.at(-1)?.scheduledAt ?? ORIGIN
  const summary = summaryOfLedger(ledger, {
    startedAtMs: first,
    endedAtMs: last + 1000,
    loadStartedAtMs: first,
    loadEndedAtMs: last,
    offeredTps: 100,
    offeredWindowMs: last - first,
    config: { scenario: 'synthetic', seed: 1, target: 'embedded' },
    versions: { fraudlab: 'test' },
    blockListItems: ledger.blocked,
    files: { ...REPORT_FILES },
  })
  summary.thresholds = evaluateThresholds(thresholds.map((t) => parseThreshold(t, 'flag')), summary)
  await writeRunReport(reportsDir, summary, ledgerHistograms(ledger))
  return { summary, folder }
}

/** The summary of a ledger's run: its times and offered load given, the rest a simulate run with no faults unless said. */
export function summaryOfLedger(
  ledger: RunLedger,
  run: Pick<SummaryInputs, 'startedAtMs' | 'endedAtMs' | 'loadStartedAtMs' | 'loadEndedAtMs' | 'offeredTps' | 'offeredWindowMs'> & Partial<SummaryInputs>,
): RunSummary {
  return buildRunSummary({
    ledger,
    command: 'simulate',
    status: 'completed',
    late: 0,
    config: {},
    versions: {},
    model: null,
    blockListItems: null,
    alertsObserved: false,
    throttled: 0,
    retried: 0,
    scorerRestarts: 0,
    invalidRecords: 0,
    notes: [],
    files: {},
    diagnostics: {},
    ...run,
  })
}
