import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TurnGatherer } from '../src/util/turn-gatherer.js'

describe('handling together what arrives in one turn of the event loop', () => {
  it('hands the items added in one turn to one call, and those of a later turn to the next', async () => {
    const groups: number[][] = []
    const gatherer = new TurnGatherer<number>(async (items) => void groups.push(items))
    const first = [gatherer.add(1), gatherer.add(2), gatherer.add(3)]
    await Promise.all(first)
    await gatherer.add(4)
    assert.deepEqual(groups, [[1, 2, 3], [4]])
    assert.deepEqual(gatherer.stats, { groups: 2, items: 4 })
  })

  it('settles each add when its own group is handled, not before, and fails every add of a group that fails', async () => {
    let release!: () => void
    const handled = new Promise<void>((resolve) => (release = resolve))
    const gatherer = new TurnGatherer<string>(async (items) => {
      if (items.includes('bad')) throw new Error('the decisions write failed')
      await handled
    })
    let settled = false
    const pending = gatherer.add('a').then(() => (settled = true))
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(settled, false, 'still handling')
    release()
    await pending
    assert.equal(settled, true)
    const results = await Promise.allSettled([gatherer.add('ok'), gatherer.add('bad')])
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected'])
  })
})
