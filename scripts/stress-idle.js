#!/usr/bin/env node
// npm run stress, part 3: after a flood and a drain, RSS returns to its
// baseline in a process that then sits IDLE — nothing allocates, no
// JavaScript runs but a timer reading RSS.
//
// Freed memory goes back to the addon's allocator (jemalloc on Linux), which
// returns pages to the OS after a decay time. Without background purging it
// does so only when some thread calls into it, so an idle process kept its
// peak RSS for good. The addon now starts jemalloc with background threads
// (crate/glue/mod.rs), which purge on time whatever the process does. This script
// measures that with the allocator's shipped settings: unlike the other
// stress scripts it does not set _RJEM_MALLOC_CONF (it removes it from the
// child's environment unless STRESS_IDLE_KEEP_CONF=1).
//
//   node scripts/stress-idle.js
//   STRESS_IDLE_MIB=600 node scripts/stress-idle.js   # size of the flood
//
// It checks: within BOUND_SECONDS of the drain, RSS falls to within
// max(10%, 16 MiB) of the baseline taken before the flood (after one small
// warm-up round), and prints how long that took.
'use strict'

const { spawnSync } = require('node:child_process')
const { mib, MiB } = require('./stress-lib')

if (typeof globalThis.gc !== 'function') {
  const env = { ...process.env }
  if (env.STRESS_IDLE_KEEP_CONF !== '1') delete env._RJEM_MALLOC_CONF
  const v8 = ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16']
  const r = spawnSync(process.execPath, [...v8, __filename, ...process.argv.slice(2)], { stdio: 'inherit', env })
  process.exit(r.status ?? 1)
}

const { setTimeout: sleep } = require('node:timers/promises')
const { Dropper, NativeValue } = require('..')

const FLOOD_MIB = Number(process.env.STRESS_IDLE_MIB ?? 400)
/** jemalloc's dirty decay is 10 s; its background threads purge along that curve. */
const BOUND_SECONDS = Number(process.env.STRESS_IDLE_BOUND_SECONDS ?? 30)
const TOLERANCE = 0.1
const FLOOR = 16 * MiB

/** Large lists worth about `mebibytes` of native memory (estimated). */
function build(mebibytes) {
  const items = 100_000
  const item = (i) => `item-${i}-${'x'.repeat(26)}`
  // Each element: a 32-byte handle + ~40 bytes of text (memory.rs's estimate).
  const perList = items * (32 + item(0).length)
  const values = []
  for (let done = 0; done < mebibytes * MiB; done += perList) {
    values.push(NativeValue.list(Array.from({ length: items }, (_, i) => item(i))))
  }
  return values
}

async function settleRss() {
  for (let i = 0; i < 2; i++) {
    globalThis.gc()
    await sleep(50)
  }
  return process.memoryUsage.rss()
}

async function flood(dropper, mebibytes) {
  const values = build(mebibytes)
  const peak = process.memoryUsage.rss()
  for (const v of values) dropper.defer(v)
  await dropper.drain()
  return peak
}

async function main() {
  const dropper = new Dropper({ capacity: 1024 })
  console.log(
    `lazyfree stress (idle): a ${FLOOD_MIB} MiB flood, a drain, then nothing; Node ${process.version}; ` +
      `_RJEM_MALLOC_CONF=${process.env._RJEM_MALLOC_CONF ?? '(unset: the addon’s own settings)'}`,
  )
  // Warm-up: one-time costs (allocator metadata, V8's code, the thread).
  await flood(dropper, 16)
  await sleep(1000)
  const baseline = await settleRss()
  const peak = await flood(dropper, FLOOD_MIB)
  const drained = Date.now()
  const afterDrain = await settleRss()
  const limit = Math.max(baseline * (1 + TOLERANCE), baseline + FLOOR)
  console.log(
    `baseline ${mib(baseline)}, peak ${mib(peak)}, right after drain + GC ${mib(afterDrain)}; limit ${mib(limit)}`,
  )
  // Idle: a timer reads RSS; nothing else runs.
  const samples = []
  let back
  let last = afterDrain
  while (Date.now() - drained < BOUND_SECONDS * 1000) {
    await sleep(500)
    const rss = process.memoryUsage.rss()
    last = rss
    const t = (Date.now() - drained) / 1000
    samples.push(`${t.toFixed(1)} s ${mib(rss)}`)
    if (rss <= limit) {
      back = t
      break
    }
  }
  const every = Math.max(1, Math.floor(samples.length / 12))
  console.log(`idle RSS: ${samples.filter((_, i) => i % every === 0 || i === samples.length - 1).join(', ')}`)
  await dropper.close()
  if (back === undefined) {
    console.error(`FAILED: RSS still ${mib(last)} after ${BOUND_SECONDS} s idle (baseline ${mib(baseline)})`)
    process.exit(1)
  }
  console.log(`RSS back within ${mib(limit)} ${back.toFixed(1)} s after the drain, idle. stress (idle): passed`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
