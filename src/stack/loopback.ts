import type { Server } from 'node:net'

/** Listens on the loopback interface (port 0: the kernel picks a free one) and returns the port. */
export async function listenOnLoopback(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return (server.address() as { port: number }).port
}
