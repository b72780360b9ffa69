// Two builds of the addon, side by side in one process: is a change to the
// hot path faster? On a shared machine two processes differ by more than
// most changes do, so this loads both `.node` files at once (each has its
// own allocator and thread-local tables) and times their get, set and mget
// in interleaved rounds, next to lru-cache's get.
//
//   cp lazyfree.linux-x64-gnu.node /tmp/before.node   # then change, rebuild
//   node bench/keyspace-ab.js /tmp/before.node lazyfree.linux-x64-gnu.node [keys=100000]
//
// Run it twice, swapping the two paths: the first build loaded sometimes
// fares differently. Each case prints its best round (the least disturbed);
// the ratios are B ÷ A.
//
// Gets and mgets read the keys in the order they were stored unless
// `--pattern zipf` or `--pattern scattered` says otherwise (see
// `accessPatterns` and bench/keyspace-ops.js). In order is lru-cache's best
// case: it is filled alone here, so its arrays and list are read front to
// back, which the CPU's prefetcher serves.
'use strict'

const { resolve } = require('node:path')
// Each loop is compiled on its own (`ownLoop`), so no two cases share inline caches.
const { lruCache, ownLoop, accessPatterns } = require('./keyspace-lib')

const argv = process.argv.slice(2)
const at = argv.indexOf('--pattern')
const pattern = at === -1 ? 'in order' : argv.splice(at, 2)[1]
const [a, b, keysArg] = argv
if (!a || !b || !['in order', 'zipf', 'scattered'].includes(pattern)) {
  console.error('usage: node bench/keyspace-ab.js <a.node> <b.node> [keys] [--pattern zipf|scattered]')
  process.exit(2)
}
const KEYS = Number(keysArg ?? 100_000)
const CALLS = 1_000_000
const ROUNDS = 9
const BATCH = 100

const order = Array.from({ length: KEYS }, (_, i) => (i * 7919) % KEYS)
const keys = order.map((i) => `key:${i}`)
const values = order.map((i) => `value:${i}`)
// What gets and mgets read: the same strings, in the pattern's order.
const reads = pattern === 'in order' ? keys : accessPatterns(keys, CALLS)[pattern]
const READS = reads.length
const batches = []
for (let i = 0; i + BATCH <= READS; i += BATCH) batches.push(reads.slice(i, i + BATCH))

const config = {
  maxMemory: 0,
  policy: 'noeviction',
  eviction: true,
  expire: true,
  serverDel: true,
  userDel: false,
  userFlush: false,
  returnBuffers: false,
}

/** Each timed operation of an addon: [name, function, keys per call, loop body]. */
const LOOPS = (addon) => [
  [
    'get',
    addon.ksGet,
    1,
    'let j = 0, s = 0\nfor (let i = 0; i < n; i++) { if (call(id, reads[j]) !== null) s++; if (++j === READS) j = 0 }\nreturn s',
  ],
  [
    'set',
    addon.ksSet,
    1,
    'let j = 0\nfor (let i = 0; i < n; i++) { call(id, keys[j], values[j]); if (++j === KEYS) j = 0 }\nreturn 0',
  ],
  [
    'mget',
    addon.ksMget,
    BATCH,
    'let j = 0, s = 0\nfor (let i = 0; i < n; i++) { s += call(id, ...batches[j]).length; if (++j === batches.length) j = 0 }\nreturn s',
  ],
]

const cases = []
const keep = []
for (const [label, path] of [
  ['A', a],
  ['B', b],
]) {
  const addon = require(resolve(path))
  const dropper = new addon.DropperHandle(4096, 64, 'ab')
  const handle = new addon.KeyspaceHandle(config, dropper)
  keep.push(dropper, handle)
  const id = handle.id
  for (let i = 0; i < KEYS; i++) addon.ksSet(id, keys[i], values[i])
  const names = ['call', 'id', 'keys', 'values', 'batches', 'KEYS', 'reads', 'READS']
  for (const [op, call, per, body] of LOOPS(addon)) {
    const loop = ownLoop(names, [call, id, keys, values, batches, KEYS, reads, READS], body)
    cases.push({ name: `${op} ${label}`, per, loop })
  }
}
const LRU = lruCache()
if (LRU) {
  const lru = new LRU({ max: KEYS * 2 })
  for (let i = 0; i < KEYS; i++) lru.set(keys[i], values[i])
  cases.push({
    name: 'lru-cache get',
    per: 1,
    loop: ownLoop(
      ['lru', 'reads', 'READS'],
      [lru, reads, READS],
      'let j = 0, s = 0\nfor (let i = 0; i < n; i++) { if (lru.get(reads[j]) !== undefined) s++; if (++j === READS) j = 0 }\nreturn s',
    ),
  })
}

let drained = 0
const time = (c) => {
  const n = Math.floor(CALLS / c.per)
  const t0 = process.hrtime.bigint()
  drained += c.loop(n) | 0
  return Number(process.hrtime.bigint() - t0) / n / c.per
}
for (const c of cases) c.loop(Math.floor(CALLS / 5 / c.per))
const best = new Map(cases.map((c) => [c.name, Infinity]))
for (let r = 0; r < ROUNDS; r++) for (const c of cases) best.set(c.name, Math.min(best.get(c.name), time(c)))

const ns = (name) => best.get(name)
console.log([...best].map(([name, v]) => `${name} ${v.toFixed(0)} ns`).join(' · '))
console.log(
  ['get', 'set', 'mget'].map((op) => `${op} B÷A ${(ns(`${op} B`) / ns(`${op} A`)).toFixed(3)}`).join(' · ') +
    ` (${keep.length / 2} builds, ${KEYS.toLocaleString('en-US')} keys, reads ${pattern}, best of ${ROUNDS} rounds; drained ${drained > 0})`,
)
