import { FraudlabCommand } from '../../cli/base-command.js'
import { durationFlag, integerFlag, targetFlags, targetSelectionOf, userResourceFlags, userResourcesOf } from '../../cli/flags.js'
import { verifyScorer, type VerifyResult } from '../../run/verify-scorer.js'

export default class ScorerVerify extends FraudlabCommand {
  static override summary = 'Check a running scorer against the scorer contract with a few canary transactions.'
  static override description =
    'Sends canary transactions through the transactions stream and checks that each gets a schema-valid decision ' +
    'within the timeout, and each block its BlockList item and its alert (docs/scorer-contract.md). Prints each check ' +
    'and exits 1 when one fails. Run it first against your own scorer; it starts none.'

  static override examples = [
    '<%= config.bin %> scorer verify',
    '<%= config.bin %> scorer verify --target aws --region eu-west-1 --yes --transactions-stream payments --decisions-stream fraud-decisions --blocklist-table blocklist --alerts-topic fraud-alerts',
  ]

  static override enableJsonFlag = true

  static override flags = {
    ...targetFlags,
    ...userResourceFlags,
    canaries: integerFlag({ name: 'canaries', description: 'Canary transactions to send (every fifth empties its account).', min: 1, max: 500, default: 20 }),
    timeout: durationFlag({ name: 'timeout', description: 'How long the scorer has to answer them all.', default: '30s', maxMs: 3_600_000 }),
  }

  async run(): Promise<VerifyResult> {
    const { flags } = await this.parse(ScorerVerify)
    const result = await verifyScorer({
      ...targetSelectionOf(flags),
      userResources: userResourcesOf(flags),
      canaries: flags.canaries,
      timeoutMs: flags.timeout,
      log: (line) => this.progress(line),
    })
    for (const check of result.checks) this.log(`${check.ok ? 'pass' : 'FAIL'}  ${check.name.padEnd(9)} ${check.detail}`)
    if (!result.ok) {
      this.progress(`The scorer does not meet the contract (docs/scorer-contract.md): ${result.checks.filter((c) => !c.ok).map((c) => c.name).join(', ')} failed.`)
      process.exitCode = 1
    }
    return result
  }
}
