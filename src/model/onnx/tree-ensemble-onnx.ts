import type { TreeEnsemble } from '../tree-ensemble.js'
import { encodeOnnxModel } from './onnx-builder.js'
import { floats, int64s, readMessage, text } from './protobuf.js'

export const MODEL_INPUT = 'features'
export const MODEL_MARGIN = 'margin'
export const MODEL_OUTPUT = 'probability'

/**
 * The ensemble as ONNX: an ai.onnx.ml TreeEnsembleRegressor summing the trees into a margin
 * (post_transform NONE), then a standard Sigmoid. onnxruntime's LOGISTIC post-transform has had
 * precision issues; a separate Sigmoid avoids them. Input `features` is float32 [N, F]; output
 * `probability` is a plain float32 tensor [N, 1] (no ZipMap, which onnxruntime-node cannot read).
 * Every threshold and leaf value is a float32 already, so nothing is rounded on the way.
 */
export function treeEnsembleToOnnx(model: TreeEnsemble, info: { name: string; version: string; metadata?: Record<string, string> }): Uint8Array {
  const ids = { treeIds: [] as number[], nodeIds: [] as number[], features: [] as number[], modes: [] as string[], values: [] as number[], trueIds: [] as number[], falseIds: [] as number[], missingTrue: [] as number[] }
  const targets = { treeIds: [] as number[], nodeIds: [] as number[], weights: [] as number[] }
  model.trees.forEach((tree, t) => {
    for (let node = 0; node < tree.feature.length; node++) {
      const leaf = tree.feature[node] < 0
      ids.treeIds.push(t)
      ids.nodeIds.push(node)
      ids.features.push(leaf ? 0 : tree.feature[node])
      ids.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ')
      ids.values.push(leaf ? 0 : tree.threshold[node])
      ids.trueIds.push(leaf ? 0 : tree.left[node])
      ids.falseIds.push(leaf ? 0 : tree.right[node])
      ids.missingTrue.push(leaf ? 0 : tree.missingLeft[node])
      if (leaf) {
        targets.treeIds.push(t)
        targets.nodeIds.push(node)
        targets.weights.push(tree.value[node])
      }
    }
  })
  return encodeOnnxModel({
    name: info.name,
    producerVersion: info.version,
    docString: `fraudlab gradient-boosted trees: ${model.trees.length} trees over ${model.featureNames.length} features`,
    opsets: { '': 13, 'ai.onnx.ml': 3 },
    inputs: [{ name: MODEL_INPUT, shape: ['N', model.featureNames.length] }],
    outputs: [{ name: MODEL_OUTPUT, shape: ['N', 1] }],
    metadata: info.metadata,
    nodes: [
      {
        opType: 'TreeEnsembleRegressor',
        domain: 'ai.onnx.ml',
        name: 'trees',
        inputs: [MODEL_INPUT],
        outputs: [MODEL_MARGIN],
        attributes: {
          n_targets: { kind: 'int', value: 1 },
          aggregate_function: { kind: 'string', value: 'SUM' },
          post_transform: { kind: 'string', value: 'NONE' },
          base_values: { kind: 'floats', value: [model.baseMargin] },
          nodes_treeids: { kind: 'ints', value: ids.treeIds },
          nodes_nodeids: { kind: 'ints', value: ids.nodeIds },
          nodes_featureids: { kind: 'ints', value: ids.features },
          nodes_modes: { kind: 'strings', value: ids.modes },
          nodes_values: { kind: 'floats', value: ids.values },
          nodes_truenodeids: { kind: 'ints', value: ids.trueIds },
          nodes_falsenodeids: { kind: 'ints', value: ids.falseIds },
          nodes_missing_value_tracks_true: { kind: 'ints', value: ids.missingTrue },
          target_treeids: { kind: 'ints', value: targets.treeIds },
          target_nodeids: { kind: 'ints', value: targets.nodeIds },
          target_ids: { kind: 'ints', value: targets.treeIds.map(() => 0) },
          target_weights: { kind: 'floats', value: targets.weights },
        },
      },
      { opType: 'Sigmoid', name: 'sigmoid', inputs: [MODEL_MARGIN], outputs: [MODEL_OUTPUT] },
    ],
  })
}

/** A tree of an ONNX tree ensemble, read back for attributions (not for scoring). */
export interface OnnxTree {
  feature: Int32Array
  threshold: Float32Array
  missingLeft: Uint8Array
  left: Int32Array
  right: Int32Array
  value: Float32Array
}

/**
 * Reads the trees of the first TreeEnsembleRegressor or TreeEnsembleClassifier in an ONNX file
 * with BRANCH_LEQ splits, or undefined if it has none (any other model still scores; it just
 * gives no per-feature reasons).
 */
export function readOnnxTrees(bytes: Uint8Array): OnnxTree[] | undefined {
  const graph = readMessage(bytes).get(7)?.[0]
  if (!graph || graph.wireType !== 2) return undefined
  for (const nodeField of readMessage(graph.value).get(1) ?? []) {
    if (nodeField.wireType !== 2) continue
    const node = readMessage(nodeField.value)
    const opType = text(node.get(4)?.[0])
    if (opType !== 'TreeEnsembleRegressor' && opType !== 'TreeEnsembleClassifier') continue
    const attributes = new Map<string, ReturnType<typeof readMessage>>()
    for (const a of node.get(5) ?? []) {
      if (a.wireType !== 2) continue
      const attribute = readMessage(a.value)
      attributes.set(text(attribute.get(1)?.[0]), attribute)
    }
    const ints = (name: string) => int64s(attributes.get(name)?.get(8))
    const floatList = (name: string) => floats(attributes.get(name)?.get(7))
    const strings = (name: string) => (attributes.get(name)?.get(9) ?? []).map((v) => text(v))
    const prefix = opType === 'TreeEnsembleRegressor' ? 'target' : 'class'
    const treeIds = ints('nodes_treeids')
    const modes = strings('nodes_modes')
    if (modes.some((mode) => mode !== 'LEAF' && mode !== 'BRANCH_LEQ')) return undefined
    const nodeIds = ints('nodes_nodeids')
    const featureIds = ints('nodes_featureids')
    const values = floatList('nodes_values')
    const trueIds = ints('nodes_truenodeids')
    const falseIds = ints('nodes_falsenodeids')
    const missing = ints('nodes_missing_value_tracks_true')
    const weightTrees = ints(`${prefix}_treeids`)
    const weightNodes = ints(`${prefix}_nodeids`)
    const weights = floatList(`${prefix}_weights`)
    const treeCount = Math.max(-1, ...treeIds) + 1
    const trees: OnnxTree[] = []
    for (let t = 0; t < treeCount; t++) {
      const size = Math.max(0, ...nodeIds.filter((_, i) => treeIds[i] === t)) + 1
      trees.push({ feature: new Int32Array(size).fill(-1), threshold: new Float32Array(size), missingLeft: new Uint8Array(size), left: new Int32Array(size), right: new Int32Array(size), value: new Float32Array(size) })
    }
    treeIds.forEach((t, i) => {
      const tree = trees[t]
      const id = nodeIds[i]
      if (modes[i] === 'LEAF') return
      tree.feature[id] = featureIds[i]
      tree.threshold[id] = values[i]
      tree.left[id] = trueIds[i]
      tree.right[id] = falseIds[i]
      tree.missingLeft[id] = missing[i] ?? 0
    })
    weightTrees.forEach((t, i) => (trees[t].value[weightNodes[i]] += weights[i]))
    return trees
  }
  return undefined
}
