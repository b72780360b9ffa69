#!/usr/bin/env node
// npm run stress, part 2: a Redis-style command mix on keyspaces whose
// removals go through droppers, for 15 seconds (STRESS_KEYSPACE_SECONDS).
//
// Two keyspaces run side by side, on purpose at the edges:
// - 'lru': maxMemory 2 MiB with allkeys-lru eviction and short TTLs,
//   freeing through the default dropper: evictions, expiries (on access and
//   by active expiry), overwrites, unlink/del, renames over large values,
//   setValue/takeValue and async flushes all hand large values over;
// - 'tight': no limit, freeing through a dropper of capacity 2. Removals
//   handed over one by one are gathered into batches (docs/bursts.md), so
//   its bursts also hand values over by deferAll(), a message each, faster
//   than its thread wakes: its queue fills and removals that need a new
//   batch fall back to inline frees.
//
// Checks, after each round's flush({ async: true }) and drain():
// - no command threw anything but the errors the contract names ('OOM' is
//   not expected with eviction on, so none is allowed);
// - each keyspace is empty and its info() reports no pending lazy frees;
// - both droppers satisfy freed === deferred, pending === 0, and their
//   deferred + inline counts grew (values went both ways);
// - RSS after drain + GC stays within 10% of the baseline taken after a
//   warm-up round, and memory outside the V8 heap stays flat (within 2.5% of
//   the baseline or 6 MiB, whichever is more) from the first round to the
//   last (the same
//   reasoning as stress-dropper.js: allocator caching reaches one plateau,
//   a leak grows every round).
//
// When this build has no Keyspace export, it says so and exits 0.
'use strict'

const { runMeasured, TOLERANCE, PLATEAU, PLATEAU_FLOOR, mib } = require('./stress-lib')
const { rng } = require('./random')

// Measured in a child set up for it (stress-lib.js; see the top of this file).
runMeasured(__filename)

const { setTimeout: sleep } = require('node:timers/promises')
const lazyfree = require('..')

const { Dropper, NativeValue, defaultDropper, Keyspace } = lazyfree

if (typeof Keyspace !== 'function') {
  console.log('stress (keyspace): this build exports no Keyspace; the keyspace mix did not run')
  process.exit(0)
}

const SECONDS = Number(process.env.STRESS_KEYSPACE_SECONDS ?? 15)
const ROUNDS = 3
const WARMUP_SECONDS = Math.min(3, SECONDS / ROUNDS)

// Seeded, so a failing run can be replayed with STRESS_SEED.
const SEED = Number(process.env.STRESS_SEED ?? Date.now() % 1e9)
const { int, pick } = rng(SEED)

const range = (n, f) => Array.from({ length: n }, (_, i) => f(i))
const ITEMS = range(2000, (i) => `item-${i}-${'z'.repeat(i % 16)}`)
const FIELDS = new Map(range(500, (i) => [`f${i}`, `v${i}-${'q'.repeat(i % 32)}`]))
const MEMBERS = range(500, (i) => `m${i}`)
const ZPAIRS = range(300, (i) => [i * 0.5, `p${i}`]).flat()
const KEYS = range(400, (i) => `key:${i}`)

/** The errors the contract allows a command to throw here. */
function allowed(error, keyspace) {
  if (error?.code === 'WRONGTYPE') return true
  if (error?.code === 'ERR') return true // rename of a key that expired or was evicted meanwhile
  if (error?.code === 'OOM') return keyspace.label !== 'lru' // eviction must make room instead
  return false
}

