/**
 * Rows of float32 features (row-major), the values a model reads, with each row's label, event
 * time, archetype and whether it belongs to the validation split.
 */
export interface FeatureMatrix {
  rows: number
  columns: number
  featureNames: readonly string[]
  values: Float32Array
  labels: Uint8Array
  eventTimes: Float64Array
  /** Index into `archetypes` ("normal" for genuine rows). */
  archetypeIds: Uint16Array
  archetypes: string[]
  validation: Uint8Array
}

/** Grows a feature matrix row by row, doubling its buffers. */
export class FeatureMatrixBuilder {
  rows = 0
  private values: Float32Array
  private labels: Uint8Array
  private eventTimes: Float64Array
  private archetypeIds: Uint16Array
  private readonly archetypeIndex = new Map<string, number>()

  constructor(
    readonly featureNames: readonly string[],
    initialRows = 1 << 16,
  ) {
    // Shared memory: the trainer's threads read the matrix where it is, without a copy.
    this.values = new Float32Array(new SharedArrayBuffer(initialRows * featureNames.length * Float32Array.BYTES_PER_ELEMENT))
    this.labels = new Uint8Array(initialRows)
    this.eventTimes = new Float64Array(initialRows)
    this.archetypeIds = new Uint16Array(initialRows)
  }

  /** Appends a row; `features` are doubles, cast to float32 here and only here. */
  add(features: Float64Array, featuresOffset: number, label: number, eventTime: number, archetype: string): void {
    if (this.rows === this.labels.length) this.grow()
    const columns = this.featureNames.length
    this.values.set(features.subarray(featuresOffset, featuresOffset + columns), this.rows * columns)
    this.labels[this.rows] = label
    this.eventTimes[this.rows] = eventTime
    let id = this.archetypeIndex.get(archetype)
    if (id === undefined) {
      id = this.archetypeIndex.size
      this.archetypeIndex.set(archetype, id)
    }
    this.archetypeIds[this.rows] = id
    this.rows++
  }

  /**
   * Marks the latest `validationShare` of each split's rows (by event time) as validation: each
   * data file is split on its own clock (a share of 1 holds the whole file out, 0 none of it).
   */
  build(splits: Array<{ fromRow: number; toRow: number; validationShare: number }>): FeatureMatrix {
    const validation = new Uint8Array(this.rows)
    for (const { fromRow, toRow, validationShare: share } of splits) {
      const times = Float64Array.from(this.eventTimes.subarray(fromRow, toRow)).sort()
      if (times.length === 0 || share <= 0) continue
      const cutoff = times[Math.min(times.length - 1, Math.floor(times.length * (1 - share)))]
      for (let r = fromRow; r < toRow; r++) validation[r] = this.eventTimes[r] >= cutoff ? 1 : 0
    }
    const columns = this.featureNames.length
    return {
      rows: this.rows,
      columns,
      featureNames: this.featureNames,
      values: this.values.subarray(0, this.rows * columns),
      labels: this.labels.subarray(0, this.rows),
      eventTimes: this.eventTimes.subarray(0, this.rows),
      archetypeIds: this.archetypeIds.subarray(0, this.rows),
      archetypes: [...this.archetypeIndex.keys()],
      validation,
    }
  }

  private grow(): void {
    const rows = this.labels.length * 2
    const values = new Float32Array(new SharedArrayBuffer(rows * this.featureNames.length * Float32Array.BYTES_PER_ELEMENT))
    values.set(this.values)
    this.values = values
    this.labels = copyInto(new Uint8Array(rows), this.labels)
    this.eventTimes = copyInto(new Float64Array(rows), this.eventTimes)
    this.archetypeIds = copyInto(new Uint16Array(rows), this.archetypeIds)
  }
}

function copyInto<T extends Uint8Array | Float64Array | Uint16Array>(target: T, source: T): T {
  target.set(source as never)
  return target
}

/** The rows whose flag equals `value` (0: training, 1: validation), ascending. */
export function rowsWhere(flags: Uint8Array, value: number): Uint32Array {
  let n = 0
  for (let i = 0; i < flags.length; i++) if (flags[i] === value) n++
  const rows = new Uint32Array(n)
  n = 0
  for (let i = 0; i < flags.length; i++) if (flags[i] === value) rows[n++] = i
  return rows
}
