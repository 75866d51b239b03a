import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { ARCHETYPE_MODULES } from '../src/scenario/archetypes/registry.js'
import { ARCHETYPES } from '../src/scenario/scenario-schema.js'
import { REPO_ROOT } from './helpers.js'

const SRC = join(REPO_ROOT, 'src')

/**
 * The layers of src/, top to bottom (docs/architecture.md draws them). A folder may import only
 * folders of a lower layer: the data path's stages sit above the stream port, which sits above the
 * AWS clients, with shared vocabulary (schema, util) at the bottom.
 */
const LAYERS: string[][] = [
  ['commands'],
  ['cli'],
  ['tui', 'k6', 'deploy', 'telemetry'],
  ['run'],
  ['stack', 'report'],
  ['scorer', 'collector', 'serve'],
  ['decision'],
  ['model'],
  ['dataset'],
  ['export'],
  ['scenario', 'stream'],
  ['load', 'features', 'metrics', 'aws'],
  ['schema'],
  ['util'],
  ['errors'],
]
const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((folder) => [folder, LAYERS.length - i] as const)))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [join(dir, entry.name)] : [],
  )
}

/** Every module specifier a file imports, type-only imports and dynamic imports included. */
function specifiers(text: string): string[] {
  const found: string[] = []
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) {
    found.push(match[1] ?? match[2] ?? match[3])
  }
  return found
}

const files = sourceFiles(SRC).map((path) => ({ path, name: relative(SRC, path), text: readFileSync(path, 'utf8') }))
const byStem = new Map(files.map((file) => [file.path.replace(/\.tsx?$/, ''), file.name]))
const edges = files.map((file) => ({
  from: file.name,
  packages: specifiers(file.text).filter((s) => !s.startsWith('.')),
  to: specifiers(file.text)
    .filter((s) => s.startsWith('.'))
    .map((s) => byStem.get(resolve(dirname(file.path), s).replace(/\.js$/, '')))
    .filter((name): name is string => name !== undefined),
}))
const folderOf = (name: string) => name.split('/')[0]

function cycles(graph: Map<string, Set<string>>): string[][] {
  // Tarjan's strongly connected components: any component of more than one node is a cycle.
  let index = 0
  const stack: string[] = []
  const state = new Map<string, { index: number; low: number; onStack: boolean }>()
  const found: string[][] = []
  const visit = (node: string) => {
    state.set(node, { index, low: index, onStack: true })
    index++
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      if (!state.has(next)) {
        visit(next)
        state.get(node)!.low = Math.min(state.get(node)!.low, state.get(next)!.low)
      } else if (state.get(next)!.onStack) state.get(node)!.low = Math.min(state.get(node)!.low, state.get(next)!.index)
    }
    if (state.get(node)!.low === state.get(node)!.index) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        state.get(member)!.onStack = false
        component.push(member)
      } while (member !== node)
      if (component.length > 1) found.push(component)
    }
  }
  for (const node of graph.keys()) if (!state.has(node)) visit(node)
  return found
}

describe('the shape of src/', () => {
  it('has no import cycle between files or between folders', () => {
    const fileGraph = new Map(edges.map((edge) => [edge.from, new Set(edge.to)]))
    assert.deepEqual(cycles(fileGraph), [])
    const folderGraph = new Map<string, Set<string>>()
    for (const edge of edges) {
      const from = folderOf(edge.from)
      if (!folderGraph.has(from)) folderGraph.set(from, new Set())
      for (const to of edge.to) if (folderOf(to) !== from && to.includes('/')) folderGraph.get(from)!.add(folderOf(to))
    }
    assert.deepEqual(cycles(folderGraph), [])
  })

  it('imports only downwards: no folder imports one that stands above it (commands → run → scorer/collector → stream → aws)', () => {
    const folders = new Set(files.map((file) => folderOf(file.name)).filter((folder) => files.some((f) => f.name.startsWith(`${folder}/`))))
    const unranked = [...folders].filter((folder) => !rank.has(folder))
    assert.deepEqual(unranked, [], 'every folder of src/ has a layer')
    const upward = edges.flatMap((edge) =>
      edge.to
        .filter((to) => folderOf(to) !== folderOf(edge.from) && rank.get(folderOf(to))! >= rank.get(folderOf(edge.from))!)
        .map((to) => `${edge.from} → ${to}`),
    )
    assert.deepEqual(upward, [])
  })

  it('speaks to Kinesis only through the stream port (data) and stack/ (control plane)', () => {
    const importers = edges.filter((edge) => edge.packages.includes('@aws-sdk/client-kinesis')).map((edge) => edge.from)
    assert.ok(importers.some((name) => name.startsWith('stream/')))
    assert.deepEqual(importers.filter((name) => !name.startsWith('stream/') && !name.startsWith('stack/')), [])
  })

  it('one shard-reading loop: only the stream port calls GetRecords', () => {
    const callers = files.filter((file) => /\bGetRecordsCommand\b/.test(file.text)).map((file) => file.name)
    assert.deepEqual(callers, ['stream/shard-reader.ts'])
  })

  it('the archetype registry is the only list of archetypes', () => {
    const names = ARCHETYPE_MODULES.map((archetype) => archetype.name)
    assert.deepEqual([...ARCHETYPES], names, 'the scenario schema takes its archetypes from the registry')
    // Every archetype module (a file that defines one) is registered.
    const defining = files.filter((file) => /=\s*defineArchetype\(/.test(file.text))
    assert.equal(defining.length, names.length)
    for (const file of defining) {
      const name = /name: '([a-z0-9-]+)'/.exec(file.text)?.[1]
      assert.ok(name && names.includes(name as (typeof names)[number]), `${file.name} is registered`)
      assert.equal(file.name, `scenario/archetypes/${name}.ts`, 'an archetype lives in the module named after it')
    }
    // No other file lists archetypes: a file naming two or more is a second list (a switch, an enum, a table).
    const lists = files
      .filter((file) => !defining.includes(file))
      .filter((file) => names.filter((name) => file.text.includes(`'${name}'`) || file.text.includes(`"${name}"`)).length >= 2)
      .map((file) => file.name)
    assert.deepEqual(lists, [])
  })
})

describe('the test suite counts what it skips', () => {
  it('no suite is skipped whole (node counts a skipped describe as 0 tests): optional suites use describeNeeding', () => {
    const TEST = join(REPO_ROOT, 'test')
    const offenders = sourceFiles(TEST)
      .filter((file) => /\bdescribe(\.skip)?\([^\n]*\{\s*skip:|\bdescribe\.skip\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(TEST, file))
    assert.deepEqual(offenders, [])
  })
})
