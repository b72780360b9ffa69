#!/usr/bin/env node
// Case 2, hand-off cost: what one defer() costs the JavaScript thread.
//
//   npm run bench:handoff [-- --quick]
//
// Tight loops, no timer around a call (a per-call hrtime pair costs more
// than the calls measured here): each sample is one loop, total time / calls.
//   - floors, 1M calls per sample: an exported no-op native function (the
//     cost of any call into the addon) and the `dropper.capacity` getter
//     (one facade getter and one native getter);
//   - defer() / release() of a large value (a list of 1 000 32-byte strings,
//     above the threshold of 64) into a default Dropper: handed to the thread;
//   - defer() of a small value (16 elements): freed inline, by design;
//   - defer() of the large value into a Dropper with threshold Infinity: the
//     same value freed inline, what the hand-off saves.
// A defer() consumes its value, so the value cases build BATCH values before
// each sample (outside the timed loop) and time one loop over them; BATCH
// stays under the channel's 4 096 slots, and the dropper is drained between
// samples, so every large value really goes to the thread. Samples of all
// cases are interleaved round by round; the table gives medians.
// Then, hand-rolled: defer() of a 1M-element list (200k with --quick), to
// show the hand-off does not grow with the value.

import { createRequire } from 'node:module'
import {
  collect,
  count,
  header,
  lazyfree,
  median,
  ns,
  options,
  packageDir,
  percentile,
  pick,
  progress,
  progressDone,
  requireGc,
  short,
  table,
  times,
  writeResults,
} from './lib.mjs'

requireGc()
const { Dropper, NativeValue } = lazyfree()
const binding = createRequire(import.meta.url)(`${packageDir()}/binding.js`)

const FLOOR_CALLS = pick(1_000_000, 200_000)
const BATCH = pick(2_000, 1_000)
const ROUNDS = pick(9, 3)
const HUGE = pick(1_000_000, 200_000)
const HUGE_SAMPLES = pick(7, 3)

const item = (i) => `element-${String(i).padStart(24, '0')}` // 32 bytes
const large = Array.from({ length: 1_000 }, (_, i) => item(i))
const small = Array.from({ length: 16 }, (_, i) => item(i))

const dropper = new Dropper()
const inline = new Dropper({ threshold: Infinity })

let sink = 0
const build = (source) => Array.from({ length: BATCH }, () => NativeValue.list(source))

/** [id, label, make() → { calls, run() }] */
const TASKS = [
  [
    'noop',
    'exported no-op native function (the floor)',
    () => ({
      calls: FLOOR_CALLS,
      run() {
        const noop = binding.noop
        for (let i = 0; i < FLOOR_CALLS; i++) noop()
      },
    }),
  ],
  [
    'napi',
    'empty native getter (dropper.capacity)',
    () => ({
      calls: FLOOR_CALLS,
      run() {
        let s = 0
        for (let i = 0; i < FLOOR_CALLS; i++) s += dropper.capacity
        sink += s
      },
    }),
  ],
  [
    'large',
    'defer() large value → thread',
    () => {
      const values = build(large)
      return {
        calls: BATCH,
        run() {
          let s = 0
          for (let i = 0; i < BATCH; i++) if (dropper.defer(values[i])) s++
          if (s !== BATCH) throw new Error(`${BATCH - s} large values were not deferred`)
        },
      }
    },
  ],
  [
    'release',
    'release() large value → thread',
    () => {
      const values = build(large)
      return {
        calls: BATCH,
        run() {
          let s = 0
          for (let i = 0; i < BATCH; i++) if (values[i].release(dropper)) s++
          if (s !== BATCH) throw new Error(`${BATCH - s} large values were not deferred`)
        },
      }
    },
  ],
  [
    'small',
    'defer() small value (freed inline, < threshold)',
    () => {
      const values = build(small)
      return {
        calls: BATCH,
        run() {
          for (let i = 0; i < BATCH; i++) if (dropper.defer(values[i])) sink++
        },
      }
    },
  ],
  [
    'inline',
    'defer() large value, inline (threshold ∞)',
    () => {
      const values = build(large)
      return {
        calls: BATCH,
        run() {
          for (let i = 0; i < BATCH; i++) if (inline.defer(values[i])) sink++
        },
      }
    },
  ],
]

