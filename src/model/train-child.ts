// Child-process entry for `fraudlab train`: the CLI process keeps a small heap for runs, while
// training holds a feature matrix and millions of accounts' feature state, so it runs here with a
// heap sized for it. Options arrive in argv[2]; progress, the result and errors go back over IPC.
import { isUserError } from '../errors/user-error.js'
import type { RoundReport } from './gbt-trainer.js'
import { trainModel, type TrainModelOptions } from './train-model.js'

export type TrainChildOptions = Omit<TrainModelOptions, 'signal' | 'stopRequested' | 'onReadProgress' | 'onFeaturesReady' | 'onRound'>

export type TrainChildMessage =
  | { type: 'read'; file: string; rows: number }
  | { type: 'features'; rows: number; columns: number; seconds: number }
  | { type: 'round'; report: RoundReport }
  | { type: 'done'; result: { modelPath: string; cardPath: string; card: Awaited<ReturnType<typeof trainModel>>['card']; roundsRun: number; stoppedByUser: boolean } }
  | { type: 'error'; message: string; hint?: string; exitCode?: number; userError: boolean; stack?: string }

const options = JSON.parse(process.argv[2] ?? '{}') as TrainChildOptions
const controller = new AbortController()
const post = (message: TrainChildMessage) => new Promise<void>((resolve) => process.send!(message, () => resolve()))

process.on('message', (message: { type: string }) => message.type === 'stop' && controller.abort())
process.on('SIGINT', () => {}) // the parent decides: Ctrl-C there sends 'stop'
process.on('disconnect', () => process.exit(1))

try {
  const result = await trainModel({
    ...options,
    signal: controller.signal,
    stopRequested: () => controller.signal.aborted,
    onReadProgress: (file, rows) => void post({ type: 'read', file, rows }),
    onFeaturesReady: (rows, columns, seconds) => void post({ type: 'features', rows, columns, seconds }),
    onRound: (report) => void post({ type: 'round', report }),
  })
  await post({ type: 'done', result: { modelPath: result.modelPath, cardPath: result.cardPath, card: result.card, roundsRun: result.result.history.length, stoppedByUser: result.stoppedByUser } })
} catch (error) {
  const e = error as Error & { hint?: string; exitCode?: number }
  await post({ type: 'error', message: e.message, hint: e.hint, exitCode: e.exitCode, userError: isUserError(error), stack: e.stack })
}
process.disconnect()
