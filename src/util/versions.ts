import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

function packageVersion(name: string): string {
  try {
    const path = require.resolve(`${name}/package.json`)
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

export function fraudlabVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version
}

/** Versions that explain a run's figures, for the report. */
export function runVersions(): Record<string, string> {
  return {
    fraudlab: fraudlabVersion(),
    node: process.versions.node,
    // The embedded Kinesis is fraudlab's own (its version is fraudlab's); DynamoDB is dynalite's.
    dynalite: packageVersion('dynalite'),
    awsSdkKinesis: packageVersion('@aws-sdk/client-kinesis'),
  }
}
