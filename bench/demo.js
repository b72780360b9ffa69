#!/usr/bin/env node
// The main job, shown: build 1M-element native values, release each one
// inline and through the dropper while the event loop is watched, and print
// how long the JavaScript thread was held either way.
'use strict'

const { monitorEventLoopDelay } = require('node:perf_hooks')
const { setTimeout: sleep } = require('node:timers/promises')
const { Dropper, NativeValue } = require('..')

const N = Number(process.env.LAZYFREE_DEMO_N ?? 1_000_000)

const KINDS = [
  ['list', () => NativeValue.list(Array.from({ length: N }, (_, i) => `item:${i}`))],
  ['hash', () => NativeValue.hash(new Map(Array.from({ length: N }, (_, i) => [`field:${i}`, `value:${i}`])))],
  ['set', () => NativeValue.set(new Set(Array.from({ length: N }, (_, i) => `member:${i}`)))],
  ['zset', () => NativeValue.zset(Array.from({ length: N }, (_, i) => [`member:${i}`, i]))],
]

const ms = (ns) => Number(ns) / 1e6

/**
 * Releases `value` into `dropper` and watches the event loop until it is
 * freed: the benchmarks' own measured window (bench/lib.mjs `loopWindow`).
 */
async function releaseAndWatch(value, dropper) {
  const { loopWindow } = await import('./lib.mjs')
  return loopWindow({ release: () => ({ deferred: value.release(dropper) }), settle: () => dropper.drain() })
}

function progress(text) {
  if (process.stdout.isTTY) process.stdout.write(`\r\x1b[K${text}`)
  else console.log(text)
}

async function main() {
  console.log(`lazyfree demo: releasing ${N.toLocaleString('en-US')}-element values on Node ${process.version}\n`)
  const threadDropper = new Dropper()
  const inlineDropper = new Dropper({ threshold: Infinity })
  // Warm the release path up (first calls compile it) before measuring.
  for (const dropper of [threadDropper, inlineDropper]) {
    for (let i = 0; i < 20; i++) NativeValue.list(Array.from({ length: 100 }, String)).release(dropper)
    await dropper.drain()
  }
  const idle = await (async () => {
    const loop = monitorEventLoopDelay({ resolution: 1 })
    loop.enable()
    await sleep(300)
    loop.disable()
    return { max: ms(loop.max), p99: ms(loop.percentile(99)) }
  })()

  const rows = []
  for (const [i, [kind, build]] of KINDS.entries()) {
    const started = Date.now()
    progress(`[${i + 1}/${KINDS.length}] building two ${kind}s of ${N.toLocaleString('en-US')} elements…`)
    const forInline = build()
    const forThread = build()
    const mb = forInline.memoryUsage / 2 ** 20
    progress(
      `[${i + 1}/${KINDS.length}] built ${kind} (${mb.toFixed(0)} MB native each, ${((Date.now() - started) / 1000).toFixed(1)} s); releasing inline…`,
    )
    const inline = await releaseAndWatch(forInline, inlineDropper)
    progress(`[${i + 1}/${KINDS.length}] ${kind}: releasing through the dropper…`)
    const thread = await releaseAndWatch(forThread, threadDropper)
    if (inline.deferred || !thread.deferred) throw new Error(`unexpected path for ${kind}`)
    rows.push({ kind, mb, inline, thread })
  }
  progress('')

  const stats = threadDropper.stats()
  const header = [
    'kind',
    'native MB',
    'JS held inline',
    'JS held dropper',
    'ratio',
    'loop max inline',
    'loop max dropper',
    'loop p99 inline',
    'loop p99 dropper',
  ]
  const f = (x) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(3))
  const table = rows.map(({ kind, mb, inline, thread }) => [
    kind,
    mb.toFixed(0),
    `${f(inline.held)} ms`,
    `${f(thread.held)} ms`,
    `${Math.round(inline.held / thread.held).toLocaleString('en-US')}×`,
    `${f(inline.max)} ms`,
    `${f(thread.max)} ms`,
    `${f(inline.p99)} ms`,
    `${f(thread.p99)} ms`,
  ])
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((r) => r[c].length)))
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`
  console.log(line(header))
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`)
  for (const row of table) console.log(line(row))
  console.log(`\nidle loop for comparison: max ${f(idle.max)} ms, p99 ${f(idle.p99)} ms`)
  console.log(
    `dropper: deferred ${stats.deferred}, freed ${stats.freed}, freed ${(stats.freedBytes / 2 ** 20).toFixed(0)} MB off the JS thread`,
  )
  await Promise.all([threadDropper.close(), inlineDropper.close()])
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
