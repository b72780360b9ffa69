// Keyspace call cost: what one get/set/mget/mset costs the JavaScript thread,
// next to a Map, lru-cache (the same bounded-cache job), the floor of any
// call into the addon (an exported no-op function), an empty native getter,
// and a local Redis through ioredis.
//
//   node --expose-gc bench/keyspace-ops.js [--quick] [keys=100000] [calls=1000000]
//
// Honest timing: each sample is one tight loop of `calls` calls (total time
// / calls; no timer around a call, which would measure mostly the timer), and
// the in-process cases run in interleaved rounds (round 1 runs every case,
// then round 2 …), so a noisy neighbour hits all of them alike. The table
// gives each case's median over the rounds, and the ratios are computed from
// medians of this one run. Keys are `key:i` → `value:i`; every store holds
// all of them before the timed loops start, so set overwrites and get hits.
// Redis (network round trips) is timed over fewer calls, one awaited command
// at a time and in pipelines of 100.
//
// Gets and mgets are timed in three access patterns, because memory decides
// much of a get's cost:
// - in order: keys read in the order they were made and stored. Each store's
//   memory (the key strings, lru-cache's arrays, the keyspace's entries) is
//   then read front to back, which the CPU's prefetcher serves: a best case.
// - zipf: 1M reads drawn from a Zipf distribution (s = 0.99, as YCSB) over
//   keys ranked at random: a few hot keys take most reads and stay in the
//   cache, as in most caches. The fixed cost of a call decides here.
// - scattered: every key once per pass, in a random order: a miss to memory
//   on nearly every read, the worst case.
// "Node-API floor of a get" makes the Node-API calls of a Keyspace get and
// nothing else (`ksGetFloor`): what any Node-API addon pays for one.
'use strict'

const { writeFileSync, mkdirSync } = require('node:fs')
const { join } = require('node:path')
const { lazyfree, lruCache, startRedis, printTable, machine, gc, ownLoop, accessPatterns } = require('./keyspace-lib')

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const quick = process.argv.includes('--quick')
const KEYS = Number(args[0] ?? 100_000)
const CALLS = Number(args[1] ?? (quick ? 200_000 : 1_000_000))
const ROUNDS = quick ? 3 : 7
const BATCH = 100

const ns = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1))
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** What the loops return, kept so no loop's work can be optimised away. */
let drained = 0

/** Runs `loop(n)` (which makes `n` calls) and returns ns per call. */
function timeLoop(loop, n) {
  const t0 = process.hrtime.bigint()
  drained += loop(n) | 0
  return Number(process.hrtime.bigint() - t0) / n
}

/** The access patterns besides "in order" (see the top of this file). */
const PATTERN_NAMES = { zipf: 'zipf', scattered: 'scattered' }

