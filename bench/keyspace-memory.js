// Bytes per key: what 1M small string entries cost in a Keyspace (its own
// accounting, and the process's resident memory), in lru-cache (V8 heap), and
// in Redis (its used_memory).
//
//   node --expose-gc bench/keyspace-memory.js [entries=1000000]
//
// Each in-process store is measured in a fresh Node process of its own: a
// store measured after another would see the first one's freed memory
// returned to the OS (or reused) during its run, and its RSS growth would
// be off by that much.
//
// The loop that fills a store makes 2M short-lived strings, and V8 keeps
// some of the memory that takes: a row times the same loop into the
// addon's no-op function, so what is V8's and what is the store's can be
// told apart (the Keyspace's own pages are its RSS growth minus that row;
// `cargo test --release -- --ignored rss_per_key` measures them without V8).
'use strict'

const { execFileSync } = require('node:child_process')
const { lazyfree, lruCache, startRedis, printTable, machine, gc } = require('./keyspace-lib')

/** Runs this file for one store in a child process; returns its rows. */
function measureAlone(store, n) {
  const out = execFileSync(process.execPath, ['--expose-gc', __filename, String(n), `--only=${store}`], {
    encoding: 'utf8',
  })
  return JSON.parse(out)
}

async function main() {
  const n = Number(process.argv[2] ?? 1_000_000)
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)
  if (only) {
    const rows = { lru: lruRows, keyspace: keyspaceRows, noop: noopRows }[only]
    process.stdout.write(JSON.stringify(rows(n)))
    return
  }
  const key = (i) => `key:${i}`
  const value = (i) => `value:${i}`
  const payload = Array.from({ length: n }, (_, i) => key(i).length + value(i).length).reduce((a, b) => a + b, 0) / n
  console.log(`# Bytes per key (${machine()})\n`)
  console.log(
    `${n.toLocaleString('en-US')} entries of "key:i" → "value:i" (${payload.toFixed(1)} bytes of key and value each).\n`,
  )
  const rows = []

  if (lruCache()) rows.push(...measureAlone('lru', n))
  rows.push(...measureAlone('keyspace', n))
  rows.push(...measureAlone('noop', n))

  const redis = await startRedis()
  if (redis) {
    const field = async (name) =>
      Number(new RegExp(`${name}:(\\d+)`).exec(await redis.client.call('INFO', 'memory'))[1])
    const used = () => field('used_memory')
    const before = await used()
    const rssBefore = await field('used_memory_rss')
    for (let i = 0; i < n; i += 1000) {
      const batch = []
      for (let j = i; j < Math.min(n, i + 1000); j++) batch.push(redis.client.call('SET', key(j), value(j)))
      await Promise.all(batch)
    }
    rows.push(['Redis: used_memory growth', (((await used()) - before) / n).toFixed(0)])
    rows.push(['Redis: process RSS growth', (((await field('used_memory_rss')) - rssBefore) / n).toFixed(0)])
    await redis.stop()
  }
  printTable(['store', 'bytes per key'], rows)
}

function lruRows(n) {
  const LRU = lruCache()
  const key = (i) => `key:${i}`
  const value = (i) => `value:${i}`
  const rows = []
  gc()
  const heap0 = process.memoryUsage().heapUsed
  const rss0 = process.memoryUsage().rss
  const c = new LRU({ max: n * 2 })
  for (let i = 0; i < n; i++) c.set(key(i), value(i))
  gc()
  rows.push(['lru-cache: V8 heap growth', ((process.memoryUsage().heapUsed - heap0) / n).toFixed(0)])
  rows.push(['lru-cache: process RSS growth', ((process.memoryUsage().rss - rss0) / n).toFixed(0)])
  // Used after the measurement, so the cache is live through it.
  if (c.size !== n) throw new Error(`lru-cache holds ${c.size} entries, not ${n}`)
  return rows
}

function keyspaceRows(n) {
  const { Keyspace } = lazyfree()
  const key = (i) => `key:${i}`
  const value = (i) => `value:${i}`
  const rows = []
  gc()
  const rss0 = process.memoryUsage().rss
  const ks = new Keyspace({ hz: 0 })
  for (let i = 0; i < n; i++) ks.set(key(i), value(i))
  gc()
  const rss = process.memoryUsage().rss - rss0
  rows.push(['Keyspace: used_memory (its estimate)', (ks.info().used_memory / n).toFixed(0)])
  rows.push(['Keyspace: process RSS growth', (rss / n).toFixed(0)])
  if (ks.size !== n) throw new Error(`the keyspace holds ${ks.size} keys, not ${n}`)
  return rows
}

function noopRows(n) {
  const { noop } = require('../binding.js')
  const key = (i) => `key:${i}`
  const value = (i) => `value:${i}`
  gc()
  const rss0 = process.memoryUsage().rss
  for (let i = 0; i < n; i++) noop(key(i), value(i))
  gc()
  const rss = process.memoryUsage().rss - rss0
  return [["the same loop into a no-op function: process RSS growth (V8's share)", (rss / n).toFixed(0)]]
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
