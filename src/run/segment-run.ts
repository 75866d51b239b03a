import { UserError } from '../errors/user-error.js'
import { segmentLabel, type Segment } from '../load/segment.js'
import type { HeldRunLock } from '../stack/run-lock.js'
import type { ScorerChoice } from './start-pipeline.js'

// A run's part in a run split across hosts (`--segment`): what its segments share, what it says, how they start together.

/**
 * What the segments of one split run have in common, whichever host runs them: the command, the
 * scenario or dataset with its pace, the seed and the number of segments. They hold the run lock together.
 */
export function segmentGroupOf(options: { command: string; title?: string; describe?: string }, segment: Segment, seed: number | null): string {
  return `${options.command} · ${options.title ?? options.describe ?? ''} · seed ${seed ?? 'none'} · ${segment.count} segments`
}

export function segmentNote(segment: Segment, scorer: ScorerChoice, scorers: number): string {
  const merge = `segment ${segmentLabel(segment)} of a run split by account across ${segment.count} hosts: it sent the transactions of its accounts only, and \`fraudlab report merge\` of every segment's report gives the whole run`
  if (scorer !== 'fraudlab') return `This is ${merge}.`
  return `This is ${merge}. Each segment started ${scorers === 1 ? 'a scorer' : `${scorers} scorers`}, and all of them share the shards by lease: the features keyed by counterparty, device or merchant are computed from part of their history (README: "Features across scorers"); one scorer for every segment (\`fraudlab scorer\`, then --scorer external) keeps them exact`
}

export async function gatherSegments(lock: HeldRunLock, segment: Segment, signal: AbortSignal, log: (line: string) => void): Promise<number> {
  let said = -1
  const startAt = await lock.segmentsStartAt(segment.count, {
    signal,
    onWait: (joined) => {
      if (joined !== said) log(`segment ${segmentLabel(segment)}: ${joined} of ${segment.count} segments ready, waiting for the others`)
      said = joined
    },
  })
  log(`segment ${segmentLabel(segment)}: all ${segment.count} segments start at ${new Date(startAt).toISOString()}`)
  return startAt
}

export function segmentNeedsSharedStack(segment: Segment): UserError {
  return new UserError(`--segment ${segmentLabel(segment)} needs a stack the segments share, and this run would start an embedded stack of its own.`, {
    hint: 'Start one with `fraudlab stack up` on this host (the segments then run here, each with --segment), or point every host at LocalStack (--target localstack --endpoint URL) or AWS (--target aws).',
  })
}