function main() {
  const lib = lazyfree()
  const { Keyspace, Dropper } = lib
  const binding = require('../binding.js')
  const LRU = lruCache()
  // Numbered out of order, so no key's text follows its neighbour's; the
  // strings are still made, stored and (in order) read in one sequence.
  const order = Array.from({ length: KEYS }, (_, i) => (i * 7919) % KEYS)
  const keys = order.map((i) => `key:${i}`)
  const values = order.map((i) => `value:${i}`)
  const inBatches = (reads) => {
    const out = []
    for (let i = 0; i + BATCH <= reads.length; i += BATCH) out.push(reads.slice(i, i + BATCH))
    return out
  }
  const batches = inBatches(keys)
  const entryBatches = batches.map((b, n) => b.map((k, j) => [k, values[n * BATCH + j]]))
  // The key strings each pattern reads, in its order (the same strings).
  const patterns = accessPatterns(keys, CALLS)

  let sink = 0
  const cases = []
  /** [id, label, calls per loop iteration (keys per call), loop] */
  const add = (id, label, per, loop) => cases.push({ id, label, per, loop, samples: [] })

  if (typeof binding.noop === 'function') {
    const noop = binding.noop
    add('noop', 'exported no-op native function (the floor)', 1, (n) => {
      for (let i = 0; i < n; i++) noop()
    })
  }
  const dropper = new Dropper()
  add('getter', 'empty native getter (dropper.capacity)', 1, (n) => {
    let s = 0
    for (let i = 0; i < n; i++) s += dropper.capacity
    sink += s
  })

  // Each access pattern reads stores of its own, filled one after another,
  // so each store lays its memory out in one run, as it would filled alone,
  // and no pattern's reads reorder what another reads (lru-cache moves every
  // key it reads to the head of its recency list): reading in order is then
  // each store's best case.
  const keyspaces = []
  const stores = () => {
    const made = { map: new Map(), lru: LRU ? new LRU({ max: KEYS * 2 }) : undefined, ks: new Keyspace({ hz: 0 }) }
    keyspaces.push(made.ks)
    for (const store of Object.values(made)) {
      if (store) for (let i = 0; i < KEYS; i++) store.set(keys[i], values[i])
    }
    return made
  }
  const { map, lru, ks } = stores()
  // Each store gets loops of its own (see `ownLoop`).
  const own = (body, store) => ownLoop(['store', 'keys', 'values', 'KEYS'], [store, keys, values, KEYS], body)
  const getLoop = (store, reads = keys) =>
    ownLoop(
      ['store', 'reads'],
      [store, reads],
      `let j = 0, s = 0
      const end = reads.length
      for (let i = 0; i < n; i++) {
        if (store.get(reads[j]) != null) s++
        if (++j === end) j = 0
      }
      return s`,
    )
  const mgetLoop = (store, reads) => {
    const groups = inBatches(reads)
    return (n) => {
      let j = 0
      let s = 0
      for (let i = 0; i < n; i++) {
        s += store.mget(...groups[j]).length
        if (++j === groups.length) j = 0
      }
      sink += s
    }
  }
  const setLoop = (store) =>
    own(
      `let j = 0
      for (let i = 0; i < n; i++) {
        store.set(keys[j], values[j])
        if (++j === KEYS) j = 0
      }`,
      store,
    )
  add('map.get', 'Map get', 1, getLoop(map))
  add('map.set', 'Map set', 1, setLoop(map))
  if (lru) {
    add('lru.get', 'lru-cache get', 1, getLoop(lru))
    add('lru.set', 'lru-cache set', 1, setLoop(lru))
  }
  add('ks.get', 'Keyspace get', 1, getLoop(ks))
  add('ks.set', 'Keyspace set', 1, setLoop(ks))
  if (typeof ks.mget === 'function') {
    add('ks.mget', `Keyspace mget, ${BATCH} keys per call (per key)`, BATCH, mgetLoop(ks, keys))
  }
  if (typeof ks.mset === 'function') {
    add('ks.mset', `Keyspace mset, ${BATCH} keys per call (per key)`, BATCH, (n) => {
      let j = 0
      for (let i = 0; i < n; i++) {
        ks.mset(entryBatches[j])
        if (++j === entryBatches.length) j = 0
      }
    })
  }

  const floor = binding.ksGetFloor
  if (typeof floor === 'function')
    add('floor.get', 'Node-API floor of a get (ksGetFloor)', 1, getLoop({ get: (k) => floor(1, k) }))
  for (const [name, reads] of Object.entries(patterns)) {
    const own = stores()
    add(`map.get.${name}`, `Map get, ${name}`, 1, getLoop(own.map, reads))
    if (own.lru) add(`lru.get.${name}`, `lru-cache get, ${name}`, 1, getLoop(own.lru, reads))
    add(`ks.get.${name}`, `Keyspace get, ${name}`, 1, getLoop(own.ks, reads))
    if (typeof own.ks.mget === 'function') {
      add(`ks.mget.${name}`, `Keyspace mget, ${name} (per key)`, BATCH, mgetLoop(own.ks, reads))
    }
    if (typeof floor === 'function' && name === 'zipf') {
      add(`floor.get.${name}`, `Node-API floor of a get, ${name}`, 1, getLoop({ get: (k) => floor(1, k) }, reads))
    }
  }

  console.log(`# Keyspace call cost (${machine()})\n`)
  console.log(
    `${KEYS.toLocaleString('en-US')} keys \`key:i\` → \`value:i\`; ${CALLS.toLocaleString('en-US')} calls per sample ` +
      `(${(CALLS / BATCH).toLocaleString('en-US')} for mget/mset, ${BATCH} keys each); ${ROUNDS} interleaved rounds; ` +
      'median ns per call (per key for mget/mset).\n',
  )
  // Warm-up: one short pass of each, so every loop is optimised before round 1.
  for (const c of cases) c.loop(Math.max(1000, Math.floor(CALLS / 20 / c.per)))
  for (let r = 0; r < ROUNDS; r++) {
    process.stderr.write(`round ${r + 1}/${ROUNDS}\n`)
    for (const c of cases) {
      gc()
      const calls = Math.floor(CALLS / c.per)
      c.samples.push(timeLoop(c.loop, calls) / c.per)
    }
  }
  for (const k of keyspaces) k.close()
  const result = Object.fromEntries(
    cases.map((c) => [
      c.id,
      { label: c.label, medianNs: median(c.samples), minNs: Math.min(...c.samples), samples: c.samples },
    ]),
  )
  return { result, sink, dropper }
}

