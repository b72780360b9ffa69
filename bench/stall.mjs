#!/usr/bin/env node
// Case 1, release stall: how long releasing big data holds the JavaScript
// thread, and what the event loop sees meanwhile, for lazyfree and its peers.
//
//   npm run bench:stall [-- --quick]
//
// For a list, hash, set and zset of N elements (1M; 200k with --quick) and a
// burst of B values of 1 000 elements (10 000; 2 000 with --quick), each path
// releases the same data while monitorEventLoopDelay (1 ms resolution) is
// watching:
//   - lazyfree dropper: NativeValue#release() into a default Dropper
//     (capacity 4096, threshold 64): the thread frees it; in the burst, a
//     loop of B release() calls, which the dropper gathers into a few
//     batches (docs/bursts.md);
//   - lazyfree deferAll (burst only): one message for all B values;
//   - lazyfree inline: a Dropper with threshold Infinity frees it on the
//     JavaScript thread;
//   - lru-cache clear(): the same data as JS values in an LRUCache, one entry
//     per element (per value in the burst), cleared;
//   - Map dropped + gc(): the same entries in a Map, the reference dropped
//     and collected inside the window by a forced full collection (gc(), so
//     the collection lands in the window; see docs/bench.md);
//   - idle loop: nothing released, measured right after the dropper and for
//     as long as the dropper's window lasted: the noise floor.
// "JS held" is the synchronous time of the release (for the Map, of gc());
// "loop max" / "p99" are the event-loop delays recorded from just before the
// release until the memory is gone (the dropper drained) plus 30 ms; "window"
// is how long the histogram recorded (5 ms before the release, the release,
// the wait, 30 ms after; the 30 ms before the reset are not recorded). On Linux
// the notes count the releases during which the JavaScript thread was
// preempted (an involuntary context switch): time spent waiting for a CPU.
// "max after" is the longest the loop was held from the release's return to
// the window's end (a 1 ms probe): for the burst, its goal is the idle
// floor's plus at most 2 ms.
//
// --kinds=set,zset measures only the named data (list, hash, set, zset,
// burst). --sched-batch (Linux, needs chrt) adds an experiment: a second dropper
// whose thread is switched to SCHED_BATCH, a policy whose wake-ups never
// preempt the running thread.

import {
  collect,
  count,
  elapsedMs,
  header,
  lazyfree,
  loopWindow,
  median,
  ms,
  now,
  options,
  pick,
  progress,
  progressDone,
  requireGc,
  short,
  sleep,
  table,
  times,
  writeResults,
} from './lib.mjs'
import { LRUCache } from 'lru-cache'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

requireGc()
const { Dropper, NativeValue } = lazyfree()

const N = pick(1_000_000, 200_000)
const BURST = pick(10_000, 2_000)
const BURST_SIZE = 1_000
const REPS = pick(3, 1)

/** The data of each kind, as JS values: what is converted, cached or mapped. */
const KINDS = {
  list: {
    elements: N,
    native: () => NativeValue.list(Array.from({ length: N }, (_, i) => `item:${i}`)),
    entries: function* () {
      for (let i = 0; i < N; i++) yield [i, `item:${i}`]
    },
  },
  hash: {
    elements: N,
    native: () => NativeValue.hash(new Map(Array.from({ length: N }, (_, i) => [`field:${i}`, `value:${i}`]))),
    entries: function* () {
      for (let i = 0; i < N; i++) yield [`field:${i}`, `value:${i}`]
    },
  },
  set: {
    elements: N,
    native: () => NativeValue.set(new Set(Array.from({ length: N }, (_, i) => `member:${i}`))),
    entries: function* () {
      for (let i = 0; i < N; i++) yield [`member:${i}`, true]
    },
  },
  zset: {
    elements: N,
    native: () => NativeValue.zset(Array.from({ length: N }, (_, i) => [`member:${i}`, i])),
    entries: function* () {
      for (let i = 0; i < N; i++) yield [`member:${i}`, i]
    },
  },
  burst: {
    elements: BURST * BURST_SIZE,
    values: BURST,
    native: () =>
      Array.from({ length: BURST }, (_, v) =>
        NativeValue.list(Array.from({ length: BURST_SIZE }, (_, i) => `item:${v}:${i}`)),
      ),
    entries: function* () {
      for (let v = 0; v < BURST; v++)
        yield [`value:${v}`, Array.from({ length: BURST_SIZE }, (_, i) => `item:${v}:${i}`)]
    },
  },
}

