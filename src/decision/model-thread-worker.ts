// The model thread's side (model-thread.ts): one onnxruntime session, one call at a time, in order.
import ort from 'onnxruntime-node'
import { parentPort, workerData } from 'node:worker_threads'

const { modelBytes, input, output } = workerData as { modelBytes: Uint8Array; input: string; output: string }
const port = parentPort!

try {
  const session = await ort.InferenceSession.create(modelBytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' })
  const columns = (rows: number, values: Float32Array) => values.length / Math.max(1, rows)
  port.on('message', (message: { id: number; input: Float32Array; rows: number }) => {
    session
      .run({ [input]: new ort.Tensor('float32', message.input, [message.rows, columns(message.rows, message.input)]) })
      .then((outputs) => {
        const data = outputs[output].data as Float32Array
        // The output's buffer may be larger than the tensor: send exactly the tensor's values.
        const result = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice()
        port.postMessage({ id: message.id, output: result }, [result.buffer as ArrayBuffer])
      })
      .catch((error: Error) => port.postMessage({ id: message.id, error: error.message }))
  })
  port.postMessage({ ready: true })
} catch (error) {
  port.postMessage({ error: (error as Error).message })
}
