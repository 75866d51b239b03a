import { ProtoWriter } from './protobuf.js'

/** ONNX TensorProto.DataType.FLOAT */
export const ONNX_FLOAT = 1

export type AttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: ArrayLike<number> }
  | { kind: 'ints'; value: ArrayLike<number> }
  | { kind: 'strings'; value: string[] }

export interface OnnxNode {
  opType: string
  domain?: string
  inputs: string[]
  outputs: string[]
  name?: string
  attributes?: Record<string, AttributeValue>
}

export interface OnnxTensorInfo {
  name: string
  /** Dimension sizes; a string is a symbolic dimension (such as the batch size). */
  shape: Array<number | string>
}

export interface OnnxInitializer {
  name: string
  dims: number[]
  values: ArrayLike<number>
}

export interface OnnxGraph {
  name: string
  nodes: OnnxNode[]
  inputs: OnnxTensorInfo[]
  outputs: OnnxTensorInfo[]
  initializers?: OnnxInitializer[]
  /** Operator set versions by domain ('' is the default ONNX domain). */
  opsets: Record<string, number>
  producerVersion: string
  docString?: string
  metadata?: Record<string, string>
}

// AttributeProto.AttributeType
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7, strings: 8 } as const

/** Serialises a float32 graph to ONNX ModelProto bytes. */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const model = new ProtoWriter()
  model.varintField(1, 8) // ir_version 8 (ONNX 1.10+), read by every onnxruntime since 1.10
  model.stringField(2, 'fraudlab')
  model.stringField(3, graph.producerVersion)
  if (graph.docString) model.stringField(6, graph.docString)
  model.messageField(7, (g) => {
    for (const node of graph.nodes) g.messageField(1, (n) => writeNode(n, node))
    g.stringField(2, graph.name)
    for (const init of graph.initializers ?? []) {
      g.messageField(5, (t) => {
        t.packedVarints(1, init.dims)
        t.varintField(2, ONNX_FLOAT)
        t.packedFloats(4, init.values)
        t.stringField(8, init.name)
      })
    }
    for (const input of graph.inputs) g.messageField(11, (v) => writeValueInfo(v, input))
    for (const output of graph.outputs) g.messageField(12, (v) => writeValueInfo(v, output))
  })
  for (const [domain, version] of Object.entries(graph.opsets)) {
    model.messageField(8, (o) => {
      if (domain) o.stringField(1, domain)
      o.varintField(2, version)
    })
  }
  for (const [key, value] of Object.entries(graph.metadata ?? {})) {
    model.messageField(14, (e) => e.stringField(1, key).stringField(2, value))
  }
  return model.finish()
}

function writeNode(w: ProtoWriter, node: OnnxNode): void {
  for (const input of node.inputs) w.stringField(1, input)
  for (const output of node.outputs) w.stringField(2, output)
  if (node.name) w.stringField(3, node.name)
  w.stringField(4, node.opType)
  for (const [name, attribute] of Object.entries(node.attributes ?? {})) {
    w.messageField(5, (a) => {
      a.stringField(1, name)
      switch (attribute.kind) {
        case 'float':
          a.floatField(2, attribute.value)
          break
        case 'int':
          a.varintField(3, attribute.value)
          break
        case 'string':
          a.stringField(4, attribute.value)
          break
        case 'floats':
          a.packedFloats(7, attribute.value)
          break
        case 'ints':
          a.packedVarints(8, attribute.value)
          break
        case 'strings':
          for (const s of attribute.value) a.stringField(9, s)
          break
      }
      a.varintField(20, ATTRIBUTE_TYPE[attribute.kind])
    })
  }
  if (node.domain) w.stringField(7, node.domain)
}

function writeValueInfo(w: ProtoWriter, info: OnnxTensorInfo): void {
  w.stringField(1, info.name)
  w.messageField(2, (type) =>
    type.messageField(1, (tensor) => {
      tensor.varintField(1, ONNX_FLOAT)
      tensor.messageField(2, (shape) => {
        for (const dim of info.shape) shape.messageField(1, (d) => (typeof dim === 'number' ? d.varintField(1, dim) : d.stringField(2, dim)))
      })
    }),
  )
}