/** One random command on `ks`. */
function command(ks) {
  const key = pick(KEYS)
  switch (int(17)) {
    case 16: {
      // A burst: several large keys removed in one call (gathered into one
      // batch); on the tight keyspace, with messages of their own around
      // it, faster than its thread wakes, so its two slots fill.
      const keys = Array.from({ length: 8 }, (_, i) => `burst:${i}`)
      for (const k of keys) ks.rpush(k, ...ITEMS.slice(0, 100))
      if (ks.label === 'tight') tightDropper.deferAll([NativeValue.list(ITEMS.slice(0, 100))])
      if (ks.label === 'tight') tightDropper.deferAll([NativeValue.list(ITEMS.slice(0, 100))])
      return ks.unlink(...keys)
    }
    case 0:
      return ks.set(key, `string-${int(1e6)}`, int(3) === 0 ? { px: 50 + int(500) } : undefined)
    case 1:
      return ks.rpush(key, ...ITEMS.slice(0, 50 + int(1500)))
    case 2:
      return ks.hset(key, FIELDS)
    case 3:
      return ks.sadd(key, ...MEMBERS.slice(0, 60 + int(440)))
    case 4:
      return ks.zadd(key, ...ZPAIRS.slice(0, 2 * (70 + int(230))))
    case 5:
      return ks.unlink(key, pick(KEYS))
    case 6:
      return ks.del(key)
    case 7:
      return ks.rename(key, pick(KEYS))
    case 8:
      return ks.setValue(key, NativeValue.list(ITEMS.slice(0, 100 + int(1000))))
    case 9: {
      const value = ks.takeValue(key)
      return value && (int(2) ? value.release() : defaultDropper.defer(value))
    }
    case 10:
      return ks.expire(key, 1)
    case 11:
      return ks.pexpire(key, 20 + int(200))
    case 12:
      return ks.get(key) ?? ks.lrange(key, 0, 10)
    case 13:
      return ks.incrby(`counter:${int(10)}`, int(100))
    case 14:
      return ks.lpop(key)
    default:
      return int(200) === 0 ? ks.flush({ async: int(2) === 0 }) : ks.exists(key)
  }
}

const counted = (s) => s.deferred + s.inlineSmall + s.inlineFull + s.inlineClosed
/** The tight keyspace's dropper (main() creates it). */
let tightDropper

async function settle(droppers) {
  await Promise.all(droppers.map((d) => d.drain()))
  for (let i = 0; i < 2; i++) {
    globalThis.gc()
    await sleep(50)
  }
  const { rss, heapTotal } = process.memoryUsage()
  return { rss, heap: heapTotal, native: rss - heapTotal }
}

async function round(name, seconds, spaces, droppers) {
  const before = droppers.map((d) => d.stats())
  const problems = []
  let commands = 0
  let errors = 0
  let peak = process.memoryUsage.rss()
  const end = Date.now() + seconds * 1000
  while (Date.now() < end) {
    for (let i = 0; i < 64; i++) {
      const ks = spaces[i % spaces.length]
      commands++
      try {
        command(ks)
      } catch (error) {
        errors++
        if (!allowed(error, ks)) {
          problems.push(`${name}: ${ks.label}: unexpected ${error?.code ?? ''} ${error?.stack ?? error}`)
          if (problems.length > 5) break
        }
      }
    }
    peak = Math.max(peak, process.memoryUsage.rss())
    await new Promise((resolve) => setImmediate(resolve))
  }
  for (const ks of spaces) ks.flush({ async: true })
  const { rss, heap, native } = await settle(droppers)
  const after = droppers.map((d) => d.stats())
  for (const ks of spaces) {
    const info = ks.info()
    if (info.keys !== 0 || ks.size !== 0) problems.push(`${name}: ${ks.label}: ${info.keys} keys left after flush`)
    if (info.lazyfree_pending_objects !== 0) problems.push(`${name}: ${ks.label}: ${JSON.stringify(info)}`)
  }
  for (const [i, s] of after.entries()) {
    if (s.freed !== s.deferred || s.pending !== 0 || s.pendingBytes !== 0) {
      problems.push(`${name}: dropper ${i}: after drain ${JSON.stringify(s)}`)
    }
  }
  return { name, seconds, commands, errors, before, after, peak, rss, heap, native, problems }
}

function print(r, baseline, labels) {
  console.log(`${r.name} (${r.seconds} s): ${r.commands} commands, ${r.errors} refused with a contract error`)
  for (const [i, label] of labels.entries()) {
    const b = r.before[i]
    const a = r.after[i]
    const d = (k) => a[k] - b[k]
    console.log(
      `  ${label}: ${d('deferred')} deferred (${d('freed')} freed by the thread) + ${d('inlineSmall')} inlineSmall + ` +
        `${d('inlineFull')} inlineFull + ${d('inlineClosed')} inlineClosed = ${counted(a) - counted(b)} values; ` +
        `after drain(): freed ${a.freed} === deferred ${a.deferred}, pending ${a.pending}`,
    )
  }
  const vs = baseline ? ` (${((r.rss / baseline - 1) * 100).toFixed(1)}% vs baseline)` : ''
  console.log(
    `  RSS peak ${mib(r.peak)}, after flush + drain + GC ${mib(r.rss)}${vs} = V8 heap ${mib(r.heap)} + ` +
      `the rest ${mib(r.native)}`,
  )
}

