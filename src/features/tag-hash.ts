/**
 * A value the feature state remembers (a merchant, device, address, account) as a 53-bit number
 * rather than its string: a number in a double array is nothing the garbage collector visits,
 * where each remembered string was an object it marked on every major GC, and the scorer's pauses
 * grew with them. Two different values of one entity's window share a hash with a chance of about
 * 1 in 2^40: far below anything a feature could show.
 */
export function tagHash(text: string): number {
  let low = 0x811c9dc5
  let high = 0x01000193
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    low = Math.imul(low ^ code, 0x01000193)
    high = Math.imul(high ^ code, 0x5bd1e995)
  }
  low = mix(low)
  high = mix(high ^ text.length)
  return (high >>> 11) * 0x1_0000_0000 + (low >>> 0)
}

/** MurmurHash3's finalizer: every input bit moves every output bit. */
function mix(hash: number): number {
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b)
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35)
  return hash ^ (hash >>> 16)
}

/** No value (an event without a tag): never a hash, and never equal to anything. */
export const NO_TAG = NaN
