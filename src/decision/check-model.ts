import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { UserError } from '../errors/user-error.js'
import type { CheckModelMessage } from './check-model-child.js'

const CHILD_SCRIPT = fileURLToPath(new URL('./check-model-child.js', import.meta.url))

/**
 * Loads `model` (a path, or `rules`) in a short-lived child process, as the scorer will, and
 * returns its version; a model the scorer would refuse is refused here, before a run starts.
 * onnxruntime would add ~80 MB to the resident memory of the process that loads it.
 */
export async function checkModel(model: string): Promise<{ modelVersion: string }> {
  const { MALLOC_ARENA_MAX: _arenas, ...env } = process.env
  const child = fork(CHILD_SCRIPT, [model], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [], env })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)))
  const message = await new Promise<CheckModelMessage | undefined>((resolve) => {
    child.once('message', (m: CheckModelMessage) => resolve(m))
    child.once('exit', () => resolve(undefined))
  })
  if (!message) throw new Error(`the model check exited without an answer: ${stderr.trim().split('\n').slice(-3).join(' ')}`)
  if (message.ok) return { modelVersion: message.modelVersion }
  if (message.userError) throw new UserError(message.message, { hint: message.hint })
  throw new Error(message.message)
}
