import type { RunTelemetrySource } from '../run/run-telemetry.js'
import { DEFAULT_OTLP_URL, OtlpOut } from './otlp-out.js'
import { DEFAULT_PROMETHEUS_PORT, PrometheusOut } from './prometheus-out.js'

/** Where `--out` sends the run's metrics while it runs. */
export type OutputSpec = { kind: 'prometheus'; host: string; port: number } | { kind: 'otlp'; url: string }

/**
 * `prometheus`, `prometheus=PORT` or `prometheus=HOST:PORT` (default 127.0.0.1:9464; 0.0.0.0 to be
 * scraped from elsewhere); `otlp` or `otlp=URL` (default an OTLP/HTTP receiver on localhost:4318).
 * Undefined, with why, for anything else.
 */
export function parseOutput(text: string): OutputSpec | { error: string } {
  const [kind, where] = [text.slice(0, text.includes('=') ? text.indexOf('=') : undefined), text.includes('=') ? text.slice(text.indexOf('=') + 1) : undefined]
  if (kind === 'prometheus') {
    const match = where === undefined ? ['', undefined, String(DEFAULT_PROMETHEUS_PORT)] : /^(?:(.+):)?(\d{1,5})$/.exec(where)
    const port = Number(match?.[2])
    if (!match || port > 65_535) return { error: `prometheus takes a port or HOST:PORT, like prometheus=9464; got "${where}"` }
    return { kind, host: match[1] ?? '127.0.0.1', port }
  }
  if (kind === 'otlp') {
    if (where === undefined) return { kind, url: DEFAULT_OTLP_URL }
    if (!URL.canParse(where) || !/^https?:$/.test(new URL(where).protocol)) return { error: `otlp takes an http(s) URL, like otlp=http://localhost:4318/v1/metrics; got "${where}"` }
    const url = new URL(where)
    // A collector's address alone means its metrics path, as the OpenTelemetry SDKs read OTEL_EXPORTER_OTLP_ENDPOINT.
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/metrics'
    return { kind, url: url.toString() }
  }
  return { error: `--out takes prometheus[=[HOST:]PORT] or otlp[=URL]; got "${text}"` }
}

/** The run's metric outputs: started before the run, given the run once it has a ledger, flushed and closed after it. */
export class RunOutputs {
  private finished = false

  private constructor(private readonly outputs: Array<PrometheusOut | OtlpOut>) {}

  static async start(specs: OutputSpec[], log: (line: string) => void): Promise<RunOutputs> {
    const outputs: Array<PrometheusOut | OtlpOut> = []
    try {
      for (const spec of specs) {
        if (spec.kind === 'prometheus') {
          const prometheus = new PrometheusOut(spec.host, spec.port)
          log(`Metrics for Prometheus at ${await prometheus.start()}`)
          outputs.push(prometheus)
        } else {
          outputs.push(new OtlpOut(spec.url))
          log(`Metrics to ${spec.url} over OTLP/HTTP every 5 s`)
        }
      }
    } catch (error) {
      await Promise.all(outputs.map((output) => output.close()))
      throw error
    }
    return new RunOutputs(outputs)
  }

  attach(source: RunTelemetrySource): void {
    for (const output of this.outputs) output.attach(source)
  }

  /** The last values out, then closed; an output that cannot deliver them is said, not fatal. */
  async finish(log: (line: string) => void): Promise<void> {
    if (this.finished) return
    this.finished = true
    await Promise.all(
      this.outputs.map(async (output) => {
        try {
          await output.flush()
        } catch (error) {
          log(`Warning: the last metrics did not reach ${output instanceof OtlpOut ? output.url : 'Prometheus'}: ${(error as Error).message}`)
        }
        await output.close().catch(() => undefined)
      }),
    )
  }
}
