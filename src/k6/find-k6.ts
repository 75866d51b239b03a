import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { UserError } from '../errors/user-error.js'

const INSTALL_HINT =
  'Install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/: a package, a release binary, or `go install go.k6.io/k6@latest`), ' +
  'then put it on PATH or set K6_BINARY to its path. `fraudlab k6 script` writes a test you can run with any k6.'

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** k6: K6_BINARY if set (it must exist), else the first `k6` on PATH. */
export function findK6(env: NodeJS.ProcessEnv = process.env): string {
  if (env.K6_BINARY) {
    if (isExecutable(env.K6_BINARY)) return env.K6_BINARY
    throw new UserError(`K6_BINARY is ${env.K6_BINARY}, which is not an executable file.`, { hint: INSTALL_HINT })
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'k6'))) return join(dir, 'k6')
  }
  throw new UserError('k6 was not found: K6_BINARY is not set and there is no k6 on PATH.', { hint: INSTALL_HINT })
}
