import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { UserError } from '../errors/user-error.js'
import { decodeHistograms, HISTOGRAMS_FILE, type RunHistograms } from './histogram-file.js'
import { RunSummarySchema, SUMMARY_SCHEMA_VERSION, type RunSummary } from './summary-schema.js'

export interface StoredReport {
  folder: string
  summary: RunSummary
}

/**
 * The report folder a user named: a folder, a summary.json inside one, a run id under
 * `reportsDir`, or `latest` (the newest run there; run ids sort by time).
 */
export function resolveReportFolder(name: string, reportsDir: string): string {
  if (name === 'latest') {
    const runs = existsSync(reportsDir) ? readdirSync(reportsDir).filter((entry) => existsSync(join(reportsDir, entry, 'summary.json'))).sort() : []
    if (!runs.length) throw new UserError(`No reports in ${resolve(reportsDir)}.`, { hint: 'Run `fraudlab simulate` first, or point --reports-dir at the folder that holds the reports.' })
    return resolve(reportsDir, runs[runs.length - 1])
  }
  const candidates = [name, join(reportsDir, name)]
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue
    const folder = statSync(candidate).isDirectory() ? candidate : basename(candidate) === 'summary.json' ? dirname(candidate) : undefined
    if (folder && existsSync(join(folder, 'summary.json'))) return resolve(folder)
  }
  throw new UserError(`No report at "${name}" (looked for ${candidates.map((c) => join(c, 'summary.json')).join(' and ')}).`, {
    hint: 'Name a report folder (reports/<run-id>), its summary.json, a run id, or `latest`.',
  })
}

/** Reads and validates `summary.json`; a report written by another schema version is refused by name. */
export function readReport(folder: string): StoredReport {
  const path = join(folder, 'summary.json')
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new UserError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, { hint: 'Is this a fraudlab report folder?' })
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion
  if (version !== SUMMARY_SCHEMA_VERSION) {
    throw new UserError(`${path} has summary schema version ${JSON.stringify(version ?? null)}; this fraudlab reads version ${SUMMARY_SCHEMA_VERSION}, so the two are not comparable.`, {
      hint: 'Re-run the baseline with this fraudlab version, or use the fraudlab version that wrote it.',
    })
  }
  const parsed = RunSummarySchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new UserError(`${path}: ${issue.path.join('.') || 'summary'}: ${issue.message}.`, { hint: 'The file does not match reports/summary.schema.json; was it edited by hand?' })
  }
  return { folder, summary: parsed.data }
}

export function readHistograms(folder: string): RunHistograms {
  const path = join(folder, HISTOGRAMS_FILE)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UserError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, { hint: 'Merging needs each run’s histograms.json (written by every run since summary schema version 2).' })
  }
  try {
    const histograms = decodeHistograms(text, path)
    if (histograms.schemaVersion !== SUMMARY_SCHEMA_VERSION) {
      throw new Error(`${path} has schema version ${histograms.schemaVersion}; this fraudlab reads version ${SUMMARY_SCHEMA_VERSION}`)
    }
    return histograms
  } catch (error) {
    throw new UserError(`${(error as Error).message}.`, { hint: 'Merge reports written by the same fraudlab version.' })
  }
}
