/**
 * One regression tree over float32 features. Node 0 is the root; a node with feature −1 is a
 * leaf. A split sends x to `left` when x ≤ threshold (ONNX's BRANCH_LEQ), and a missing x (NaN)
 * to `left` when `missingLeft` is 1. `splitBin` is the same split on binned rows (bins 1…splitBin
 * go left), used while training.
 */
export interface Tree {
  feature: Int32Array
  threshold: Float32Array
  splitBin: Uint8Array
  missingLeft: Uint8Array
  left: Int32Array
  right: Int32Array
  /** Leaf values, float32-exact: the values the ONNX model carries. */
  value: Float32Array
}

/** A binary classifier: probability = sigmoid(baseMargin + Σ leaf values). */
export class TreeEnsemble {
  constructor(
    readonly featureNames: readonly string[],
    readonly baseMargin: number,
    readonly trees: Tree[],
  ) {}

  /** The margin (log-odds) of one row of a row-major float32 matrix. */
  margin(values: Float32Array, row: number, treeCount = this.trees.length): number {
    const base = row * this.featureNames.length
    let sum = this.baseMargin
    for (let t = 0; t < treeCount; t++) sum += leafValue(this.trees[t], values, base)
    return sum
  }

  probability(values: Float32Array, row: number): number {
    return sigmoid(this.margin(values, row))
  }
}

export function sigmoid(margin: number): number {
  return 1 / (1 + Math.exp(-margin))
}

function childFor(tree: Tree, node: number, x: number): number {
  if (x !== x) return tree.missingLeft[node] ? tree.left[node] : tree.right[node]
  return x <= tree.threshold[node] ? tree.left[node] : tree.right[node]
}

function leafValue(tree: Tree, values: Float32Array, base: number): number {
  let node = 0
  while (tree.feature[node] >= 0) node = childFor(tree, node, values[base + tree.feature[node]])
  return tree.value[node]
}

/** Leaf value of a binned row (bin 0 = missing), while training. */
export function leafValueBinned(tree: Tree, bins: Uint8Array, base: number): number {
  let node = 0
  while (tree.feature[node] >= 0) {
    const bin = bins[base + tree.feature[node]]
    node = (bin === 0 ? tree.missingLeft[node] === 1 : bin <= tree.splitBin[node]) ? tree.left[node] : tree.right[node]
  }
  return tree.value[node]
}

/**
 * Expected leaf value under each node, both children weighing the same (ONNX carries no per-node
 * row counts); used for path attributions.
 */
export function expectedValues(tree: Pick<Tree, 'feature' | 'left' | 'right' | 'value'>): Float64Array {
  const expected = new Float64Array(tree.feature.length)
  const visit = (node: number): void => {
    if (tree.feature[node] < 0) {
      expected[node] = tree.value[node]
      return
    }
    visit(tree.left[node])
    visit(tree.right[node])
    expected[node] = (expected[tree.left[node]] + expected[tree.right[node]]) / 2
  }
  visit(0)
  return expected
}
