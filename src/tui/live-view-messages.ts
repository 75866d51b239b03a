import type { LiveStatus } from '../run/live-status.js'

/** Messages from the run's thread to the live view's thread. */
export type ToLiveView =
  | { type: 'start'; columns: number; rows: number }
  | { type: 'status'; status: LiveStatus }
  | { type: 'help' }
  | { type: 'resize'; columns: number; rows: number }
  | { type: 'close' }

/** Messages from the live view's thread: frames to write, and the end of the last one. */
export type FromLiveView = { type: 'output'; text: string } | { type: 'closed' }

export type LiveKey = 'stop' | 'pause' | 'help' | undefined

/** What a key pressed in the live view means: q or Ctrl-C stop, p pauses, ? toggles the help. */
export function liveKey(data: string): LiveKey {
  if (data === 'q' || data === 'Q' || data === '\u0003') return 'stop'
  if (data === 'p' || data === 'P') return 'pause'
  if (data === '?' || data === 'h') return 'help'
  return undefined
}
