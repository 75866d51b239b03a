import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
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
  return { registry, requests, latency, transactions }
}

export type ServeMetrics = ReturnType<typeof createMetrics>
