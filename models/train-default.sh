#!/usr/bin/env bash
# Regenerates the default model's data with fixed seeds and retrains it (npm run model:default).
# Training: mixed (seed 42) with its blended archetypes, each single-archetype scenario in its textbook
# form (seed 42), and generated PaySim (seed 1). Validation, held out whole: mixed seed 7 and PaySim seed 2.
set -euo pipefail
cd "$(dirname "$0")/.."
data=.cache/training
mkdir -p "$data"
./bin/run.js generate --scenario mixed --count 1000000 --seed 42 --out "$data/mixed-1m.ndjson"
./bin/run.js generate --scenario mixed --count 300000 --seed 7 --out "$data/mixed-validation-300k.ndjson"
textbook=()
for scenario in card-testing account-takeover velocity-attack impossible-travel synthetic-identity paysim-mule; do
  ./bin/run.js generate --scenario "$scenario" --count 100000 --seed 42 --out "$data/$scenario-100k.ndjson"
  textbook+=(--data "$data/$scenario-100k.ndjson")
done
./bin/run.js generate paysim --rows 1000000 --seed 1 --out "$data/paysim-1m.csv"
./bin/run.js generate paysim --rows 300000 --seed 2 --out "$data/paysim-validation-300k.csv"
./bin/run.js train \
  --data "$data/mixed-1m.ndjson" "${textbook[@]}" --data "$data/paysim-1m.csv" \
  --validation-data "$data/mixed-validation-300k.ndjson" --validation-data "$data/paysim-validation-300k.csv" \
  --out models/default.onnx --rounds 500 --seed 1 --quiet
