import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Args, Flags } from '@oclif/core'
import { FraudlabCommand } from '../../cli/base-command.js'
import { UserError } from '../../errors/user-error.js'
import { resolveReportFolder } from '../../report/read-report.js'
import { REPORT_FILES } from '../../report/write-report.js'

const OPENERS: Partial<Record<NodeJS.Platform, string>> = { linux: 'xdg-open', darwin: 'open', win32: 'explorer' }

export default class ReportOpen extends FraudlabCommand {
  static override summary = "Open a run's report.html in the browser, or print its path."
  static override description = 'Prints the path of report.html; in a desktop session (a terminal with a display) it also opens it. The page is self-contained and works offline.'
  static override examples = ['<%= config.bin %> report open latest', '<%= config.bin %> report open 20261122-184501-3fa9 --print']
  static override args = { run: Args.string({ description: 'A report folder, its summary.json, a run id, or latest.', default: 'latest' }) }
  static override flags = {
    'reports-dir': Flags.string({ description: 'Where run ids are looked up.', default: 'reports', helpValue: '<dir>' }),
    print: Flags.boolean({ description: 'Only print the path.', default: false }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ReportOpen)
    const folder = resolveReportFolder(args.run, flags['reports-dir'])
    const html = join(folder, REPORT_FILES.html)
    if (!existsSync(html)) throw new UserError(`${folder} has no ${REPORT_FILES.html}.`, { hint: 'Reports written before summary schema version 2 have none; re-run to get one.' })
    this.log(html)
    const opener = OPENERS[process.platform]
    const desktop = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
    if (flags.print || !process.stdout.isTTY || !desktop || !opener) return
    const child = spawn(opener, [html], { detached: true, stdio: 'ignore' })
    child.on('error', () => this.progress(`Could not start ${opener}; open the path above in a browser.`))
    child.unref()
  }
}