const dropper = new Dropper()
const inline = new Dropper({ threshold: Infinity })

/** A dropper whose thread runs under SCHED_BATCH, for --sched-batch; or undefined. */
function batchDropper() {
  if (!process.argv.includes('--sched-batch')) return undefined
  const name = 'lf-bench-batch'
  const d = new Dropper({ name })
  let tid
  for (let i = 0; i < 100 && !tid; i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
    tid = readdirSync('/proc/self/task').find((t) => readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === name)
  }
  const r = tid && spawnSync('chrt', ['-b', '-p', '0', tid], { encoding: 'utf8' })
  if (!r || r.status !== 0) {
    console.error(
      `--sched-batch: could not switch the drop thread to SCHED_BATCH ${r ? r.stderr : '(thread not found)'}`,
    )
    return undefined
  }
  return d
}
const batch = batchDropper()

/** Releases one value or a burst of them into `target`; counts what was deferred. */
function releaseAll(value, target) {
  if (!Array.isArray(value)) return { deferred: value.release(target) ? 1 : 0, values: 1 }
  let deferred = 0
  for (const v of value) if (v.release(target)) deferred++
  return { deferred, values: value.length }
}

/** Each path: `prepare(kind)` builds its data; the returned act is measured. */
const PATHS = [
  {
    id: 'idle',
    label: 'idle loop (floor)',
    // Measured right after the dropper, and kept open as long as the
    // dropper's window was: the maximum of a longer window is larger on a
    // noisy machine, and the floor must not be shorter than what it bounds.
    prepare: (kind, previous) => {
      const start = now()
      collect()
      const gcBaseline = elapsedMs(start)
      const wait = previous.dropper?.settleMs ?? 0
      return {
        release: () => undefined,
        settle: async () => {
          await sleep(wait)
          return { gcBaseline }
        },
      }
    },
  },
  {
    id: 'dropper',
    label: 'lazyfree dropper',
    prepare: (kind) => {
      const value = kind.native()
      const before = dropper.stats()
      return {
        release: () => releaseAll(value, dropper),
        settle: async () => {
          await dropper.drain()
          const after = dropper.stats()
          return { inlineFull: after.inlineFull - before.inlineFull }
        },
      }
    },
  },
  {
    id: 'batch',
    label: 'lazyfree dropper, SCHED_BATCH thread',
    experiment: true,
    prepare: (kind) => {
      const value = kind.native()
      return { release: () => releaseAll(value, batch), settle: () => batch.drain() }
    },
  },
  {
    id: 'deferAll',
    label: 'lazyfree deferAll',
    only: 'burst',
    prepare: (kind) => {
      const values = kind.native()
      return {
        release: () => ({ deferred: dropper.deferAll(values) ? values.length : 0, values: values.length }),
        settle: () => dropper.drain(),
      }
    },
  },
  {
    id: 'inline',
    label: 'lazyfree inline (threshold ∞)',
    prepare: (kind) => {
      const value = kind.native()
      return { release: () => releaseAll(value, inline) }
    },
  },
  {
    id: 'lru',
    label: 'lru-cache clear()',
    prepare: (kind) => {
      const cache = new LRUCache({ max: kind.values ?? kind.elements })
      for (const [k, v] of kind.entries()) cache.set(k, v)
      return { release: () => cache.clear() }
    },
  },
  {
    id: 'map',
    label: 'Map dropped + gc()',
    prepare: (kind) => {
      const holder = { map: new Map(kind.entries()) }
      // What a full collection costs while the data is alive, for comparison.
      const start = now()
      collect()
      const gcAlive = elapsedMs(start)
      return {
        release: () => {
          holder.map = null
          globalThis.gc()
        },
        settle: () => ({ gcAlive }),
      }
    },
  },
]

