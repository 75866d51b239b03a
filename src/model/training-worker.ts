// A training thread (training-threads.ts): sleeps on its control word, and at each wake runs what
// its port holds (histograms handed over, then one job), writes the result and says it is done.
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import { runJob, threadState, type SharedTrainingArrays } from './training-jobs.js'
import { DONE, FAILED, POSTED, RESULT, type WorkerMessage } from './training-threads.js'

const { port, control, shared } = workerData as { port: MessagePort; control: Int32Array; shared: SharedTrainingArrays }
const state = threadState(shared)
port.postMessage('ready')

let seen = 0
let stopping = false
while (!stopping) {
  Atomics.wait(control, POSTED, seen)
  seen = Atomics.load(control, POSTED)
  control[FAILED] = 0
  try {
    for (let received = receiveMessageOnPort(port); received; received = receiveMessageOnPort(port)) {
      const message = received.message as WorkerMessage
      if (message.kind === 'stop') stopping = true
      else if (message.kind === 'histogram-slot') state.histograms[message.slot] = message.array
      else control[RESULT] = runJob(state, message)
    }
  } catch (error) {
    control[FAILED] = 1
    port.postMessage({ error: (error as Error).stack ?? String(error) })
  }
  Atomics.store(control, DONE, seen)
  Atomics.notify(control, DONE)
}
port.close()