async function main() {
  console.log(
    `lazyfree stress: keyspace command mix for ${SECONDS} s (${ROUNDS} rounds after a ${WARMUP_SECONDS} s warm-up), ` +
      `seed ${SEED} (STRESS_SEED), Node ${process.version}\n`,
  )
  tightDropper = new Dropper({ capacity: 2, name: 'stress-tight' })
  const lru = new Keyspace({ maxMemory: '2mb', evictionPolicy: 'allkeys-lru', hz: 50 })
  lru.label = 'lru'
  const tight = new Keyspace({ dropper: tightDropper, hz: 10 })
  tight.label = 'tight'
  const spaces = [lru, tight]
  const droppers = [defaultDropper, tightDropper]
  const labels = ['default dropper (lru keyspace)', 'capacity-2 dropper (tight keyspace)']

  const warm = await round('warm-up', WARMUP_SECONDS, spaces, droppers)
  print(warm, undefined, labels)
  const baseline = warm.rss
  console.log(`  baseline RSS: ${mib(baseline)}\n`)
  const rounds = []
  for (let i = 1; i <= ROUNDS; i++) {
    const r = await round(`round ${i}`, SECONDS / ROUNDS, spaces, droppers)
    print(r, baseline, labels)
    rounds.push(r)
  }

  const problems = [warm, ...rounds].flatMap((r) => r.problems)
  const info = lru.info()
  console.log(
    `\nlru keyspace, all rounds: evicted_keys ${info.evicted_keys}, expired_keys ${info.expired_keys}, ` +
      `lazyfreed_objects ${info.lazyfreed_objects}`,
  )
  if (info.evicted_keys === 0) problems.push('the lru keyspace never evicted')
  if (info.expired_keys === 0) problems.push('the lru keyspace never expired a key')
  for (const [i, label] of labels.entries()) {
    const grew = (k) => rounds[rounds.length - 1].after[i][k] - warm.before[i][k]
    if (grew('deferred') === 0) problems.push(`${label}: nothing was ever handed to its thread`)
    if (i === 1 && grew('inlineFull') === 0) problems.push(`${label}: its queue never filled`)
  }
  const limit = baseline * (1 + TOLERANCE)
  for (const r of rounds) {
    if (r.rss > limit) problems.push(`${r.name}: RSS ${mib(r.rss)} is more than 10% over the baseline ${mib(baseline)}`)
  }
  // As in stress-dropper.js: the plateau is checked outside the V8 heap.
  const growth = rounds[rounds.length - 1].native - rounds[0].native
  const flat = Math.max(baseline * PLATEAU, PLATEAU_FLOOR)
  if (growth > flat) problems.push(`memory outside the V8 heap grew ${mib(growth)} from round 1 to round ${ROUNDS}`)
  console.log(
    `RSS: baseline ${mib(baseline)}, after rounds ${rounds.map((r) => mib(r.rss)).join(', ')}; limit ${mib(limit)} ` +
      `(+10%)`,
  )
  console.log(
    `outside the V8 heap: after warm-up ${mib(warm.native)}, after rounds ${rounds.map((r) => mib(r.native)).join(', ')}; ` +
      `change from round 1 to ${ROUNDS} ${mib(growth)} (limit ${mib(flat)})`,
  )

  lru.close()
  tight.close()
  await tightDropper.close()
  await defaultDropper.drain()
  const closed = tightDropper.stats()
  if (closed.threadRunning || closed.freed !== closed.deferred) problems.push(`after close: ${JSON.stringify(closed)}`)

  if (problems.length) {
    console.error(`\nFAILED (seed ${SEED}):\n- ${problems.join('\n- ')}`)
    process.exit(1)
  }
  console.log('stress (keyspace): passed')
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
