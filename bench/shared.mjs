// One keyspace for every worker (Keyspace.open, docs/shared.md) against the
// two ways a Node service shares a cache between worker threads today:
// each worker keeping its own lru-cache, and every worker talking to Redis
// through ioredis (when redis-server is on PATH).
//
//   npm run bench:shared            (LAZYFREE_BENCH_QUICK=1 for a short run)
//
// Throughput: 1, 2 and 4 workers run a tight loop of gets (reads) or 90%
// gets / 10% sets (mixed) on random keys of the same data set, all started
// together by a barrier; ops/s is the total count over the slowest worker's
// time. Single thread: a get on a shared keyspace against one on a plain
// `new Keyspace()` in the same thread. Memory: RSS for the same data held
// once in a shared keyspace with four workers attached, against a copy in
// each of four workers' lru-caches, both over four idle workers' RSS.
// Goals (issue 14): two threads read >= 1.6x one; a shared get <= 1.3x an
// unshared one; four workers attached ~ one copy + the workers' baseline.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { cpus } from 'node:os'
import { readFileSync } from 'node:fs'
import { lazyfree, packageDir, writeResults, table, machineLine } from './lib.mjs'

const require = createRequire(import.meta.url)
// How the project starts a throwaway redis-server.
const { HAVE_REDIS, startRedisServer } = require('../scripts/redis-server.js')
const QUICK = process.env.LAZYFREE_BENCH_QUICK === '1'
const KEYS = 100_000
const VALUE = 'v'.repeat(100)
const OPS = QUICK ? 200_000 : 1_000_000
const REDIS_OPS = QUICK ? 5_000 : 20_000
const key = (i) => `key:${i}`
// LAZYFREE_BENCH_ONLY=memory runs the memory case alone; =reads the single
// thread case and 1 and 2 workers reading; =single the single thread case.
const ONLY = process.env.LAZYFREE_BENCH_ONLY

/**
 * CPU time this thread has used, in ns (Linux: /proc/thread-self/stat, in
 * clock ticks of 10 ms); NaN elsewhere. On a loaded machine, wall time
 * measures the CPU a run was given; CPU time per operation measures what
 * the operation costs, contention included (a thread spinning or bouncing
 * cache lines burns CPU; one sleeping on a lock does not, which the
 * throughput column still shows).
 */
function threadCpuNs() {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 1e7
  } catch {
    return NaN
  }
}

// --- workers -----------------------------------------------------------------

async function worker() {
  const { mode, name, ops, mixed, barrier, port, fill } = workerData
  const { Keyspace } = lazyfree()
  let get
  let set
  let close = () => {}
  if (mode === 'shared') {
    const ks = Keyspace.open(name)
    get = (k) => ks.get(k)
    set = (k, v) => ks.set(k, v)
    close = () => ks.close()
  } else if (mode === 'lru') {
    const { LRUCache } = require(require.resolve('lru-cache', { paths: [packageDir()] }))
    const cache = new LRUCache({ max: KEYS * 2 })
    if (fill) for (let i = 0; i < KEYS; i++) cache.set(key(i), VALUE)
    get = (k) => cache.get(k)
    set = (k, v) => cache.set(k, v)
  } else if (mode === 'redis') {
    const Redis = require(require.resolve('ioredis', { paths: [packageDir()] }))
    const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true })
    await redis.connect()
    get = (k) => redis.get(k)
    set = (k, v) => redis.set(k, v)
    close = () => redis.disconnect()
  } else {
    // idle: a worker holding nothing (the memory baseline)
    get = () => undefined
  }
  const b = new Int32Array(barrier)
  Atomics.add(b, 0, 1)
  Atomics.notify(b, 0)
  while (Atomics.load(b, 1) === 0) Atomics.wait(b, 1, 0, 50)
  let x = (Math.random() * 2 ** 31) | 1
  const cpu0 = threadCpuNs()
  const start = process.hrtime.bigint()
  let hits = 0
  if (mode === 'redis') {
    for (let i = 0; i < ops; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      const k = key((x >>> 0) % KEYS)
      if (mixed && i % 10 === 0) await set(k, VALUE)
      else if ((await get(k)) !== null) hits++
    }
  } else {
    for (let i = 0; i < ops; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      const k = key((x >>> 0) % KEYS)
      if (mixed && i % 10 === 0) set(k, VALUE)
      else if (get(k) !== undefined) hits++
    }
  }
  const ns = Number(process.hrtime.bigint() - start)
  const cpuNs = threadCpuNs() - cpu0
  parentPort.postMessage({ ns, cpuNs, hits })
  // Held until told to go, so memory can be measured with every worker alive.
  while (Atomics.load(b, 2) === 0) Atomics.wait(b, 2, 0, 50)
  close()
}

