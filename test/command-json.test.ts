import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, it } from 'node:test'
import { REPO_ROOT, runCli, tempDir } from './helpers.js'
import { syntheticRun, writeSyntheticReport } from './report-fixtures.js'

const COMMANDS_DIR = join(REPO_ROOT, 'dist', 'src', 'commands')
const SAMPLE = join(REPO_ROOT, 'datasets', 'paysim-real-sample.csv')

interface CommandClass {
  enableJsonFlag?: boolean
  flags?: Record<string, unknown>
  run(argv: string[], root: string): Promise<unknown>
}

function commandFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? commandFiles(join(dir, entry.name)) : entry.name.endsWith('.js') ? [join(dir, entry.name)] : [],
  )
}

async function loadCommands(): Promise<Map<string, CommandClass>> {
  const commands = new Map<string, CommandClass>()
  for (const file of commandFiles(COMMANDS_DIR)) {
    const id = relative(COMMANDS_DIR, file).replace(/\.js$/, '').replace(/\/index$/, '').replaceAll('/', ' ')
    commands.set(id, (await import(pathToFileURL(file).href)).default as CommandClass)
  }
  return commands
}

/** Runs a command in this process as oclif does; returns what run() returned and what reached stdout. */
async function runInProcess(command: CommandClass, argv: string[]): Promise<{ result: unknown; stdout: string }> {
  const chunks: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  // The command writes text; the test runner's own reports to its parent are binary and pass through.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (write as (...args: unknown[]) => boolean)(chunk, ...rest)
    chunks.push(chunk)
    return true
  }) as typeof process.stdout.write
  const exitCode = process.exitCode
  try {
    const result = await command.run(argv, REPO_ROOT)
    return { result, stdout: chunks.join('') }
  } finally {
    process.stdout.write = write
    process.exitCode = exitCode
  }
}

/** --json prints exactly the object run() returned, and nothing else on stdout. */
async function returnedJson(command: CommandClass, argv: string[]): Promise<Record<string, unknown> & unknown[]> {
  const { result, stdout } = await runInProcess(command, [...argv, '--json'])
  assert.ok(result !== undefined, 'run() returns its result')
  assert.deepEqual(JSON.parse(stdout), JSON.parse(JSON.stringify(result)), 'stdout is the returned object')
  return result as Record<string, unknown> & unknown[]
}

describe('commands return data; --json prints it', () => {
  it('every --json comes from oclif’s enableJsonFlag, never from a hand-written flag', async () => {
    const commands = await loadCommands()
    assert.ok(commands.size >= 18, `found ${commands.size} commands`)
    const handWritten = [...commands].filter(([, command]) => command.flags && 'json' in command.flags).map(([id]) => id)
    assert.deepEqual(handWritten, [])
    const withJson = [...commands].filter(([, command]) => command.enableJsonFlag).map(([id]) => id).sort()
    assert.deepEqual(withJson, [
      'deploy render',
      'generate',
      'generate paysim',
      'k6 run',
      'replay paysim',
      'report compare',
      'report merge',
      'scenarios audit',
      'scenarios list',
      'scenarios show',
      'scorer',
      'scorer verify',
      'simulate',
      'stack down',
      'stack status',
      'stack up',
      'train',
    ])
  })

  it('scenarios list and show return the scenarios', async () => {
    const commands = await loadCommands()
    const list = await returnedJson(commands.get('scenarios list')!, [])
    const cardTesting = list.find((row) => (row as { name: string }).name === 'card-testing') as { archetypes: string[] }
    assert.deepEqual(cardTesting.archetypes, ['card-testing'])
    const shown = await returnedJson(commands.get('scenarios show')!, ['mixed'])
    assert.equal(shown.name, 'mixed')
    assert.ok((shown.fraud as unknown[]).length > 1)
  })

  it('simulate --dry-run returns the plan it would run', async () => {
    const commands = await loadCommands()
    const plan = await returnedJson(commands.get('simulate')!, ['--dry-run', '--scenario', 'card-testing', '--tps', '100', '--duration', '2s', '--seed', '3'])
    assert.equal(plan.expectedTransactions, 200)
    assert.equal(plan.meanRatePerSec, 100)
    assert.equal(plan.seed, 3)
  })

  it('replay paysim --dry-run checks the file and returns the plan; its flags are checked in one place', async () => {
    const commands = await loadCommands()
    const plan = await returnedJson(commands.get('replay paysim')!, ['--dry-run', '--file', SAMPLE, '--tps', '100', '--types', 'TRANSFER', '--on-bad-row', 'skip'])
    assert.equal(plan.dataset, 'paysim')
    assert.deepEqual(plan.pace, { tps: 100 })
    assert.deepEqual((plan.filters as { types: string[] }).types, ['TRANSFER'])
    assert.equal(plan.firstStep, 1)
    assert.equal(plan.fileBytes, readFileSync(SAMPLE).byteLength)

    const human = await runCli(['replay', 'paysim', '--dry-run', '--file', SAMPLE, '--speed', '3600'])
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, /Pace {9}3600× event time/)
    assert.match(human.stdout, /header and first rows checked/)
    const both = await runCli(['replay', 'paysim', '--file', SAMPLE, '--speed', '3600', '--tps', '10'])
    assert.equal(both.code, 2)
    assert.match(both.stderr, /--speed and --tps both set the pace; give one/)
    const notPaysim = join(tempDir('dry-run'), 'other.csv')
    await import('node:fs/promises').then((fs) => fs.writeFile(notPaysim, 'a,b\n1,2\n'))
    const refused = await runCli(['replay', 'paysim', '--dry-run', '--file', notPaysim, '--tps', '10'])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /other\.csv:1: not a PaySim header/)
  })

  it('stack status, generate and generate paysim return what they did', async () => {
    const commands = await loadCommands()
    const dir = tempDir('json')
    const status = await returnedJson(commands.get('stack status')!, ['--state-dir', join(dir, 'state')])
    assert.equal(status.running, false)
    assert.deepEqual(status.services, [])

    const out = join(dir, 'tx.ndjson')
    const generated = await returnedJson(commands.get('generate')!, ['--scenario', 'card-testing', '--count', '500', '--seed', '2', '--out', out])
    assert.equal(generated.written, 500)
    assert.equal(readFileSync(out, 'utf8').trimEnd().split('\n').length, 500)

    const csv = join(dir, 'paysim.csv')
    const paysim = await returnedJson(commands.get('generate paysim')!, ['--rows', '300', '--out', csv])
    assert.equal(paysim.rows, 300)
    assert.equal(readFileSync(csv, 'utf8').trimEnd().split('\n').length, 301)
  })

  it('report compare and merge return the comparison and the merged summary', async () => {
    const commands = await loadCommands()
    const dir = tempDir('json-reports')
    const a = await writeSyntheticReport('20261130-000001-aaaa', syntheticRun(400, 4, 1), dir)
    const b = await writeSyntheticReport('20261130-000002-bbbb', syntheticRun(400, 4, 2), dir)
    const same = await returnedJson(commands.get('report compare')!, [a.folder, a.folder])
    assert.equal(same.regressions, 0)
    assert.equal(same.baseline, a.summary.runId)
    const merged = await returnedJson(commands.get('report merge')!, [a.folder, b.folder, '--reports-dir', dir])
    assert.equal((merged.counts as { sent: number }).sent, a.summary.counts.sent + b.summary.counts.sent)
  })
})
