import assert from 'node:assert/strict'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runCli, tempDir } from './helpers.js'

const BAD_INPUT: Array<[string[], RegExp]> = [
  [['simulate', '--tps', '-5'], /--tps must be a whole number from 1/],
  [['simulate', '--tps', 'fast'], /--tps must be a whole number/],
  [['simulate', '--duration', '0s'], /--duration must be longer than zero/],
  [['simulate', '--duration', 'ten'], /--duration must be a duration like/],
  [['simulate', '--target', 'mars'], /--target=mars to be one of: embedded, localstack, aws/],
  [['simulate', '--bogus'], /Nonexistent flag: --bogus/],
  [['simulate', '--time-scale', '-3'], /--time-scale must be a positive number/],
  [['simulate', '--max-lateness', '0ms'], /--max-lateness must be longer than zero/],
  [['stack', 'up', '--shards', '0'], /--shards must be a whole number from 1 to 64/],
]

describe('bad input on the command line', () => {
  for (const [args, message] of BAD_INPUT) {
    it(`fraudlab ${args.join(' ')} exits 2 with one line naming the flag`, async () => {
      const result = await runCli(args)
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, message)
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line, got:\n${result.stderr}`)
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
      assert.equal(result.stdout, '')
    })
  }

  it('an unknown scenario lists the known ones, before anything starts', async () => {
    const result = await runCli(['simulate', '--scenario', 'carding'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^Error: Unknown scenario "carding"\. Known scenarios: account-takeover, baseline, card-testing, .*mixed.*\.\nHint: /)
  })

  it('a broken scenario file is reported with file, line and field, and nothing starts', async () => {
    const dir = tempDir('scenario')
    const file = join(dir, 'broken.yaml')
    writeFileSync(file, 'name: broken\npopulation:\n  customers: 10\n  merchants: 5\n  segments:\n    - name: all\n      share: 1\n      amount: { median: 10 }\n      transactionsPerDay: -2\n')
    const result = await runCli(['simulate', '--scenario', file, '--state-dir', join(dir, 'state')])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /broken\.yaml:9:27: population\.segments\[0\]\.transactionsPerDay: transactionsPerDay must be greater than 0/)
    assert.doesNotMatch(result.stderr, /\n\s+at /)
    assert.equal(existsSync(join(dir, 'state')), false, 'no stack was started')
  })

  it('--dry-run checks --inject and --threshold too: a plan that prints is a plan that starts', async () => {
    const badValue = await runCli(['simulate', '--dry-run', '--inject', 'kinesis.throttle=abc'])
    assert.equal(badValue.code, 2, badValue.stderr)
    assert.match(badValue.stderr, /--inject kinesis\.throttle=abc: abc is not a probability/)
    const wrongTarget = await runCli(['replay', 'paysim', '--file', 'datasets/paysim-real-sample.csv', '--tps', '100', '--dry-run', '--target', 'localstack', '--inject', 'sns.fail=0.1'])
    assert.equal(wrongTarget.code, 2, wrongTarget.stderr)
    assert.match(wrongTarget.stderr, /--inject sns\.fail needs the embedded stack; this run's target is localstack/)
    const badThreshold = await runCli(['simulate', '--dry-run', '--threshold', 'recall>>1'])
    assert.equal(badThreshold.code, 2, badThreshold.stderr)
    for (const run of [badValue, wrongTarget, badThreshold]) assert.doesNotMatch(run.stderr, /at .*\.js:\d+/)
  })

  it('output paths are checked before anything starts: within seconds, no hang on /proc, nothing left behind', async () => {
    const dir = tempDir('outputs')
    const state = ['--state-dir', join(dir, 'state')]
    const cases: Array<[string[], RegExp]> = [
      [['simulate', '--duration', '2s', '--reports-dir', '/proc/fraudlab-reports', ...state], /--reports-dir \/proc\/fraudlab-reports: cannot create \/proc\/fraudlab-reports \(ENOENT\)/],
      [['simulate', '--duration', '2s', '--reports-dir', join(dir, 'reports'), '--features-log', '/proc/features.ndjson', ...state], /--features-log \/proc\/features\.ndjson is not writable/],
      [['replay', 'paysim', '--file', 'datasets/paysim-real-sample.csv', '--tps', '100', '--reports-dir', join(dir, 'reports'), '--features-log', join(dir, 'a-file', 'f.ndjson'), ...state], /--features-log .*a-file\/f\.ndjson: .*a-file is a file, not a folder/],
      [['simulate', '--dry-run', '--reports-dir', '/proc/fraudlab-reports'], /--reports-dir \/proc\/fraudlab-reports: cannot create/],
      [['train', '--data', 'datasets/paysim-real-sample.csv', '--out', '/proc/model.onnx'], /--out \/proc\/model\.onnx is not writable/],
    ]
    writeFileSync(join(dir, 'a-file'), 'not a folder')
    for (const [args, message] of cases) {
      const result = await runCli(args, { timeoutMs: 30_000 })
      assert.equal(result.code, 2, `${args.join(' ')}\n${result.stderr}`)
      assert.match(result.stderr, message)
      assert.match(result.stderr, /Hint: Choose a (folder|file) you can write to/)
      assert.doesNotMatch(result.stderr, /\n\s+at /)
    }
    assert.equal(existsSync(join(dir, 'state')), false, 'no stack was started')
    assert.equal(existsSync(join(dir, 'reports')) && readdirSync(join(dir, 'reports')).length > 0, false, 'no report folder was left')
  })

  it('--tps with --time-scale is refused', async () => {
    const result = await runCli(['simulate', '--tps', '10', '--time-scale', '100'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /--tps and --time-scale both set the arrival rate/)
  })

  it('a mistyped command names the closest one and exits 2; help, -h, version and -v answer as oclif CLIs do', async () => {
    const typo = await runCli(['simulat', '--tps', '5'])
    assert.equal(typo.code, 2)
    assert.match(typo.stderr, /"simulat" is not a fraudlab command\. Did you mean "fraudlab simulate"\?/)
    const nested = await runCli(['report', 'compar'])
    assert.match(nested.stderr, /Did you mean "fraudlab report compare"\?/)
    const help = await runCli(['help', 'simulate'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /TARGET FLAGS/)
    assert.match(help.stdout, /\[env: AWS_PROFILE\]/)
    assert.match(help.stdout, /Exit codes: 0 ok; 1 run failed/)
    assert.equal((await runCli(['simulate', '-h'])).stdout, help.stdout)
    const version = await runCli(['-v'])
    assert.match(version.stdout, /^fraudlab\/0\.1\.0 /)
    assert.equal((await runCli(['version'])).stdout, version.stdout)
  })

  it('--target localstack with nothing listening says so and how to fix it', async () => {
    const result = await runCli(['simulate', '--target', 'localstack', '--endpoint', 'http://127.0.0.1:9'])
    assert.equal(result.code, 3, 'the target is not reachable')
    assert.match(result.stderr, /Nothing answers at http:\/\/127\.0\.0\.1:9 \(target localstack\)/)
    assert.match(result.stderr, /Hint: Start LocalStack first/)
    assert.doesNotMatch(result.stderr, /\n\s+at /)
  })

  it('--help of every command lists its flags and an example', async () => {
    for (const command of [['simulate'], ['scorer'], ['stack', 'up'], ['stack', 'status'], ['stack', 'down']]) {
      const result = await runCli([...command, '--help'])
      assert.equal(result.code, 0)
      assert.match(result.stdout, /FLAGS/)
      assert.match(result.stdout, /EXAMPLES/)
    }
  })
})
