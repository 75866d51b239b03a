import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, mkdir, open, rm, stat } from 'node:fs/promises'
import { dirname, join, parse, resolve } from 'node:path'
import { UserError } from '../errors/user-error.js'

/** Which flag or setting names the path, and how to fix it: said in every error. */
export interface PathOwner {
  /** As the user knows it: "--reports-dir", "the report folder". */
  what: string
  hint: string
}

/**
 * Creates a folder and its missing parents, one level at a time. Node's own recursive mkdir never
 * returns on some pseudo file systems (`mkdir -p /proc/x` loops on ENOENT), so the walk here is
 * bounded by the path's depth and every refusal is a clear error.
 */
export async function makeDirectory(folder: string, owner: PathOwner, path = folder): Promise<void> {
  const absolute = resolve(folder)
  const missing: string[] = []
  let existing = absolute
  for (;;) {
    const found = await kindOf(existing).catch((error: NodeJS.ErrnoException) => {
      throw new UserError(`${owner.what} ${path}: cannot look at ${existing} (${error.code ?? error.message}).`, { hint: owner.hint })
    })
    if (found === 'directory') break
    if (found === 'other') throw new UserError(`${owner.what} ${path}: ${existing} is a file, not a folder.`, { hint: owner.hint })
    if (existing === parse(existing).root) break
    missing.unshift(existing)
    existing = dirname(existing)
  }
  for (const level of missing) {
    try {
      await mkdir(level)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST' && (await kindOf(level)) === 'directory') continue
      throw new UserError(`${owner.what} ${path}: cannot create ${level} (${code ?? (error as Error).message}).`, { hint: owner.hint })
    }
  }
}

/** A folder that exists (created if missing) and takes a new file; checked by writing one and removing it. */
export async function checkWritableDirectory(path: string, owner: PathOwner): Promise<void> {
  await makeDirectory(path, owner)
  // Unique per check: two runs of one process (the segments of a split run in a test) may check one folder at once.
  const probe = join(resolve(path), `.fraudlab-write-check-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await (await open(probe, 'wx')).close()
  } catch (error) {
    throw new UserError(`${owner.what} ${path} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, { hint: owner.hint })
  } finally {
    await rm(probe, { force: true }).catch(() => undefined)
  }
}

/** A file that can be written (its folder created if missing); a file created by the check is removed again. */
export async function checkWritableFile(path: string, owner: PathOwner): Promise<void> {
  await makeDirectory(dirname(resolve(path)), owner, path)
  const kind = await kindOf(path).catch(() => 'missing' as const)
  if (kind === 'directory') throw new UserError(`${owner.what} ${path} is a folder; it needs a file name.`, { hint: owner.hint })
  try {
    if (kind === 'missing') {
      await (await open(path, 'wx')).close()
      await rm(path, { force: true })
    } else await access(path, constants.W_OK)
  } catch (error) {
    throw new UserError(`${owner.what} ${path} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, { hint: owner.hint })
  }
}

async function kindOf(path: string): Promise<'directory' | 'other' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'other'
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // ENOTDIR: a parent is a file; the walk up finds it and says so.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing'
    throw error
  }
}
