// Heap held by the feature engine's state (and the scorer's dedup window) after N PaySim-like
// transactions, where almost every account is new: the worst case for bounded state.
//   npm run bench:feature-memory -- [transactions]
import { FeatureEngine } from '../src/features/feature-engine.js'
import { FEATURE_COUNT } from '../src/features/feature-names.js'
import type { Transaction } from '../src/schema/transaction.js'
import { BoundedMap } from '../src/util/bounded-map.js'

const count = Number(process.argv[2] ?? 1_500_000)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')
gc()
const before = process.memoryUsage().heapUsed
const engine = new FeatureEngine()
const decided = new BoundedMap<string, true>(300_000)
const row = new Float64Array(FEATURE_COUNT)
const start = Date.UTC(2024, 0, 1)
for (let i = 0; i < count; i++) {
  const tx: Transaction = {
    id: `tx-${i.toString(36).padStart(10, '0')}-${(i * 7919).toString(16)}`,
    eventTime: start + i * 100,
    account: `C${1_000_000_000 + ((i * 2_654_435_761) % 4_000_000_000)}`,
    counterparty: `M${1_000_000_000 + ((i * 40_503) % 2_700_000)}`,
    amount: 100 + (i % 1000),
    currency: 'USD',
    channel: 'transfer',
  } as unknown as Transaction
  engine.observe(tx, row)
  decided.set(tx.id, true)
}
gc()
const held = process.memoryUsage().heapUsed - before
const memory = engine.memory()
console.log(`${count.toLocaleString('en-US')} transactions: heap held ${(held / 1048576).toFixed(0)} MB (${(held / (memory.trackedKeys.accounts + memory.trackedKeys.counterparties + decided.size)).toFixed(0)} B per tracked key); tracked ${JSON.stringify(memory.trackedKeys)}, dedup ${decided.size}`)
