/**
 * What fraudlab's exit status means, as k6 documents its own: a CI step can tell a failed run
 * from a mistake in its call, an unreachable target, a crossed threshold and a stop.
 */
export const EXIT_CODES = {
  /** The run completed and reconciled; every threshold held. */
  ok: 0,
  /** The run failed, or did not reconcile (a transaction lost). The report is written. */
  runFailed: 1,
  /** A usage or input error: a bad flag, file or scenario. Nothing ran. */
  usage: 2,
  /** The target cannot be reached: LocalStack not answering, no Docker, AWS credentials refused. */
  unreachable: 3,
  /** A threshold was crossed (the run itself completed). The report is written. */
  thresholdCrossed: 99,
  /** Stopped by Ctrl-C, SIGTERM or SIGHUP: the load stopped early, and the report covers what ran. */
  interrupted: 130,
} as const

/** The table for `--help` and the README. */
export const EXIT_CODES_HELP = 'Exit codes: 0 ok; 1 run failed or not reconciled; 2 usage or input error; 3 target not reachable; 99 threshold crossed; 130 interrupted (report written).'