async function main() {
  const only = process.argv
    .find((a) => a.startsWith('--kinds='))
    ?.slice('--kinds='.length)
    .split(',')
  const kinds = Object.keys(KINDS).filter((k) => !only || only.includes(k))
  console.log(
    header(
      'Release stall',
      `${short(N)}-element list, hash, set and zset; a burst of ${count(BURST)} values of ${count(BURST_SIZE)} elements; ` +
        `median of ${REPS} run${REPS > 1 ? 's' : ''} per cell; event loop watched by monitorEventLoopDelay (resolution 1 ms).`,
    ),
  )
  // Warm the release paths and the loop window up before measuring.
  for (const target of [dropper, inline]) {
    for (let i = 0; i < 20; i++) NativeValue.list(Array.from({ length: 100 }, String)).release(target)
    await dropper.drain()
  }
  await loopWindow({ release: () => undefined })

  const raw = {}
  const total = kinds.length * REPS
  let step = 0
  const started = Date.now()
  for (const name of kinds) {
    raw[name] = {}
    const paths = PATHS.filter((p) => (!p.only || p.only === name) && (!p.experiment || batch))
    for (let rep = 0; rep < REPS; rep++) {
      step++
      // The idle floor right after the dropper, as long as its window.
      const measured = {}
      const order = [...paths.filter((p) => p.id === 'dropper'), ...paths.filter((p) => p.id !== 'dropper')]
      for (const path of order) {
        const eta =
          step > 1
            ? ` — about ${Math.round((((Date.now() - started) / (step - 1)) * (total - step + 1)) / 1000)} s left`
            : ''
        progress(`[stall ${step}/${total}] ${name} (run ${rep + 1}/${REPS}): ${path.label}…${eta}`)
        const act = path.prepare(KINDS[name], measured)
        const m = await loopWindow(act)
        measured[path.id] = m
        ;(raw[name][path.id] ??= []).push(m)
      }
    }
  }
  progressDone()

  const summary = {}
  const rows = []
  for (const name of kinds) {
    summary[name] = {}
    const cell = (id) => {
      const runs = raw[name][id]
      if (!runs) return undefined
      return {
        held: median(runs.map((r) => r.held)),
        max: median(runs.map((r) => r.max)),
        maxAfter: median(runs.map((r) => r.maxAfter)),
        p99: median(runs.map((r) => r.p99)),
        window: median(runs.map((r) => 5 + r.held + r.settleMs + 30)),
        inlineFull: runs[0].inlineFull,
        preempted: runs.filter((r) => r.preempted > 0).length,
        runs: runs.length,
        gcAlive: runs[0].gcAlive === undefined ? undefined : median(runs.map((r) => r.gcAlive)),
        gcBaseline: runs[0].gcBaseline === undefined ? undefined : median(runs.map((r) => r.gcBaseline)),
      }
    }
    const base = cell('dropper')
    const idle = cell('idle')
    for (const path of PATHS) {
      const c = cell(path.id)
      if (!c) continue
      summary[name][path.id] = {
        label: path.label,
        ...c,
        heldVsDropper: c.held / base.held,
        maxOverIdle: c.max - idle.max,
      }
      const notes = []
      if (c.inlineFull) notes.push(`${count(c.inlineFull)} freed inline: queue full`)
      if (c.preempted) notes.push(`preempted during ${c.preempted} of ${c.runs} releases`)
      if (c.gcAlive !== undefined) notes.push(`gc() with the Map alive: ${ms(c.gcAlive)}`)
      if (c.gcBaseline !== undefined) notes.push(`gc() with nothing to free: ${ms(c.gcBaseline)}`)
      rows.push([
        name,
        path.label,
        ms(c.held),
        path.id === 'idle' ? '' : times(c.held / base.held),
        ms(c.max),
        ms(c.p99),
        path.id === 'idle' ? '' : `${c.max - idle.max >= 0 ? '+' : ''}${ms(c.max - idle.max)}`,
        ms(c.window),
        notes.join('; '),
      ])
    }
  }
  console.log(
    table(['data', 'path', 'JS held', '× dropper', 'loop max', 'loop p99', 'max vs idle', 'window', 'notes'], rows, 2),
  )
  const after = dropper.stats()
  console.log(
    `\ndropper totals: deferred ${count(after.deferred)}, freed ${count(after.freed)}, ` +
      `inline (queue full) ${count(after.inlineFull)}, ${(after.freedBytes / 2 ** 20).toFixed(0)} MB freed off the JS thread`,
  )

  // The goals, reported (never asserted).
  const goals = []
  for (const name of ['list', 'hash', 'set', 'zset'].filter((k) => summary[k])) {
    const s = summary[name]
    goals.push({
      data: name,
      heldVsInline: s.inline.held / s.dropper.held,
      heldVsLru: s.lru.held / s.dropper.held,
      maxOverIdle: s.dropper.max - s.idle.max,
    })
  }
  if (summary.burst) {
    const s = summary.burst
    const ratio = s.dropper.held / s.deferAll.held
    const after = s.dropper.maxAfter - s.idle.maxAfter
    goals.push({ data: 'burst', heldVsDeferAll: ratio, inlineFull: s.dropper.inlineFull, maxAfterOverIdle: after })
    console.log(
      `\ngoals for the burst (${count(BURST)} release() calls in one loop): holds the JS thread ${times(ratio)} a deferAll of as many ` +
        `(goal ≤ 3×: ${ratio <= 3 ? 'met' : 'NOT met'}); inlineFull ${count(s.dropper.inlineFull ?? 0)} (goal 0: ` +
        `${s.dropper.inlineFull ? 'NOT met' : 'met'}); loop max after it ${ms(s.dropper.maxAfter)}, idle ${ms(s.idle.maxAfter)} ` +
        `(goal ≤ +2 ms: ${after <= 2 ? 'met' : 'NOT met'})`,
    )
  }
  console.log(`\ngoals at ${short(N)} elements (release through the dropper):`)
  for (const g of goals.filter((g) => g.data !== 'burst')) {
    const held = g.heldVsInline >= 100 && g.heldVsLru >= 100
    console.log(
      `  ${g.data.padEnd(5)} holds the JS thread ${times(g.heldVsInline)} less than inline and ${times(g.heldVsLru)} less than ` +
        `lru-cache clear() (goal ≥ 100×: ${held ? 'met' : 'NOT met'}); loop max ${g.maxOverIdle >= 0 ? '+' : ''}${ms(g.maxOverIdle)} ` +
        `over idle (goal ≤ 1 ms: ${g.maxOverIdle <= 1 ? 'met' : 'NOT met'})`,
    )
  }

  // Experiments (--kinds, --sched-batch) never replace the full table's results.
  const experiment = only || batch
  const file = writeResults(experiment ? 'stall-experiment' : 'stall', {
    n: N,
    burst: { values: BURST, elements: BURST_SIZE },
    reps: REPS,
    paths: PATHS.map(({ id, label, only }) => ({ id, label, only })),
    summary,
    goals,
    raw,
    dropper: after,
  })
  console.log(`\nresults: ${file}${options.quick ? ' (quick)' : ''}`)
  await Promise.all([dropper.close(), inline.close(), batch?.close()])
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