// --- main --------------------------------------------------------------------

/** Starts `n` workers, releases them together, returns their reports (and RSS while all live). */
async function round(n, data) {
  const barrier = new SharedArrayBuffer(12)
  const b = new Int32Array(barrier)
  const workers = Array.from(
    { length: n },
    () => new Worker(fileURLToPath(import.meta.url), { workerData: { ...data, barrier } }),
  )
  const exits = workers.map((w) => new Promise((resolve, reject) => (w.on('exit', resolve), w.on('error', reject))))
  const reports = workers.map((w) => new Promise((resolve) => w.once('message', resolve)))
  while (Atomics.load(b, 0) < n) await sleep(5)
  Atomics.store(b, 1, 1)
  Atomics.notify(b, 1)
  const results = await Promise.all(reports)
  await sleep(100)
  const rss = process.memoryUsage.rss()
  Atomics.store(b, 2, 1)
  Atomics.notify(b, 2)
  await Promise.all(exits)
  return { results, rss }
}

function opsPerSecond(results, ops) {
  const slowest = Math.max(...results.map((r) => r.ns))
  return (results.length * ops * 1e9) / slowest
}

async function startRedis() {
  if (!HAVE_REDIS) return undefined
  const server = await startRedisServer()
  const Redis = require(require.resolve('ioredis', { paths: [packageDir()] }))
  const redis = new Redis({ port: server.port, host: '127.0.0.1' })
  const pipe = redis.pipeline()
  for (let i = 0; i < KEYS; i++) pipe.set(key(i), VALUE)
  await pipe.exec()
  return { port: server.port, stop: () => (redis.disconnect(), server.stop()) }
}

function singleThread(Keyspace) {
  const plain = new Keyspace()
  const shared = Keyspace.open('bench-single')
  for (let i = 0; i < KEYS; i++) {
    plain.set(key(i), VALUE)
    shared.set(key(i), VALUE)
  }
  const keys = Array.from({ length: 4096 }, (_, i) => key((i * 7919) % KEYS))
  const time = (ks) => {
    const start = process.hrtime.bigint()
    let n = 0
    for (let i = 0; i < OPS; i++) if (ks.get(keys[i & 4095]) !== null) n++
    return Number(process.hrtime.bigint() - start) / OPS
  }
  const plainNs = []
  const sharedNs = []
  for (let r = 0; r < 5; r++) {
    plainNs.push(time(plain))
    sharedNs.push(time(shared))
  }
  plain.close()
  shared.close()
  const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1]
  return { plainNs: med(plainNs), sharedNs: med(sharedNs) }
}

async function main() {
  const { Keyspace } = lazyfree()
  console.log(machineLine())
  const out = { keys: KEYS, valueBytes: VALUE.length, ops: OPS, cpus: cpus().length }

  if (ONLY !== 'memory') await speed(Keyspace, out)
  if (ONLY !== 'reads' && ONLY !== 'single') await memory(Keyspace, out)
  writeResults(ONLY ? `shared-${ONLY}` : 'shared', out)
}

