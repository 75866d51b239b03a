import { render, useInput, useStdin, useWindowSize } from 'ink'
import { useState, useSyncExternalStore } from 'react'
import type { LiveStatus } from '../run/live-status.js'
import { LiveView } from './live-view.js'

/** Holds the latest status; the view re-renders when a new one is published, at most maxFps. */
export class StatusStore {
  private status: LiveStatus | undefined
  private readonly listeners = new Set<() => void>()

  publish(status: LiveStatus): void {
    this.status = status
    for (const listener of this.listeners) listener()
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  readonly get = (): LiveStatus | undefined => this.status
}

export interface LiveAppProps {
  store: StatusStore
  onStop: () => void
  onTogglePause: () => void
}

export function LiveApp({ store, onStop, onTogglePause }: LiveAppProps) {
  const status = useSyncExternalStore(store.subscribe, store.get)
  const { columns, rows } = useWindowSize()
  const [showHelp, setShowHelp] = useState(false)
  const { isRawModeSupported } = useStdin()
  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) onStop()
      else if (input === 'p') onTogglePause()
      else if (input === '?') setShowHelp((shown) => !shown)
      else if (key.escape) setShowHelp(false)
    },
    { isActive: isRawModeSupported === true },
  )
  return <LiveView status={status} columns={columns} rows={rows} showHelp={showHelp} />
}

export interface LiveViewHandle {
  update(status: LiveStatus): void
  close(): Promise<void>
}

/** Renders the live view on stderr (stdout stays for the summary), reading keys from stdin. */
export function startLiveView(options: { onStop: () => void; onTogglePause: () => void; stream?: NodeJS.WriteStream }): LiveViewHandle {
  const store = new StatusStore()
  const instance = render(<LiveApp store={store} onStop={options.onStop} onTogglePause={options.onTogglePause} />, {
    stdout: options.stream ?? process.stderr,
    stdin: process.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
    // Four frames a second at most: each costs ~10 ms of the CLI's main thread, which also produces and collects.
    maxFps: 4,
  })
  return {
    update: (status) => store.publish(status),
    close: async () => {
      instance.unmount()
      await instance.waitUntilExit().catch(() => undefined)
    },
  }
}