async function main() {
  console.log(
    header(
      'Hand-off cost',
      `ns per call on the JavaScript thread; tight loops (total time / calls), ${ROUNDS} interleaved rounds; ` +
        `${count(FLOOR_CALLS)} calls per floor sample, ${count(BATCH)} per value sample; large = list of 1 000 32-byte strings, small = 16; ` +
        `huge = ${short(HUGE)} elements, ${HUGE_SAMPLES} hand-timed samples.`,
    ),
  )
  const byId = Object.fromEntries(TASKS.map(([id]) => [id, { samples: [] }]))
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, [id, , make]] of TASKS.entries()) {
      progress(`[handoff round ${r + 1}/${ROUNDS}, ${i + 1}/${TASKS.length}] ${id}…`)
      const task = make()
      await dropper.drain()
      collect()
      const start = process.hrtime.bigint()
      task.run()
      byId[id].samples.push(Number(process.hrtime.bigint() - start) / task.calls)
      await Promise.all([dropper.drain(), inline.drain()])
    }
  }
  for (const r of Object.values(byId))
    Object.assign(r, { median: median(r.samples), p99: percentile(r.samples, 99), n: r.samples.length })

  // Hand-timed: defer() of a huge value, a few samples.
  const huge = []
  const hugeSource = Array.from({ length: HUGE }, (_, i) => item(i))
  for (let s = 0; s < HUGE_SAMPLES; s++) {
    progress(`[handoff ${TASKS.length + 1}/${TASKS.length + 1}] huge value ${s + 1}/${HUGE_SAMPLES}…`)
    const value = NativeValue.list(hugeSource)
    collect()
    const start = process.hrtime.bigint()
    const deferred = dropper.defer(value)
    huge.push(Number(process.hrtime.bigint() - start))
    if (!deferred) throw new Error('the huge value was not deferred')
    await dropper.drain()
  }
  byId.huge = { samples: huge, median: median(huge), p99: Math.max(...huge), n: huge.length }
  progressDone()

  const floor = byId.noop.median
  const labels = Object.fromEntries(TASKS.map(([id, label]) => [id, label]))
  labels.huge = `defer() huge value (${short(HUGE)} elements) → thread`
  const order = ['noop', 'napi', 'large', 'release', 'huge', 'small', 'inline']
  const rows = order.map((id) => {
    const r = byId[id]
    return [
      labels[id],
      ns(r.median),
      id === 'huge' ? `${ns(r.p99)} (max)` : ns(r.p99),
      id === 'noop' ? '' : times(r.median / floor),
      id === 'huge' ? count(r.n) : `${count(r.n)} × ${count(id === 'noop' || id === 'napi' ? FLOOR_CALLS : BATCH)}`,
    ]
  })
  console.log(
    table(['operation', 'ns per call (median)', 'p99 of samples', '× no-op function', 'samples × calls'], rows),
  )
  const goals = {
    largeMedianNs: byId.large.median,
    releaseMedianNs: byId.release.median,
    noopNs: floor,
    getterOverNoop: byId.napi.median / floor,
    inlineOverDefer: byId.inline.median / byId.large.median,
  }
  console.log(
    `\ngoals: defer() of a large value, median ${ns(goals.largeMedianNs)} (goal ≤ 150 ns: ` +
      `${goals.largeMedianNs <= 150 ? 'met' : 'NOT met'}); release() ${ns(goals.releaseMedianNs)}; ` +
      `empty native getter ${times(goals.getterOverNoop)} the no-op function (goal ≤ 2×: ` +
      `${goals.getterOverNoop <= 2 ? 'met' : 'NOT met'}); freeing the same value inline costs ${times(goals.inlineOverDefer)} as much.`,
  )
  const summary = Object.fromEntries(
    Object.entries(byId).map(([id, r]) => [id, { label: labels[id], medianNs: r.median, p99Ns: r.p99, calls: r.n }]),
  )
  const file = writeResults('handoff', {
    floorCalls: FLOOR_CALLS,
    batch: BATCH,
    rounds: ROUNDS,
    huge: HUGE,
    summary,
    goals,
    sink,
  })
  console.log(`\nresults: ${file}${options.quick ? ' (quick)' : ''}`)
  await Promise.all([dropper.close(), inline.close()])
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
