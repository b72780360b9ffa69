// Droppers and their Node environments (docs/api.md §1–§2): values collected
// without release(), a drop thread that cannot be spawned, worker threads
// with droppers of their own, and processes that end with values pending.
//
// Whatever needs a fresh default dropper or a process of its own runs a
// fixture script from __test__/fixtures in a child process. A child's kill
// timeout is only a guard against a hang, never a measured expectation.
import test from 'ava'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { Dropper, NativeValue, defaultDropper, type DropperStats } from '../index'

const fixture = (name: string) => join(__dirname, 'fixtures', name)
const range = (n: number, prefix = 'item-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs a fixture with Node; a hang is killed after `guardMs` and shows as a signal. */
function run(
  script: string,
  args: string[] = [],
  options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  const guardMs = 90_000
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), fixture(script), ...args],
      { env: { ...process.env, ...options.env }, timeout: guardMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
    )
  })
}

/** The JSON line a fixture printed. */
function report<T>(r: Run): T {
  const line = r.stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(line) as T
  } catch {
    throw new Error(
      `fixture printed no report (code ${r.code}, signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    )
  }
}

function assertSettled(t: { is(a: unknown, b: unknown, m?: string): void }, s: DropperStats, what: string) {
  t.is(s.freed, s.deferred, `${what}: freed === deferred`)
  t.is(s.pending, 0, `${what}: pending === 0`)
  t.is(s.pendingBytes, 0, `${what}: pendingBytes === 0`)
}

// --- finalizers --------------------------------------------------------------

test('collected NativeValues go to the default dropper: large ones to its thread, small ones inline', async (t) => {
  const large = 40
  const small = 30
  const r = await run('finalizer.js', [String(large), String(small)], { nodeArgs: ['--expose-gc'] })
  t.is(r.code, 0, r.stderr)
  const { before, after, bytes } = report<{
    before: DropperStats
    after: DropperStats
    bytes: { large: number; small: number }
  }>(r)
  t.is(after.deferred - before.deferred, large, 'every large value was handed to the thread')
  t.is(after.inlineSmall - before.inlineSmall, small, 'every small value was freed inline')
  t.is(after.inlineFull + after.inlineClosed, 0)
  t.is(after.freedBytes - before.freedBytes, bytes.large, 'the thread freed what they held')
  assertSettled(t, after, 'after drain')
})

test('in this process too, values dropped without release() are counted by the default dropper', async (t) => {
  // Nothing else in this file uses this process's default dropper.
  const count = 25
  const before = defaultDropper.stats()
  ;(() => {
    for (let i = 0; i < count; i++) NativeValue.list(range(100 + i))
  })()
  for (let round = 0; round < 50 && defaultDropper.stats().deferred - before.deferred < count; round++) {
    global.gc?.()
    await new Promise((resolve) => setImmediate(resolve))
  }
  await defaultDropper.drain()
  const after = defaultDropper.stats()
  t.is(after.deferred - before.deferred, count)
  assertSettled(t, after, 'after drain')
})

// --- no thread ---------------------------------------------------------------

test('a drop thread that cannot be spawned is a LAZYFREE_NO_THREAD warning and inline frees, never a throw', async (t) => {
  // With a minimum stack this large, Rust's std cannot spawn any thread.
  const r = await run('no-thread.js', [], { env: { RUST_MIN_STACK: '1152921504606846976' } })
  t.is(r.code, 0, r.stderr)
  const out = report<{
    threw?: string
    defaultRelease: boolean
    defaultStats: DropperStats
    created: DropperStats
    defer: boolean
    deferJs: boolean
    deferAll: boolean
    small: boolean
    drained: boolean
    stats: DropperStats
    closed: boolean
    warnings: Array<{ name: string; code: string; message: string }>
  }>(r)
  t.is(out.threw, undefined)

  const codes = out.warnings.map((w) => w.code)
  t.true(codes.length > 0 && codes.every((c) => c === 'LAZYFREE_NO_THREAD'), `warnings: ${codes.join(', ')}`)
  t.true(
    out.warnings.some((w) => w.message.includes('lf-no-thread')),
    'the new Dropper warned, naming its thread',
  )
  t.true(
    out.warnings.some((w) => w.message.includes('lazyfree-drop')),
    'the default dropper warned on its first large value',
  )

  t.false(out.defaultRelease, 'release() freed inline')
  t.false(out.defaultStats.threadRunning)
  t.is(out.defaultStats.inlineClosed, 1)
  t.is(out.defaultStats.deferred, 0)

  t.false(out.created.threadRunning)
  t.false(out.defer)
  t.false(out.deferJs)
  t.false(out.deferAll)
  t.false(out.small)
  t.is(out.stats.inlineClosed, 1 + 1 + 3, 'defer, defer(JsValue), deferAll of 3')
  t.is(out.stats.inlineSmall, 1)
  t.is(out.stats.deferred, 0)
  t.false(out.stats.threadRunning)
  t.true(out.drained, 'drain resolved')
  t.true(out.closed, 'close resolved')
})

// --- worker threads ----------------------------------------------------------

function startWorker(workerData: object): Worker {
  return new Worker(fixture('worker.js'), { workerData })
}

function firstMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before posting`)))
  })
}

