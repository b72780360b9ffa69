// The GC tax: what a full garbage collection costs while 1M or 5M entries
// live in a Map (on the V8 heap) versus in a Keyspace (off it).
//
//   node --expose-gc bench/keyspace-gc.js [entries=1000000,5000000]
//
// For each size and store: fill, then time five full collections and report
// the median pause and the V8 heap in use. The Keyspace keeps its bytes in
// native memory, so V8 has almost nothing to trace.
'use strict'

const { lazyfree, lruCache, ms, table, machine, gc } = require('./keyspace-lib')

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

function main() {
  const sizes = (process.argv[2] ?? '1000000,5000000').split(',').map(Number)
  const { Keyspace } = lazyfree()
  const LRU = lruCache()
  console.log(`# GC tax (${machine()})\n`)
  const rows = []
  for (const n of sizes) {
    const stores = [
      ['Map', () => {
        const m = new Map()
        return { set: (k, v) => m.set(k, v), drop: () => m.clear() }
      }],
      ['Keyspace', () => {
        const ks = new Keyspace({ hz: 0 })
        return { set: (k, v) => ks.set(k, v), drop: () => ks.close() }
      }],
    ]
    if (LRU) {
      stores.push(['lru-cache', () => {
        const c = new LRU({ max: n * 2 })
        return { set: (k, v) => c.set(k, v), drop: () => c.clear() }
      }])
    }
    for (const [name, make] of stores) {
      gc()
      const baseHeap = process.memoryUsage().heapUsed
      const baseline = fullGcPauses()
      const store = make()
      for (let i = 0; i < n; i++) store.set(`key:${i}`, `value:${i}:${i * 31}`)
      gc()
      const heap = process.memoryUsage().heapUsed - baseHeap
      const pause = fullGcPauses()
      rows.push([n.toLocaleString('en-US'), name, `${(heap / 1048576).toFixed(0)} MiB`, `${ms(pause)} ms`, `${ms(baseline)} ms`])
      store.drop()
    }
  }
  table(['entries', 'store', 'V8 heap in use', 'full GC pause (median of 5)', 'empty-heap GC pause'], rows)
}

main()
