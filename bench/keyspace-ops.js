// Keyspace throughput: SET and GET of small strings, and a mixed workload,
// against a Map, lru-cache (same bounded-cache job) and a local Redis.
//
//   node --expose-gc bench/keyspace-ops.js [keys=100000] [ops=1000000]
//
// In-process stores are measured over `ops` operations on `keys` keys;
// Redis (network round trips) over a tenth of that, one awaited command at a
// time and in pipelines of 100.
'use strict'

const { lazyfree, lruCache, startRedis, opsPerSec, opsPerSecAsync, fmt, printTable, machine, gc } = require('./keyspace-lib')

async function main() {
  const keys = Number(process.argv[2] ?? 100_000)
  const ops = Number(process.argv[3] ?? 1_000_000)
  const { Keyspace } = lazyfree()
  const LRU = lruCache()
  const names = Array.from({ length: keys }, (_, i) => `key:${i}`)
  const values = Array.from({ length: 64 }, (_, i) => `value-${i}-${'x'.repeat(i % 32)}`)
  console.log(`# Keyspace ops/s (${machine()})\n`)
  console.log(`${keys} keys, ${ops} operations per case; values 8–40 bytes.\n`)

  const rows = []
  const inProcess = [
    ['Map', () => {
      const m = new Map()
      return { set: (k, v) => m.set(k, v), get: (k) => m.get(k) }
    }],
    ['Keyspace', () => {
      const ks = new Keyspace({ hz: 0 })
      return { set: (k, v) => ks.set(k, v), get: (k) => ks.get(k), close: () => ks.close() }
    }],
    ['Keyspace (maxMemory, allkeys-lru)', () => {
      const ks = new Keyspace({ hz: 0, maxMemory: '1gb', evictionPolicy: 'allkeys-lru' })
      return { set: (k, v) => ks.set(k, v), get: (k) => ks.get(k), close: () => ks.close() }
    }],
  ]
  if (LRU) {
    inProcess.push(['lru-cache', () => {
      const c = new LRU({ max: keys * 2 })
      return { set: (k, v) => c.set(k, v), get: (k) => c.get(k) }
    }])
  }
  for (const [name, make] of inProcess) {
    const store = make()
    gc()
    const set = opsPerSec(ops, (i) => store.set(names[i % keys], values[i & 63]))
    const get = opsPerSec(ops, (i) => store.get(names[(i * 7919) % keys]))
    const mixed = opsPerSec(ops, (i) => (i % 10 < 8 ? store.get(names[(i * 7919) % keys]) : store.set(names[i % keys], values[i & 63])))
    store.close?.()
    rows.push([name, fmt(set), fmt(get), fmt(mixed)])
  }

  const redis = await startRedis()
  if (redis) {
    const { client, clientName, stop } = redis
    const n = Math.max(1000, Math.floor(ops / 10))
    const call = client.call.bind(client)
    const set = await opsPerSecAsync(n, (i) => call('SET', names[i % keys], values[i & 63]))
    const get = await opsPerSecAsync(n, (i) => call('GET', names[(i * 7919) % keys]))
    const mixed = await opsPerSecAsync(n, (i) =>
      i % 10 < 8 ? call('GET', names[(i * 7919) % keys]) : call('SET', names[i % keys], values[i & 63]),
    )
    rows.push([`Redis via ${clientName}, awaited one by one`, fmt(set), fmt(get), fmt(mixed)])
    const batch = async (make) => {
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < n; i += 100) {
        const pending = []
        for (let j = i; j < i + 100; j++) pending.push(make(j))
        await Promise.all(pending)
      }
      return n / (Number(process.hrtime.bigint() - t0) / 1e9)
    }
    const pset = await batch((i) => call('SET', names[i % keys], values[i & 63]))
    const pget = await batch((i) => call('GET', names[(i * 7919) % keys]))
    const pmixed = await batch((i) =>
      i % 10 < 8 ? call('GET', names[(i * 7919) % keys]) : call('SET', names[i % keys], values[i & 63]),
    )
    rows.push([`Redis via ${clientName}, 100 in flight`, fmt(pset), fmt(pget), fmt(pmixed)])
    await stop()
  } else {
    console.log('(redis-server not installed: Redis rows skipped)\n')
  }
  printTable(['store', 'SET ops/s', 'GET ops/s', '80% GET / 20% SET ops/s'], rows)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
