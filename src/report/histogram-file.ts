import * as hdr from 'hdr-histogram-js'
import { z } from 'zod'
import { STAGES, type Stage } from '../schema/stages.js'
import { newLatencyHistogram } from '../metrics/latency.js'
import { SUMMARY_SCHEMA_VERSION } from './summary-schema.js'

export const HISTOGRAMS_FILE = 'histograms.json'

/** A run's latency histograms, in microseconds: what `report merge` adds up exactly. */
export interface RunHistograms {
  decision: hdr.Histogram
  decisionByArchetype: Record<string, hdr.Histogram>
  endToEnd: hdr.Histogram
  stages: Record<Stage, hdr.Histogram>
  byArchetype: Record<string, hdr.Histogram>
  /** Decision latency per timeline bucket (bucket start in epoch ms). */
  timeline: { bucketMs: number; buckets: Array<{ at: number; histogram: hdr.Histogram | undefined }> }
}

const Encoded = z.string().max(50_000_000)

const HistogramFileSchema = z.strictObject({
  schemaVersion: z.number().int(),
  encoding: z.literal('hdr-histogram-compressed-base64'),
  unit: z.literal('microseconds'),
  decision: Encoded,
  decisionByArchetype: z.record(z.string(), Encoded),
  endToEnd: Encoded,
  stages: z.record(z.enum(STAGES), Encoded),
  byArchetype: z.record(z.string(), Encoded),
  timeline: z.strictObject({ bucketMs: z.number().int().positive(), buckets: z.array(z.strictObject({ at: z.number(), histogram: Encoded.nullable() })) }),
})

export function encodeHistograms(histograms: RunHistograms): string {
  const encode = (histogram: hdr.Histogram) => hdr.encodeIntoCompressedBase64(histogram)
  const file: z.infer<typeof HistogramFileSchema> = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    encoding: 'hdr-histogram-compressed-base64',
    unit: 'microseconds',
    decision: encode(histograms.decision),
    decisionByArchetype: Object.fromEntries(Object.entries(histograms.decisionByArchetype).map(([name, histogram]) => [name, encode(histogram)])),
    endToEnd: encode(histograms.endToEnd),
    stages: Object.fromEntries(STAGES.map((stage) => [stage, encode(histograms.stages[stage])])) as Record<Stage, string>,
    byArchetype: Object.fromEntries(Object.entries(histograms.byArchetype).map(([name, histogram]) => [name, encode(histogram)])),
    timeline: {
      bucketMs: histograms.timeline.bucketMs,
      buckets: histograms.timeline.buckets.map(({ at, histogram }) => ({ at, histogram: histogram && histogram.totalCount ? encode(histogram) : null })),
    },
  }
  return JSON.stringify(file) + '\n'
}

/** Reads `histograms.json`; `where` names the file in errors. Throws an Error with the first problem. */
export function decodeHistograms(text: string, where: string): RunHistograms & { schemaVersion: number } {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new Error(`${where} is not valid JSON: ${(error as Error).message}`)
  }
  const parsed = HistogramFileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${where}: ${issue.path.join('.') || 'file'}: ${issue.message}`)
  }
  const file = parsed.data
  const decode = (encoded: string, name: string) => {
    try {
      // Decoded into the same configuration every run records with, so merged percentiles equal the whole's.
      const histogram = newLatencyHistogram()
      histogram.add(hdr.decodeFromCompressedBase64(encoded))
      return histogram
    } catch (error) {
      throw new Error(`${where}: ${name}: not an HDR histogram (${(error as Error).message})`)
    }
  }
  return {
    schemaVersion: file.schemaVersion,
    decision: decode(file.decision, 'decision'),
    decisionByArchetype: Object.fromEntries(Object.entries(file.decisionByArchetype).map(([name, encoded]) => [name, decode(encoded, `decisionByArchetype.${name}`)])),
    endToEnd: decode(file.endToEnd, 'endToEnd'),
    stages: Object.fromEntries(STAGES.map((stage) => [stage, file.stages[stage] ? decode(file.stages[stage], `stages.${stage}`) : newLatencyHistogram()])) as Record<Stage, hdr.Histogram>,
    byArchetype: Object.fromEntries(Object.entries(file.byArchetype).map(([name, encoded]) => [name, decode(encoded, `byArchetype.${name}`)])),
    timeline: {
      bucketMs: file.timeline.bucketMs,
      buckets: file.timeline.buckets.map(({ at, histogram }) => ({ at, histogram: histogram === null ? undefined : hdr.decodeFromCompressedBase64(histogram) })),
    },
  }
}