async function speed(Keyspace, out) {
  // Single thread: shared vs unshared get.
  out.single = singleThread(Keyspace)
  console.log(
    `single thread get: unshared ${out.single.plainNs.toFixed(0)} ns, shared ${out.single.sharedNs.toFixed(0)} ns ` +
      `(${(out.single.sharedNs / out.single.plainNs).toFixed(2)}x; goal <= 1.3x)`,
  )
  if (ONLY === 'single') return

  // Throughput.
  const name = 'bench-shared'
  const ks = Keyspace.open(name)
  for (let i = 0; i < KEYS; i++) ks.set(key(i), VALUE)
  const redis = await startRedis()
  const rows = []
  out.throughput = []
  for (const mixed of ONLY === 'reads' ? [false] : [false, true]) {
    for (const n of ONLY === 'reads' ? [1, 2] : [1, 2, 4]) {
      const row = [mixed ? 'mixed 90/10' : 'reads', String(n)]
      const entry = { mixed, workers: n }
      for (const mode of ONLY === 'reads' ? ['shared', 'lru'] : ['shared', 'lru', 'redis']) {
        if (mode === 'redis' && !redis) {
          row.push('-')
          continue
        }
        const ops = mode === 'redis' ? REDIS_OPS : OPS
        const { results } = await round(n, { mode, name, ops, mixed, fill: true, port: redis?.port })
        const rate = opsPerSecond(results, ops)
        entry[mode] = rate
        entry[`${mode}CpuNsPerOp`] = results.reduce((a, r) => a + r.cpuNs, 0) / (results.length * ops)
        row.push(`${(rate / 1e6).toFixed(2)} M/s, ${entry[`${mode}CpuNsPerOp`].toFixed(0)} ns CPU/op`)
      }
      out.throughput.push(entry)
      rows.push(row)
    }
  }
  redis?.stop()
  const head = ['load', 'workers', 'shared keyspace', 'lru-cache per worker', 'Redis (ioredis)']
  console.log(table(ONLY === 'reads' ? head.slice(0, 4) : head, rows, 2))
  const reads = (n) => out.throughput.find((e) => !e.mixed && e.workers === n).shared
  out.readScaling2 = reads(2) / reads(1)
  console.log(`shared reads, 2 workers / 1: ${out.readScaling2.toFixed(2)}x (goal >= 1.6x)`)
  const cpu = (n) => out.throughput.find((e) => !e.mixed && e.workers === n).sharedCpuNsPerOp
  out.readScalingByCpu2 = (2 * cpu(1)) / cpu(2)
  console.log(
    `shared reads, CPU per get: 1 worker ${cpu(1).toFixed(0)} ns, 2 workers ${cpu(2).toFixed(0)} ns: ` +
      `2 workers on 2 free cores would read ${out.readScalingByCpu2.toFixed(2)}x one`,
  )
  ks.close()
}

async function memory(Keyspace, out) {
  // The same data once (shared, 4 attached) vs 4 copies (lru), over 4 idle
  // workers; and one copy alone: the main thread's RSS before and after it
  // fills the shared keyspace.
  global.gc?.()
  await sleep(300)
  const idle = (await round(4, { mode: 'idle', ops: 0 })).rss
  global.gc?.()
  await sleep(300)
  const empty = process.memoryUsage.rss()
  const mem = Keyspace.open('bench-memory')
  for (let i = 0; i < KEYS; i++) mem.set(key(i), VALUE)
  global.gc?.()
  await sleep(300)
  const oneCopy = process.memoryUsage.rss() - empty
  const shared = (await round(4, { mode: 'shared', name: 'bench-memory', ops: 1 })).rss
  mem.close()
  global.gc?.()
  await sleep(300)
  const idle2 = (await round(4, { mode: 'idle', ops: 0 })).rss
  const copies = (await round(4, { mode: 'lru', ops: 1, fill: true })).rss
  out.memory = { idle, shared, idle2, copies, oneCopy, sharedOver: shared - idle, copiesOver: copies - idle2 }
  const mb = (x) => `${(x / 2 ** 20).toFixed(1)} MiB`
  console.log(
    table(
      ['4 workers holding ' + KEYS + ' keys of ' + VALUE.length + ' B', 'RSS', 'over 4 idle workers'],
      [
        ['one shared keyspace, 4 attached', mb(shared), mb(shared - idle)],
        ['an lru-cache in each worker', mb(copies), mb(copies - idle2)],
      ],
    ),
  )
  console.log(`one copy in the shared keyspace, main thread alone: ${mb(oneCopy)}`)
}

if (isMainThread) await main()
else await worker()
