// The GC tax: what garbage collection costs an application while 1M or 5M
// entries live in a Map or lru-cache (on the V8 heap) versus in a Keyspace
// (off it), against an empty heap.
//
//   node --expose-gc bench/keyspace-gc.js [entries=1000000,5000000]
//
// Table 1: for each size and store, fill, then run a fixed 3 s allocation
// churn (short-lived objects and strings, a few surviving a while, as request
// handling makes) and report the total GC pause time V8 reports
// (PerformanceObserver 'gc' entries) and the event loop's p99 and max
// (monitorEventLoopDelay) during it. Table 2: the median of five forced full
// collections with the entries alive. The Keyspace keeps its bytes in native
// memory, so V8 has almost nothing to trace.
'use strict'

const {
  lazyfree,
  lruCache,
  ms,
  printTable,
  machine,
  gc,
  churn,
  churnCells,
  fullGcPauses,
  CHURN_MS,
} = require('./keyspace-lib')

async function main() {
  const sizes = (process.argv[2] ?? '1000000,5000000').split(',').map(Number)
  const { Keyspace } = lazyfree()
  const LRU = lruCache()
  console.log(`# GC tax (${machine()})\n`)
  const churnRows = []
  const fullRows = []
  const row = (n, name, heap, c) => [n, name, ...churnCells(heap, c)]
  gc()
  const empty = await churn()
  churnRows.push([
    '0',
    'empty heap',
    '0 MiB',
    `${empty.pause.toFixed(0)} ms`,
    String(empty.count),
    `${ms(empty.p99)} ms`,
    `${ms(empty.max)} ms`,
  ])
  for (const n of sizes) {
    const stores = [
      [
        'Map',
        () => {
          const m = new Map()
          return { set: (k, v) => m.set(k, v), drop: () => m.clear() }
        },
      ],
      [
        'Keyspace',
        () => {
          const ks = new Keyspace({ hz: 0 })
          return { set: (k, v) => ks.set(k, v), drop: () => ks.close() }
        },
      ],
    ]
    if (LRU) {
      stores.push([
        'lru-cache',
        () => {
          const c = new LRU({ max: n * 2 })
          return { set: (k, v) => c.set(k, v), drop: () => c.clear() }
        },
      ])
    }
    for (const [name, make] of stores) {
      gc()
      const baseHeap = process.memoryUsage().heapUsed
      const baseline = fullGcPauses()
      const store = make()
      for (let i = 0; i < n; i++) store.set(`key:${i}`, `value:${i}:${i * 31}`)
      gc()
      const heap = process.memoryUsage().heapUsed - baseHeap
      const c = await churn()
      churnRows.push(row(n.toLocaleString('en-US'), name, heap, c))
      const pause = fullGcPauses()
      fullRows.push([
        n.toLocaleString('en-US'),
        name,
        `${(heap / 1048576).toFixed(0)} MiB`,
        `${ms(pause)} ms`,
        `${ms(baseline)} ms`,
      ])
      store.drop()
      gc()
    }
  }
  console.log(`During a ${CHURN_MS / 1000} s allocation churn:\n`)
  printTable(['entries', 'store', 'V8 heap in use', 'total GC pause', 'GCs', 'loop p99', 'loop max'], churnRows)
  console.log('\nForced full collections with the entries alive:\n')
  printTable(['entries', 'store', 'V8 heap in use', 'full GC pause (median of 5)', 'empty-heap GC pause'], fullRows)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
