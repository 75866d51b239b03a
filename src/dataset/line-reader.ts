import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip } from 'node:zlib'
import { parse as parseCsvSync } from 'csv-parse/sync'
import { UserError } from '../errors/user-error.js'

export interface ReadProgress {
  /** Bytes of the file (compressed, for .gz) read so far, and its size. */
  bytesRead: number
  fileBytes: number
}

export interface LineBatch {
  /** The lines, without their line ends. */
  lines: string[]
  /** 1-based line number of `lines[0]`. */
  firstLine: number
}

/**
 * Streams a text file (or its gzip) as batches of lines, one batch per chunk of the file, so that
 * memory stays bounded whatever the file's size.
 */
export async function* readLines(path: string, options: { signal?: AbortSignal; onProgress?: (progress: ReadProgress) => void; missingHint?: string } = {}): AsyncGenerator<LineBatch> {
  const fileBytes = await fileSize(path, options.missingHint)
  const gzip = await isGzip(path)
  const raw = createReadStream(path, { highWaterMark: 1 << 20 })
  let bytesRead = 0
  raw.on('data', (chunk) => (bytesRead += chunk.length))
  const input = gzip ? raw.pipe(createGunzip()) : raw
  const decoder = new StringDecoder('utf8')
  let carry = ''
  let nextLine = 1
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) return
      const text = carry + decoder.write(chunk)
      const lastNewline = text.lastIndexOf('\n')
      if (lastNewline === -1) {
        carry = text
        continue
      }
      carry = text.slice(lastNewline + 1)
      const lines = text.slice(0, lastNewline).split('\n')
      for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1)
      options.onProgress?.({ bytesRead, fileBytes })
      yield { lines, firstLine: nextLine }
      nextLine += lines.length
    }
    const rest = (carry + decoder.end()).replace(/\r$/, '')
    if (rest !== '') yield { lines: [rest], firstLine: nextLine }
    options.onProgress?.({ bytesRead: fileBytes, fileBytes })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const lastGoodLine = nextLine - 1
    if (code === 'Z_BUF_ERROR') {
      throw new UserError(`${path} is truncated: the gzip data ends early, after line ${lastGoodLine}${lastGoodLine > 0 ? ' (the last whole line read)' : ''}.`, {
        hint: 'The download or copy was cut short: fetch the file again (gzip -t FILE checks it).',
      })
    }
    if (code === 'Z_DATA_ERROR') {
      throw new UserError(`${path} is not a valid gzip file: ${(error as Error).message}, after line ${lastGoodLine}.`, { hint: 'Check the download (gzip -t FILE), or give the uncompressed file.' })
    }
    throw error
  } finally {
    raw.destroy()
  }
}

/** Splits one CSV line; lines without quotes directly (fast), others by csv-parse (RFC 4180). */
export function splitCsvLine(text: string): string[] {
  if (!text.includes('"')) return text.split(',')
  const records = parseCsvSync(text, { relax_column_count: true, relax_quotes: true }) as string[][]
  return records[0] ?? []
}

async function fileSize(path: string, missingHint = 'Check the path.'): Promise<number> {
  try {
    const info = await stat(path)
    if (info.isDirectory()) throw new UserError(`${path} is a folder, not a file.`, { hint: missingHint })
    return info.size
  } catch (error) {
    if (error instanceof UserError) throw error
    throw new UserError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, { hint: missingHint })
  }
}

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0)
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b
  } finally {
    await handle.close()
  }
}
