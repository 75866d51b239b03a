"""A small fraud scorer in Python, written to fraudlab's scorer contract (docs/scorer-contract.md).

It polls the transactions stream, blocks a transfer or cash-out that empties the paying account, writes the
BlockList item and publishes the alert for each block, then writes every decision to the decisions stream.
fraudlab tests it with `simulate --scorer external`; it stands for your own scorer.
"""
import argparse
import json
import signal
import sys
import time

import boto3
from botocore.exceptions import ClientError

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--transactions-stream", default="fraudlab-transactions")
parser.add_argument("--decisions-stream", default="fraudlab-decisions")
parser.add_argument("--blocklist-table", default="fraudlab-blocklist")
parser.add_argument("--alerts-topic-arn", required=True)
parser.add_argument("--poll-interval", type=float, default=0.2, help="seconds between two reads of a shard (Kinesis allows 5 a second)")
args = parser.parse_args()

# Endpoints and credentials come from the environment (AWS_ENDPOINT_URL_KINESIS and so on for emulators).
kinesis, dynamodb, sns = boto3.client("kinesis"), boto3.client("dynamodb"), boto3.client("sns")
running = True
signal.signal(signal.SIGTERM, lambda *_: globals().update(running=False))


def decide(tx):
    """The rule: a TRANSFER or CASH_OUT that takes the whole balance of the paying account."""
    balances = tx.get("balances") or {}
    empties = tx["type"] in ("TRANSFER", "CASH_OUT") and tx["amount"] > 0 and balances.get("originBefore", 0) > 0 and balances.get("originAfter", 1) == 0
    return ("block", 0.95, ["empties-account"]) if empties else ("allow", 0.05, [])


def act(tx, score, reasons):
    """A block's effects, idempotent under a replay: the conditional write decides whether to alert."""
    try:
        dynamodb.put_item(
            TableName=args.blocklist_table,
            Item={"account": {"S": tx["account"]}, "transactionId": {"S": tx["id"]}, "score": {"N": str(score)}, "blockedAt": {"S": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}},
            ConditionExpression="attribute_not_exists(transactionId)",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return
        raise
    sns.publish(TopicArn=args.alerts_topic_arn, Message=json.dumps({"transactionId": tx["id"], "account": tx["account"], "amount": tx["amount"], "score": score, "reasons": reasons}))


def write_decisions(decisions):
    records = [{"PartitionKey": d["transactionId"], "Data": json.dumps(d).encode()} for d in decisions]
    while records:
        answer = kinesis.put_records(StreamName=args.decisions_stream, Records=records[:500])
        failed = [record for record, result in zip(records[:500], answer["Records"]) if "ErrorCode" in result]
        records = failed + records[500:]
        if failed:
            time.sleep(0.1)


def score_page(records):
    decisions = []
    for record in records:
        fetched_at = time.time() * 1000
        tx = json.loads(record["Data"])
        verdict, score, reasons = decide(tx)
        scored_at = time.time() * 1000
        if verdict == "block":
            act(tx, score, reasons)
        timestamps = {"arrivedAt": record["ApproximateArrivalTimestamp"].timestamp() * 1000, "fetchedAt": fetched_at, "scoredAt": scored_at, "actedAt": time.time() * 1000}
        decisions.append({"transactionId": tx["id"], "verdict": verdict, "score": score, "reasons": reasons, "modelVersion": "python-rule-1", "scorerId": "python-example", "timestamps": timestamps})
    write_decisions(decisions)


shards = [shard["ShardId"] for shard in kinesis.list_shards(StreamName=args.transactions_stream)["Shards"]]
iterators = {shard: kinesis.get_shard_iterator(StreamName=args.transactions_stream, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"] for shard in shards}
print(f"ready: reading {len(shards)} shards of {args.transactions_stream}", flush=True)
while running:
    started = time.time()
    for shard, iterator in iterators.items():
        try:
            page = kinesis.get_records(ShardIterator=iterator, Limit=1000)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ProvisionedThroughputExceededException":
                continue
            raise
        score_page(page["Records"])
        iterators[shard] = page["NextShardIterator"]
    time.sleep(max(0, args.poll_interval - (time.time() - started)))
print("stopped", file=sys.stderr)
