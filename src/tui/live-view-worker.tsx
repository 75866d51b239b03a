import { Writable } from 'node:stream'
import { parentPort } from 'node:worker_threads'
import { render } from 'ink'
import { useSyncExternalStore } from 'react'
import type { LiveStatus } from '../run/live-status.js'
import { LiveView } from './live-view.js'
import type { ToLiveView } from './live-view-messages.js'

/**
 * The live view's own thread: React and Ink render here, so a frame never stalls the thread that
 * schedules, produces and collects. Frames go back to the main thread as text, which writes them
 * to stderr; keys are read there too.
 */
class TerminalOutput extends Writable {
  isTTY = true
  columns: number
  rows: number

  constructor(columns: number, rows: number) {
    super({ decodeStrings: false })
    this.columns = columns
    this.rows = rows
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: () => void): void {
    parentPort?.postMessage({ type: 'output', text: typeof chunk === 'string' ? chunk : chunk.toString('utf8') })
    done()
  }
}

interface ViewState {
  status: LiveStatus | undefined
  showHelp: boolean
  columns: number
  rows: number
}

let state: ViewState = { status: undefined, showHelp: false, columns: 80, rows: 24 }
const listeners = new Set<() => void>()
const setState = (change: Partial<ViewState>) => {
  state = { ...state, ...change }
  for (const listener of listeners) listener()
}
const subscribe = (listener: () => void) => {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

function WorkerApp() {
  const { status, showHelp, columns, rows } = useSyncExternalStore(subscribe, () => state)
  return <LiveView status={status} columns={columns} rows={rows} showHelp={showHelp} />
}

let output: TerminalOutput | undefined
let instance: ReturnType<typeof render> | undefined

parentPort?.on('message', async (message: ToLiveView) => {
  switch (message.type) {
    case 'start':
      state = { ...state, columns: message.columns, rows: message.rows }
      output = new TerminalOutput(message.columns, message.rows)
      instance = render(<WorkerApp />, { stdout: output as unknown as NodeJS.WriteStream, stdin: undefined, exitOnCtrlC: false, patchConsole: false, interactive: true, maxFps: 4 })
      break
    case 'status':
      setState({ status: message.status })
      break
    case 'help':
      setState({ showHelp: !state.showHelp })
      break
    case 'resize':
      if (output) {
        output.columns = message.columns
        output.rows = message.rows
        output.emit('resize')
      }
      setState({ columns: message.columns, rows: message.rows })
      break
    case 'close':
      instance?.unmount()
      await instance?.waitUntilExit().catch(() => undefined)
      parentPort?.postMessage({ type: 'closed' })
      break
  }
})
