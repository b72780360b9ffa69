// A throwaway redis-server for the specs and benchmarks that compare the
// keyspace with Redis or put Redis behind it: on 127.0.0.1 only, at a free
// port, without persistence, answering PING before it is handed out. One
// copy of how the project starts it, and of how it says it is missing.
'use strict'

const { spawn, spawnSync } = require('node:child_process')
const { createServer, Socket } = require('node:net')

/** Whether `redis-server` is on PATH. */
const HAVE_REDIS = !spawnSync('redis-server', ['--version']).error

/** How to get it, for skip messages and failures. */
const INSTALL = 'install it with `apt-get install redis-server` (Debian, Ubuntu) or `brew install redis` (macOS)'

/** A TCP port nothing listens on right now, on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Resolves once a Redis server answers PING on 127.0.0.1:`port`. */
function pong(port) {
  return new Promise((resolve, reject) => {
    const socket = new Socket()
    socket.once('error', reject)
    socket.once('data', (d) => {
      socket.destroy()
      if (d.toString().startsWith('+PONG')) resolve()
      else reject(new Error(`unexpected reply ${d}`))
    })
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'))
  })
}

/**
 * Starts redis-server on 127.0.0.1 at a free port, without persistence, and
 * waits (up to 10 s) until it answers PING. Resolves `{ port, url, stop }`;
 * `stop()` kills it. Throws when it is not installed or does not answer.
 */
async function startRedisServer() {
  if (!HAVE_REDIS) throw new Error(`redis-server is not on PATH; ${INSTALL}`)
  const port = await freePort()
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    { stdio: 'ignore' },
  )
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      await pong(port)
      break
    } catch (error) {
      if (Date.now() > deadline) {
        server.kill()
        throw new Error(`redis-server did not answer on 127.0.0.1:${port}: ${error}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return { port, url: `redis://127.0.0.1:${port}`, stop: () => server.kill() }
}

module.exports = { HAVE_REDIS, INSTALL, startRedisServer }
