import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import { runJob, threadState, type SharedTrainingArrays, type ThreadState, type TrainingJob } from './training-jobs.js'

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
