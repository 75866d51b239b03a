/** The names of everything a run needs on a target; a prefix keeps several setups apart. */
export interface ResourceNames {
  prefix: string
  transactionsStream: string
  decisionsStream: string
  blockListTable: string
  checkpointsTable: string
  alertsTopic: string
}

export const DEFAULT_PREFIX = 'fraudlab-'

export function resourceNames(prefix = DEFAULT_PREFIX): ResourceNames {
  return {
    prefix,
    transactionsStream: `${prefix}transactions`,
    decisionsStream: `${prefix}decisions`,
    blockListTable: `${prefix}blocklist`,
    checkpointsTable: `${prefix}checkpoints`,
    alertsTopic: `${prefix}alerts`,
  }
}

export function isValidPrefix(prefix: string): boolean {
  return /^[A-Za-z0-9_.-]{0,40}$/.test(prefix)
}
