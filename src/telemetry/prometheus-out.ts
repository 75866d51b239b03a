import { createServer, type Server } from 'node:http'
import { Registry } from 'prom-client'
import type { RunTelemetrySource } from '../run/run-telemetry.js'
import { runMetrics, type RunMetric } from './run-metrics.js'

/**
 * `--out prometheus[=[HOST:]PORT]`: the run's metrics at GET /metrics, in Prometheus' text format
 * (prom-client's registry writes it), read from the run when scraped. Before the run has a ledger,
 * and after it ended, the last values stay.
 */
export class PrometheusOut {
  private source?: RunTelemetrySource
  private last: RunMetric[] = []
  private readonly server: Server

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('fraudlab serves GET /metrics here\n')
        return
      }
      this.render().then(
        ({ body, contentType }) => response.writeHead(200, { 'content-type': contentType }).end(body),
        (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
      )
    })
  }

  /** Listens; returns the URL to scrape. */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.port, this.host, () => resolve())
    })
    const { port } = this.server.address() as { port: number }
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${port}/metrics`
  }

  attach(source: RunTelemetrySource): void {
    this.source = source
  }

  /** Reads the run one last time (its final values stay scrapeable until close). */
  async flush(): Promise<void> {
    if (this.source) this.last = runMetrics(this.source)
    this.source = undefined
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private async render(): Promise<{ body: string; contentType: string }> {
    if (this.source) this.last = runMetrics(this.source)
    const registry = new Registry()
    for (const metric of this.last) registry.registerMetric(asPromMetric(metric) as never)
    return { body: await registry.metrics(), contentType: registry.contentType }
  }
}

/** A metric in the shape prom-client's registry writes out. */
function asPromMetric(metric: RunMetric) {
  const values =
    metric.kind === 'histogram'
      ? metric.points.flatMap(({ labels, value }) => {
          let cumulative = 0
          const buckets = metric.bounds.map((bound, i) => {
            cumulative += value.counts[i]
            return { metricName: `${metric.name}_bucket`, labels: { ...labels, le: String(bound) }, value: cumulative }
          })
          return [
            ...buckets,
            { metricName: `${metric.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: value.count },
            { metricName: `${metric.name}_sum`, labels, value: value.sum },
            { metricName: `${metric.name}_count`, labels, value: value.count },
          ]
        })
      : metric.points.map(({ labels, value }) => ({ labels, value }))
  return { name: metric.name, help: metric.help, type: metric.kind, get: async () => ({ name: metric.name, help: metric.help, type: metric.kind, values, aggregator: 'sum' }) }
}
