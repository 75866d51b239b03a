import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { renderJunit } from './junit.js'
import { renderMarkdown } from './markdown.js'
import type { RunSummary } from './run-summary.js'

/** Writes `reports/<run-id>/`: summary.json, junit.xml (one test case per threshold) and summary.md; returns the folder. */
export async function writeRunReport(reportsDir: string, summary: RunSummary): Promise<string> {
  const folder = resolve(reportsDir, summary.runId)
  await mkdir(folder, { recursive: true })
  await writeFile(join(folder, 'summary.json'), JSON.stringify(summary, jsonReplacer, 2) + '\n')
  await writeFile(join(folder, 'junit.xml'), renderJunit(summary))
  await writeFile(join(folder, 'summary.md'), renderMarkdown(summary))
  return folder
}

/** JSON has no NaN: a value that could not be computed is written as null. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value
}
