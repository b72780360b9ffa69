#!/usr/bin/env node
// Case 2, hand-off cost: what one defer() costs the JavaScript thread.
//
//   npm run bench:handoff [-- --quick]
//
// tinybench times each call on its own (hrtime), with a fresh NativeValue
// made before each iteration, outside the timed call:
//   - timer only: an empty function, what the timing itself costs;
//   - empty napi call: the `dropper.capacity` getter, one facade getter and
//     one Node-API call that returns a number: the floor of any native call;
//   - defer() of a large value (a list of 1 000 32-byte strings, above the
//     threshold of 64) into a default Dropper: handed to the thread;
//   - NativeValue#release() of the same, the other way to hand it over;
//   - defer() of a small value (16 elements): freed inline, by design;
//   - defer() of the large value into a Dropper with threshold Infinity:
//     the same value freed inline, what the hand-off saves.
// Then, hand-rolled (a few samples; each value takes a while to build):
// defer() of a 1M-element list (200k with --quick), to show the hand-off
// does not grow with the value.

import { Bench, hrtimeNowTimestampProvider } from 'tinybench'
import {
  collect,
  count,
  header,
  lazyfree,
  median,
  ns,
  options,
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

const ITERATIONS = pick(5_000, 1_000)
const FLOOR_ITERATIONS = pick(50_000, 10_000)
const HUGE = pick(1_000_000, 200_000)
const HUGE_SAMPLES = pick(7, 3)

const item = (i) => `element-${String(i).padStart(24, '0')}` // 32 bytes
const large = Array.from({ length: 1_000 }, (_, i) => item(i))
const small = Array.from({ length: 16 }, (_, i) => item(i))

const dropper = new Dropper()
const inline = new Dropper({ threshold: Infinity })

let current
let sink = 0
const fresh = (source) =>
  function () {
    current = NativeValue.list(source)
  }

/** [id, label, fn, options, expected return] */
const TASKS = [
  ['timer', 'timer only (empty function)', () => {}, { iterations: FLOOR_ITERATIONS }],
  ['napi', 'empty napi call (dropper.capacity)', () => {
    sink += dropper.capacity
  }, { iterations: FLOOR_ITERATIONS }],
  ['large', 'defer() large value → thread', () => {
    if (dropper.defer(current)) sink++
  }, { beforeEach: fresh(large) }],
  ['release', 'release() large value → thread', () => {
    if (current.release(dropper)) sink++
  }, { beforeEach: fresh(large) }],
  ['small', 'defer() small value (freed inline, < threshold)', () => {
    if (dropper.defer(current)) sink++
  }, { beforeEach: fresh(small) }],
  ['inline', 'defer() large value, inline (threshold ∞)', () => {
    if (inline.defer(current)) sink++
  }, { beforeEach: fresh(large) }],
]

async function main() {
  console.log(
    header(
      'Hand-off cost',
      `ns per call on the JavaScript thread; tinybench, hrtime per call, ${count(ITERATIONS)} calls per value task ` +
        `(${count(FLOOR_ITERATIONS)} for the floors); large = list of 1 000 32-byte strings, small = 16; ` +
        `huge = ${short(HUGE)} elements, ${HUGE_SAMPLES} hand-timed samples.`,
    ),
  )
  // One Bench per task, so each shows its own progress line.
  const byId = {}
  for (const [i, [id, , fn, opts]] of TASKS.entries()) {
    progress(`[handoff ${i + 1}/${TASKS.length + 1}] ${id}…`)
    const one = new Bench({
      timestampProvider: hrtimeNowTimestampProvider,
      time: 1,
      iterations: opts.iterations ?? ITERATIONS,
      warmupIterations: 200,
      warmupTime: 1,
      retainSamples: true,
      throws: true,
    })
    one.add(id, fn, {
      beforeEach: opts.beforeEach,
      afterAll: async () => {
        await dropper.drain()
        collect()
      },
    })
    await one.run()
    const task = one.getTask(id)
    const samples = task.result.latency.samples.map((x) => x * 1e6) // ms → ns
    byId[id] = { samples, median: median(samples), p99: percentile(samples, 99), n: samples.length }
  }

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

  const timer = byId.timer.median
  const floor = byId.napi.median - timer
  const labels = Object.fromEntries(TASKS.map(([id, label]) => [id, label]))
  labels.huge = `defer() huge value (${short(HUGE)} elements) → thread`
  const order = ['timer', 'napi', 'large', 'release', 'huge', 'small', 'inline']
  const rows = order.map((id) => {
    const r = byId[id]
    const net = r.median - timer
    return [
      labels[id],
      ns(r.median),
      id === 'huge' ? `${ns(r.p99)} (max)` : ns(r.p99),
      id === 'timer' ? '' : ns(net),
      id === 'timer' || id === 'napi' ? '' : times(net / floor),
      count(r.n),
    ]
  })
  console.log(table(['operation', 'median', 'p99', 'net median', '× empty napi call (net)', 'calls'], rows))
  console.log(
    '\nnet = median − the timer-only median (what one hrtime pair around an empty function costs); ' +
      'ratios are of net medians.',
  )
  const large = byId.large.median - timer
  const goals = {
    largeMedianNs: byId.large.median,
    largeNetNs: large,
    emptyNapiNetNs: floor,
    ratio: large / floor,
    inlineOverDefer: (byId.inline.median - timer) / large,
  }
  console.log(
    `\ngoals: defer() of a large value, median ${ns(byId.large.median)} (net ${ns(large)}; goal ≤ 1 µs: ` +
      `${byId.large.median <= 1000 ? 'met' : 'NOT met'}); ${times(goals.ratio)} an empty napi call (goal ≤ 20×: ` +
      `${goals.ratio <= 20 ? 'met' : 'NOT met'}); freeing the same value inline costs ${times(goals.inlineOverDefer)} as much.`,
  )
  const summary = Object.fromEntries(
    Object.entries(byId).map(([id, r]) => [id, { label: labels[id], medianNs: r.median, p99Ns: r.p99, calls: r.n }]),
  )
  const file = writeResults('handoff', { iterations: ITERATIONS, huge: HUGE, summary, goals, sink })
  console.log(`\nresults: ${file}${options.quick ? ' (quick)' : ''}`)
  await Promise.all([dropper.close(), inline.close()])
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
