import { z } from 'zod'
import { parseDurationMs } from '../util/duration.js'

/** Building blocks of scenario schemas: each names its field in its error, as a user reads it. */
export const duration = (what: string) =>
  z.string({ error: `${what} must be a duration such as "30s", "5m" or "1h"` }).transform((text, context) => {
    const ms = parseDurationMs(text)
    if (ms === undefined || ms <= 0) {
      context.addIssue({ code: 'custom', message: `${what} must be a positive duration such as "30s", "5m" or "1h"; got "${text}"` })
      return z.NEVER
    }
    return ms
  })

/** "must be a number" only when it is not one; a number out of range says which bound it crossed. */
const numberNamed = (what: string) =>
  z.number({
    error: (issue) =>
      issue.code === 'invalid_type' ? `${what} must be a number` : issue.code === 'too_big' ? `${what} ${String(issue.input)} exceeds the maximum of ${Number(issue.maximum).toLocaleString('en-US')}` : undefined,
  })

export const positive = (what: string) => numberNamed(what).positive({ error: `${what} must be greater than 0` })
export const nonNegative = (what: string) => numberNamed(what).nonnegative({ error: `${what} must not be negative` })
export const share = (what: string) => z.number({ error: `${what} must be a number from 0 to 1` }).min(0, { error: `${what} must be at least 0` }).max(1, { error: `${what} must be at most 1 (100%)` })

export const range = (what: string, options: { integer?: boolean } = {}) =>
  z
    .strictObject({ min: options.integer ? nonNegative(`${what}.min`).int() : nonNegative(`${what}.min`), max: options.integer ? nonNegative(`${what}.max`).int() : nonNegative(`${what}.max`) })
    .refine((r) => r.max >= r.min, { error: `${what}.max must be at least ${what}.min` })

export const amount = z.strictObject({
  median: positive('median'),
  /** Spread of the log-normal: 0 gives a constant, 1 a wide tail. */
  sigma: z.number().min(0).max(3).default(0.8),
})
