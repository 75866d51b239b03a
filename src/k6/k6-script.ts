import type { RunPlan } from '../run/run-plan.js'
import { UserError } from '../errors/user-error.js'
import { parseThreshold } from '../report/thresholds.js'

/** One row of the k6 data file: the transaction sent, and its label (kept in k6, never sent). */
export interface K6Row {
  transaction: unknown
  isFraud: boolean
  archetype: string
}

/** One request of a batched test: where its body is in the bodies file (bytes), and each of its transactions' fraud archetype ('' for genuine). */
export type K6Batch = [offset: number, length: number, labels: string[]]

export interface K6ScriptOptions {
  /**
   * Path of the data file, as k6 will open() it (relative to the script): single requests, the
   * labelled transactions (K6Row); batches, one K6Batch per request, its body in `bodiesFile`.
   */
  dataFile: string
  /** Batches only: every request's body, back to back (K6Batch says where each is). */
  bodiesFile?: string
  /** Transactions per request (1: single requests; more: { transactions: [...] }). */
  batchSize: number
  defaultUrl: string
  /** Fraud archetypes in the data: each gets an always-true threshold so k6 exports its recall. */
  archetypes?: string[]
}

/**
 * k6 thresholds for a scenario's fraudlab thresholds: latencies become http_req_duration
 * percentiles (k6 measures the request, which is the HTTP pipeline's end to end), recall and
 * precision become Rate metrics the script keeps, lost becomes failed requests. Thresholds with
 * no HTTP meaning (stream lag, per-stage latency) are left out and listed.
 */
export function k6Thresholds(expressions: string[]): { thresholds: Record<string, string[]>; skipped: string[] } {
  const thresholds: Record<string, string[]> = {}
  const skipped: string[] = []
  const add = (metric: string, expression: string) => (thresholds[metric] ??= []).push(expression)
  for (const expression of expressions) {
    const t = parseThreshold(expression, 'scenario')
    const op = t.operator === '==' ? '==' : t.operator
    // The request's round trip is both its decision latency and its end to end.
    if (!t.archetype && /^(decision|e2e)\.(p50|p90|p95|p99|p999|max|mean)$/.test(t.metric)) {
      const stat = t.metric.slice(t.metric.indexOf('.') + 1)
      const k6Stat = stat === 'max' ? 'max' : stat === 'mean' ? 'avg' : stat === 'p999' ? 'p(99.9)' : `p(${stat.slice(1)})`
      add('http_req_duration', `${k6Stat}${op}${t.value}`)
    } else if (!t.archetype && t.metric === 'recall') add('fraud_recall', `rate${op}${t.value}`)
    else if (!t.archetype && t.metric === 'precision') add('block_precision', `rate${op}${t.value}`)
    else if (t.archetype && t.metric === 'recall') add(`fraud_recall{archetype:${t.archetype}}`, `rate${op}${t.value}`)
    else if (!t.archetype && (t.metric === 'lost' || t.metric === 'failedToProduce') && op === '==' && t.value === 0) add('http_req_failed', 'rate==0')
    else skipped.push(expression)
  }
  return { thresholds, skipped }
}

/** k6 stages for the plan's arrival profile: the same piecewise-linear rate, in an arrival-rate executor. */
export function k6Scenario(plan: RunPlan, batchSize: number): Record<string, unknown> {
  if (plan.arrival.executor !== 'rate-profile') {
    throw new UserError(`Scenario ${plan.scenarioName} plays transactions at event time, which k6 cannot schedule.`, { hint: 'Give a rate with --tps.' })
  }
  const stretches = plan.arrival.stretches
  const rate = (perSec: number) => Math.max(1, Math.round(perSec / batchSize))
  const peak = Math.max(...stretches.map((s) => Math.max(s.startRate, s.endRate))) / batchSize
  // A VU is a whole JavaScript runtime: enough for 10 ms answers at the peak rate, and k6 adds
  // more (up to maxVUs) when the server slows down.
  const vus = Math.max(10, Math.ceil(peak * 0.01))
  const constant = stretches.length === 1 && stretches[0].startRate === stretches[0].endRate
  if (constant) {
    return { executor: 'constant-arrival-rate', rate: rate(stretches[0].startRate), timeUnit: '1s', duration: `${Math.round(stretches[0].durationMs)}ms`, preAllocatedVUs: vus, maxVUs: Math.max(100, vus * 10) }
  }
  return {
    executor: 'ramping-arrival-rate',
    startRate: rate(stretches[0].startRate),
    timeUnit: '1s',
    preAllocatedVUs: vus,
    maxVUs: Math.max(100, vus * 10),
    stages: stretches.map((s) => ({ target: rate(s.endRate), duration: `${Math.round(s.durationMs)}ms` })),
  }
}

