import { availableParallelism } from 'node:os'
import { Flags } from '@oclif/core'
import { FraudlabCommand } from '../cli/base-command.js'
import { integerFlag, modelFlag } from '../cli/flags.js'
import { UserError } from '../errors/user-error.js'
import { checkModel } from '../decision/check-model.js'
import { startScoringServer } from '../serve/http-server.js'

export default class Serve extends FraudlabCommand {
  static override summary = 'Serve the scorer over HTTP: POST /v1/score, GET /health, /metrics (Prometheus) and /openapi.json.'
  static override description =
    'The same feature engine, model and decision rules as the stream scorer, behind HTTP, for load tests with k6 and for services that score synchronously. ' +
    'Feature state carries over from request to request. /health answers 503 until the model is loaded. Stops on Ctrl-C or SIGTERM.'
  static override examples = ['<%= config.bin %> serve', '<%= config.bin %> serve --port 9000 --model models/my-model.onnx', '<%= config.bin %> serve --model rules']
  static override flags = {
    port: integerFlag({ name: 'port', description: 'Port to listen on (0 picks a free one).', min: 0, max: 65_535, default: 8080 }),
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1', helpValue: '<address>' }),
    model: modelFlag,
    'body-limit': integerFlag({ name: 'body-limit', description: 'Largest request body in bytes (larger get 413).', min: 1_024, max: 100 * 1_048_576, default: 1_048_576 }),
    'model-thread': Flags.boolean({
      description: 'Evaluate the model on a thread of its own, so that parsing, validation and features of the next requests go on meanwhile on another core (default: on with two cores or more).',
      allowNo: true,
    }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve)
    // A wrong model is a user error before anything listens.
    await checkModel(flags.model)
    const modelThread = flags['model-thread'] ?? availableParallelism() > 1
    const server = await startScoringServer({ model: flags.model, host: flags.host, port: flags.port, bodyLimitBytes: flags['body-limit'], modelThread }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw new UserError(`Port ${flags.port} on ${flags.host} is already in use.`, { hint: 'Choose another with --port, or --port 0 for a free one.' })
      throw error
    })
    this.progress(`fraudlab serve: listening on ${server.url} (loading the model)`)
    await server.ready
    this.progress(`fraudlab serve: ready on ${server.url} · POST /v1/score · GET /health /metrics /openapi.json`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    this.progress('fraudlab serve: stopping')
    await server.close()
  }
}
