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
//
// A long call is not always the store's: V8 collects the loop's garbage
// (the key and value strings) inside whichever call allocates when the young
// generation is full, and the host may deschedule the thread. Every call
// over LONG_MS is kept with its start, and matched afterwards against V8's
// GC events (`perf_hooks`): the table lists the longest calls and says which
// had a collection inside, and the goal is judged on the longest call with
// none. Calls the host stretched are not told apart: they count against the
// store.
'use strict'

const { writeFileSync, mkdirSync } = require('node:fs')
const { join } = require('node:path')
const { PerformanceObserver, performance } = require('node:perf_hooks')
const { lazyfree, printTable, machine, gc } = require('./keyspace-lib')

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const quick = process.argv.includes('--quick')
const N = Number(args[0] ?? (quick ? 1_000_000 : 10_000_000))
const TOP = 5
/** Calls longer than this (ms) are kept and told apart. */
const LONG_MS = 0.5

/** V8's collections while the bench runs: [start ms, end ms], on `performance.now()`'s clock. */
const collections = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) collections.push([e.startTime, e.startTime + e.duration])
}).observe({ entryTypes: ['gc'] })

/** How long collections ran inside the call [start, start + ms], in ms. */
function gcIn(start, ms) {
  let sum = 0
  for (const [s, e] of collections) sum += Math.max(0, Math.min(e, start + ms) - Math.max(s, start))
  return sum
}

/**
 * Grows a store with `set(i)`; returns its calls over `LONG_MS` (each with its
 * start on `performance.now()`'s clock) and the mean call. Timed with
 * `hrtime.bigint()`, whose origin is `performance.now()`'s shifted.
 */
function grow(set) {
  const origin = process.hrtime.bigint() - BigInt(Math.round(performance.now() * 1e6))
  const long = [] // [ms, i, start ms]
  let total = 0n
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint()
    set(i)
    const dt = process.hrtime.bigint() - t0
    total += dt
    const ns = Number(dt)
    if (ns > LONG_MS * 1e6) {
      long.push([ns / 1e6, i, Number(t0 - origin) / 1e6])
    }
  }
  return { long, meanNs: Number(total) / N }
}

/** A longest call in ms, or under the bound if no call was kept. */
const ms = (v) => (v === null ? `< ${LONG_MS}` : v.toFixed(2))

/** `grow`'s calls told apart once V8 has reported its collections. */
function summarize({ long, meanNs }) {
  const calls = long
    .map(([ms, i, start]) => {
      const gcMs = gcIn(start, ms)
      return { ms, at: i, gcMs, gc: gcMs > 0 }
    })
    .sort((a, b) => b.ms - a.ms)
  const over1ms = calls.filter((c) => c.ms > 1)
  const withoutGc = calls.filter((c) => !c.gc)
  return {
    // `null`: no call over LONG_MS.
    maxMs: calls[0]?.ms ?? null,
    maxWithoutGcMs: withoutGc[0]?.ms ?? null,
    worst: calls.slice(0, TOP),
    over1ms: over1ms.length,
    over1msWithGc: over1ms.filter((c) => c.gc).length,
    over5ms: calls.filter((c) => c.ms > 5).length,
    meanNs,
  }
}

async function main() {
  const { Keyspace } = lazyfree()
  console.log(`# Growth stalls (${machine()})\n`)
  console.log(`${N.toLocaleString('en-US')} set() calls into an empty store, each timed alone.\n`)
  gc()
  const ks = new Keyspace({ hz: 0 })
  const rss0 = process.memoryUsage().rss
  const grown = { keyspace: grow((i) => ks.set(`key:${i}`, `value:${i}`)) }
  const rssGrowthPerKey = (process.memoryUsage().rss - rss0) / N
  ks.close()
  gc()
  const map = new Map()
  grown.map = grow((i) => map.set(`key:${i}`, `value:${i}`))
  map.clear()
  // V8 reports its collections from a task of its own: let it run.
  await new Promise((done) => setTimeout(done, 100))
  const results = { keyspace: { ...summarize(grown.keyspace), rssGrowthPerKey }, map: summarize(grown.map) }
  const rows = Object.entries(results).map(([name, r]) => [
    name === 'keyspace' ? 'Keyspace set' : 'Map set',
    ms(r.maxMs),
    ms(r.maxWithoutGcMs),
    r.worst
      .map((c) => `${c.ms.toFixed(1)} ms @ ${c.at.toLocaleString('en-US')}${c.gc ? ` (GC ${c.gcMs.toFixed(1)})` : ''}`)
      .join(', '),
    `${r.over1ms} (${r.over1msWithGc} GC)`,
    String(r.over5ms),
    r.meanNs.toFixed(0),
  ])
  printTable(
    [
      'store',
      'longest set (ms)',
      'longest with no GC in it (ms)',
      `${TOP} longest (at key count; GC: ms V8 collected inside)`,
      '> 1 ms',
      '> 5 ms',
      'mean ns',
    ],
    rows,
  )
  const k = results.keyspace
  console.log(
    `goal: no single Keyspace set holds the thread > 5 ms: ${(k.maxWithoutGcMs ?? 0) <= 5 ? 'met' : 'NOT met'} ` +
      `(longest with no GC in it ${ms(k.maxWithoutGcMs)} ms; longest of all ${ms(k.maxMs)} ms)`,
  )
  const dir = join(__dirname, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `keyspace-growth${quick ? '.quick' : ''}.json`)
  const body = { case: 'keyspace-growth', quick, date: new Date().toISOString(), machine: machine(), keys: N, results }
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`)
  console.log(`\nresults: ${file}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