/** A k6 test (JavaScript for k6's runtime) that plays a fraudlab scenario against `fraudlab serve`. */
export function renderK6Script(plan: RunPlan, options: K6ScriptOptions): string {
  const batched = options.batchSize > 1
  if (batched && !options.bodiesFile) throw new Error('a batched k6 script needs its bodies file')
  const { thresholds, skipped } = k6Thresholds(plan.thresholds)
  // k6 exports a tagged sub-metric only when a threshold names it.
  for (const archetype of options.archetypes ?? []) thresholds[`fraud_recall{archetype:${archetype}}`] ??= ['rate>=0']
  // Fewer system tags: every sample carries them, and the dropped ones (url, proto, tls_version, …)
  // say nothing in a test of one endpoint.
  const k6Options = { scenarios: { score: k6Scenario(plan, options.batchSize) }, thresholds, systemTags: ['status', 'method', 'name', 'scenario', 'expected_response', 'error_code'], summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)'] }
  return `// Generated by fraudlab from scenario ${plan.scenarioName} (seed ${plan.seed}, ${plan.arrival.label}).
${
    batched
      ? `// Data: ${options.bodiesFile}: every request's body, back to back; ${options.dataFile}: where each is, and its
// transactions' labels (never sent).`
      : `// Data: ${options.dataFile}: the transactions with their labels; only the transaction is sent.`
  }
// Run it with \`fraudlab k6 run\`, or: k6 run -e FRAUDLAB_URL=http://127.0.0.1:8080 ${'<this file>'}
// k6 spends most of a small request's cost on itself, so the loop is kept lean: bodies are
// serialized before the test; a single decision's verdict is found in the response text; and only
// frauds and blocks emit samples (true negatives are scored minus the others).
${skipped.length ? `// Thresholds with no HTTP meaning, left out: ${skipped.join(', ')}\n` : ''}import http from 'k6/http'
import exec from 'k6/execution'
import { SharedArray } from 'k6/data'
${batched ? "import { open as openFile, SeekMode } from 'k6/experimental/fs'\n" : ''}import { Counter, Rate } from 'k6/metrics'

${
    !batched
      ? `// [request body, fraud archetype or '' for a genuine transaction]
const rows = new SharedArray('transactions', () => JSON.parse(open(${JSON.stringify(options.dataFile)})).map((row) => [JSON.stringify(row.transaction), row.isFraud ? row.archetype : '']))`
      : `// [offset, length, [fraud archetype or '' for each of its transactions]] per request. The bodies are
// read from a file k6 holds once for every VU: a SharedArray parses its element on every read, and
// with bodies of 100 transactions that cost k6 as much CPU as the server spent scoring them.
const requests = new SharedArray('requests', () => JSON.parse(open(${JSON.stringify(options.dataFile)})))
let bodies
;(async function () {
  bodies = await openFile(${JSON.stringify(options.bodiesFile)})
})()`
  }
const SCORE_URL = (__ENV.FRAUDLAB_URL || ${JSON.stringify(options.defaultUrl)}) + '/v1/score'
const PARAMS = { headers: { 'content-type': 'application/json' }, tags: { name: 'score' } }
const BLOCKED = '"verdict":"block"'

// Detection quality, from each response and the label the script holds (the server never sees it).
const truePositives = new Counter('fraud_true_positives')
const falsePositives = new Counter('fraud_false_positives')
const falseNegatives = new Counter('fraud_false_negatives')
const recall = new Rate('fraud_recall')
const precision = new Rate('block_precision')
const scored = new Counter('transactions_scored')

export const options = ${JSON.stringify(k6Options, null, 2)}

function record(fraudArchetype, blocked) {
  if (fraudArchetype) {
    ;(blocked ? truePositives : falseNegatives).add(1, { archetype: fraudArchetype })
    recall.add(blocked, { archetype: fraudArchetype })
  } else if (blocked) falsePositives.add(1)
  if (blocked) precision.add(fraudArchetype !== '')
}

${
    !batched
      ? `export default function () {
  const row = rows[exec.scenario.iterationInTest % rows.length]
  const response = http.post(SCORE_URL, row[0], PARAMS)
  if (response.status !== 200) return
  scored.add(1)
  record(row[1], response.body.indexOf(BLOCKED) !== -1)
}`
      : `export default async function () {
  const [offset, length, labels] = requests[exec.scenario.iterationInTest % requests.length]
  const body = new Uint8Array(length)
  await bodies.seek(offset, SeekMode.Start)
  await bodies.read(body)
  const response = http.post(SCORE_URL, body.buffer, PARAMS)
  if (response.status !== 200) return
  const verdicts = response.json('decisions.#.verdict')
  scored.add(verdicts.length)
  for (let i = 0; i < verdicts.length; i++) record(labels[i], verdicts[i] === 'block')
}`
  }
`
}
