import { escapeMarkup } from './format.js'
import type { RunSummary } from './run-summary.js'

const escape = escapeMarkup

/**
 * JUnit XML for CI: one test case per threshold, plus one for the reconciliation (nothing lost, the
 * effects agree), so a CI system shows what failed by name.
 */
export function renderJunit(summary: RunSummary): string {
  const cases: string[] = []
  const failures = { count: 0 }
  const testCase = (name: string, ok: boolean, message: string) => {
    if (!ok) failures.count++
    cases.push(`    <testcase classname="fraudlab.${escape(summary.command)}" name="${escape(name)}">${ok ? '' : `\n      <failure message="${escape(message)}"/>\n    `}</testcase>`)
  }
  const r = summary.reconciliation
  testCase('reconciliation', r.ok && summary.status !== 'failed', summary.status === 'failed' ? `run failed: ${summary.error ?? ''}` : `lost ${r.missingCount}; ${r.notes.join('; ')}`)
  for (const t of summary.thresholds) testCase(`threshold ${t.expression}`, t.ok, t.actual === null ? 'the run has no value for this metric' : `actual ${t.actual}`)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="fraudlab" tests="${cases.length}" failures="${failures.count}">`,
    `  <testsuite name="${escape(`fraudlab ${summary.command} ${summary.runId}`)}" tests="${cases.length}" failures="${failures.count}" timestamp="${summary.startedAt}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}
