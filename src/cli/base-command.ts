import { Command } from '@oclif/core'
import { isUserError } from '../errors/user-error.js'

/**
 * Shared behaviour of fraudlab commands: a user mistake prints one clear message (and a hint)
 * and exits non-zero without a stack trace; anything else is a bug and keeps its stack.
 */
export abstract class FraudlabCommand extends Command {
  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if ('parse' in error || error.name === 'FlagValueError') {
      // oclif's flag errors span several lines (and sometimes the whole usage): one line is enough.
      const message = error.message
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('Parsing --') && !line.startsWith('See more help'))
        .join(' ')
      process.stderr.write(`Error: ${message} (see: ${this.config.bin} ${this.id?.replaceAll(':', ' ') ?? ''} --help)\n`)
      return this.exit(2)
    }
    if (isUserError(error)) {
      process.stderr.write(`Error: ${error.message}\n${error.hint ? `Hint: ${error.hint}\n` : ''}`)
      return this.exit(error.exitCode)
    }
    return super.catch(error)
  }

  /** Progress and warnings go to stderr so stdout stays for results (and clean --json). */
  protected progress(line: string): void {
    process.stderr.write(`${line}\n`)
  }
}
