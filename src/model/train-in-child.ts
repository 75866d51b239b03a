import { fork } from 'node:child_process'
import { totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { UserError } from '../errors/user-error.js'
import type { TrainChildMessage, TrainChildOptions } from './train-child.js'

type Done = Extract<TrainChildMessage, { type: 'done' }>['result']

const CHILD_SCRIPT = fileURLToPath(new URL('./train-child.js', import.meta.url))

/**
 * Trains in a child process whose heap is sized for the job (three quarters of this machine's
 * memory, at most 16 GB). `stop()` ends training after the current round and still writes the best
 * model so far.
 */
export function trainInChild(options: TrainChildOptions, onProgress: (message: TrainChildMessage) => void): { done: Promise<Done>; stop: () => void } {
  const heapMb = Math.min(16_384, Math.floor((totalmem() / 1024 / 1024) * 0.75))
  const { MALLOC_ARENA_MAX: _arenas, ...env } = process.env
  const child = fork(CHILD_SCRIPT, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv: [`--max-old-space-size=${heapMb}`], env })
  let stderrTail = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderrTail = (stderrTail + chunk.toString()).slice(-4_000)))
  const done = new Promise<Done>((resolve, reject) => {
    let settled = false
    child.on('message', (message: TrainChildMessage) => {
      if (message.type === 'done') {
        settled = true
        resolve(message.result)
      } else if (message.type === 'error') {
        settled = true
        reject(message.userError ? new UserError(message.message, { hint: message.hint, exitCode: message.exitCode }) : Object.assign(new Error(message.message), { stack: message.stack }))
      } else onProgress(message)
    })
    child.on('exit', (code, signal) => {
      if (settled) return
      const outOfMemory = /heap out of memory/i.test(stderrTail)
      reject(
        outOfMemory
          ? new UserError(`Training ran out of memory (heap limit ${heapMb} MB).`, { hint: 'Train on fewer rows, or on a machine with more memory.' })
          : new Error(`the training process exited (${signal ?? `code ${code}`}): ${stderrTail.trim().split('\n').slice(-5).join('\n')}`),
      )
    })
  })
  return { done, stop: () => child.connected && child.send({ type: 'stop' }) }
}