test.serial("a worker's defaultDropper is its own: counters independent of the main thread's", async (t) => {
  NativeValue.list(range(100)).release() // the main thread's has counted something
  await defaultDropper.drain()
  const mainBefore = defaultDropper.stats()
  t.true(mainBefore.deferred > 0)

  const count = 30
  const worker = startWorker({ mode: 'count', count })
  const r = await firstMessage<{ before: DropperStats; handedOver: number; after: DropperStats }>(worker)
  await worker.terminate()

  t.is(r.before.deferred, 0, "the worker's default dropper starts from nothing")
  t.false(r.before.threadRunning)
  t.is(r.handedOver, count)
  t.is(r.after.deferred, count)
  assertSettled(t, r.after, 'worker')
  t.deepEqual(defaultDropper.stats(), mainBefore, "the main thread's counters did not move")
})

test.serial('terminating workers with values queued leaves the main thread and its droppers working', async (t) => {
  const rounds = 4
  const count = 2000
  for (let round = 0; round < rounds; round++) {
    const worker = startWorker({ mode: 'flood', count })
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve))
    const r = await firstMessage<{ own: DropperStats; default: DropperStats }>(worker)
    t.is(r.own.deferred + r.default.deferred, count + 1, `round ${round}: every value was handed over`)
    t.true(r.own.pending > 0, `round ${round}: values were queued when terminate() was called`)
    await worker.terminate()
    await exited

    // The main thread carries on: a new dropper and the default one both work.
    const d = new Dropper()
    const v = NativeValue.list(range(100))
    const bytes = v.memoryUsage
    t.true(d.defer(v))
    t.true(NativeValue.list(range(100)).release())
    await Promise.all([d.drain(), defaultDropper.drain()])
    t.is(d.stats().freedBytes, bytes)
    assertSettled(t, d.stats(), `round ${round}: new dropper`)
    assertSettled(t, defaultDropper.stats(), `round ${round}: default dropper`)
    await d.close()
    t.false(d.stats().threadRunning)
  }
})

// --- process exit ------------------------------------------------------------

const pendingAtExit = 3000

for (const [how, expectedCode] of [
  ['return', 0],
  ['exit', 0],
  ['throw', 1],
] as const) {
  test(`a process ending by ${how} with thousands of large values pending exits with code ${expectedCode}`, async (t) => {
    const r = await run('exit-pending.js', [how, String(pendingAtExit)])
    t.is(r.signal, null, 'it exited on its own (not killed by the guard)')
    t.is(r.code, expectedCode, r.stderr)
    const out = report<{ offered: number; handedOver: number; own: DropperStats; default: DropperStats }>(r)
    t.is(out.offered, pendingAtExit + 1)
    t.is(out.handedOver, out.offered, 'every value went to a drop thread')
    t.is(out.own.deferred + out.default.deferred, out.offered)
    t.true(out.own.pending + out.default.pending > 0, 'values were still pending when it ended')
    if (how === 'throw') t.regex(r.stderr, /uncaught on purpose/)
    else t.notRegex(r.stderr, /panick|Segmentation|Abort/i)
  })
}
