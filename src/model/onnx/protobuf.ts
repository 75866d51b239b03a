/**
 * Just enough of the protobuf wire format to write and read ONNX files: varints, length-delimited
 * fields and packed repeated scalars.
 */
export class ProtoWriter {
  private chunks: Uint8Array[] = []
  private scratch: number[] = []

  varintField(field: number, value: number | bigint): this {
    this.tag(field, 0)
    this.varint(value)
    return this
  }

  stringField(field: number, value: string): this {
    return this.bytesField(field, Buffer.from(value, 'utf8'))
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, 2)
    this.varint(value.length)
    this.flush()
    this.chunks.push(value)
    return this
  }

  messageField(field: number, build: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter()
    build(inner)
    return this.bytesField(field, inner.finish())
  }

  floatField(field: number, value: number): this {
    this.tag(field, 5)
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setFloat32(0, value, true)
    this.flush()
    this.chunks.push(bytes)
    return this
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    const bytes = new Uint8Array(values.length * 4)
    const view = new DataView(bytes.buffer)
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true)
    return this.bytesField(field, bytes)
  }

  packedVarints(field: number, values: ArrayLike<number>): this {
    const inner = new ProtoWriter()
    for (let i = 0; i < values.length; i++) inner.varint(values[i])
    return this.bytesField(field, inner.finish())
  }

  finish(): Uint8Array {
    this.flush()
    return Buffer.concat(this.chunks)
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType)
  }

  private varint(value: number | bigint): void {
    // Negative int64 values are written as 10-byte two's complement, as protobuf does.
    let v = BigInt.asUintN(64, BigInt(value))
    while (v >= 0x80n) {
      this.scratch.push(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    this.scratch.push(Number(v))
  }

  private flush(): void {
    if (this.scratch.length) {
      this.chunks.push(Uint8Array.from(this.scratch))
      this.scratch = []
    }
  }
}

export type ProtoValue = { wireType: 0; value: bigint } | { wireType: 2; value: Uint8Array } | { wireType: 5; value: Uint8Array } | { wireType: 1; value: Uint8Array }

/** Decodes one message into its fields, by number, in order. */
export function readMessage(bytes: Uint8Array): Map<number, ProtoValue[]> {
  const fields = new Map<number, ProtoValue[]>()
  let at = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (at >= bytes.length) throw new Error('truncated protobuf varint')
      const byte = bytes[at++]
      result |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) return result
      shift += 7n
    }
  }
  while (at < bytes.length) {
    const key = Number(varint())
    const field = key >>> 3
    const wireType = key & 7
    let value: ProtoValue
    if (wireType === 0) value = { wireType, value: varint() }
    else if (wireType === 2) {
      const length = Number(varint())
      value = { wireType, value: bytes.subarray(at, at + length) }
      at += length
    } else if (wireType === 5 || wireType === 1) {
      const length = wireType === 5 ? 4 : 8
      value = { wireType, value: bytes.subarray(at, at + length) }
      at += length
    } else throw new Error(`unsupported protobuf wire type ${wireType}`)
    if (at > bytes.length) throw new Error('truncated protobuf message')
    const list = fields.get(field)
    if (list) list.push(value)
    else fields.set(field, [value])
  }
  return fields
}

export const text = (value: ProtoValue | undefined): string => (value && value.wireType === 2 ? Buffer.from(value.value).toString('utf8') : '')

/** A repeated int64 field, packed or not. */
export function int64s(values: ProtoValue[] | undefined): number[] {
  const out: number[] = []
  for (const v of values ?? []) {
    if (v.wireType === 0) out.push(Number(BigInt.asIntN(64, v.value)))
    else if (v.wireType === 2) for (const [, inner] of readPackedVarints(v.value)) out.push(inner)
  }
  return out
}

function* readPackedVarints(bytes: Uint8Array): Generator<[number, number]> {
  let at = 0
  let index = 0
  while (at < bytes.length) {
    let result = 0n
    let shift = 0n
    for (;;) {
      const byte = bytes[at++]
      result |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) break
      shift += 7n
    }
    yield [index++, Number(BigInt.asIntN(64, result))]
  }
}

/** A repeated float field, packed or not. */
export function floats(values: ProtoValue[] | undefined): number[] {
  const out: number[] = []
  for (const v of values ?? []) {
    if (v.wireType === 0) continue
    const view = new DataView(v.value.buffer, v.value.byteOffset, v.value.byteLength)
    if (v.wireType === 5) out.push(view.getFloat32(0, true))
    else if (v.wireType === 2) for (let i = 0; i + 4 <= v.value.byteLength; i += 4) out.push(view.getFloat32(i, true))
  }
  return out
}