async function redisRows(keys, values) {
  const redis = await startRedis()
  if (!redis) return undefined
  const { client, stop } = redis
  const n = quick ? 5_000 : 20_000
  const call = client.call.bind(client)
  for (let i = 0; i < keys.length; i += 1000) {
    await Promise.all(keys.slice(i, i + 1000).map((k, j) => call('SET', k, values[i + j])))
  }
  const awaited = async (make) => {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) await make(i % keys.length)
    return Number(process.hrtime.bigint() - t0) / n
  }
  const pipelined = async (make) => {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i += 100) {
      const p = client.pipeline()
      for (let j = i; j < i + 100; j++) make(p, j % keys.length)
      await p.exec()
    }
    return Number(process.hrtime.bigint() - t0) / n
  }
  const out = {
    'redis.get': {
      label: 'Redis GET via ioredis, awaited one by one',
      medianNs: await awaited((i) => call('GET', keys[i])),
    },
    'redis.set': {
      label: 'Redis SET via ioredis, awaited one by one',
      medianNs: await awaited((i) => call('SET', keys[i], values[i])),
    },
    'redis.pget': {
      label: 'Redis GET via ioredis, pipelines of 100',
      medianNs: await pipelined((p, i) => p.get(keys[i])),
    },
    'redis.pset': {
      label: 'Redis SET via ioredis, pipelines of 100',
      medianNs: await pipelined((p, i) => p.set(keys[i], values[i])),
    },
  }
  await stop()
  return out
}

async function run() {
  const { result, sink, dropper } = main()
  await dropper.close()
  const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`)
  const values = Array.from({ length: KEYS }, (_, i) => `value:${i}`)
  const redis = await redisRows(keys, values)
  const all = redis ? { ...result, ...redis } : result
  const m = (id) => all[id]?.medianNs
  const ratio = (a, b) => (m(a) !== undefined && m(b) !== undefined ? m(a) / m(b) : undefined)
  const ratios = {
    getOverLru: ratio('ks.get', 'lru.get'),
    setOverLru: ratio('ks.set', 'lru.set'),
    mgetPerKeyOverLruGet: ratio('ks.mget', 'lru.get'),
    getterOverNoop: ratio('getter', 'noop'),
    getOverLruZipf: ratio('ks.get.zipf', 'lru.get.zipf'),
    mgetPerKeyOverLruGetZipf: ratio('ks.mget.zipf', 'lru.get.zipf'),
    getOverLruScattered: ratio('ks.get.scattered', 'lru.get.scattered'),
    mgetPerKeyOverLruGetScattered: ratio('ks.mget.scattered', 'lru.get.scattered'),
    floorOverLruZipf: ratio('floor.get.zipf', 'lru.get.zipf'),
  }
  // Each row against lru-cache's get in the same access pattern.
  const rel = (id) => {
    const pattern = Object.keys(PATTERN_NAMES).find((p) => id.endsWith(`.${p}`))
    const lruId = pattern ? `lru.get.${pattern}` : 'lru.get'
    return m(lruId) && id !== lruId ? `${(m(id) / m(lruId)).toFixed(2)}×` : ''
  }
  const rows = Object.entries(all).map(([id, r]) => [
    r.label,
    ns(r.medianNs),
    r.minNs === undefined ? '' : ns(r.minNs),
    rel(id),
  ])
  printTable(['what', 'ns per call (median)', 'min', '× lru-cache get (same pattern)'], rows)
  const fmt = (x) => (x === undefined ? '—' : `${x.toFixed(2)}×`)
  console.log(
    `goals: Keyspace get ${fmt(ratios.getOverLru)} lru-cache get (≤ 2×), set ${fmt(ratios.setOverLru)} lru-cache set (≤ 2×), ` +
      `mget per key ${fmt(ratios.mgetPerKeyOverLruGet)} lru-cache get (≤ 1.5×), ` +
      `empty native getter ${fmt(ratios.getterOverNoop)} the no-op function (≤ 2×)`,
  )
  console.log(
    `by pattern: zipf get ${fmt(ratios.getOverLruZipf)}, mget ${fmt(ratios.mgetPerKeyOverLruGetZipf)}; ` +
      `scattered get ${fmt(ratios.getOverLruScattered)}, mget ${fmt(ratios.mgetPerKeyOverLruGetScattered)}; ` +
      `the Node-API floor of a get alone is ${fmt(ratios.floorOverLruZipf)} lru-cache's zipf get`,
  )
  if (!redis) console.log('(redis-server not on PATH: Redis rows skipped)')
  const dir = join(__dirname, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `keyspace-ops${quick ? '.quick' : ''}.json`)
  const body = {
    case: 'keyspace-ops',
    quick,
    date: new Date().toISOString(),
    machine: machine(),
    keys: KEYS,
    calls: CALLS,
    rounds: ROUNDS,
  }
  writeFileSync(file, `${JSON.stringify({ ...body, results: all, ratios, sink: sink + drained }, null, 2)}\n`)
  console.log(`\nresults: ${file}`)
}

run().catch((e) => {
  console.error(e)
  process.exit(1)
})
