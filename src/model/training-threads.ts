import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import { binRows, cutScratch, featureCuts, MAX_BINS, type BinCuts } from './binning.js'
import { addLeafValues, addTreeMargins, computeGradients, SCRATCH_FEATURE_STRIDE, splitRows, sumGradients, type BinnedRows } from './boosting-kernels.js'
import type { Tree } from './tree-ensemble.js'

/** The arrays every thread reads and writes, each on a SharedArrayBuffer. */
export interface SharedTrainingArrays {
  /** The feature matrix, row-major float32. */
  values: Float32Array
  trainRows: Uint32Array
  /** Each feature's cut points, MAX_BINS apart, and how many it has. */
  cutValues: Float32Array
  cutCounts: Int32Array
  data: BinnedRows
  /** This round's sampled rows; a tree's nodes own ranges of it. */
  sample: Uint32Array
  /** Where a split puts the rows that go right, at their range's offsets, before they are copied back. */
  rightRows: Uint32Array
  inSample: Uint8Array
  margins: Float64Array
  /** 1 for validation rows, whose probabilities go to validationScores after each tree. */
  validation: Uint8Array
  validationScores: Float64Array
  labels: Uint8Array
  weights: Float64Array
}

export type TrainingJob =
  | { kind: 'cuts'; from: number; to: number; maxBins: number }
  | { kind: 'bins'; from: number; to: number }
  | { kind: 'histogram'; slot: number; start: number; end: number; features: Int32Array }
  | { kind: 'split'; start: number; end: number; feature: number; bin: number; missingLeft: boolean }
  | { kind: 'gradients'; from: number; to: number }
  | { kind: 'margins'; from: number; to: number; tree: Tree }
  | { kind: 'leaves'; leaves: Array<{ start: number; end: number; value: number }> }

/** What one thread works with: the shared arrays, the histograms it has been handed, and its own scratch. */
export interface ThreadState extends SharedTrainingArrays {
  histograms: Float64Array[]
  scratch: Float64Array
}

export function threadState(shared: SharedTrainingArrays): ThreadState {
  return { ...shared, histograms: [], scratch: new Float64Array(shared.data.columns * SCRATCH_FEATURE_STRIDE) }
}

/** Runs one job on this thread; a split returns how many rows went left, the others 0. */
export function runJob(state: ThreadState, job: TrainingJob): number {
  switch (job.kind) {
    case 'cuts': {
      const scratch = cutScratch(state.trainRows.length)
      for (let f = job.from; f < job.to; f++) {
        const cuts = featureCuts(state.values, state.data.columns, state.trainRows, f, job.maxBins, scratch)
        state.cutValues.set(cuts, f * MAX_BINS)
        state.cutCounts[f] = cuts.length
      }
      return 0
    }
    case 'bins': {
      const { data } = state
      binRows(state.values, data.columns, data.rowCount, sharedCuts(state), job.from, job.to, data.bins, data.binsByFeature)
      return 0
    }
    case 'histogram':
      sumGradients(state.data, state.histograms[job.slot], state.scratch, state.sample, job.start, job.end, job.features)
      return 0
    case 'split':
      return splitRows(state.data, state.sample, state.rightRows, job.start, job.end, job.feature, job.bin, job.missingLeft)
    case 'gradients':
      computeGradients(state.data, state.sample, job.from, job.to, state.margins, state.labels, state.weights)
      return 0
    case 'margins':
      addTreeMargins(state.data, job.tree, state.inSample, state.margins, state.validation, state.validationScores, job.from, job.to)
      return 0
    case 'leaves':
      addLeafValues(state.sample, state.margins, job.leaves)
      return 0
  }
}

/** The cut points the 'cuts' jobs wrote. */
export function sharedCuts(shared: SharedTrainingArrays): BinCuts {
  return { cuts: Array.from(shared.cutCounts, (count, f) => shared.cutValues.subarray(f * MAX_BINS, f * MAX_BINS + count)) }
}

/** Messages to a worker besides jobs. */
export type WorkerMessage = TrainingJob | { kind: 'histogram-slot'; slot: number; array: Float64Array } | { kind: 'stop' }

/** The control words each worker shares with the trainer. */
export const POSTED = 0
export const DONE = 1
export const RESULT = 2
export const FAILED = 3

/** A job that takes longer than this means its thread died (out of memory, say), not that it is slow. */
const JOB_TIMEOUT_MS = 120_000

const WORKER_SCRIPT = new URL('./training-worker.js', import.meta.url)

interface WorkerHandle {
  worker: Worker
  port: MessagePort
  control: Int32Array
}

/**
 * The trainer's threads: this one plus `count − 1` workers over shared memory. `run` hands out one
 * job per thread, does the first itself and blocks until all are done: a round's loops are short
 * (a millisecond to tens of them), so the handoff is a shared counter and a futex wait, not an
 * event-loop message.
 */
