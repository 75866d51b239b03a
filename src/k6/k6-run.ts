import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UserError } from '../errors/user-error.js'
import { cardPathFor, readModelCard } from '../model/model-card.js'
import { evaluateThresholds, parseThreshold, type Threshold } from '../report/thresholds.js'
import type { RunSummary } from '../report/summary-schema.js'
import { renderedFilesWithout, reportFolder, writeRunReport } from '../report/write-report.js'
import { newRunId } from '../util/run-id.js'
import type { RunPlan } from '../run/run-plan.js'
import { runVersions } from '../util/versions.js'
import { startScoringServer, type ScoringServer } from '../serve/http-server.js'
import { buildK6Summary } from './k6-report.js'
import { k6Thresholds } from './k6-script.js'
import { writeK6Test } from './write-k6-test.js'
import { makeDirectory } from '../util/writable-path.js'

export interface K6RunOptions {
  plan: RunPlan
  k6: string
  /** A running server; without one, `fraudlab serve` is started for the run. */
  targetUrl?: string
  model: string
  batchSize: number
  reportsDir: string
  thresholds: Threshold[]
  /** Where k6's own output goes (stderr, so stdout stays for the summary). */
  output: NodeJS.WritableStream
  signal?: AbortSignal
}

export const K6_FILES = { k6Script: 'k6-script.js', k6Data: 'k6-script.data.json', k6Summary: 'k6-summary.json' } as const
/** Beside them when requests carry batches: the requests' bodies. */
export const K6_BODIES_FILE = 'k6-script.bodies'

/**
 * `fraudlab k6 run`: writes the scenario's k6 test into the run's report folder, starts `fraudlab
 * serve` unless a URL is given, runs k6 with a summary export, and turns k6's summary into a
 * fraudlab report with the scenario's and the flags' thresholds.
 */
export async function runK6(options: K6RunOptions): Promise<{ summary: RunSummary; reportDir: string; k6ExitCode: number | null }> {
  const runId = newRunId()
  const folder = reportFolder(options.reportsDir, runId)
  await makeDirectory(folder, { what: 'The report folder', hint: 'Choose a folder you can write to with --reports-dir.' })
  const script = join(folder, K6_FILES.k6Script)
  const written = await writeK6Test(options.plan, script, { batchSize: options.batchSize, defaultUrl: options.targetUrl ?? 'http://127.0.0.1:8080' })
  let server: ScoringServer | undefined
  const startedAtMs = Date.now()
  let k6ExitCode: number | null
  try {
    let url = options.targetUrl
    if (!url) {
      server = await startScoringServer({ model: options.model, host: '127.0.0.1', port: 0 })
      await server.ready
      url = server.url
    }
    k6ExitCode = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(options.k6, ['run', '--quiet', '--summary-export', join(folder, K6_FILES.k6Summary), '-e', `FRAUDLAB_URL=${url}`, script], { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'], env: k6Environment(process.env) })
      child.stdout.pipe(options.output, { end: false })
      child.stderr.pipe(options.output, { end: false })
      const stop = () => child.kill('SIGINT')
      options.signal?.addEventListener('abort', stop, { once: true })
      child.on('error', reject)
      child.on('exit', (code) => {
        options.signal?.removeEventListener('abort', stop)
        resolve(code)
      })
    })
  } finally {
    await server?.close()
  }
  let k6Summary: unknown
  try {
    k6Summary = JSON.parse(await readFile(join(folder, K6_FILES.k6Summary), 'utf8'))
  } catch (error) {
    throw new UserError(`k6 exited with code ${k6ExitCode} and wrote no summary (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, {
      hint: `k6's own output is above; the script it ran is ${script}.`,
      exitCode: 1,
    })
  }
  const modelCard = options.targetUrl || options.model === 'rules' ? null : readModelCard(cardPathFor(options.model))
  const summary = buildK6Summary({
    runId,
    k6Summary,
    where: join(folder, K6_FILES.k6Summary),
    startedAtMs,
    endedAtMs: Date.now(),
    offeredTps: options.plan.meanRatePerSec,
    durationMs: options.plan.durationMs,
    batchSize: options.batchSize,
    config: {
      scenario: options.plan.scenarioName,
      arrival: options.plan.arrival.label,
      durationMs: options.plan.durationMs,
      seed: options.plan.seed,
      batchSize: options.batchSize,
      targetUrl: options.targetUrl ?? 'fraudlab serve, started for the run',
      transactionsInData: written.rows,
      thresholds: options.thresholds.map((t) => t.expression),
    },
    versions: { ...runVersions(), k6: options.k6 },
    model: options.targetUrl ? null : { path: options.model, version: modelCard?.version ?? options.model, card: modelCard },
    files: { ...renderedFilesWithout('histograms'), ...K6_FILES, ...(written.bodies ? { k6Bodies: K6_BODIES_FILE } : {}) },
  })
  summary.thresholds = evaluateThresholds(options.thresholds, summary)
  const reportDir = await writeRunReport(options.reportsDir, summary, undefined)
  return { summary, reportDir, k6ExitCode }
}

/**
 * k6's environment: the caller's, with Go's collector relaxed unless the caller tuned it. At a few
 * thousand requests a second k6 spends a large share of its CPU collecting garbage; GOGC=400 cut
 * that enough to raise what one core sustains against a minimal server from about 3,650 to 4,470
 * requests a second. GOMEMLIMIT keeps the larger heap bounded.
 */
export function k6Environment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.GOGC !== undefined || env.GOMEMLIMIT !== undefined) return env
  return { ...env, GOGC: '400', GOMEMLIMIT: '1GiB' }
}

/**
 * The scenario's thresholds that HTTP can measure (the script lists the others as left out: attack
 * detection, stream stages), then the flags', all of them: what the user asks for is evaluated.
 */
export function k6RunThresholds(plan: RunPlan, flagThresholds: string[]): Threshold[] {
  const { skipped } = k6Thresholds(plan.thresholds)
  const measurable = plan.thresholds.filter((t) => !skipped.includes(t))
  return [...measurable.map((t) => parseThreshold(t, 'scenario', `${plan.scenarioPath}: thresholds`)), ...flagThresholds.map((t) => parseThreshold(t, 'flag'))]
}
