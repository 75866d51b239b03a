import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'

/** Counts the BlockList items written for one run (their transaction ids start with the run id). */
export async function countBlockListItems(dynamodb: DynamoDBClient, table: string, runId: string): Promise<number> {
  let count = 0
  let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined
  do {
    const page = await dynamodb.send(
      new ScanCommand({
        TableName: table,
        Select: 'COUNT',
        FilterExpression: 'begins_with(transactionId, :prefix)',
        ExpressionAttributeValues: { ':prefix': { S: `${runId}-` } },
        ExclusiveStartKey: startKey,
      }),
    )
    count += page.Count ?? 0
    startKey = page.LastEvaluatedKey
  } while (startKey)
  return count
}
