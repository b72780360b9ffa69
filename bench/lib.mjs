// Shared pieces of the benchmark suite: options, progress, the machine
// line, tables, results files and the event-loop window.
//
// Timings on a shared machine are noisy: every case measures lazyfree and
// its peers in the same run, interleaved where it can, and reports ratios.

import { createRequire } from 'node:module'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import common from './common.js'

export { sleep }

/** The machine, its one-line name, and the Markdown table: bench/common.js. */
export const { machine, machineLine, table } = common

export const benchDir = dirname(fileURLToPath(import.meta.url))
export const root = join(benchDir, '..')
export const resultsDir = join(benchDir, 'results')

const require = createRequire(import.meta.url)

/**
 * The package under test, loaded the way users load it: the working tree,
 * or the snapshot named by LAZYFREE_BENCH_PACKAGE (see `snapshotPackage`).
 */
export function lazyfree() {
  return require(packageDir())
}

export function packageDir() {
  return process.env.LAZYFREE_BENCH_PACKAGE || root
}

/** The addon file of the working tree (`lazyfree.<platform>.node`), if built. */
export function rootAddon() {
  const name = readdirSync(root).find((f) => /^lazyfree\..+\.node$/.test(f))
  return name && join(root, name)
}

/**
 * Copies the facade and an addon into target/bench/<name>/, a package of its
 * own: a run loads one build throughout, even if the working tree's addon is
 * rebuilt meanwhile, and the allocator case loads one build per allocator.
 */
export function snapshotPackage(name, addon = rootAddon()) {
  if (!addon || !existsSync(addon)) throw new Error('no built addon: run npm run build first')
  const dir = join(root, 'target', 'bench', name)
  mkdirSync(dir, { recursive: true })
  for (const f of ['index.js', 'binding.js', 'package.json']) copyFileSync(join(root, f), join(dir, f))
  copyFileSync(addon, join(dir, basename(rootAddon() ?? addon)))
  return dir
}

/** Section names of an ELF64 little-endian file; `undefined` for anything else. */
function elfSections(bytes) {
  if (bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) return undefined
  const shoff = Number(bytes.readBigUInt64LE(0x28))
  const shentsize = bytes.readUInt16LE(0x3a)
  const shnum = bytes.readUInt16LE(0x3c)
  const strndx = bytes.readUInt16LE(0x3e)
  const header = (i) => shoff + i * shentsize
  const strings = Number(bytes.readBigUInt64LE(header(strndx) + 0x18))
  const names = []
  for (let i = 0; i < shnum; i++) {
    const at = strings + bytes.readUInt32LE(header(i))
    names.push(bytes.toString('latin1', at, bytes.indexOf(0, at)))
  }
  return names
}

/**
 * Whether the addon `dir` loads carries debug info (a debug build, or an
 * unstripped one), whose timings are not the release build's. Known only
 * for ELF files (Linux); `debug: false` elsewhere.
 */
export function addonBuild(dir = packageDir()) {
  const name = readdirSync(dir).find((f) => /^lazyfree\..+\.node$/.test(f))
  if (!name) return { file: undefined, debug: false }
  const bytes = readFileSync(join(dir, name))
  const sections = elfSections(bytes)
  return { file: join(dir, name), bytes: bytes.length, debug: Boolean(sections?.includes('.debug_info')) }
}

/** Warns on stderr when the addon under test is not a release build. */
export function warnIfDebug() {
  const build = addonBuild()
  if (build.debug) {
    console.error(
      `warning: ${build.file} has debug info (${(build.bytes / 2 ** 20).toFixed(0)} MB): a debug build? ` +
        'Timings are only meaningful for a release build (npm run build).',
    )
  }
  return build
}

/** Command-line options shared by every case: `--quick`. */
export const options = {
  quick: process.argv.includes('--quick') || process.env.LAZYFREE_BENCH_QUICK === '1',
}

/** `full` in a full run, `quick` with `--quick`. */
export function pick(full, quick) {
  return options.quick ? quick : full
}

/** `1,000,000`-style numbers. */
export function count(n) {
  return n.toLocaleString('en-US')
}

/** `1M`, `200k`, `10k`: short element counts for headers. */
export function short(n) {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`
  return String(n)
}

/** `[case] text`: rewritten in place on a terminal, one line each otherwise. */
export function progress(text) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`)
  else process.stderr.write(`${text}\n`)
}

/** Ends a run of progress lines. */
export function progressDone() {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K')
}

/** A header line for a case's table: what, how big, whether quick. */
export function header(title, detail) {
  const build = warnIfDebug()
  const mode = options.quick ? ' — QUICK RUN (--quick: smaller N, fewer repetitions)' : ''
  const debug = build.debug ? '\nWARNING: the addon under test has debug info: not a release build.' : ''
  return `\n## ${title}${mode}\n${detail}\n${machineLine()}${debug}\n`
}

