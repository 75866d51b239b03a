/**
 * A mistake the user can fix (a bad flag, a missing file, an unreachable endpoint). The CLI prints
 * its message and hint on one or two lines and exits non-zero, without a stack trace.
 */
export class UserError extends Error {
  readonly hint?: string
  readonly exitCode: number
  constructor(message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'UserError'
    this.hint = options.hint
    this.exitCode = options.exitCode ?? 2
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError
}
