import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { DECISIONS_FILE } from '../collector/decision-log.js'
import { encodeHistograms, HISTOGRAMS_FILE, type RunHistograms } from './histogram-file.js'
import { renderHtmlReport } from './html/html-report.js'
import { renderJunit } from './junit.js'
import { renderMarkdown } from './markdown.js'
import type { RunSummary } from './summary-schema.js'
import { makeDirectory } from '../util/writable-path.js'

/** What a report's renderers read: the summary, and the run's histograms when it has its own. */
export interface ReportContent {
  summary: RunSummary
  /** Absent for a k6 report: k6 exports percentiles, not histograms. */
  histograms?: RunHistograms
}

/** One file of `reports/<run-id>/`: its kind (the key in the summary's `files`), its name, and its renderer. */
export interface ReportFile {
  kind: string
  file: string
  /** Undefined when the content has nothing for this file. */
  render(content: ReportContent): string | undefined
}

/**
 * The files rendered from a finished run, in one list: writeRunReport writes them and every
 * command's summary names them from here. A new output is one entry.
 */
export const RENDERED_FILES: readonly ReportFile[] = [
  { kind: 'summary', file: 'summary.json', render: ({ summary }) => serializeSummary(summary) },
  { kind: 'html', file: 'report.html', render: ({ summary }) => renderHtmlReport(summary) },
  { kind: 'junit', file: 'junit.xml', render: ({ summary }) => renderJunit(summary) },
  { kind: 'markdown', file: 'summary.md', render: ({ summary }) => renderMarkdown(summary) },
  { kind: 'histograms', file: HISTOGRAMS_FILE, render: ({ histograms }) => (histograms ? encodeHistograms(histograms) : undefined) },
]

/** The files of a pipeline run's report, by kind (also listed in its summary); the decision log is written during the run. */
export const REPORT_FILES = {
  ...(Object.fromEntries(RENDERED_FILES.map(({ kind, file }) => [kind, file])) as Record<'summary' | 'html' | 'junit' | 'markdown' | 'histograms', string>),
  decisions: DECISIONS_FILE,
}

/** The rendered files a report without histograms (k6) has, by kind. */
export function renderedFilesWithout(...kinds: string[]): Record<string, string> {
  return Object.fromEntries(RENDERED_FILES.filter(({ kind }) => !kinds.includes(kind)).map(({ kind, file }) => [kind, file]))
}

export function reportFolder(reportsDir: string, runId: string): string {
  return resolve(reportsDir, runId)
}

/**
 * Writes `reports/<run-id>/`: every file of RENDERED_FILES that the content has. The decision log
 * is written there during the run. Returns the folder.
 */
export async function writeRunReport(reportsDir: string, summary: RunSummary, histograms: RunHistograms | undefined): Promise<string> {
  const folder = reportFolder(reportsDir, summary.runId)
  await makeDirectory(folder, { what: 'The report folder', hint: 'Choose a folder you can write to with --reports-dir.' })
  const content: ReportContent = { summary, histograms }
  for (const { file, render } of RENDERED_FILES) {
    const text = render(content)
    if (text !== undefined) await writeFile(join(folder, file), text)
  }
  return folder
}

export function serializeSummary(summary: RunSummary): string {
  return JSON.stringify(summary, jsonReplacer, 2) + '\n'
}

/** JSON has no NaN: a value that could not be computed is written as null. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value
}
