/** The stream consumers fraudlab registers for enhanced fan-out (`--consumer efo`, `--collector-consumer efo`). */

/** The scorers' consumer, and the group their checkpoints belong to. */
export const SCORER_CONSUMER_NAME = 'fraudlab-scorer'

/** The collector's own consumer on the decisions stream. */
export const COLLECTOR_CONSUMER_NAME = 'fraudlab-collector'

export const FRAUDLAB_CONSUMER_NAMES: readonly string[] = [SCORER_CONSUMER_NAME, COLLECTOR_CONSUMER_NAME]
