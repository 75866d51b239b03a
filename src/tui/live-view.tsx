import { Box, Text } from 'ink'
import type { LiveSeries } from '../collector/live-window.js'
import type { LiveStatus } from '../run/live-status.js'
import { formatRatio } from '../report/format.js'
import { fit, formatCount, formatDuration, formatMs, progressBar, sparkline } from './format.js'

/** At or above this width the panels sit in two columns. */
export const WIDE_COLUMNS = 110

const STAGE_LABELS: Array<[LiveSeries, string]> = [
  ['decision', 'decision'],
  ['endToEnd', 'end to end'],
  ['generatorLag', 'generator lag'],
  ['put', 'put'],
  ['propagation', 'propagation'],
  ['scoring', 'scoring'],
  ['actions', 'actions'],
  ['collection', 'collection'],
]

export interface LiveViewProps {
  status: LiveStatus | undefined
  columns: number
  rows: number
  showHelp: boolean
}

/**
 * The live view of a run: a pure function of the latest status snapshot and the terminal's size.
 * Wide terminals get two columns; narrow ones one, with per-stage rows and the alert feed trimmed
 * to the height.
 */
export function LiveView({ status, columns, rows, showHelp }: LiveViewProps) {
  const width = Math.max(40, columns)
  if (!status) return <Text dimColor>fraudlab: starting the stack and the scorer…</Text>
  if (showHelp) return <Help width={width} />
  const wide = width >= WIDE_COLUMNS
  const columnWidth = wide ? Math.floor((width - 1) / 2) : width
  // Lines each panel takes: header 3 and footer 1; throughput 4, lag 3, latency 2 + stages;
  // decisions 5 + archetypes; alerts 1 + rows (or none); errors 1 + 1 + last error + messages.
  const archetypeRows = Math.min(status.decisions.byArchetype.length, wide ? 8 : 4)
  const messageRows = Math.min(status.messages.length, wide ? 2 : 1)
  const errorsHeight = 2 + (status.problems.lastError ? 1 : 0) + messageRows
  const decisionsHeight = 5 + archetypeRows
  const budget = Math.max(12, rows) - 4
  let stageRows = STAGE_LABELS.length
  let alertRows: number
  if (wide) {
    alertRows = Math.min(8, budget - decisionsHeight - errorsHeight - 1)
  } else {
    const spare = budget - 7 - 2 - decisionsHeight - errorsHeight
    stageRows = Math.max(1, Math.min(STAGE_LABELS.length, spare))
    alertRows = Math.min(8, spare - stageRows - 1)
  }
  alertRows = Math.max(0, alertRows)
  const left = (
    <Box flexDirection="column" width={columnWidth}>
      <Throughput status={status} width={columnWidth} />
      <Lag status={status} width={columnWidth} />
      <Latency status={status} width={columnWidth} stageRows={stageRows} />
    </Box>
  )
  const right = (
    <Box flexDirection="column" width={columnWidth}>
      <Decisions status={status} width={columnWidth} archetypeRows={archetypeRows} />
      <Alerts status={status} width={columnWidth} rows={alertRows} />
      <Problems status={status} width={columnWidth} messageRows={messageRows} />
    </Box>
  )
  return (
    <Box flexDirection="column" width={width}>
      <Header status={status} width={width} />
      {wide ? (
        <Box flexDirection="row">
          {left}
          <Box width={1} />
          {right}
        </Box>
      ) : (
        <Box flexDirection="column">
          {left}
          {right}
        </Box>
      )}
      <Text dimColor>{fit(`q stop (drain, reconcile, report) · p ${status.paused ? 'resume' : 'pause'} · ? help`, width)}</Text>
    </Box>
  )
}

