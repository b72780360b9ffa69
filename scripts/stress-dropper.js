#!/usr/bin/env node
// npm run stress, part 1: floods the default dropper with large values from
// the JavaScript thread for 30 seconds and checks that nothing is lost and
// nothing leaks.
//
//   node scripts/stress-dropper.js              # a 10 s warm-up round + 3 rounds of 10 s
//   STRESS_SECONDS=60 node scripts/stress-dropper.js   # the measured flood's length
//   STRESS_CANARY=0.01 node scripts/stress-dropper.js  # leak 1% on purpose: the checks fail
//
// Each round alternates two phases until its time is up:
// - a burst: 6000 values (lists, hashes, sets, zsets above the threshold,
//   and small lists) are built into native memory, then all released at
//   once, faster than the thread can free them; they are gathered into
//   batches of up to 1 024 (docs/bursts.md), a few messages in the
//   4096-slot queue, so none should be freed inline (inlineFull);
// - a stream: values converted and released one at a time — large ones to
//   the thread, small ones and long strings inline (a string is never
//   large), plain JS values passed to defer(), batches through deferAll() —
//   yielding to the event loop between batches, as a server would.
//
// What it checks, after each round's drain():
// - accounting: the values offered equal deferred + inlineSmall + inlineFull
//   + inlineClosed (the counters' growth during the round), and freed ===
//   deferred, pending === 0, pendingBytes === 0, queued === 0;
// - memory: the resident set size (process.memoryUsage.rss(), read after the
//   drain and two full GCs) is within 10% of the baseline; and the part of
//   it outside the V8 heap (RSS - heapTotal: native values and the
//   allocator's cache) does not grow from the first round to the last.
//
// How memory is measured. The script runs itself in a child process with:
// - _RJEM_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0: on Linux the
//   addon's heap is jemalloc, which by default keeps freed pages for about
//   10 s before returning them, so RSS right after a drain would show
//   whatever happened to be in that window. With decay 0 pages go back at
//   once and RSS shows what is still allocated: it falls from a ~400 MiB
//   peak to ~90 MiB after each drain. (Elsewhere, or built with the
//   system-allocator feature, the variable does nothing; glibc keeps freed
//   memory for reuse, so RSS stays near the peak instead, flat from round
//   to round.)
// - --min/max-semi-space-size=16: V8's young generation at a fixed size,
//   so V8 growing its own heap mid-run does not show as RSS movement.
// The baseline is taken after a warm-up round identical to the measured
// ones, not at start-up: the first round pays one-time costs that are not
// leaks (allocator metadata and caches, V8's compiled code, the drop
// thread's stack), reached once and then reused. Allocator caching cannot
// hide a leak this way: a leak adds memory every round (every round hands
// over some 2 GB of estimated bytes; keeping 1% of the values alive adds
// ~35 MiB a round here, and fails), while a cache is reused and stays flat,
// so the three measured rounds reach the same plateau only if nothing leaks.
'use strict'

const { runMeasured, TOLERANCE, PLATEAU, PLATEAU_FLOOR, mib } = require('./stress-lib')

// Measured in a child set up for it (stress-lib.js; see the top of this file).
runMeasured(__filename)

const { setTimeout: sleep } = require('node:timers/promises')
const { NativeValue, defaultDropper } = require('..')

const FLOOD_SECONDS = Number(process.env.STRESS_SECONDS ?? 30)
const ROUNDS = Number(process.env.STRESS_ROUNDS ?? 3)
const WARMUP_SECONDS = FLOOD_SECONDS / ROUNDS
const BATCH = 32
/** Values built and then released at once: more than the queue's 4096 slots. */
const BURST = 6000
const STREAM_BATCHES = 50
/**
 * STRESS_CANARY=0.01 keeps 1% of each burst's values alive and unreleased:
 * a deliberate leak, to see that the RSS checks catch one.
 */
const CANARY = Number(process.env.STRESS_CANARY ?? 0)
const CANARY_EVERY = CANARY > 0 ? Math.round(1 / CANARY) : 0
const leaked = []

