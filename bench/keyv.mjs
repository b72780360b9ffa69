// The Keyv bench: what a service pays for its cache through Keyv, with
// lazyfree's store (KeyvLazyfree), Keyv's default Map store, and @keyv/redis
// on a local redis-server (started here on a free port, no persistence),
// side by side in one run.
//
//   npm run bench:keyv                      # node --expose-gc bench/keyv.mjs
//   node --expose-gc bench/keyv.mjs [ops=20000] [rounds=5] [entries=1000000]
//
// Table 1: get and set per second through `keyv.get` / `keyv.set`, each an
// awaited call in a tight loop (total time / N), over 1 000 keys holding
// ~100-byte values; several rounds, the stores interleaved within each
// round, the median reported. Redis runs a tenth of the calls (each is a
// network round trip).
// Table 2: the GC tax with 1M entries in each store (filled through Keyv's
// setMany), measured as bench/keyspace-gc.js measures it: the total GC pause
// and the event loop's p99/max during a 3 s allocation churn, and the median
// forced full collection, against an empty heap. The Map store holds its
// entries (Keyv's serialized strings) on the V8 heap; KeyvLazyfree holds
// them in native memory; @keyv/redis holds them in another process.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const {
  startRedis,
  ms,
  fmt,
  printTable,
  machine,
  gc,
  churn,
  churnCells,
  fullGcPauses,
  CHURN_MS,
} = require('./keyspace-lib.js')
const { Keyv } = require('keyv')
const { createKeyv: createRedisKeyv } = require('@keyv/redis')
const { createKeyv } = require('../keyv.js')

const OPS = Number(process.argv[2] ?? 20_000)
const ROUNDS = Number(process.argv[3] ?? 5)
const ENTRIES = Number(process.argv[4] ?? 1_000_000)
const KEYS = 1000
const VALUE = { id: 1, name: 'Ada Lovelace', email: 'ada@example.com', tags: ['a', 'b'], pad: 'x'.repeat(24) }

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function opsPerSec(n, fn) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await fn(i)
  return n / (Number(process.hrtime.bigint() - t0) / 1e9)
}

async function main() {
  gc()
  const redis = await startRedis()
  if (!redis)
    console.log('redis-server is not installed: the @keyv/redis rows are left out (apt-get install -y redis-server)\n')
  const url = redis ? `redis://127.0.0.1:${redis.port}` : undefined
  const stores = [
    ['KeyvLazyfree', () => createKeyv({ hz: 10 }), 1],
    ['Keyv Map (default)', () => new Keyv(), 1],
    ...(redis ? [['@keyv/redis (local)', () => createRedisKeyv(url, { namespace: 'bench' }), 10]] : []),
  ]
  console.log(`# Keyv stores (${machine()})\n`)

  // --- throughput ---------------------------------------------------------------
  const live = stores.map(([name, make, slow]) => ({ name, keyv: make(), slow, get: [], set: [] }))
  for (const s of live) {
    for (let i = 0; i < KEYS; i++) await s.keyv.set(`key:${i}`, VALUE) // warm up and fill
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of live) {
      const n = Math.max(100, Math.floor(OPS / s.slow))
      s.set.push(await opsPerSec(n, (i) => s.keyv.set(`key:${i % KEYS}`, VALUE)))
      s.get.push(await opsPerSec(n, (i) => s.keyv.get(`key:${i % KEYS}`)))
    }
  }
  console.log(
    `Awaited calls through Keyv, median of ${ROUNDS} interleaved rounds (${OPS} calls a round; Redis ${OPS / 10}):\n`,
  )
  printTable(
    ['store', 'get / s', 'set / s', 'get µs / call', 'set µs / call'],
    live.map((s) => [
      s.name,
      fmt(median(s.get)),
      fmt(median(s.set)),
      (1e6 / median(s.get)).toFixed(1),
      (1e6 / median(s.set)).toFixed(1),
    ]),
  )
  for (const s of live) {
    await s.keyv.clear()
    await s.keyv.disconnect()
  }

  // --- GC tax ------------------------------------------------------------------
  const row = (name, heap, c, full) => [name, ...churnCells(heap, c), `${ms(full)} ms`]
  const rows = []
  gc()
  rows.push(row('empty heap', 0, await churn(), fullGcPauses()))
  for (const [name, make] of stores) {
    gc()
    const baseHeap = process.memoryUsage().heapUsed
    const keyv = make()
    const batch = []
    for (let i = 0; i < ENTRIES; i++) {
      batch.push({ key: `key:${i}`, value: { id: i, name: `user ${i}` } })
      if (batch.length === 1000) {
        await keyv.setMany(batch)
        batch.length = 0
      }
    }
    if (batch.length > 0) await keyv.setMany(batch)
    gc()
    const heap = process.memoryUsage().heapUsed - baseHeap
    const c = await churn()
    rows.push(row(`${name}, ${ENTRIES.toLocaleString('en-US')} entries`, heap, c, fullGcPauses()))
    await keyv.clear()
    await keyv.disconnect()
    gc()
  }
  console.log(`The GC tax: a ${CHURN_MS / 1000} s allocation churn with the entries alive:\n`)
  printTable(
    ['store', 'V8 heap in use', 'total GC pause', 'GCs', 'loop p99', 'loop max', 'full GC (median of 5)'],
    rows,
  )
  await redis?.stop()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
