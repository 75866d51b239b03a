/**
 * A one-line progress bar on stderr: redrawn in place on a terminal, a plain line every few
 * seconds otherwise (CI logs), never on stdout.
 */
export class ProgressBar {
  private readonly startedAt = Date.now()
  private lastDrawAt = Date.now()
  private readonly tty: boolean

  constructor(
    private readonly label: string,
    private total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY) && process.env.CI !== 'true'
  }

  /** For sources whose size is only estimated as they are read. */
  setTotal(total: number): void {
    this.total = Math.max(1, total)
  }

  update(done: number, extra = ''): void {
    const now = Date.now()
    if (done >= this.total || now - this.lastDrawAt < (this.tty ? 100 : 2_000)) return
    this.lastDrawAt = now
    this.stream.write(this.tty ? `\r${this.render(done, extra)}\u001b[K` : `${this.render(done, extra)}\n`)
  }

  finish(done: number, extra = ''): void {
    this.lastDrawAt = 0
    this.stream.write(this.tty ? `\r${this.render(done, extra)}\u001b[K\n` : `${this.render(done, extra)}\n`)
  }

  render(done: number, extra: string): string {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1
    const width = 24
    const filled = Math.round(fraction * width)
    const elapsedSec = Math.max(0.001, (Date.now() - this.startedAt) / 1000)
    const rate = done / elapsedSec
    const etaSec = rate > 0 ? (this.total - done) / rate : Infinity
    const bar = `[${'='.repeat(filled)}${filled < width ? '>' : ''}${' '.repeat(Math.max(0, width - filled - 1))}]`
    const eta = Number.isFinite(etaSec) ? `ETA ${etaSec < 1 ? '<1' : Math.round(etaSec)}s` : 'ETA —'
    return `${this.label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} · ${formatRate(rate)}/s · ${eta}${extra ? ` · ${extra}` : ''}`
  }
}

function formatRate(rate: number): string {
  return rate >= 1_000_000 ? `${(rate / 1_000_000).toFixed(1)}M` : rate >= 1_000 ? `${(rate / 1_000).toFixed(0)}k` : rate.toFixed(0)
}
