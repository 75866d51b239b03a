import type { Hook } from '@oclif/core'
import { toConfiguredId } from '@oclif/core'

/**
 * A mistyped command: names the closest one, on a terminal or not (a script's log needs the hint
 * as much as a person does), and exits 2 like every other usage error.
 */
const hook: Hook.CommandNotFound = async function (options) {
  const visible = options.config.commands.filter((command) => !command.hidden).flatMap((command) => [command.id, ...command.aliases])
  const typed = toConfiguredId(options.id, options.config)
  const closest = closestCommand(options.id, visible)
  const suggestion = closest ? ` Did you mean "${options.config.bin} ${toConfiguredId(closest, options.config)}"?` : ''
  // On one line, as fraudlab's other usage errors (oclif's own error output wraps at 80 columns).
  process.stderr.write(`Error: "${typed}" is not a ${options.config.bin} command.${suggestion}\nHint: Run "${options.config.bin} help" for the list.\n`)
  this.exit(2)
}

export default hook

/** The command id nearest by edit distance, if it is near enough to be what was meant. */
export function closestCommand(typed: string, ids: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const id of ids) {
    const distance = editDistance(typed, id)
    if (distance < bestDistance) {
      best = id
      bestDistance = distance
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(typed.length / 3)) ? best : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]
}
