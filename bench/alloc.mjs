#!/usr/bin/env node
// Case 4, allocator: how long the drop thread needs per element with the
// system allocator and with mimalloc and jemalloc as Rust's global allocator
// (Cargo features `system-allocator`, `mimalloc`; jemalloc is the Linux default), and whether freeing on another
// thread leaves work behind for the JavaScript thread.
//
//   npm run bench:alloc [-- --quick]
//
// The first run builds one release addon per allocator (cargo, into
// target/bench-alloc/<allocator>; later runs reuse them). Each measurement
// round runs every allocator in its own Node process, interleaved, with the
// same steps on a list of N 32-byte strings and a hash of N fields
// (N = 1M; 200k with --quick):
//   1. convert the data (JS thread, timed), free it inline (JS thread, timed);
//   2. convert again (timed: "convert after inline free"), release it to the
//      drop thread and wait for drain(): the drop thread's CPU time (Linux:
//      /proc/self/task/<tid>/schedstat) and the wall time until drained;
//   3. convert again (timed: "convert after thread free"). An allocator that
//      defers cross-thread frees to the owning thread (mimalloc collects
//      them on that thread's next allocations) shows it here, as JS-thread
//      time that the drop thread did not spend.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  benchDir,
  collect,
  count,
  elapsedMs,
  header,
  lazyfree,
  median,
  now,
  ns,
  options,
  pick,
  progress,
  progressDone,
  root,
  short,
  snapshotPackage,
  table,
  times,
  writeResults,
} from './lib.mjs'

const N = pick(1_000_000, 200_000)
const ROUNDS = pick(3, 1)
const THREAD_NAME = 'lf-alloc-bench'

const ALLOCATORS = [
  // jemalloc is the default on Linux; elsewhere the system allocator is.
  ...(process.platform === 'linux'
    ? [
        { id: 'system', label: 'system', features: ['system-allocator'] },
        { id: 'jemalloc', label: 'jemalloc (default)', features: [] },
      ]
    : [{ id: 'system', label: 'system (default)', features: [] }]),
  { id: 'mimalloc', label: 'mimalloc', features: ['mimalloc'] },
]

// ---------------------------------------------------------------- child --

/** CPU nanoseconds the thread named `name` of this process has run, or NaN. */
function threadCpuNs(name) {
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === name) {
        return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0])
      }
    }
  } catch {
    // not Linux
  }
  return NaN
}

async function child() {
  const { Dropper, NativeValue } = lazyfree()
  const dropper = new Dropper({ name: THREAD_NAME })
  const inline = new Dropper({ threshold: Infinity })
  const text = (prefix, i) => `${prefix}${String(i).padStart(32 - prefix.length, '0')}`
  const data = {
    list: {
      build: (() => {
        const strings = Array.from({ length: N }, (_, i) => text('s', i))
        return () => NativeValue.list(strings)
      })(),
    },
    hash: {
      build: (() => {
        const map = new Map(Array.from({ length: N }, (_, i) => [text('f', i), text('v', i)]))
        return () => NativeValue.hash(map)
      })(),
    },
  }
  const out = {}
  // Start the thread and warm the paths up.
  NativeValue.list(Array.from({ length: 1000 }, String)).release(dropper)
  await dropper.drain()
  for (const [kind, { build }] of Object.entries(data)) {
    collect()
    await sleep(50)
    const timed = (f) => {
      const start = now()
      const r = f()
      return [r, (elapsedMs(start) * 1e6) / N]
    }
    const [a, convertFirst] = timed(build)
    const [, inlineFree] = timed(() => a.release(inline))
    const [b, convertAfterInline] = timed(build)
    collect()
    await sleep(20)
    const cpu0 = threadCpuNs(THREAD_NAME)
    const start = now()
    if (!b.release(dropper)) throw new Error('not deferred')
    const held = elapsedMs(start) * 1e6
    await dropper.drain()
    const wall = (elapsedMs(start) * 1e6) / N
    const cpu = (threadCpuNs(THREAD_NAME) - cpu0) / N
    const [c, convertAfterThread] = timed(build)
    c.release(inline)
    out[kind] = {
      convertFirst,
      inlineFree,
      convertAfterInline,
      threadCpu: cpu,
      threadWall: wall,
      heldNs: held,
      convertAfterThread,
    }
  }
  await Promise.all([dropper.close(), inline.close()])
  process.stdout.write(`${JSON.stringify(out)}\n`)
}

// --------------------------------------------------------------- parent --

function libraryFile(dir) {
  const name = { win32: 'lazyfree.dll', darwin: 'liblazyfree.dylib' }[process.platform] ?? 'liblazyfree.so'
  return join(dir, 'release', name)
}

