#!/usr/bin/env node
// Case 3, conversion: ns per element to bring JS data into native memory,
// against a pure-JS loop doing the same encoding (Buffer.from per element).
//
//   npm run bench:convert [-- --quick]
//
// Data (N = 1M; 200k with --quick), every string and Buffer 32 bytes:
//   - list of strings:  NativeValue.list(strings)  vs  out.push(Buffer.from(s))
//   - list of Buffers:  NativeValue.list(buffers)  vs  out.push(Buffer.from(b))
//   - hash of N fields: NativeValue.hash(map)      vs  out.set(Buffer.from(k), Buffer.from(v))
// The JS loops fill a new array / a new Map. Both sides pay
// for their own memory (the JS side includes the collections its Buffers
// cause). Each round is one tinybench run of every task, and the order
// alternates between rounds, so the two sides of a ratio share the machine's
// noise; the figure is the median over rounds.

import { Bench, hrtimeNowTimestampProvider } from 'tinybench'
import {
  collect,
  count,
  header,
  lazyfree,
  median,
  ns,
  options,
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

const N = pick(1_000_000, 200_000)
const ROUNDS = pick(7, 3)
const inline = new Dropper({ threshold: Infinity })

const text = (prefix, i) => `${prefix}${String(i).padStart(32 - prefix.length, '0')}` // 32 bytes
const strings = Array.from({ length: N }, (_, i) => text('s', i))
const buffers = strings.map((s) => Buffer.from(s))
const map = new Map(Array.from({ length: N }, (_, i) => [text('f', i), text('v', i)]))

let kept // what the timed call built; freed outside the timed call

const DATA = [
  {
    id: 'strings',
    label: 'list of 32-byte strings',
    native: () => {
      kept = NativeValue.list(strings)
    },
    js: () => {
      const out = []
      for (let i = 0; i < strings.length; i++) out.push(Buffer.from(strings[i]))
      kept = out
    },
  },
  {
    id: 'buffers',
    label: 'list of 32-byte Buffers',
    native: () => {
      kept = NativeValue.list(buffers)
    },
    js: () => {
      const out = []
      for (let i = 0; i < buffers.length; i++) out.push(Buffer.from(buffers[i]))
      kept = out
    },
  },
  {
    id: 'hash',
    label: `hash of ${short(N)} fields (32-byte field and value)`,
    native: () => {
      kept = NativeValue.hash(map)
    },
    js: () => {
      const out = new Map()
      for (const [k, v] of map) out.set(Buffer.from(k), Buffer.from(v))
      kept = out
    },
  },
]

function release() {
  if (kept instanceof NativeValue) kept.release(inline)
  kept = undefined
  collect()
}

async function main() {
  console.log(
    header(
      'Conversion',
      `ns per element, N = ${count(N)} (32-byte strings/Buffers); median of ${ROUNDS} interleaved rounds ` +
        '(tinybench, one timed call per task per round); the JS side is a loop of Buffer.from per element.',
    ),
  )
  const tasks = DATA.flatMap((d) => [
    [`${d.id}:lazyfree`, d.native],
    [`${d.id}:js`, d.js],
  ])
  const samples = Object.fromEntries(tasks.map(([id]) => [id, []]))
  // A warm-up round: compiles the JS loops and the conversion paths.
  for (const [, fn] of tasks) {
    fn()
    release()
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? tasks : [...tasks].reverse()
    const bench = new Bench({
      timestampProvider: hrtimeNowTimestampProvider,
      iterations: 1,
      time: 0,
      warmup: false,
      retainSamples: true,
      throws: true,
    })
    for (const [id, fn] of order) bench.add(id, fn, { beforeEach: release, afterEach: release })
    bench.addEventListener('cycle', (e) =>
      progress(`[convert round ${round + 1}/${ROUNDS}] ${e.task?.name ?? ''} done`),
    )
    progress(`[convert round ${round + 1}/${ROUNDS}] ${order[0][0]}…`)
    await bench.run()
    for (const [id] of tasks) samples[id].push((bench.getTask(id).result.latency.samples[0] * 1e6) / N)
  }
  progressDone()

  const summary = {}
  const rows = []
  for (const d of DATA) {
    const lib = median(samples[`${d.id}:lazyfree`])
    const js = median(samples[`${d.id}:js`])
    const ratios = samples[`${d.id}:lazyfree`].map((x, i) => x / samples[`${d.id}:js`][i])
    summary[d.id] = { label: d.label, lazyfreeNsPerElement: lib, jsNsPerElement: js, ratio: median(ratios) }
    rows.push([d.label, ns(lib), ns(js), times(median(ratios)), median(ratios) <= 1.5 ? 'met' : 'NOT met'])
  }
  console.log(table(['data', 'lazyfree', 'JS Buffer.from loop', 'lazyfree ÷ JS', 'goal ≤ 1.5×'], rows))
  console.log(
    '\nper element: per list item, per hash field (a field and its value); ratio = median of per-round ratios.',
  )
  const file = writeResults('convert', { n: N, rounds: ROUNDS, summary, samples })
  console.log(`\nresults: ${file}${options.quick ? ' (quick)' : ''}`)
  await inline.close()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