function Header({ status, width }: { status: LiveStatus; width: number }) {
  const finite = Number.isFinite(status.plannedMs)
  const fraction = finite ? status.elapsedMs / status.plannedMs : status.emitted / Math.max(1, status.expected)
  const remaining = finite ? status.plannedMs - status.elapsedMs : NaN
  const state = status.stopping ? 'stopping' : status.paused ? 'PAUSED' : status.phase
  const line1 = `fraudlab ${status.command} · ${status.title} · ${status.target} · seed ${status.seed ?? '—'} · run ${status.runId}`
  const times = `${formatDuration(status.elapsedMs)} elapsed${finite ? ` · ${formatDuration(Math.max(0, remaining))} left` : ''} · ${status.emitted.toLocaleString('en-US')}/${status.expected.toLocaleString('en-US')} sent`
  const barWidth = Math.max(10, Math.min(40, width - times.length - state.length - 6))
  return (
    <Box flexDirection="column">
      <Text bold>{fit(line1, width)}</Text>
      <Text>
        <Text color={status.paused || status.stopping ? 'yellow' : 'green'}>{state}</Text> <Text color="cyan">{progressBar(fraction, barWidth)}</Text> {fit(times, width - barWidth - state.length - 2)}
      </Text>
      <Text> </Text>
    </Box>
  )
}

function Title({ children }: { children: string }) {
  return (
    <Text bold underline>
      {children}
    </Text>
  )
}

function Throughput({ status, width }: { status: LiveStatus; width: number }) {
  const t = status.throughput
  const last = (values: number[]) => (values.length ? values[values.length - 1] : NaN)
  const max = Math.max(t.offeredTps, ...t.offeredHistory, ...t.achievedHistory)
  const sparkWidth = Math.max(8, width - 26)
  return (
    <Box flexDirection="column">
      <Title>Throughput /s</Title>
      <Text>
        {'offered  '.padEnd(9)}
        {formatCount(last(t.offeredHistory)).padStart(7)} <Text color="blue">{sparkline(t.offeredHistory, sparkWidth, max)}</Text>
      </Text>
      <Text>
        {'achieved '.padEnd(9)}
        {formatCount(last(t.achievedHistory)).padStart(7)} <Text color="green">{sparkline(t.achievedHistory, sparkWidth, max)}</Text>
      </Text>
      <Text>
        {'decided  '.padEnd(9)}
        {formatCount(last(t.decidedHistory)).padStart(7)} <Text color="yellow">{sparkline(t.decidedHistory, sparkWidth, max)}</Text>
      </Text>
    </Box>
  )
}

function Lag({ status, width }: { status: LiveStatus; width: number }) {
  const shards = Object.entries(status.lag.millisBehindLatest).sort(([a], [b]) => a.localeCompare(b))
  const perShard = shards.map(([shard, ms]) => `#${Number(shard.split('-').pop())} ${formatMs(ms)}`).join('  ')
  return (
    <Box flexDirection="column">
      <Title>Stream lag</Title>
      <Text>{fit(`pending ${formatCount(status.lag.pending)} · behind latest ${perShard || '—'}`, width)}</Text>
      <Text> </Text>
    </Box>
  )
}

function Latency({ status, width, stageRows }: { status: LiveStatus; width: number; stageRows: number }) {
  const recent = status.latency.recent
  const overall = status.latency.overall
  const cell = (value: number) => formatMs(value).padStart(8)
  const showOverall = width >= 70
  return (
    <Box flexDirection="column">
      <Title>{`Latency (last ${Math.round(status.latency.windowMs / 1000)}–${Math.round((2 * status.latency.windowMs) / 1000)}s${showOverall ? ' | overall' : ''})`}</Title>
      <Text dimColor>{`${''.padEnd(14)}${['p50', 'p95', 'p99'].map((p) => p.padStart(8)).join('')}${showOverall ? ` |${['p50', 'p99'].map((p) => p.padStart(8)).join('')}` : ''}`}</Text>
      {STAGE_LABELS.slice(0, stageRows).map(([series, label]) => (
        <Text key={series} bold={series === 'decision'}>
          {label.padEnd(14)}
          {cell(recent[series].p50)}
          {cell(recent[series].p95)}
          <Text color={series === 'decision' ? 'magenta' : undefined}>{cell(recent[series].p99)}</Text>
          {showOverall ? ` |${cell(overall[series].p50)}${cell(overall[series].p99)}` : ''}
        </Text>
      ))}
    </Box>
  )
}

