/** The names of everything a run needs on a target; a prefix keeps several setups apart. */
export interface ResourceNames {
  prefix: string
  transactionsStream: string
  decisionsStream: string
  blockListTable: string
  leaseTable: string
  alertsTopic: string
}

export const DEFAULT_PREFIX = 'fraudlab-'

export function resourceNames(prefix = DEFAULT_PREFIX): ResourceNames {
  return {
    prefix,
    transactionsStream: `${prefix}transactions`,
    decisionsStream: `${prefix}decisions`,
    blockListTable: `${prefix}blocklist`,
    leaseTable: `${prefix}leases`,
    alertsTopic: `${prefix}alerts`,
  }
}

/** Resources a user names (their own, existing ones): fraudlab uses them, never creates or deletes them. */
export type UserResources = Partial<Pick<ResourceNames, 'transactionsStream' | 'decisionsStream' | 'blockListTable' | 'alertsTopic'>>

export function withUserResources(names: ResourceNames, user: UserResources = {}): ResourceNames & { userOwned: ReadonlySet<keyof UserResources> } {
  const given = Object.entries(user).filter(([, name]) => name !== undefined) as Array<[keyof UserResources, string]>
  return { ...names, ...Object.fromEntries(given), userOwned: new Set(given.map(([key]) => key)) }
}

/** A run's names with the user's own resources marked. */
export type RunResourceNames = ReturnType<typeof withUserResources>

/** Whether a stream of the run is the user's (named with a flag) rather than one fraudlab made. */
export function isUserStream(names: RunResourceNames, stream: string): boolean {
  return (names.userOwned.has('transactionsStream') && stream === names.transactionsStream) || (names.userOwned.has('decisionsStream') && stream === names.decisionsStream)
}

export function isValidPrefix(prefix: string): boolean {
  return /^[A-Za-z0-9_.-]{0,40}$/.test(prefix)
}
