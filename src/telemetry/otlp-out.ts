import { ValueType, type HrTime } from '@opentelemetry/api'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type CollectionResult,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics'
import type { RunTelemetrySource } from '../run/run-telemetry.js'
import { fraudlabVersion } from '../util/versions.js'
import { runMetrics, type RunMetric } from './run-metrics.js'

const EXPORT_INTERVAL_MS = 5_000

/**
 * `--out otlp[=URL]`: the run's metrics to an OpenTelemetry Collector over OTLP/HTTP, every 5 s and
 * once more when the run ends, with the official SDK's exporter. The run's own figures enter the
 * SDK through a MetricProducer (the SDK's way in for metrics kept elsewhere), so the histograms
 * carry the ledger's exact bucket counts rather than a second recording of every decision.
 */
export class OtlpOut {
  private source?: RunTelemetrySource
  private readonly startTime: HrTime = hrTime(Date.now())
  private readonly provider: MeterProvider

  constructor(readonly url: string) {
    const producer: MetricProducer = { collect: async () => this.collect() }
    const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url }), exportIntervalMillis: EXPORT_INTERVAL_MS, metricProducers: [producer] })
    this.provider = new MeterProvider({ readers: [reader], resource: resourceFromAttributes({ 'service.name': 'fraudlab', 'service.version': fraudlabVersion() }) })
  }

  attach(source: RunTelemetrySource): void {
    this.source = source
  }

  /** Sends what the run holds now (its last values, at the end). */
  async flush(): Promise<void> {
    await this.provider.forceFlush()
  }

  async close(): Promise<void> {
    await this.provider.shutdown()
  }

  private collect(): CollectionResult {
    const endTime = hrTime(Date.now())
    const metrics = this.source ? runMetrics(this.source).map((metric) => asMetricData(metric, this.startTime, endTime)) : []
    return { resourceMetrics: { resource: resourceFromAttributes({}), scopeMetrics: [{ scope: { name: 'fraudlab', version: fraudlabVersion() }, metrics }] }, errors: [] }
  }
}

function asMetricData(metric: RunMetric, startTime: HrTime, endTime: HrTime): MetricData {
  const descriptor = { name: metric.name, description: metric.help, unit: metric.unit, valueType: ValueType.DOUBLE }
  if (metric.kind === 'histogram') {
    return {
      descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: metric.points.map(({ labels, value }) => ({ startTime, endTime, attributes: labels, value: { buckets: { boundaries: metric.bounds, counts: value.counts }, sum: value.sum, count: value.count } })),
    }
  }
  const dataPoints = metric.points.map(({ labels, value }) => ({ startTime, endTime, attributes: labels, value }))
  if (metric.kind === 'counter') return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints }
  return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints }
}

function hrTime(epochMs: number): HrTime {
  return [Math.floor(epochMs / 1000), (epochMs % 1000) * 1e6]
}