function Decisions({ status, width, archetypeRows }: { status: LiveStatus; width: number; archetypeRows: number }) {
  const d = status.decisions
  return (
    <Box flexDirection="column">
      <Title>Decisions</Title>
      <Text>{fit(`decided ${formatCount(d.decided)} · blocked ${formatCount(d.blocked)} · reviewed ${formatCount(d.reviewed)}`, width)}</Text>
      <Text>
        {'TP '}
        <Text color="green">{formatCount(d.truePositives)}</Text>
        {'  FP '}
        <Text color="red">{formatCount(d.falsePositives)}</Text>
        {'  FN '}
        <Text color="red">{formatCount(d.falseNegatives)}</Text>
        {'  TN '}
        {formatCount(d.trueNegatives)}
      </Text>
      <Text>
        {'precision '}
        <Text bold>{formatRatio(d.precision)}</Text>
        {'  recall '}
        <Text bold>{formatRatio(d.recall)}</Text>
      </Text>
      {d.byArchetype.slice(0, archetypeRows).map((a) => (
        <Text key={a.name}>{fit(`  ${a.name.padEnd(20)} recall ${formatRatio(a.recall)}  ${a.blocked}/${a.decided}`, width)}</Text>
      ))}
      <Text> </Text>
    </Box>
  )
}

function Alerts({ status, width, rows }: { status: LiveStatus; width: number; rows: number }) {
  if (rows <= 0) return null
  const alerts = status.alerts.slice(0, rows)
  return (
    <Box flexDirection="column">
      <Title>Latest alerts</Title>
      {alerts.length === 0 ? <Text dimColor>none yet</Text> : null}
      {alerts.map((a) => (
        <Text key={a.transactionId} color={a.isFraud ? undefined : 'red'}>
          {fit(`${a.isFraud ? '✓' : '✗'} ${a.transactionId.slice(-8)} ${a.score.toFixed(2)} ${a.isFraud ? a.archetype : 'genuine'} · ${a.reasons.join(', ')}`, width)}
        </Text>
      ))}
    </Box>
  )
}

function Problems({ status, width, messageRows }: { status: LiveStatus; width: number; messageRows: number }) {
  const p = status.problems
  const bad = p.failedToProduce + p.dropped + p.scorerRestarts + p.invalidRecords > 0
  return (
    <Box flexDirection="column">
      <Title>Errors</Title>
      <Text color={bad ? 'red' : undefined}>
        {fit(`throttled ${p.throttled} · retried ${p.retried} · dropped ${p.dropped} · late ${p.late} · failed ${p.failedToProduce} · scorer restarts ${p.scorerRestarts} · invalid ${p.invalidRecords}`, width)}
      </Text>
      {p.lastError ? <Text color="red">{fit(p.lastError, width)}</Text> : null}
      {status.messages.slice(-messageRows).map((message, i) => (
        <Text key={i} dimColor>
          {fit(message, width)}
        </Text>
      ))}
    </Box>
  )
}

function Help({ width }: { width: number }) {
  const lines = [
    'fraudlab live view',
    '',
    'q or Ctrl-C   stop the load, drain, reconcile and write the report (again: skip the drain)',
    'p             pause or resume the load (the schedule shifts; nothing becomes late)',
    '?             show or hide this help',
    '',
    'Throughput: per second, offered by the schedule, acknowledged by Kinesis, decided.',
    'Latency: from each transaction’s scheduled time; recent = the last one to two windows.',
    'Alerts: ✓ a true fraud blocked, ✗ a genuine transaction blocked.',
    '--no-ui turns this view off; so do --json and CI=true.',
  ]
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={Math.min(width, 100)}>
      {lines.map((line, i) => (
        <Text key={i} bold={i === 0}>
          {fit(line, Math.min(width, 100) - 4)}
        </Text>
      ))}
    </Box>
  )
}
