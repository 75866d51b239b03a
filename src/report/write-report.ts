import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { DECISIONS_FILE } from '../collector/decision-log.js'
import { encodeHistograms, HISTOGRAMS_FILE, type RunHistograms } from './histogram-file.js'
import { renderHtmlReport } from './html/html-report.js'
import { renderJunit } from './junit.js'
import { renderMarkdown } from './markdown.js'
import type { RunSummary } from './summary-schema.js'

/** The files of `reports/<run-id>/`, by kind (also listed in the summary). */
export const REPORT_FILES = {
  summary: 'summary.json',
  html: 'report.html',
  junit: 'junit.xml',
  markdown: 'summary.md',
  decisions: DECISIONS_FILE,
  histograms: HISTOGRAMS_FILE,
} as const

export function reportFolder(reportsDir: string, runId: string): string {
  return resolve(reportsDir, runId)
}

/**
 * Writes `reports/<run-id>/`: summary.json, histograms.json (encoded HDR histograms), junit.xml
 * (one test case per threshold), summary.md and report.html; the decision log is written there
 * during the run. Returns the folder.
 */
export async function writeRunReport(reportsDir: string, summary: RunSummary, histograms: RunHistograms | undefined): Promise<string> {
  const folder = reportFolder(reportsDir, summary.runId)
  await mkdir(folder, { recursive: true })
  await writeFile(join(folder, REPORT_FILES.summary), serializeSummary(summary))
  // A k6 report has no histograms of its own (k6 exports percentiles only).
  if (histograms) await writeFile(join(folder, REPORT_FILES.histograms), encodeHistograms(histograms))
  await writeFile(join(folder, REPORT_FILES.junit), renderJunit(summary))
  await writeFile(join(folder, REPORT_FILES.markdown), renderMarkdown(summary))
  await writeFile(join(folder, REPORT_FILES.html), renderHtmlReport(summary))
  return folder
}

export function serializeSummary(summary: RunSummary): string {
  return JSON.stringify(summary, jsonReplacer, 2) + '\n'
}

/** JSON has no NaN: a value that could not be computed is written as null. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value
}