// Templates, built once: conversion copies them into native memory each
// time, so the JavaScript heap stays the same size and only native memory
// is exercised.
const range = (n, f) => Array.from({ length: n }, (_, i) => f(i))
const T = {
  list: range(1000, (i) => `list-item-${i}-${'x'.repeat(i % 24)}`),
  hash: new Map(range(300, (i) => [`field-${i}`, `value-${i}-${'y'.repeat(i % 40)}`])),
  set: new Set(range(500, (i) => `member-${i}`)),
  zset: range(300, (i) => [`player-${i}`, i * 1.5]),
  buffers: range(100, (i) => Buffer.alloc(1024, i)),
  object: Object.fromEntries(range(200, (i) => [`k${i}`, i])),
  small: range(10, (i) => `small-${i}`),
  string: 's'.repeat(256 * 1024),
}

/** One step of the flood: returns how many values it offered. */
const STEPS = [
  () => (NativeValue.list(T.list).release(), 1),
  () => (NativeValue.hash(T.hash).release(), 1),
  () => (NativeValue.set(T.set).release(), 1),
  () => (NativeValue.zset(T.zset).release(), 1),
  () => (NativeValue.list(T.buffers).release(), 1),
  () => (defaultDropper.defer(T.object), 1),
  () => (defaultDropper.defer(T.list), 1),
  () => (NativeValue.list(T.small).release(), 1),
  () => (NativeValue.string(T.string).release(), 1),
  () => {
    const batch = [
      NativeValue.list(T.small),
      NativeValue.set(T.set),
      NativeValue.string('one'),
      NativeValue.list(T.list),
    ]
    defaultDropper.deferAll(batch)
    return batch.length
  },
]

/** Values built ahead of a burst. */
const BUILDERS = [
  () => NativeValue.list(T.list),
  () => NativeValue.hash(T.hash),
  () => NativeValue.set(T.set),
  () => NativeValue.zset(T.zset),
  () => NativeValue.list(T.buffers),
  () => NativeValue.list(T.small),
]

const counted = (s) => s.deferred + s.inlineSmall + s.inlineFull + s.inlineClosed

async function settle() {
  await defaultDropper.drain()
  for (let i = 0; i < 2; i++) {
    globalThis.gc()
    await sleep(50)
  }
  const { rss, heapTotal } = process.memoryUsage()
  return { rss, heap: heapTotal, native: rss - heapTotal }
}

