/**
 * `--segment i/n`: one host's part of a run split across n hosts, as k6's execution segments split
 * a test. Every host generates the whole scenario (same seed, same schedule) and sends only the
 * transactions of its accounts: together the n hosts send exactly what one would, each account
 * from one host (so its transactions stay in order), at about 1/n of the rate each.
 */
export interface Segment {
  /** 1-based, as the flag gives it. */
  index: number
  count: number
}

/**
 * Whether `account` is this segment's. Accounts are placed by a hash onto [0, 1) and segment i
 * takes [(i-1)/n, i/n), so that the halves of 1/2 are 1/4 and 2/4 of the quarters, as in k6.
 */
export function inSegment(segment: Segment, account: string): boolean {
  return Math.floor(unitHash(account) * segment.count) === segment.index - 1
}

export function segmentLabel(segment: Segment): string {
  return `${segment.index}/${segment.count}`
}

/**
 * FNV-1a over the UTF-16 code units, mixed by MurmurHash3's finalizer (ids that differ in their
 * last digit land far apart), as a fraction of 2^32: the same on every host and Node version.
 */
function unitHash(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b)
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35)
  return ((hash ^ (hash >>> 16)) >>> 0) / 0x1_0000_0000
}