/** Builds the release addon of one allocator (cargo reuses what is fresh). */
async function build(alloc, i) {
  const targetDir = join(root, 'target', 'bench-alloc', alloc.id)
  const args = ['build', '--release', '--lib', '--target-dir', targetDir]
  if (alloc.features.length) args.push('--features', alloc.features.join(','))
  const tag = `[alloc build ${i + 1}/${ALLOCATORS.length}] ${alloc.id}`
  progress(`${tag}: cargo ${args.join(' ')}`)
  await new Promise((resolve, reject) => {
    const cargo = spawn('cargo', args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
    let tail = ''
    cargo.stderr.on('data', (chunk) => {
      tail = (tail + chunk).slice(-4000)
      const last = tail.trim().split('\n').pop()
      progress(`${tag}: ${last.trim().slice(0, 100)}`)
    })
    cargo.on('error', reject)
    cargo.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cargo ${args.join(' ')} failed:\n${tail}`))))
  })
  const lib = libraryFile(targetDir)
  if (!existsSync(lib)) throw new Error(`cargo built no ${lib}`)
  return snapshotPackage(`alloc-${alloc.id}`, lib)
}

function runChild(alloc, dir) {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', join(benchDir, 'alloc.mjs'), '--child', ...process.argv.slice(2)],
    {
      env: { ...process.env, LAZYFREE_BENCH_PACKAGE: dir },
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  )
  if (r.status !== 0) throw new Error(`${alloc.id} run failed (${r.status}):\n${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

async function parent() {
  console.log(
    header(
      'Allocator',
      `ns per element; list of ${short(N)} 32-byte strings and hash of ${short(N)} fields; ` +
        `median of ${ROUNDS} interleaved round${ROUNDS > 1 ? 's' : ''}, one Node process per allocator per round; ` +
        'drop-thread time is its CPU time (schedstat), the JS-thread times are wall clock.',
    ),
  )
  // A quick run compiles nothing: it measures the default build (the one
  // `npm run build` made) and any other allocator's build an earlier full
  // `npm run bench:alloc` left behind, and names the ones it skipped.
  const dirs = {}
  const skipped = []
  for (const [i, alloc] of ALLOCATORS.entries()) {
    if (!options.quick) dirs[alloc.id] = await build(alloc, i)
    else if (alloc.features.length === 0) dirs[alloc.id] = root
    else if (existsSync(libraryFile(join(root, 'target', 'bench-alloc', alloc.id)))) {
      dirs[alloc.id] = snapshotPackage(`alloc-${alloc.id}`, libraryFile(join(root, 'target', 'bench-alloc', alloc.id)))
    } else skipped.push(alloc.id)
  }
  const ALLOCATORS_RUN = ALLOCATORS.filter((a) => dirs[a.id] !== undefined)
  const runs = Object.fromEntries(ALLOCATORS_RUN.map((a) => [a.id, []]))
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ALLOCATORS_RUN : [...ALLOCATORS_RUN].reverse()
    for (const alloc of order) {
      progress(`[alloc round ${round + 1}/${ROUNDS}] ${alloc.id}: converting, freeing inline and on the thread…`)
      runs[alloc.id].push(runChild(alloc, dirs[alloc.id]))
    }
  }
  progressDone()

  const fields = [
    'threadCpu',
    'threadWall',
    'inlineFree',
    'convertAfterInline',
    'convertAfterThread',
    'convertFirst',
    'heldNs',
  ]
  const summary = {}
  for (const alloc of ALLOCATORS_RUN) {
    summary[alloc.id] = {}
    for (const kind of ['list', 'hash']) {
      summary[alloc.id][kind] = Object.fromEntries(
        fields.map((f) => [f, median(runs[alloc.id].map((r) => r[kind][f]))]),
      )
    }
  }
  const rows = []
  for (const kind of ['list', 'hash']) {
    const sys = summary.system?.[kind]
    for (const alloc of ALLOCATORS_RUN) {
      const s = summary[alloc.id][kind]
      rows.push([
        kind,
        alloc.label,
        ns(s.threadCpu),
        alloc.id === 'system' || !sys ? '' : times(s.threadCpu / sys.threadCpu),
        ns(s.threadWall),
        ns(s.inlineFree),
        ns(s.convertAfterInline),
        ns(s.convertAfterThread),
        times(s.convertAfterThread / s.convertAfterInline),
      ])
    }
  }
  console.log(
    table(
      [
        'data',
        'allocator',
        'drop thread CPU /elem',
        '× system',
        'release→drained /elem',
        'inline free /elem',
        'convert after inline free',
        'convert after thread free',
        'after thread ÷ after inline',
      ],
      rows,
      2,
    ),
  )
  console.log(
    '\n"convert after thread free" ÷ "after inline free" above 1 means the thread free left work for the JS thread.',
  )
  if (skipped.length) {
    console.log(
      `\nskipped in this quick run (not built yet; \`npm run bench:alloc\` builds them): ${skipped.join(', ')}`,
    )
  }
  const file = writeResults('alloc', { n: N, rounds: ROUNDS, allocators: ALLOCATORS_RUN, summary, runs })
  console.log(`\nresults: ${file}${options.quick ? ' (quick)' : ''}`)
  console.log(
    `builds: ${ALLOCATORS_RUN.map(
      (a) =>
        `${a.id} ${count(
          readFileSync(
            join(
              dirs[a.id],
              readdirSync(dirs[a.id]).find((f) => f.endsWith('.node')),
            ),
          ).length,
        )} bytes`,
    ).join(', ')}`,
  )
}

const main = process.argv.includes('--child') ? child : parent
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
