import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Verdict } from '../schema/decision.js'
import type { ScoringCore } from './scoring-core.js'

/** The server's Prometheus metrics: requests, their latency, verdicts and the feature state's size. */
export function createMetrics(core: () => ScoringCore | undefined) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'fraudlab_serve_' })
  const requests = new Counter({ name: 'fraudlab_http_requests_total', help: 'HTTP requests by route and status code.', labelNames: ['route', 'method', 'status'] as const, registers: [registry] })
  const latency = new Histogram({
    name: 'fraudlab_http_request_duration_seconds',
    help: 'HTTP request latency by route.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  })
  const transactions = new Counter({ name: 'fraudlab_scored_transactions_total', help: 'Transactions scored, by verdict.', labelNames: ['verdict'] as const, registers: [registry] })
  new Gauge({
    name: 'fraudlab_feature_state_keys',
    help: 'Keys held by the feature engine, by entity.',
    labelNames: ['entity'] as const,
    registers: [registry],
    collect() {
      const memory = core()?.features.memory()
      if (!memory) return
      for (const [entity, keys] of Object.entries(memory.trackedKeys)) this.set({ entity }, keys)
    },
  })
  new Gauge({
    name: 'fraudlab_feature_state_bytes',
    help: 'Estimated bytes held by the feature engine.',
    registers: [registry],
    collect() {
      const memory = core()?.features.memory()
      if (memory) this.set(memory.estimatedBytes)
    },
  })
  // prom-client hashes a label object on every call; the handful of label sets a server sees are
  // resolved once and kept.
  const requestSeries = new Map<string, { count: ReturnType<typeof requests.labels>; latency: ReturnType<typeof latency.labels> }>()
  const verdictSeries = new Map<Verdict, ReturnType<typeof transactions.labels>>()
  return {
    registry,
    observeRequest(route: string, method: string, status: number, seconds: number): void {
      const key = `${route} ${method} ${status}`
      let series = requestSeries.get(key)
      if (!series) requestSeries.set(key, (series = { count: requests.labels(route, method, String(status)), latency: latency.labels(route, method) }))
      series.count.inc()
      series.latency.observe(seconds)
    },
    countVerdict(verdict: Verdict): void {
      let series = verdictSeries.get(verdict)
      if (!series) verdictSeries.set(verdict, (series = transactions.labels(verdict)))
      series.inc()
    },
  }
}

export type ServeMetrics = ReturnType<typeof createMetrics>
