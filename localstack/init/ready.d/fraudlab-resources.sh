#!/bin/bash
# LocalStack ready hook: creates what `fraudlab stack up` provisions (src/stack/provision.ts), with the
# same names, shard counts, keys and tags. A test runs this script against a recording `awslocal` and
# compares its calls with fraudlab's own provisioning, so the two cannot drift apart.
set -euo pipefail
prefix="${FRAUDLAB_PREFIX:-fraudlab-}"
shards="${FRAUDLAB_SHARDS:-2}"
tags_kinesis="fraudlab-managed=true,fraudlab-prefix=${prefix}"
tags_list="Key=fraudlab-managed,Value=true Key=fraudlab-prefix,Value=${prefix}"

for stream in transactions decisions; do
  awslocal kinesis create-stream --stream-name "${prefix}${stream}" --shard-count "$shards" || true
  awslocal kinesis wait stream-exists --stream-name "${prefix}${stream}"
  awslocal kinesis add-tags-to-stream --stream-name "${prefix}${stream}" --tags "$tags_kinesis"
done

create_table() {
  local name="$1" keys="$2" attributes="$3"
  # shellcheck disable=SC2086
  awslocal dynamodb create-table --table-name "$name" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions $attributes --key-schema $keys --tags $tags_list || true
}
create_table "${prefix}blocklist" "AttributeName=account,KeyType=HASH AttributeName=transactionId,KeyType=RANGE" \
  "AttributeName=account,AttributeType=S AttributeName=transactionId,AttributeType=S"
create_table "${prefix}leases" "AttributeName=leaseKey,KeyType=HASH" "AttributeName=leaseKey,AttributeType=S"

# shellcheck disable=SC2086
awslocal sns create-topic --name "${prefix}alerts" --tags $tags_list
echo "fraudlab resources ready (prefix ${prefix}, ${shards} shards)"
