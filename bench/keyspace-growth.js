// Growth stalls: the longest a single set() holds the JavaScript thread while
// a store grows from empty to N keys. A hash table that doubles in one step
// rehashes every key inside one insert; this bench finds those inserts.
//
//   node --expose-gc bench/keyspace-growth.js [--quick] [keys=10000000]
//
// Unlike the throughput benches, every set() is timed on its own (hrtime
// around the call): what matters here is the worst call, not the average.
// The timer's own cost (~50–100 ns) is far below the stalls sought (ms).
// A Map grown the same way is timed too, for scale. Keys `key:i` →
// `value:i`. At 10M keys the keyspace needs several GB of memory: --quick
// grows to 1M.
'use strict'

const { writeFileSync, mkdirSync } = require('node:fs')
const { join } = require('node:path')
const { lazyfree, printTable, machine, gc } = require('./keyspace-lib')

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const quick = process.argv.includes('--quick')
const N = Number(args[0] ?? (quick ? 1_000_000 : 10_000_000))
const TOP = 5

/** Grows a store with `set(i)`; returns the worst calls and a histogram. */
function grow(set) {
  const worst = [] // [ns, i], longest first, TOP of them
  let over1ms = 0
  let over5ms = 0
  let total = 0n
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint()
    set(i)
    const dt = process.hrtime.bigint() - t0
    total += dt
    const ns = Number(dt)
    if (ns > 1e6) over1ms++
    if (ns > 5e6) over5ms++
    if (worst.length < TOP || ns > worst[worst.length - 1][0]) {
      worst.push([ns, i])
      worst.sort((a, b) => b[0] - a[0])
      if (worst.length > TOP) worst.pop()
    }
  }
  return { maxMs: worst[0][0] / 1e6, worst, over1ms, over5ms, meanNs: Number(total) / N }
}

function main() {
  const { Keyspace } = lazyfree()
  console.log(`# Growth stalls (${machine()})\n`)
  console.log(`${N.toLocaleString('en-US')} set() calls into an empty store, each timed alone.\n`)
  const results = {}
  gc()
  const ks = new Keyspace({ hz: 0 })
  const rss0 = process.memoryUsage().rss
  results.keyspace = grow((i) => ks.set(`key:${i}`, `value:${i}`))
  results.keyspace.rssGrowthPerKey = (process.memoryUsage().rss - rss0) / N
  ks.close()
  gc()
  const map = new Map()
  results.map = grow((i) => map.set(`key:${i}`, `value:${i}`))
  map.clear()
  const rows = Object.entries(results).map(([name, r]) => [
    name === 'keyspace' ? 'Keyspace set' : 'Map set',
    r.maxMs.toFixed(2),
    r.worst.map(([ns, i]) => `${(ns / 1e6).toFixed(1)} ms @ ${i.toLocaleString('en-US')}`).join(', '),
    String(r.over1ms),
    String(r.over5ms),
    r.meanNs.toFixed(0),
  ])
  printTable(['store', 'longest set (ms)', `${TOP} longest (at key count)`, '> 1 ms', '> 5 ms', 'mean ns'], rows)
  console.log(
    `goal: no single Keyspace set holds the thread > 5 ms: ${results.keyspace.maxMs <= 5 ? 'met' : 'NOT met'} ` +
      `(longest ${results.keyspace.maxMs.toFixed(2)} ms)`,
  )
  const dir = join(__dirname, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `keyspace-growth${quick ? '.quick' : ''}.json`)
  const body = { case: 'keyspace-growth', quick, date: new Date().toISOString(), machine: machine(), keys: N, results }
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`)
  console.log(`\nresults: ${file}`)
}

main()
