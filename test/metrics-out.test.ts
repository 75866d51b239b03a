import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { CLI, REPO_ROOT, tempDir } from './helpers.js'

/** A loopback port nobody holds now. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Starts `fraudlab simulate` with `args`; resolves with its exit code and output once it ends. */
function simulate(args: string[]) {
  const child = spawn(process.execPath, [CLI, 'simulate', '--no-ui', '--reports-dir', tempDir('out-reports'), ...args], { cwd: REPO_ROOT, env: { ...process.env, FRAUDLAB_STATE_DIR: tempDir('out-state'), CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  child.stdout.resume()
  const ended = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })))
  return { child, ended, stderr: () => stderr }
}

/** Sample values of a Prometheus text page, by series name and labels as written. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>()
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line)
    if (match) values.set(`${match[1]}${(match[2] ?? '').replace(/run_id="[^"]*",?/, '')}`, Number(match[3]))
  }
  return values
}

describe('live metrics out (--out)', () => {
  it('prometheus: /metrics during a real run, its decision-latency histogram and confusion counts moving; the Grafana dashboard queries only series it exports', async () => {
    const port = await freePort()
    const run = simulate(['--tps', '200', '--duration', '12s', '--out', `prometheus=${port}`])
    const scrape = async () => samples(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())
    let first: Map<string, number> | undefined
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      const page = await scrape().catch(() => undefined)
      if (page && (page.get('fraudlab_decision_latency_seconds_count{}') ?? 0) > 0) {
        first = page
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    assert.ok(first, `the run's metrics were served while it ran: ${run.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    const second = await scrape()
    const { code, stderr } = await run.ended
    assert.equal(code, 0, stderr)
    assert.match(stderr, new RegExp(`Metrics for Prometheus at http://127\\.0\\.0\\.1:${port}/metrics`))

    const count = (page: Map<string, number>) => page.get('fraudlab_decision_latency_seconds_count{}')!
    assert.ok(count(second) > count(first), `the histogram grew: ${count(first)} → ${count(second)}`)
    assert.equal(second.get('fraudlab_decision_latency_seconds_bucket{le="+Inf"}'), count(second))
    assert.ok(second.get('fraudlab_decision_latency_seconds_bucket{le="0.25"}')! <= count(second))
    const negatives = (page: Map<string, number>) => page.get('fraudlab_decisions_total{outcome="tn"}')!
    assert.ok(negatives(second) > negatives(first), 'the confusion counts moved')
    const confusion = ['tp', 'fp', 'tn', 'fn'].reduce((sum, outcome) => sum + second.get(`fraudlab_decisions_total{outcome="${outcome}"}`)!, 0)
    assert.equal(confusion, second.get('fraudlab_transactions_decided_total{}'), 'every decided transaction in one outcome')
    for (const stage of ['generatorLag', 'put', 'propagation', 'scoring', 'actions', 'collection']) assert.ok(second.has(`fraudlab_stage_latency_seconds_count{stage="${stage}"}`), stage)

    // Every series a dashboard query names is one the run exports.
    const exported = new Set([...second.keys()].map((key) => key.replace(/\{.*$/, '')))
    const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }>; templating: { list: Array<{ definition?: string }> } }
    const queries = [...dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ where: panel.title, expr: target.expr }))), ...dashboard.templating.list.flatMap((v) => (v.definition ? [{ where: 'variables', expr: v.definition }] : []))]
    assert.ok(queries.length >= 10)
    for (const { where, expr } of queries) {
      const names = expr.match(/fraudlab_[a-z_]+/g) ?? []
      assert.ok(names.length > 0, `${where}: ${expr}`)
      for (const name of names) assert.ok(exported.has(name), `${where}: ${name} is not exported`)
    }
  })

  it('otlp: an OTLP/HTTP receiver gets the run\'s metrics as the SDK sends them, and the last export holds the final counts', async () => {
    const bodies: Array<{ contentType: string; body: string }> = []
    const receiver: Server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk))
      request.on('end', () => {
        if (request.url === '/v1/metrics') bodies.push({ contentType: String(request.headers['content-type']), body })
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const { port } = receiver.address() as { port: number }
    try {
      const run = simulate(['--tps', '100', '--duration', '6s', '--out', `otlp=http://127.0.0.1:${port}`, '--json'])
      const { code, stderr } = await run.ended
      assert.equal(code, 0, stderr)
      assert.ok(bodies.length >= 2, `exports during the run and at its end (${bodies.length})`)
      const last = bodies.at(-1)!
      assert.match(last.contentType, /application\/json/)
      type Point = { attributes: Array<{ key: string; value: { stringValue?: string } }>; asDouble?: number; count?: string | number; bucketCounts?: Array<string | number>; explicitBounds?: number[] }
      type Metric = { name: string; sum?: { dataPoints: Point[]; isMonotonic: boolean }; gauge?: { dataPoints: Point[] }; histogram?: { dataPoints: Point[] } }
      const decoded = JSON.parse(last.body) as { resourceMetrics: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeMetrics: Array<{ metrics: Metric[] }> }> }
      const resource = decoded.resourceMetrics[0]
      assert.ok(resource.resource.attributes.some((a) => a.key === 'service.name' && a.value.stringValue === 'fraudlab'))
      const metrics = new Map(resource.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.name, metric]))
      const sent = metrics.get('fraudlab_transactions_sent_total')!.sum!
      assert.equal(sent.isMonotonic, true)
      assert.equal(sent.dataPoints[0].asDouble, 600, 'the final export counts every transaction sent')
      const latency = metrics.get('fraudlab_decision_latency_seconds')!.histogram!.dataPoints[0]
      assert.equal(Number(latency.count), 600)
      assert.equal(latency.bucketCounts!.reduce<number>((sum, n) => sum + Number(n), 0), 600, 'the buckets hold every decision')
      assert.equal(latency.bucketCounts!.length, latency.explicitBounds!.length + 1)
      const outcomes = metrics.get('fraudlab_decisions_total')!.sum!.dataPoints
      assert.deepEqual(outcomes.map((p) => p.attributes.find((a) => a.key === 'outcome')!.value.stringValue).sort(), ['fn', 'fp', 'tn', 'tp'])
      assert.equal(outcomes.reduce((sum, p) => sum + p.asDouble!, 0), 600)
    } finally {
      receiver.close()
    }
  })

  it('refuses a malformed --out with the forms it takes', async () => {
    const { code, stderr } = await simulate(['--out', 'statsd']).ended
    assert.equal(code, 2)
    assert.match(stderr, /--out takes prometheus\[=\[HOST:\]PORT\] or otlp\[=URL\]; got "statsd"/)
  })
})
