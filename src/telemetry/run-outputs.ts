import type { RunTelemetrySource } from '../run/run-telemetry.js'
import { OtlpOut } from './otlp-out.js'
import type { OutputSpec } from './output-spec.js'
import { PrometheusOut } from './prometheus-out.js'

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
