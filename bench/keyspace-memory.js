// Bytes per key: what 1M small string entries cost in a Keyspace (its own
// accounting, and the process's resident memory), in lru-cache (V8 heap), and
// in Redis (its used_memory).
//
//   node --expose-gc bench/keyspace-memory.js [entries=1000000]
'use strict'

const { lazyfree, lruCache, startRedis, printTable, machine, gc } = require('./keyspace-lib')

async function main() {
  const n = Number(process.argv[2] ?? 1_000_000)
  const { Keyspace } = lazyfree()
  const LRU = lruCache()
  const key = (i) => `key:${i}`
  const value = (i) => `value:${i}`
  const payload = Array.from({ length: n }, (_, i) => key(i).length + value(i).length).reduce((a, b) => a + b, 0) / n
  console.log(`# Bytes per key (${machine()})\n`)
  console.log(`${n.toLocaleString('en-US')} entries of "key:i" → "value:i" (${payload.toFixed(1)} bytes of key and value each).\n`)
  const rows = []

  if (LRU) {
    gc()
    const heap0 = process.memoryUsage().heapUsed
    const rss0 = process.memoryUsage().rss
    const c = new LRU({ max: n * 2 })
    for (let i = 0; i < n; i++) c.set(key(i), value(i))
    gc()
    rows.push(['lru-cache: V8 heap growth', ((process.memoryUsage().heapUsed - heap0) / n).toFixed(0)])
    rows.push(['lru-cache: process RSS growth', ((process.memoryUsage().rss - rss0) / n).toFixed(0)])
    c.clear()
  }

  gc()
  const rss0 = process.memoryUsage().rss
  const ks = new Keyspace({ hz: 0 })
  for (let i = 0; i < n; i++) ks.set(key(i), value(i))
  gc()
  const rss = process.memoryUsage().rss - rss0
  rows.push(['Keyspace: used_memory (its estimate)', (ks.info().used_memory / n).toFixed(0)])
  rows.push(['Keyspace: process RSS growth', (rss / n).toFixed(0)])
  ks.close()
  await new Promise((r) => setTimeout(r, 500))

  const redis = await startRedis()
  if (redis) {
    const used = async () => Number(/used_memory:(\d+)/.exec(await redis.client.call('INFO', 'memory'))[1])
    const before = await used()
    for (let i = 0; i < n; i += 1000) {
      const batch = []
      for (let j = i; j < Math.min(n, i + 1000); j++) batch.push(redis.client.call('SET', key(j), value(j)))
      await Promise.all(batch)
    }
    rows.push(['Redis: used_memory growth', ((await used()) - before) / n].map((x, i) => (i ? x.toFixed(0) : x)))
    await redis.stop()
  }
  printTable(['store', 'bytes per key'], rows)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
