import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import type { RunSummary } from '../src/report/run-summary.js'
import { REPO_ROOT, tempDir } from './helpers.js'

const run = promisify(execFile)

describe('the npm package', () => {
  it("installs from npm pack's tarball in a clean folder without the optional dependencies: no testcontainers, and the main command runs", { timeout: 600_000 }, async () => {
    const folder = tempDir('pack')
    // The test command has just built dist/ and the command manifest: pack them as they are.
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', folder], { cwd: REPO_ROOT })
    const tarball = readdirSync(folder).find((name) => name.endsWith('.tgz'))
    assert.ok(tarball, 'npm pack wrote a tarball')
    const app = join(folder, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }))
    const env = { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', ONNXRUNTIME_NODE_INSTALL: 'skip' }
    await run('npm', ['install', join(folder, tarball!), '--omit=optional'], { cwd: app, env, timeout: 540_000, maxBuffer: 16 << 20 })

    const { stdout: tree } = await run('npm', ['ls', 'testcontainers', '@testcontainers/localstack', '--all', '--json'], { cwd: app, env }).catch((error: { stdout: string }) => error)
    assert.doesNotMatch(tree, /testcontainers/, `npm ls finds neither: ${tree}`)
    assert.ok(!existsSync(join(app, 'node_modules', 'testcontainers')))

    const cli = join(app, 'node_modules', 'fraudlab', 'bin', 'run.js')
    const state = { ...env, FRAUDLAB_STATE_DIR: join(folder, 'state'), CI: 'true' }
    const { stdout } = await run(process.execPath, [cli, 'simulate', '--tps', '50', '--duration', '3s', '--json'], { cwd: app, env: state, timeout: 120_000, maxBuffer: 16 << 20 })
    const summary = JSON.parse(stdout) as RunSummary
    assert.equal(summary.status, 'completed')
    assert.equal(summary.counts.sent, 150)
    assert.equal(summary.counts.decided, 150)
    assert.equal(summary.counts.lost, 0)

    const localstack = await run(process.execPath, [cli, 'stack', 'up', '--target', 'localstack'], { cwd: app, env: { ...state, AWS_ENDPOINT_URL: '' } }).catch((error: { code: number; stderr: string }) => error)
    assert.equal((localstack as { code: number }).code, 3)
    assert.match((localstack as { stderr: string }).stderr, /testcontainers, an optional dependency, is not installed[\s\S]*npm install testcontainers @testcontainers\/localstack/)
  })
})
