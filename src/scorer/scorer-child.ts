// Child-process entry for a scorer supervised by a run: config in argv[2] (JSON), stats over IPC.
import { ScorerService, type ScorerConfig } from './scorer-service.js'

export type ScorerChildMessage = { type: 'ready' } | { type: 'stats'; stats: ScorerService['stats'] } | { type: 'error'; message: string }

const config = JSON.parse(process.argv[2] ?? '{}') as ScorerConfig
const service = new ScorerService(config)
const controller = new AbortController()
const send = (message: ScorerChildMessage) => process.send?.(message)

process.on('SIGTERM', () => controller.abort())
// A terminal's Ctrl-C or hang-up reaches the whole process group: the supervisor decides when the scorer stops, after the drain.
process.on('SIGINT', () => {})
process.on('SIGHUP', () => {})
process.on('disconnect', () => controller.abort())
const statsTimer = setInterval(() => send({ type: 'stats', stats: service.stats }), 250)

service
  .run(controller.signal, () => send({ type: 'ready' }))
  .then(async () => {
    clearInterval(statsTimer)
    send({ type: 'stats', stats: service.stats })
    await service.close()
    process.exitCode = 0
    setTimeout(() => process.exit(0), 50)
  })
  .catch((error: Error) => {
    send({ type: 'error', message: `${error.name}: ${error.message}` })
    process.stderr.write(`scorer: ${error.stack ?? error.message}\n`)
    setTimeout(() => process.exit(1), 50)
  })