export class TrainingThreads {
  private readonly local: ThreadState

  private constructor(
    shared: SharedTrainingArrays,
    private readonly workers: WorkerHandle[],
  ) {
    this.local = threadState(shared)
  }

  static async start(count: number, shared: SharedTrainingArrays): Promise<TrainingThreads> {
    const workers: WorkerHandle[] = []
    try {
      for (let i = 1; i < count; i++) {
        const { port1, port2 } = new MessageChannel()
        const control = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT))
        const worker = new Worker(WORKER_SCRIPT, { workerData: { port: port2, control, shared }, transferList: [port2] })
        workers.push({ worker, port: port1, control })
        await new Promise<void>((resolve, reject) => {
          port1.once('message', () => resolve())
          worker.once('error', reject)
          worker.once('exit', (code) => reject(new Error(`a training thread exited at start (code ${code})`)))
        })
        worker.removeAllListeners('error').removeAllListeners('exit')
        worker.unref()
        port1.unref()
      }
    } catch (error) {
      await Promise.all(workers.map(({ worker }) => worker.terminate()))
      throw error
    }
    return new TrainingThreads(shared, workers)
  }

  /** This thread and the workers. */
  get count(): number {
    return this.workers.length + 1
  }

  /** Makes a histogram, by slot, known to every thread. */
  addHistogram(slot: number, array: Float64Array): void {
    this.local.histograms[slot] = array
    for (const { port } of this.workers) port.postMessage({ kind: 'histogram-slot', slot, array } satisfies WorkerMessage)
  }

  /** Runs jobs[0] here and jobs[i] on worker i − 1, all at once; returns their results in order. */
  run(jobs: TrainingJob[]): number[] {
    if (jobs.length > this.count) throw new Error(`${jobs.length} jobs for ${this.count} threads`)
    for (let i = 1; i < jobs.length; i++) {
      const { port, control } = this.workers[i - 1]
      port.postMessage(jobs[i] satisfies WorkerMessage)
      Atomics.add(control, POSTED, 1)
      Atomics.notify(control, POSTED)
    }
    const results = new Array<number>(jobs.length)
    let failure: Error | undefined
    try {
      results[0] = runJob(this.local, jobs[0])
    } catch (error) {
      failure = error as Error
    }
    for (let i = 1; i < jobs.length; i++) {
      const { port, control } = this.workers[i - 1]
      const posted = Atomics.load(control, POSTED)
      const deadline = Date.now() + JOB_TIMEOUT_MS
      for (let done = Atomics.load(control, DONE); done !== posted; done = Atomics.load(control, DONE)) {
        if (Date.now() > deadline) throw new Error(`training thread ${i} has not answered for ${JOB_TIMEOUT_MS / 1000} s; it may have run out of memory`)
        Atomics.wait(control, DONE, done, 1_000)
      }
      if (control[FAILED]) failure ??= new Error(`training thread ${i} failed: ${String((receiveMessageOnPort(port)?.message as { error?: string } | undefined)?.error ?? 'no detail')}`)
      results[i] = control[RESULT]
    }
    if (failure) throw failure
    return results
  }

  async close(): Promise<void> {
    for (const { port, control } of this.workers) {
      port.postMessage({ kind: 'stop' } satisfies WorkerMessage)
      Atomics.add(control, POSTED, 1)
      Atomics.notify(control, POSTED)
    }
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()))
  }
}

/** Leaf ranges in `parts` groups of about as many rows each; a range may be cut between two groups. */
export function shareLeaves(leaves: ReadonlyArray<{ start: number; end: number; value: number }>, parts: number): Array<Array<{ start: number; end: number; value: number }>> {
  const total = leaves.reduce((sum, leaf) => sum + leaf.end - leaf.start, 0)
  const groups: Array<Array<{ start: number; end: number; value: number }>> = Array.from({ length: parts }, () => [])
  let done = 0
  for (const { start, end, value } of leaves) {
    for (let from = start; from < end; ) {
      const group = Math.min(parts - 1, Math.floor((done * parts) / total))
      const groupEnd = Math.ceil(((group + 1) * total) / parts)
      const to = Math.min(end, from + Math.max(1, groupEnd - done))
      groups[group].push({ start: from, end: to, value })
      done += to - from
      from = to
    }
  }
  return groups
}

/** [from, to) of each of `parts` near-equal shares of [start, end). */
export function shares(start: number, end: number, parts: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = []
  for (let p = 0; p < parts; p++) ranges.push([start + Math.floor(((end - start) * p) / parts), start + Math.floor(((end - start) * (p + 1)) / parts)])
  return ranges
}
