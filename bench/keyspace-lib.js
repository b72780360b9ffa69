// Shared pieces of the keyspace benchmarks: a local redis-server, a Redis
// client (ioredis when installed, otherwise a minimal RESP2 client), timing
// and table helpers. Run the benchmarks with `node --expose-gc`.
'use strict'

const { spawn, spawnSync } = require('node:child_process')
const { createServer, Socket } = require('node:net')
const { cpus, loadavg } = require('node:os')

/** The package under test, from the working tree. */
const lazyfree = () => require('..')

/** lru-cache's class, or undefined when it is not installed. */
function lruCache() {
  try {
    return require('lru-cache').LRUCache
  } catch {
    return undefined
  }
}

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

/** Parses one RESP2 reply from `buf` at `at`; undefined when incomplete. */
function parse(buf, at) {
  const eol = buf.indexOf('\r\n', at)
  if (eol < 0) return undefined
  const line = buf.toString('latin1', at + 1, eol)
  const next = eol + 2
  switch (buf[at]) {
    case 0x2b: // +
      return { value: line, next }
    case 0x2d: // -
      return { value: new Error(line), next }
    case 0x3a: // :
      return { value: Number(line), next }
    case 0x24: { // $
      const len = Number(line)
      if (len < 0) return { value: null, next }
      if (buf.length < next + len + 2) return undefined
      return { value: buf.toString('utf8', next, next + len), next: next + len + 2 }
    }
    case 0x2a: { // *
      const n = Number(line)
      const items = []
      let pos = next
      for (let i = 0; i < n; i++) {
        const item = parse(buf, pos)
        if (item === undefined) return undefined
        items.push(item.value)
        pos = item.next
      }
      return { value: items, next: pos }
    }
    default:
      throw new Error(`bad RESP byte ${buf[at]}`)
  }
}

/** A minimal pipelining RESP2 client with ioredis's `call` shape. */
class MiniRedis {
  constructor(socket) {
    this.socket = socket
    this.buf = Buffer.alloc(0)
    this.waiting = []
    socket.setNoDelay(true)
    socket.on('data', (chunk) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk
      let at = 0
      for (;;) {
        if (at >= this.buf.length) break
        const r = parse(this.buf, at)
        if (r === undefined) break
        at = r.next
        const { resolve, reject } = this.waiting.shift()
        if (r.value instanceof Error) reject(r.value)
        else resolve(r.value)
      }
      this.buf = this.buf.subarray(at)
    })
  }

  static connect(port) {
    return new Promise((resolve, reject) => {
      const socket = new Socket()
      socket.once('error', reject)
      socket.connect(port, '127.0.0.1', () => resolve(new MiniRedis(socket)))
    })
  }

  call(...args) {
    let out = `*${args.length}\r\n`
    for (const a of args) {
      const s = String(a)
      out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.socket.write(out)
    })
  }

  quit() {
    this.socket.destroy()
  }
}

/**
 * Starts redis-server on 127.0.0.1 at a free port, without persistence.
 * Returns { client, clientName, stop }, or undefined when redis-server is
 * not installed.
 */
async function startRedis() {
  if (spawnSync('redis-server', ['--version']).error) return undefined
  const port = await freePort()
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  })
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      const probe = await MiniRedis.connect(port)
      await probe.call('PING')
      probe.quit()
      break
    } catch (e) {
      if (Date.now() > deadline) {
        server.kill()
        throw e
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  let client
  let clientName
  try {
    const Redis = require('ioredis')
    client = new Redis({ host: '127.0.0.1', port, lazyConnect: false })
    await client.ping()
    clientName = 'ioredis'
  } catch {
    client = await MiniRedis.connect(port)
    clientName = 'RESP client (ioredis not installed)'
  }
  const stop = async () => {
    if (client.quit) await client.quit()
    server.kill()
  }
  return { client, clientName, stop }
}

/** Runs `fn(i)` n times; returns operations per second. */
function opsPerSec(n, fn) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(i)
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  return n / s
}

async function opsPerSecAsync(n, fn) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await fn(i)
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  return n / s
}

function ms(ns) {
  return (Number(ns) / 1e6).toFixed(1)
}

function fmt(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`
  return n.toFixed(0)
}

/** Prints a Markdown table. */
function table(headers, rows) {
  console.log(`| ${headers.join(' | ')} |`)
  console.log(`|${headers.map(() => '---').join('|')}|`)
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)
  console.log()
}

function machine() {
  return `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`
}

function gc() {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc')
  global.gc()
  global.gc()
}

module.exports = { lazyfree, lruCache, startRedis, opsPerSec, opsPerSecAsync, ms, fmt, table, machine, gc }
