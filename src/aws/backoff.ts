/** Exponential backoff with full jitter (AWS' recommendation for contended retries). */
export function backoffDelayMs(attempt: number, random: () => number, baseMs = 50, maxMs = 2_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(random() * ceiling)
}

const THROTTLING_CODES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TooManyRequestsException',
])

export function errorName(error: unknown): string {
  if (error && typeof error === 'object' && 'name' in error) return String((error as { name: unknown }).name)
  return 'Error'
}

export function isThrottling(error: unknown): boolean {
  return THROTTLING_CODES.has(errorName(error))
}

/** Errors that a retry can cure: throttling, 5xx, and connection trouble. */
export function isRetryable(error: unknown): boolean {
  if (isThrottling(error)) return true
  const candidate = error as { $metadata?: { httpStatusCode?: number }; code?: string; $retryable?: unknown }
  if (candidate?.$retryable) return true
  const status = candidate?.$metadata?.httpStatusCode
  if (status !== undefined && status >= 500) return true
  const code = candidate?.code ?? ''
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN'].includes(code) || errorName(error) === 'TimeoutError'
}

/** Runs `call`, retrying retryable errors with backoff; reports each retry through `onRetry`. */
export async function withRetries<T>(
  call: () => Promise<T>,
  options: { attempts?: number; random?: () => number; onRetry?: (error: unknown) => void; signal?: AbortSignal } = {},
): Promise<T> {
  const attempts = options.attempts ?? 8
  const random = options.random ?? Math.random
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error) || options.signal?.aborted) throw error
      options.onRetry?.(error)
      await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, random)))
    }
  }
}
