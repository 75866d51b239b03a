import { escapeMarkup } from './format.js'
import type { RunSummary } from './run-summary.js'

const escape = escapeMarkup

/** One JUnit test case; a failure message makes it fail. */
export interface JunitCase {
  classname: string
  name: string
  failure?: string
}

/** A JUnit XML document of one suite, as CI systems read it. */
export function junitDocument(suite: { name: string; timestamp: string; cases: JunitCase[] }, suitesName = 'fraudlab'): string {
  const failures = suite.cases.filter((c) => c.failure !== undefined).length
  const cases = suite.cases.map(({ classname, name, failure }) => {
    const opening = `    <testcase classname="${escape(classname)}" name="${escape(name)}"`
    return failure === undefined ? `${opening}/>` : `${opening}>\n      <failure message="${escape(failure)}"/>\n    </testcase>`
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escape(suitesName)}" tests="${cases.length}" failures="${failures}">`,
    `  <testsuite name="${escape(suite.name)}" tests="${cases.length}" failures="${failures}" timestamp="${suite.timestamp}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

/**
 * JUnit XML for CI: one test case per threshold, plus one for the reconciliation (nothing lost, the
 * effects agree), so a CI system shows what failed by name.
 */
export function renderJunit(summary: RunSummary): string {
  const classname = `fraudlab.${summary.command}`
  const r = summary.reconciliation
  const reconciled = r.ok && summary.status !== 'failed'
  const cases: JunitCase[] = [
    { classname, name: 'reconciliation', failure: reconciled ? undefined : summary.status === 'failed' ? `run failed: ${summary.error ?? ''}` : `lost ${r.missingCount}; ${r.notes.join('; ')}` },
    ...summary.thresholds.map((t) => ({ classname, name: `threshold ${t.expression}`, failure: t.ok ? undefined : t.actual === null ? 'the run has no value for this metric' : `actual ${t.actual}` })),
  ]
  return junitDocument({ name: `fraudlab ${summary.command} ${summary.runId}`, timestamp: summary.startedAt, cases })
}
