import { Worker } from 'node:worker_threads'

/**
 * An onnxruntime session on a thread of its own, for `fraudlab serve`. onnxruntime-node runs a
 * session on the calling thread and blocks its event loop for the whole call (86 ms for 20,000
 * rows of the default model); here the HTTP thread parses, validates and computes features for the
 * next requests while this thread evaluates the model for the last ones, on another core. Inputs
 * and outputs move between the threads without a copy; calls are answered in order.
 */
export class ModelThread {
  private readonly pending = new Map<number, { resolve: (output: Float32Array) => void; reject: (error: Error) => void }>()
  private nextId = 0
  private failure: Error | undefined

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: { id: number; output?: Float32Array; error?: string }) => {
      const call = this.pending.get(message.id)
      if (!call) return
      this.pending.delete(message.id)
      if (message.output) call.resolve(message.output)
      else call.reject(new Error(`the model thread failed: ${message.error}`))
    })
    const fail = (error: Error) => {
      this.failure = error
      for (const call of this.pending.values()) call.reject(error)
      this.pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`the model thread exited (code ${code})`)))
    worker.unref()
  }

  /** Loads `modelBytes` into a session on a new thread; settles once the session is ready. */
  static async start(modelBytes: Uint8Array, input: string, output: string): Promise<ModelThread> {
    const worker = new Worker(new URL('./model-thread-worker.js', import.meta.url), { workerData: { modelBytes, input, output } })
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (message: { ready?: boolean; error?: string }) => (message.ready ? resolve() : reject(new Error(`the model thread could not load the model: ${message.error}`))))
      worker.once('error', reject)
    })
    return new ModelThread(worker)
  }

  /** The model's output for `rows` rows of `input`, which is handed over: the caller must not use it after. */
  run(input: Float32Array, rows: number): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ id, input, rows }, [input.buffer as ArrayBuffer])
    })
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit')
    await this.worker.terminate()
  }
}
