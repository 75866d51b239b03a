/** Bytes per chunk of a shard's log: a record larger than this gets a chunk of its own. */
const CHUNK_BYTES = 1 << 18
const COMMA = 0x2c

/**
 * One shard's records, each kept as the JSON it takes in a GetRecords answer, appended into large
 * buffers. The heap then holds a few chunks rather than a string per record: a stored record is
 * not an object the garbage collector copies out of the young generation and marks ever after,
 * which at thousands of records a second made the emulator pause for milliseconds at a time.
 * Records are numbered by a counter; `first` is the oldest held, `next` the one to come.
 */
export class RecordLog {
  first = 1
  next = 1
  heldBytes = 0
  private readonly chunks: Buffer[] = []
  /** The chunk number of chunks[0]; records name their chunk by number. */
  private firstChunk = 0
  private fill = CHUNK_BYTES
  // One entry per held record, oldest first from `head`: numbers only, no object per record.
  private chunkOf: number[] = []
  private offsetOf: number[] = []
  private lengthOf: number[] = []
  private arrivalOf: number[] = []
  private head = 0

  /** Counters start at 1 (`first`), so that "after counter 0" names the start of an empty shard. */
  append(json: string, arrivalMs: number): number {
    const length = Buffer.byteLength(json)
    // Each record is followed by a comma, so that a run of records is one slice of a chunk.
    if (this.fill + length + 1 > CHUNK_BYTES) {
      this.chunks.push(Buffer.allocUnsafe(Math.max(CHUNK_BYTES, length + 1)))
      this.fill = 0
    }
    const chunk = this.chunks.length - 1
    this.chunks[chunk].write(json, this.fill)
    this.chunks[chunk][this.fill + length] = COMMA
    this.chunkOf.push(this.firstChunk + chunk)
    this.offsetOf.push(this.fill)
    this.lengthOf.push(length)
    this.arrivalOf.push(arrivalMs)
    this.fill += length + 1
    this.heldBytes += length
    return this.next++
  }

  /** The memory its chunks take: the records held, plus at most a chunk's worth at each end. */
  get allocatedBytes(): number {
    return this.chunks.reduce((sum, chunk) => sum + chunk.length, 0)
  }

  arrival(counter: number): number {
    return this.arrivalOf[counter - this.first + this.head]
  }

  bytes(counter: number): number {
    return this.lengthOf[counter - this.first + this.head]
  }

  /** Drops the oldest record; a chunk goes once none of its records is held. */
  dropOldest(): void {
    if (this.first === this.next) return
    this.heldBytes -= this.lengthOf[this.head]
    this.head++
    this.first++
    const oldestChunk = this.first === this.next ? this.firstChunk + this.chunks.length - 1 : this.chunkOf[this.head]
    while (this.firstChunk < oldestChunk) {
      this.chunks.shift()
      this.firstChunk++
    }
    // Compact once the dropped prefix is as long as what is held: amortised O(1) per record.
    if (this.head > 1_024 && this.head * 2 >= this.chunkOf.length) {
      this.chunkOf = this.chunkOf.slice(this.head)
      this.offsetOf = this.offsetOf.slice(this.head)
      this.lengthOf = this.lengthOf.slice(this.head)
      this.arrivalOf = this.arrivalOf.slice(this.head)
      this.head = 0
    }
  }

  /** The JSON of records `from` to `to` (excluded), comma-separated, as a GetRecords answer lists them. */
  json(from: number, to: number): string {
    const parts: string[] = []
    let index = from - this.first + this.head
    const end = to - this.first + this.head
    while (index < end) {
      // Records of one chunk are contiguous: one slice each run of them, a comma between.
      const chunk = this.chunkOf[index]
      let last = index
      while (last + 1 < end && this.chunkOf[last + 1] === chunk) last++
      parts.push(this.chunks[chunk - this.firstChunk].toString('utf8', this.offsetOf[index], this.offsetOf[last] + this.lengthOf[last]))
      index = last + 1
    }
    return parts.join(',')
  }
}