async function round(name, seconds) {
  const before = defaultDropper.stats()
  let offered = 0
  let peak = process.memoryUsage.rss()
  let step = 0
  const end = Date.now() + seconds * 1000
  while (Date.now() < end) {
    // A burst: values built first (native memory held), then released in
    // one go, faster than the thread frees them: they wait in a few
    // gathered batches.
    // Each burst starts from an empty queue and is always complete, so every
    // round reaches the same high-water mark.
    await defaultDropper.drain()
    const held = []
    for (let i = 0; i < BURST; i++) {
      const kind = BUILDERS[i % BUILDERS.length]
      held.push(kind())
      if (i % BATCH === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    peak = Math.max(peak, process.memoryUsage.rss())
    for (const [i, v] of held.entries()) {
      // The leak canary (STRESS_CANARY): a fraction of values never released.
      if (CANARY_EVERY && i % CANARY_EVERY === 0) {
        leaked.push(v)
        continue
      }
      v.release()
      offered++
    }
    held.length = 0
    peak = Math.max(peak, process.memoryUsage.rss())
    // A stream: one value at a time, yielding between batches.
    for (let b = 0; b < STREAM_BATCHES && Date.now() < end; b++) {
      for (let i = 0; i < BATCH; i++) offered += STEPS[step++ % STEPS.length]()
      peak = Math.max(peak, process.memoryUsage.rss())
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const handedOver = defaultDropper.stats()
  const { rss, heap, native } = await settle()
  const after = defaultDropper.stats()
  const delta = (k) => after[k] - before[k]
  const result = {
    name,
    seconds,
    offered,
    deferred: delta('deferred'),
    inlineSmall: delta('inlineSmall'),
    inlineFull: delta('inlineFull'),
    inlineClosed: delta('inlineClosed'),
    freed: delta('freed'),
    freedBytes: delta('freedBytes'),
    pendingAtEnd: handedOver.pending,
    after,
    peak,
    rss,
    heap,
    native,
  }
  const problems = []
  if (counted(after) - counted(before) !== offered) {
    problems.push(`${name}: offered ${offered} but counted ${counted(after) - counted(before)}`)
  }
  if (after.freed !== after.deferred || after.pending !== 0 || after.pendingBytes !== 0 || after.queued !== 0) {
    problems.push(`${name}: after drain ${JSON.stringify(after)}`)
  }
  result.problems = problems
  return result
}

function print(r, baseline) {
  const identity =
    `${r.offered} offered = ${r.deferred} deferred + ${r.inlineSmall} inlineSmall + ` +
    `${r.inlineFull} inlineFull + ${r.inlineClosed} inlineClosed`
  console.log(`${r.name} (${r.seconds} s): ${identity} ${r.problems.length ? 'MISMATCH' : 'ok'}`)
  console.log(
    `  thread freed ${r.freed} values (${mib(r.freedBytes)} estimated), ${r.pendingAtEnd} were pending when the ` +
      `flood stopped; after drain(): freed === deferred (${r.after.freed}), pending ${r.after.pending}, ` +
      `pendingBytes ${r.after.pendingBytes}`,
  )
  const vs = baseline ? ` (${((r.rss / baseline - 1) * 100).toFixed(1)}% vs baseline)` : ''
  console.log(
    `  RSS peak during flood ${mib(r.peak)}, after drain + GC ${mib(r.rss)}${vs} ` +
      `= V8 heap ${mib(r.heap)} + the rest ${mib(r.native)}`,
  )
}

async function main() {
  const start = process.memoryUsage.rss()
  console.log(
    `lazyfree stress: default dropper flooded from the JS thread for ${FLOOD_SECONDS} s ` +
      `(${ROUNDS} rounds after a ${WARMUP_SECONDS} s warm-up), Node ${process.version}`,
  )
  console.log(`RSS at start ${mib(start)}; _RJEM_MALLOC_CONF=${process.env._RJEM_MALLOC_CONF}`)
  if (CANARY_EVERY) console.log(`leak canary: 1 in ${CANARY_EVERY} burst values is kept and never released`)
  console.log('')

  const warm = await round('warm-up', WARMUP_SECONDS)
  print(warm)
  const baseline = warm.rss
  console.log(
    `  baseline RSS (after the warm-up's drain + GC): ${mib(baseline)}, outside the V8 heap ${mib(warm.native)}\n`,
  )

  const rounds = []
  for (let i = 1; i <= ROUNDS; i++) {
    const r = await round(`round ${i}`, FLOOD_SECONDS / ROUNDS)
    print(r, baseline)
    rounds.push(r)
  }

  const problems = [warm, ...rounds].flatMap((r) => r.problems)
  const limit = baseline * (1 + TOLERANCE)
  for (const r of rounds) {
    if (r.rss > limit) problems.push(`${r.name}: RSS ${mib(r.rss)} is more than 10% over the baseline ${mib(baseline)}`)
  }
  // The plateau: from the first measured round to the last, memory outside
  // the V8 heap (RSS - heapTotal: native values, the allocator's cache) must
  // stay flat (within 2.5% of the baseline RSS or 6 MiB, whichever is more);
  // a leak grows it every round.
  // The V8 heap is left out of this check: V8 sizes its own spaces to the
  // allocation rate and keeps them, which is not ours to measure.
  const growth = rounds[rounds.length - 1].native - rounds[0].native
  const flat = Math.max(baseline * PLATEAU, PLATEAU_FLOOR)
  if (growth > flat) {
    problems.push(`memory outside the V8 heap grew ${mib(growth)} from round 1 to round ${ROUNDS}: no plateau`)
  }
  const total = rounds.reduce((sum, r) => sum + r.offered, 0)
  const totalBytes = rounds.reduce((sum, r) => sum + r.freedBytes, 0)
  console.log(
    `\ntotal: ${total} values offered in ${FLOOD_SECONDS} s, ${mib(totalBytes)} freed on the drop thread; ` +
      `every value accounted for: ${problems.some((p) => p.includes('offered')) ? 'no' : 'yes'}`,
  )
  console.log(
    `RSS: baseline ${mib(baseline)}, after rounds ${rounds.map((r) => mib(r.rss)).join(', ')}; ` +
      `limit ${mib(limit)} (+10%)`,
  )
  console.log(
    `outside the V8 heap: after warm-up ${mib(warm.native)}, after rounds ${rounds.map((r) => mib(r.native)).join(', ')}; ` +
      `change from round 1 to ${ROUNDS} ${mib(growth)} (limit ${mib(flat)})`,
  )
  if (problems.length) {
    console.error(`\nFAILED:\n- ${problems.join('\n- ')}`)
    process.exit(1)
  }
  console.log('stress (dropper): passed')
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