/** Writes bench/results/<name>.json and returns its path. */
export function writeResults(name, data) {
  mkdirSync(resultsDir, { recursive: true })
  const file = join(resultsDir, `${name}.json`)
  const body = { case: name, quick: options.quick, date: new Date().toISOString(), machine: machine(), ...data }
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`)
  return file
}

export function median(xs) {
  return percentile(xs, 50)
}

/** Linear-interpolated percentile of `xs` (any order). */
export function percentile(xs, p) {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const at = ((s.length - 1) * p) / 100
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  return s[lo] + (s[hi] - s[lo]) * (at - lo)
}

/** Milliseconds, with precision that suits the size. */
export function ms(x) {
  if (!Number.isFinite(x)) return '—'
  if (x >= 100) return `${x.toFixed(0)} ms`
  if (x >= 10) return `${x.toFixed(1)} ms`
  if (x >= 1) return `${x.toFixed(2)} ms`
  if (x >= 0.01) return `${x.toFixed(3)} ms`
  return `${(x * 1000).toFixed(1)} µs`
}

/** Nanoseconds, with precision that suits the size. */
export function ns(x) {
  if (!Number.isFinite(x)) return '—'
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} ms`
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)} µs`
  if (x >= 1e3) return `${(x / 1e3).toFixed(2)} µs`
  return `${x.toFixed(x >= 100 ? 0 : 1)} ns`
}

/** `123×`, `1.4×`, `0.52×`. */
export function times(x) {
  if (!Number.isFinite(x)) return '—'
  if (x >= 100) return `${Math.round(x).toLocaleString('en-US')}×`
  if (x >= 10) return `${x.toFixed(1)}×`
  return `${x.toFixed(2)}×`
}

export const now = () => process.hrtime.bigint()
export const elapsedMs = (start) => Number(process.hrtime.bigint() - start) / 1e6

/** A full collection outside any measured window (needs --expose-gc). */
export function collect() {
  globalThis.gc?.()
}

export function requireGc() {
  if (typeof globalThis.gc !== 'function') {
    console.error('run this case with node --expose-gc (npm run bench:<case> does)')
    process.exit(2)
  }
}

/**
 * Times the JavaScript thread was preempted so far (Linux: involuntary
 * context switches of this thread); NaN elsewhere. A hold that spans one is
 * time spent waiting for a CPU, not working.
 */
export function preemptions() {
  try {
    const status = readFileSync('/proc/thread-self/status', 'utf8')
    return Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)[1])
  } catch {
    return NaN
  }
}

/**
 * One measured window of the event loop around `act`.
 *
 * `monitorEventLoopDelay` (1 ms resolution) is reset, then one interval is
 * let pass before `act.release()` runs: the histogram never records the
 * first interval after an enable or a reset, and the stall must land in a
 * recorded one. `held` is how long the JavaScript thread was held by the
 * release itself; `act.settle()` then waits (without blocking) until the
 * memory is gone (`settleMs`), and the window stays open `tail` ms longer.
 * `preempted` counts the times the thread lost its CPU during the release.
 * `maxAfter` is the longest the loop was held from the release's return to
 * the window's end (see the probe below).
 */
export async function loopWindow(act, { tail = 30 } = {}) {
  collect()
  await sleep(30)
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  await sleep(30)
  loop.reset()
  await sleep(5)
  const switches = preemptions()
  const start = now()
  const info = act.release()
  const held = elapsedMs(start)
  const preempted = preemptions() - switches
  // What the event loop sees once the release has returned (the free going
  // on elsewhere, or work the release left behind on this thread): the
  // longest gap between ticks of a 1 ms interval, the first gap counted from
  // the release's return, less the 1 ms asked for. (A histogram would not
  // do: it never records its first interval, where such work would land.)
  let last = now()
  let gapAfter = 0
  const probe = setInterval(() => {
    const t = now()
    gapAfter = Math.max(gapAfter, Number(t - last) / 1e6)
    last = t
  }, 1)
  const settleStart = now()
  const settled = act.settle ? await act.settle(info) : undefined
  const settleMs = elapsedMs(settleStart)
  await sleep(tail)
  loop.disable()
  clearInterval(probe)
  return {
    held,
    preempted,
    settleMs,
    max: loop.max / 1e6,
    maxAfter: Math.max(0, gapAfter - 1),
    p99: loop.percentile(99) / 1e6,
    mean: loop.mean / 1e6,
    samples: loop.count,
    ...(info && typeof info === 'object' ? info : {}),
    ...(settled && typeof settled === 'object' ? settled : {}),
  }
}
