// Shared pieces of the keyspace benchmarks: a local redis-server with an
// ioredis client, timing and table helpers, and the GC-tax measurement. Run the benchmarks with `node --expose-gc`.
'use strict'

const { HAVE_REDIS, startRedisServer } = require('../scripts/redis-server')
const { machine, machineLine, table } = require('./common')
const { PerformanceObserver, monitorEventLoopDelay } = require('node:perf_hooks')

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

/**
 * A local redis-server (scripts/redis-server.js) with an ioredis client:
 * `{ client, clientName, port, stop }`, or undefined when it is not installed.
 */
async function startRedis() {
  if (!HAVE_REDIS) return undefined
  const server = await startRedisServer()
  const { port } = server
  const Redis = require('ioredis')
  const client = new Redis({ host: '127.0.0.1', port })
  await client.ping()
  const clientName = 'ioredis'
  const stop = async () => {
    await client.quit()
    server.stop()
  }
  return { client, clientName, port, stop }
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

/** Prints a Markdown table (bench/common.js), then a blank line. */
function printTable(headers, rows) {
  console.log(`${table(headers, rows)}\n`)
}

function gc() {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc')
  global.gc()
  global.gc()
}

const CHURN_MS = 3000

/**
 * The GC tax: allocates like a busy server for CHURN_MS (short-lived objects
 * and strings, a few surviving a while, as request handling makes) and
 * reports the total GC pause time V8 reports (PerformanceObserver 'gc'
 * entries), the number of GCs, and the event loop's p99 and max
 * (monitorEventLoopDelay) meanwhile.
 */
async function churn() {
  let pause = 0
  let count = 0
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      pause += e.duration
      count++
    }
  })
  obs.observe({ entryTypes: ['gc'] })
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const survivors = Array.from({ length: 50_000 })
  const end = Date.now() + CHURN_MS
  let i = 0
  while (Date.now() < end) {
    for (let j = 0; j < 5_000; j++, i++) {
      const o = { id: i, name: `user:${i}`, tags: [i & 7, i & 15], body: 'x'.repeat(64 + (i & 63)) }
      if ((i & 15) === 0) survivors[(i >> 4) % survivors.length] = o
    }
    await new Promise((r) => setImmediate(r))
  }
  loop.disable()
  // Entries are delivered asynchronously: let the last ones arrive.
  await new Promise((r) => setTimeout(r, 50))
  obs.disconnect()
  return { pause, count, p99: loop.percentile(99), max: loop.max }
}

/** The median of `times` forced full collections, in ns. */
function fullGcPauses(times = 5) {
  const pauses = []
  for (let i = 0; i < times; i++) {
    const t0 = process.hrtime.bigint()
    global.gc()
    pauses.push(process.hrtime.bigint() - t0)
  }
  pauses.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return pauses[Math.floor(pauses.length / 2)]
}

/** The table cells of one churn result: V8 heap in use, then what `churn()` measured. */
function churnCells(heap, c) {
  return [
    `${(heap / 1048576).toFixed(0)} MiB`,
    `${c.pause.toFixed(0)} ms`,
    String(c.count),
    `${ms(c.p99)} ms`,
    `${ms(c.max)} ms`,
  ]
}

/**
 * A timing loop `(n) => { body }` compiled from source on its own, with
 * `names` bound to `values`. Loops made by one closure share their inline
 * caches, so each store would be timed at a call site that had seen every
 * store (polymorphic), which slows Map and lru-cache more than a call into
 * the addon; a program's cache call site usually sees one store.
 */
function ownLoop(names, values, body) {
  return new Function(...names, `return (n) => {\n${body}\n}`)(...values)
}

/**
 * The key strings each access pattern reads, in its order: `zipf` (`calls`
 * draws, s = 0.99, over keys ranked in a random order) and `scattered` (each
 * key once, shuffled). Seeded, so every run reads the same sequence.
 */
function accessPatterns(keys, calls) {
  let seed = 0x9e3779b9
  // mulberry32
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const shuffled = (xs) => {
    const out = xs.slice()
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[out[i], out[j]] = [out[j], out[i]]
    }
    return out
  }
  const ranked = shuffled(keys)
  // Cumulative weights of ranks 1..n; a draw is a binary search in them.
  const cumulative = new Float64Array(keys.length)
  let total = 0
  for (let r = 0; r < keys.length; r++) cumulative[r] = total += 1 / (r + 1) ** 0.99
  const zipf = Array.from({ length: calls }, () => {
    const u = random() * total
    let lo = 0
    let hi = keys.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid] < u) lo = mid + 1
      else hi = mid
    }
    return ranked[lo]
  })
  return { zipf, scattered: shuffled(keys) }
}

module.exports = {
  ownLoop,
  accessPatterns,
  lazyfree,
  lruCache,
  startRedis,
  opsPerSec,
  opsPerSecAsync,
  ms,
  fmt,
  printTable,
  machine: () => machineLine(machine()),
  gc,
  churn,
  churnCells,
  fullGcPauses,
  CHURN_MS,
}
