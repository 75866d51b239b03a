// Writes oclif.manifest.json at the package root, as `oclif manifest` does: every command's id,
// flags, arguments and description, so that `--help`, `help`, a typo's "did you mean" and the
// command lookup read one file instead of importing all the command modules (and their
// dependencies) at every start. Run by `npm run build`, after tsc.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Plugin } from '@oclif/core'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true })
await plugin.load()
const path = join(root, 'oclif.manifest.json')
writeFileSync(path, `${JSON.stringify(plugin.manifest, null, 2)}\n`)
console.log(`wrote ${path}: ${Object.keys(plugin.manifest.commands).length} commands`)
