/**
 * A bijection on 32-bit integers (odd multiplications and xor-shifts are invertible), so that
 * numbering accounts 0, 1, 2… gives distinct, random-looking ids. Genuine, mule and synthetic
 * accounts draw from one numbering: an id's format never reveals its label.
 */
export function permute32(n: number): number {
  let x = (n ^ 0x5bd1e995) >>> 0
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0
  return (x ^ (x >>> 16)) >>> 0
}

export function accountId(n: number): string {
  return `C${String(permute32(n)).padStart(10, '0')}`
}

export function merchantId(n: number): string {
  return `M${String(permute32(n + 0x40000000)).padStart(10, '0')}`
}

export function cardId(n: number): string {
  return `K${String(permute32(n + 0x80000000)).padStart(10, '0')}`
}

export function deviceId(n: number): string {
  return `D${permute32(n + 0xc0000000).toString(36)}`
}

/** A public-looking IPv4 address (first octet 11–223), distinct per `n`. */
export function ipAddress(n: number): string {
  const x = permute32(n + 0x20000000)
  return `${11 + (x % 213)}.${(x >>> 8) & 255}.${(x >>> 16) & 255}.${1 + ((x >>> 24) % 254)}`
}

const MERCHANT_CATEGORIES = ['5411', '5812', '5541', '5999', '5732', '4121', '5311', '5912', '7011', '4511', '5691', '5942'] as const

export function merchantCategory(n: number): string {
  return MERCHANT_CATEGORIES[permute32(n) % MERCHANT_CATEGORIES.length]
}
