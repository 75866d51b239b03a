import { readdirSync, readFileSync } from 'node:fs'
import { basename, extname, isAbsolute, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml'
import type { z } from 'zod'
import { UserError } from '../errors/user-error.js'
import { ARCHETYPES, scenarioSchema, type ScenarioFile } from './scenario-schema.js'

/** The scenarios shipped with fraudlab. */
export const SCENARIOS_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url))

export interface LoadedScenario {
  scenario: ScenarioFile
  path: string
}

/** A scenario file that does not parse or validate: every problem with its file, line and field. */
export class ScenarioError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${problems.length === 1 ? 'A problem' : `${problems.length} problems`} in ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: 'Fix the fields named above (scenarios/README.md lists every key), then run `fraudlab scenarios validate` on the file.',
    })
  }
}

export function listScenarioNames(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((file) => extname(file) === '.yaml')
    .map((file) => basename(file, '.yaml'))
    .sort()
}

/** A name (`card-testing`) is looked up among the shipped scenarios; anything with a slash or `.yaml` is a path. */
export function resolveScenarioPath(nameOrPath: string): string {
  if (nameOrPath.includes('/') || /\.ya?ml$/.test(nameOrPath)) return resolve(nameOrPath)
  const known = listScenarioNames()
  if (!known.includes(nameOrPath)) {
    throw new UserError(`Unknown scenario "${nameOrPath}". Known scenarios: ${known.join(', ')}.`, {
      hint: 'Pass one of those names, or the path of your own scenario file (e.g. ./my-scenario.yaml).',
    })
  }
  return resolve(SCENARIOS_DIR, `${nameOrPath}.yaml`)
}

export function loadScenario(nameOrPath: string): LoadedScenario {
  const path = resolveScenarioPath(nameOrPath)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UserError(`Cannot read scenario file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
      hint: 'Check the path, or run `fraudlab scenarios list` for the shipped ones.',
    })
  }
  return { scenario: parseScenario(text, displayPath(path)), path }
}

/** Parses and validates scenario YAML; `file` is only used in error messages. */
export function parseScenario(text: string, file: string): ScenarioFile {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  if (document.errors.length) {
    throw new ScenarioError(
      file,
      document.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0])
        return `${file}:${line}:${col}: YAML syntax: ${error.message.split('\n')[0]}`
      }),
    )
  }
  const result = scenarioSchema.safeParse(document.toJS() ?? {})
  if (result.success) return result.data
  throw new ScenarioError(
    file,
    result.error.issues.slice(0, 20).map((issue) => describeIssue(issue, document, lineCounter, file)),
  )
}

function describeIssue(issue: z.core.$ZodIssue, document: Document, lineCounter: LineCounter, file: string): string {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
  let field = formatPath(path)
  let offset = locate(document, path)
  let message = issue.message
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]
    field = formatPath([...path, key])
    offset = locateKey(document, path, key) ?? offset
    message = `unknown key "${key}": remove it or check its spelling`
  } else if (issue.code === 'invalid_union' && field.startsWith('fraud')) {
    message = `archetype must be one of: ${ARCHETYPES.join(', ')}`
    if (path.at(-1) !== 'archetype') field = `${field}.archetype`
  } else if (issue.code === 'invalid_union' && field.startsWith('arrival')) {
    message = 'executor must be one of: constant, ramping, spike, event-time'
    field = 'arrival.executor'
  } else if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    message = `${String(path.at(-1))} is required`
  }
  const { line, col } = lineCounter.linePos(offset)
  return `${file}:${line}:${col}: ${field || '(top level)'}: ${message}`
}

function formatPath(path: Array<string | number>): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part), '')
}

/** The offset of the deepest node along `path` that exists in the document. */
function locate(document: Document, path: Array<string | number>): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = document.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined
    if (node && typeof node === 'object' && node.range) return node.range[0]
  }
  return 0
}

function locateKey(document: Document, path: Array<string | number>, key: string): number | undefined {
  const parent = path.length ? document.getIn(path, true) : document.contents
  if (!isMap(parent)) return undefined
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === key)
  return isScalar(pair?.key) ? pair.key.range?.[0] : undefined
}

function displayPath(path: string): string {
  const fromCwd = relative(process.cwd(), path)
  return fromCwd && !fromCwd.startsWith('..') && !isAbsolute(fromCwd) ? fromCwd : path
}
