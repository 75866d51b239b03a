import { after, before, describe, it } from 'node:test'

export interface SuiteApi {
  it: typeof it
  before: typeof before
  after: typeof after
}

/**
 * A suite that needs something this machine may lack (Chromium, tmux, moto, Docker). Where it is
 * missing, each of its tests is reported as skipped, with the reason, and no hook runs: a skipped
 * `describe` would hide its tests from the count (node reports it as one skipped suite, 0 tests).
 */
export function describeNeeding(name: string, missing: string | false, body: (api: SuiteApi) => void): void {
  if (missing === false) return void describe(name, () => body({ it, before, after }))
  const skipped = ((title: string) => it(title, { skip: missing })) as unknown as typeof it
  const noHook = (() => undefined) as unknown as typeof before & typeof after
  describe(name, () => body({ it: skipped, before: noHook, after: noHook }))
}
