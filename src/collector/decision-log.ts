import { open, type FileHandle } from 'node:fs/promises'
import { promisify } from 'node:util'
import { gzip, gzipSync } from 'node:zlib'
import type { Decision } from '../schema/decision.js'

export const DECISIONS_FILE = 'decisions.ndjson.gz'

export interface DecisionLabel {
  isFraud: boolean
  archetype: string
  attackId: string
}

const CHUNK_BYTES = 256 * 1024
const MAX_COMPRESSING = 8
const GZIP = { level: 1 }
const gzipAsync = promisify(gzip)

/**
 * `decisions.ndjson.gz`: one line per transaction the run sent, with its label (joined back here,
 * never from the stream), score, verdict and every stage's timestamp (epoch ms), so any figure in
 * the report can be recomputed from it. Lines are built by hand (about 2 µs a decision on the main
 * thread: 2% of a core at 10,000 a second, `npm run bench:ledger`), copied at once into a 256 KB
 * buffer outside the V8 heap, and gzipped at level 1 chunk by chunk, in the thread pool, with memory
 * bounded (see flushChunk). Copying at once matters: lines kept as strings until their chunk filled
 * lived long enough to be promoted, and at 5,000 decisions a second made most of the CLI's old
 * generation, with a major GC (and its pause in the producer) every 3 s. A transaction's line is
 * its first decision: a later copy that turns it into a block (a replay after a scorer restart)
 * changes the summary's counts, not the log; `counts.verdictChanges` says how often that happened.
 */
export class DecisionLog {
  lines = 0
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES)
  private chunkBytes = 0
  private readonly quoted = new Map<string, string>()
  private readonly file: Promise<FileHandle>
  /** Writes in order: each chunk's compression may finish out of order, its write may not. */
  private writing: Promise<void> = Promise.resolve()
  private compressing = 0
  private error?: Error

  constructor(readonly path: string) {
    this.file = open(path, 'w')
    // A failed open or write (a full disk) must not crash the run: it is kept and reported by close().
    this.file.catch((error: Error) => (this.error ??= error))
  }

  /**
   * One decided transaction. Plain arguments rather than objects: this runs for every decision, and
   * the producer-side times are epoch milliseconds (NaN where the ledger no longer has them).
   */
  recordDecision(label: DecisionLabel, decision: Decision, scheduledAt: number, sentAt: number, ackedAt: number, observedAtMs: number): void {
    const t = decision.timestamps
    this.push(
      `{"id":"${decision.transactionId}",${this.labelJson(label)},"score":${decision.score},"verdict":"${decision.verdict}",` +
        (decision.shadow ? `"shadow":{"score":${decision.shadow.score},"verdict":"${decision.shadow.verdict}"},` : '') +
        `"t":{"scheduled":${ms(scheduledAt)},"sent":${ms(sentAt)},"acked":${ms(ackedAt)},"arrived":${ms(t?.arrivedAt ?? NaN)},` +
        `"fetched":${ms(t?.fetchedAt ?? NaN)},"scored":${ms(t?.scoredAt ?? NaN)},"acted":${ms(t?.actedAt ?? NaN)},"observed":${ms(observedAtMs)}}}\n`,
    )
  }

  /** A transaction Kinesis accepted that was never decided (it is also in the reconciliation). */
  recordUndecided(transactionId: string, label: DecisionLabel): void {
    this.push(`{"id":"${transactionId}",${this.labelJson(label)},"score":null,"verdict":null,"t":null}\n`)
  }

  async close(): Promise<void> {
    this.flushChunk()
    await this.writing
    await this.file.then((file) => file.close()).catch((error: Error) => (this.error ??= error))
    if (this.error) throw this.error
  }

  private push(line: string): void {
    if (this.error) return
    this.lines++
    // UTF-8 takes at most 3 bytes per UTF-16 unit; a line longer than a chunk gets its own buffer.
    if (this.chunkBytes + line.length * 3 > this.chunk.length) {
      this.flushChunk()
      if (line.length * 3 > this.chunk.length) this.chunk = Buffer.allocUnsafe(line.length * 3)
    }
    this.chunkBytes += this.chunk.write(line, this.chunkBytes, 'utf8')
  }

  /**
   * Each chunk becomes one gzip member (members back to back are one valid gzip file), compressed
   * in the thread pool; when MAX_COMPRESSING chunks are already waiting there, the next is
   * compressed here instead, so a burst costs main-thread time rather than unbounded memory.
   */
  private flushChunk(): void {
    if (!this.chunkBytes) return
    const raw = this.chunk.subarray(0, this.chunkBytes)
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES)
    this.chunkBytes = 0
    let compressed: Promise<Buffer>
    if (this.compressing >= MAX_COMPRESSING) compressed = Promise.resolve(gzipSync(raw, GZIP))
    else {
      this.compressing++
      compressed = gzipAsync(raw, GZIP).finally(() => this.compressing--)
    }
    this.writing = this.writing.then(async () => {
      const bytes = await compressed
      if (!this.error) await (await this.file).write(bytes)
    }).catch((error: Error) => void (this.error ??= error))
  }

  private labelJson(label: DecisionLabel): string {
    return `"isFraud":${label.isFraud},"archetype":${this.quote(label.archetype)},"attackId":${this.quote(label.attackId)}`
  }

  private quote(text: string): string {
    let quoted = this.quoted.get(text)
    if (quoted === undefined) {
      quoted = JSON.stringify(text)
      if (this.quoted.size < 10_000) this.quoted.set(text, quoted)
    }
    return quoted
  }
}

/**
 * Epoch milliseconds to two decimals, as `String(Math.round(v * 100) / 100)` prints them but 2.5×
 * faster: V8 prints integers far faster than fractions, and this runs eight times a decision.
 */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return 'null'
  const hundredths = Math.round(value * 100)
  const whole = Math.floor(hundredths / 100)
  const fraction = hundredths - whole * 100
  if (fraction === 0) return String(whole)
  if (fraction % 10 === 0) return `${whole}.${fraction / 10}`
  return `${whole}.${fraction < 10 ? '0' : ''}${fraction}`
}

const ms = formatMs
