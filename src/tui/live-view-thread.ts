import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import type { LiveStatus } from '../run/live-status.js'
import { liveKey, type FromLiveView, type ToLiveView } from './live-view-messages.js'

export interface LiveViewHandle {
  update(status: LiveStatus): void
  close(): Promise<void>
}

/**
 * Starts the live view in a worker thread, rendering to stderr (stdout stays for the summary).
 * This thread only posts snapshots, writes the frames it gets back, and reads keys: stdin goes
 * to raw mode, so Ctrl-C arrives as a key and means the same as q.
 */
export function startLiveView(options: { onStop: () => void; onTogglePause: () => void; stream?: NodeJS.WriteStream; input?: NodeJS.ReadStream }): LiveViewHandle {
  const stream = options.stream ?? process.stderr
  const input = options.input ?? process.stdin
  const worker = new Worker(new URL('./live-view-worker.js', import.meta.url))
  const send = (message: ToLiveView) => worker.postMessage(message)
  let closed: (() => void) | undefined
  const closedPromise = new Promise<void>((resolve) => (closed = resolve))
  worker.on('message', (message: FromLiveView) => {
    if (message.type === 'output') stream.write(message.text)
    else closed?.()
  })
  worker.on('error', () => closed?.())
  worker.on('exit', () => closed?.())
  send({ type: 'start', columns: stream.columns ?? 80, rows: stream.rows ?? 24 })
  const onResize = () => send({ type: 'resize', columns: stream.columns ?? 80, rows: stream.rows ?? 24 })
  stream.on('resize', onResize)
  const onKey = (data: Buffer | string) => {
    const key = liveKey(data.toString())
    if (key === 'stop') options.onStop()
    else if (key === 'pause') options.onTogglePause()
    else if (key === 'help') send({ type: 'help' })
  }
  const rawMode = input.isTTY === true && typeof input.setRawMode === 'function'
  if (rawMode) {
    input.setRawMode(true)
    input.on('data', onKey)
    input.resume()
  }
  return {
    update: (status) => send({ type: 'status', status }),
    close: async () => {
      stream.off('resize', onResize)
      if (rawMode) {
        input.off('data', onKey)
        input.setRawMode(false)
        input.pause()
      }
      send({ type: 'close' })
      await Promise.race([closedPromise, new Promise((resolve) => setTimeout(resolve, 2_000).unref())])
      const exited = once(worker, 'exit').catch(() => undefined)
      await worker.terminate()
      await exited
    },
  }
}
