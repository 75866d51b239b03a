import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { withRetries } from '../aws/backoff.js'
import { nowMs } from '../util/clock.js'
import type { RunLedger } from './run-ledger.js'

/**
 * Observation for a scorer that writes no decisions stream: its effects are its decisions. An
 * alert is a block, timed when it arrives; after the run, BlockList items without an alert are
 * blocks too (timed by their `blockedAt`), and every other accepted transaction was allowed.
 */
export class EffectsObserver {
  lastEffectAtMs = 0

  constructor(
    private readonly ledger: RunLedger,
    private readonly dynamodb: DynamoDBClient,
    private readonly blockListTable: string,
  ) {}

  /** An alert: the ledger counts it as an alert and as the block it announces. */
  recordAlert(transactionId: string, score?: number): void {
    const at = nowMs()
    this.lastEffectAtMs = at
    this.ledger.recordAlert(transactionId)
    this.ledger.recordDecision({ transactionId, verdict: 'block', score: score ?? 1, timestamps: { actedAt: at } }, at)
  }

  /** After the window: the BlockList's items for the run, then the allowed transactions inferred. */
  async settle(): Promise<{ blockListOnly: number; inferredAllowed: number }> {
    const { dynamodb, blockListTable: table } = this
    const before = this.ledger.decided
    let startKey: Record<string, AttributeValue> | undefined
    do {
      const page = await withRetries(() =>
        dynamodb.send(
          new ScanCommand({ TableName: table, FilterExpression: 'begins_with(transactionId, :prefix)', ExpressionAttributeValues: { ':prefix': { S: `${this.ledger.runId}-` } }, ExclusiveStartKey: startKey }),
        ),
      )
      for (const item of page.Items ?? []) {
        const transactionId = item.transactionId?.S
        if (!transactionId || this.ledger.hasDecision(transactionId)) continue
        const blockedAt = Date.parse(item.blockedAt?.S ?? '')
        const score = Number(item.score?.N ?? 1)
        this.ledger.recordDecision({ transactionId, verdict: 'block', score: score >= 0 && score <= 1 ? score : 1, timestamps: Number.isFinite(blockedAt) ? { actedAt: blockedAt } : undefined }, nowMs())
      }
      startKey = page.LastEvaluatedKey
    } while (startKey)
    const blockListOnly = this.ledger.decided - before
    return { blockListOnly, inferredAllowed: this.ledger.inferAllowed() }
  }
}
