import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, it } from 'node:test'
import { ScanCommand } from '@aws-sdk/client-dynamodb'
import { ListStreamsCommand } from '@aws-sdk/client-kinesis'
import { ListTopicsCommand } from '@aws-sdk/client-sns'
import { accuracyFrom } from '../src/metrics/accuracy.js'
import { prAuc } from '../src/metrics/score-ranking.js'
import type { RunSummary } from '../src/report/run-summary.js'
import { renderTerminalSummary } from '../src/report/terminal-summary.js'
import { instantiatePlan, planRun } from '../src/run/run-plan.js'
import { DecisionSchema } from '../src/schema/decision.js'
import { TransactionSchema } from '../src/schema/transaction.js'
import { isOurEmulator } from '../src/stack/state-file.js'
import { embeddedStackFixture, readWholeStream, REPO_ROOT, runCli, tempDir } from './helpers.js'

describe('stack up → simulate → stack down, through the real binary', () => {
  const stack = embeddedStackFixture()
  const reportsDir = tempDir('reports')

  it('starts fraudlab’s Kinesis, dynalite and the SNS endpoint on loopback, reachable by the unmodified SDK', async () => {
    assert.deepEqual(stack.state.services.map((s) => s.implementation).sort(), ['dynalite', 'fraudlab-kinesis', 'fraudlab-sns'])
    for (const service of stack.state.services) assert.match(service.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/)
    const streams = await stack.clients.kinesis.send(new ListStreamsCommand({}))
    assert.deepEqual(streams.StreamNames?.sort(), ['fraudlab-decisions', 'fraudlab-transactions'])
    const topics = await stack.clients.sns.send(new ListTopicsCommand({}))
    assert.equal(topics.Topics?.[0]?.TopicArn, stack.state.resources.alertsTopicArn)
  })

  it('stack up again is idempotent and keeps the same processes', async () => {
    const again = await runCli(['stack', 'up', '--json'], { env: stack.env })
    assert.equal(again.code, 0, again.stderr)
    const result = JSON.parse(again.stdout) as { alreadyRunning: boolean; services: Array<{ pid: number }> }
    assert.equal(result.alreadyRunning, true)
    assert.deepEqual(result.services.map((s) => s.pid), stack.state.services.map((s) => s.pid))
  })

  it('stack status shows every service up and every resource ACTIVE', async () => {
    const status = await runCli(['stack', 'status', '--json'], { env: stack.env })
    const parsed = JSON.parse(status.stdout) as { running: boolean; resources: Array<{ kind: string; status: string }> }
    assert.equal(parsed.running, true)
    assert.equal(parsed.resources.length, 5)
    assert.ok(parsed.resources.every((r) => r.status === 'ACTIVE'), JSON.stringify(parsed.resources))
  })

  it('simulate reconciles every transaction, and its figures survive an independent recount', async () => {
    const run = await runCli(['simulate', '--scenario', 'paysim-mule', '--count', '2000', '--tps', '400', '--seed', '9', '--json', '--reports-dir', reportsDir], { env: stack.env })
    assert.equal(run.code, 0, run.stderr)
    const summary = JSON.parse(run.stdout) as RunSummary
    assert.deepEqual(JSON.parse(readFileSync(join(reportsDir, summary.runId, 'summary.json'), 'utf8')), summary)

    const c = summary.counts
    assert.equal(c.sent, 2000)
    assert.equal(c.decided, 2000)
    assert.equal(c.lost, 0)
    assert.ok(c.blocked > 0, 'the scenario contains attacks that get blocked')
    assert.equal(c.blockListItems, c.blocked)
    assert.equal(c.alertsReceived, c.blocked)
    assert.equal(summary.reconciliation.ok, true)

    // No record on the transactions stream carries a label; every one is a strict canonical transaction.
    const transactions = (await readWholeStream(stack.clients.kinesis, stack.state.resources.names.transactionsStream)).filter(
      (t) => String((t as { id: string }).id).startsWith(summary.runId),
    )
    assert.ok(transactions.length >= 2000)
    for (const record of transactions) {
      const text = JSON.stringify(record)
      assert.doesNotMatch(text, /isFraud|archetype|attackId|label/i)
      assert.ok(TransactionSchema.safeParse(record).success, text)
    }

    // BlockList items counted directly.
    const scan = await stack.clients.dynamodb.send(new ScanCommand({ TableName: stack.state.resources.names.blockListTable }))
    assert.equal(scan.Items?.filter((item) => item.transactionId.S?.startsWith(summary.runId)).length, c.blocked)

    // Precision and recall recomputed from the raw decisions stream and labels regenerated from the seed.
    const labels = new Map<string, boolean>()
    const { source } = instantiatePlan(planRun('paysim-mule', { seed: 9, tps: 400, count: 2000 }), summary.runId)
    for (let i = 0; i < 2000; i++) {
      const { transaction, label } = source.next()
      labels.set(transaction.id, label.isFraud)
    }
    const firstDecision = new Map<string, string>()
    for (const record of await readWholeStream(stack.clients.kinesis, stack.state.resources.names.decisionsStream)) {
      const decision = DecisionSchema.parse(record)
      if (labels.has(decision.transactionId) && !firstDecision.has(decision.transactionId)) firstDecision.set(decision.transactionId, decision.verdict)
    }
    assert.equal(firstDecision.size, 2000)
    const matrix = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 }
    for (const [id, verdict] of firstDecision) {
      const fraud = labels.get(id)!
      const blocked = verdict === 'block'
      if (fraud && blocked) matrix.truePositives++
      else if (fraud) matrix.falseNegatives++
      else if (blocked) matrix.falsePositives++
      else matrix.trueNegatives++
    }
    const recount = accuracyFrom(matrix)
    assert.ok(matrix.truePositives + matrix.falseNegatives > 0)
    assert.equal(summary.accuracy.precision, recount.precision)
    assert.equal(summary.accuracy.recall, recount.recall)
    assert.equal(summary.accuracy.truePositives, matrix.truePositives)
    assert.equal(summary.accuracy.falsePositives, matrix.falsePositives)
    // The summary on disk validates against the committed JSON Schema, and PR-AUC is recomputed
    // from the decision log's scores with the labels regenerated from the seed.
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(join(REPO_ROOT, 'reports', 'summary.schema.json'), 'utf8')))
    assert.ok(validate(JSON.parse(readFileSync(join(reportsDir, summary.runId, 'summary.json'), 'utf8'))), JSON.stringify(validate.errors?.slice(0, 3)))
    const logged = gunzipSync(readFileSync(join(reportsDir, summary.runId, 'decisions.ndjson.gz')))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; score: number; verdict: string })
    assert.equal(logged.length, 2000)
    for (const line of logged) assert.equal(line.verdict, firstDecision.get(line.id))
    assert.equal(summary.accuracy.prAuc, prAuc(logged.map((l) => l.score), logged.map((l) => (labels.get(l.id) ? 1 : 0))))
    assert.equal(summary.model?.version, summary.model?.card?.version)
    const { p50, p99 } = summary.latencyMs.endToEnd
    assert.ok(p50 !== null && p99 !== null && p50 > 0 && p99 >= p50)
  })

  it('--shadow-model: both models are measured on the same transactions, and only the champion’s verdicts act', async () => {
    // The rules baseline (champion) does not look for card testing; the default model (shadow) does.
    const run = await runCli(
      ['simulate', '--scenario', 'card-testing', '--count', '2000', '--tps', '400', '--seed', '9', '--model', 'rules', '--shadow-model', join(REPO_ROOT, 'models', 'default.onnx'), '--json', '--reports-dir', reportsDir],
      { env: stack.env },
    )
    assert.equal(run.code, 0, run.stderr)
    const summary = JSON.parse(run.stdout) as RunSummary
    const models = summary.models
    assert.ok(models, 'the summary compares the two models')
    assert.equal(models.champion.version, 'rules-v1')
    assert.match(models.shadow.version, /^default-/)
    assert.equal(models.champion.blocked, summary.counts.blocked)
    assert.ok(models.agreement.shadowOnlyBlocks > 0, `the shadow would have blocked transactions the champion let through: ${JSON.stringify(models.agreement)}`)
    assert.equal(models.champion.blocked - models.shadow.blocked, models.agreement.championOnlyBlocks - models.agreement.shadowOnlyBlocks)
    assert.ok(models.shadow.byArchetype['card-testing'].prAuc! > models.champion.byArchetype['card-testing'].prAuc!, 'each model is judged by its own scores')
    assert.ok(models.champion.modelMs.count > 0 && models.shadow.modelMs.count > 0)

    // Effects: the BlockList and the alerts hold exactly the champion's blocks, none of the shadow's own.
    const decisions = new Map<string, { verdict: string; shadow?: { verdict: string; modelVersion: string } }>()
    for (const record of await readWholeStream(stack.clients.kinesis, stack.state.resources.names.decisionsStream)) {
      const decision = DecisionSchema.parse(record)
      if (decision.transactionId.startsWith(`${summary.runId}-`) && !decisions.has(decision.transactionId)) decisions.set(decision.transactionId, decision)
    }
    assert.equal(decisions.size, 2000)
    assert.ok([...decisions.values()].every((d) => d.shadow?.modelVersion === models.shadow.version))
    const championBlocks = new Set([...decisions].filter(([, d]) => d.verdict === 'block').map(([id]) => id))
    const shadowOnly = [...decisions].filter(([, d]) => d.shadow?.verdict === 'block' && d.verdict !== 'block').map(([id]) => id)
    assert.equal(shadowOnly.length, models.agreement.shadowOnlyBlocks)
    const scan = await stack.clients.dynamodb.send(new ScanCommand({ TableName: stack.state.resources.names.blockListTable }))
    const blockList = new Set(scan.Items?.map((item) => item.transactionId.S!).filter((id) => id.startsWith(`${summary.runId}-`)))
    assert.deepEqual([...blockList].sort(), [...championBlocks].sort())
    assert.ok(shadowOnly.every((id) => !blockList.has(id)))
    assert.equal(summary.counts.alertsReceived, championBlocks.size)

    // Both sets of figures reach every renderer.
    assert.match(renderTerminalSummary(summary), /Champion\/shadow[\s\S]*card-testing/)
    const html = readFileSync(join(reportsDir, summary.runId, 'report.html'), 'utf8')
    assert.match(html, /Champion and shadow/)
    assert.ok(html.includes(models.shadow.version))
  })

  it('stack down stops exactly the recorded processes, and a second down stops nothing', async () => {
    const down = await runCli(['stack', 'down', '--json'], { env: stack.env })
    assert.equal(down.code, 0, down.stderr)
    const result = JSON.parse(down.stdout) as { stopped: Array<{ pid: number }> }
    assert.deepEqual(result.stopped.map((s) => s.pid).sort(), stack.state.services.map((s) => s.pid).sort())
    // Reparented to init once `stack up` exited, a stopped emulator may linger as a zombie: check it is not running.
    for (const service of stack.state.services) assert.equal(isOurEmulator(service.pid), false, `${service.implementation} is gone`)
    const again = await runCli(['stack', 'down', '--json'], { env: stack.env })
    assert.deepEqual((JSON.parse(again.stdout) as { stopped: unknown[] }).stopped, [])
    const status = await runCli(['stack', 'status', '--json'], { env: stack.env })
    assert.equal((JSON.parse(status.stdout) as { running: boolean }).running, false)
  })
})
