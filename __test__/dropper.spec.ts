// Dropper: the background thread that frees large values (docs/api.md §2).
//
// Each test owns its droppers, so the counters it reads are its own; every
// value offered is accounted for as deferred (and later freed) or freed
// inline for a named reason.
import test from 'ava'
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { Dropper, NativeValue, defaultDropper, type DropperStats, type JsValue } from '../index'

const RELEASED = { instanceOf: Error, code: 'ERR_LAZYFREE_RELEASED' }
const range = (n: number, prefix = 'item-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

/** A dropper closed when the test ends. */
function dropper(
  t: { teardown(fn: () => unknown): void },
  options?: ConstructorParameters<typeof Dropper>[0],
): Dropper {
  const d = new Dropper(options)
  t.teardown(() => d.close())
  return d
}

/** A collection of each kind holding exactly `n` elements. */
function collections(n: number): Array<[string, () => NativeValue]> {
  const items = range(n)
  return [
    ['list', () => NativeValue.list(items)],
    ['set', () => NativeValue.set(items)],
    ['hash', () => NativeValue.hash(items.map((k) => [k, k] as const))],
    ['zset', () => NativeValue.zset(items.map((m, i) => [m, i]))],
  ]
}

/** Values offered = every outcome the dropper counts. */
const accounted = (s: DropperStats) => s.deferred + s.inlineSmall + s.inlineFull + s.inlineClosed

/** The identity that holds whenever nothing is in flight. */
function assertSettled(t: { is(a: unknown, b: unknown, m?: string): void }, s: DropperStats) {
  t.is(s.freed, s.deferred, 'freed === deferred')
  t.is(s.pending, 0, 'pending === 0')
  t.is(s.pendingBytes, 0, 'pendingBytes === 0')
  t.is(s.queued, 0, 'queued === 0')
}

// --- construction ------------------------------------------------------------

test('a new Dropper has capacity 4096 and threshold 64, is open, and runs its thread', async (t) => {
  const d = dropper(t)
  t.is(d.capacity, 4096)
  t.is(d.threshold, 64)
  t.false(d.closed)
  t.deepEqual(d.stats(), {
    deferred: 0,
    freed: 0,
    pending: 0,
    pendingBytes: 0,
    freedBytes: 0,
    inlineSmall: 0,
    inlineFull: 0,
    inlineClosed: 0,
    queued: 0,
    capacity: 4096,
    threadRunning: true,
  })
})

test('options set capacity and threshold', (t) => {
  for (const [capacity, threshold] of [
    [1, 0],
    [7, 10],
    [100_000, 1000],
    [4096, Infinity],
  ]) {
    const d = dropper(t, { capacity, threshold })
    t.is(d.capacity, capacity)
    t.is(d.threshold, threshold)
    t.is(d.stats().capacity, capacity)
  }
})

test('options of the wrong type, or with unknown names, are TypeErrors', (t) => {
  const bad: unknown[] = [
    null,
    'big',
    5,
    [],
    { capacity: '4096' },
    { capacity: 10n },
    { threshold: '64' },
    { threshold: null },
    { name: 5 },
    { name: null },
    { capacty: 10 },
    { Capacity: 10 },
    { capacity: 10, extra: true },
  ]
  for (const options of bad) {
    t.throws(
      () => new Dropper(options as ConstructorParameters<typeof Dropper>[0]),
      { instanceOf: TypeError },
      inspect(options),
    )
  }
  t.throws(() => new Dropper({ capacty: 10 } as never), { message: /capacty/ }, 'the unknown name is named')
})

test('options out of range are RangeErrors', (t) => {
  const bad = [
    { capacity: 0 },
    { capacity: -1 },
    { capacity: 1.5 },
    { capacity: 2 ** 20 + 1 },
    { capacity: 2 ** 24 },
    { capacity: NaN },
    { capacity: Infinity },
    { threshold: -1 },
    { threshold: 0.5 },
    { threshold: NaN },
    { threshold: -Infinity },
    { name: '' },
  ]
  for (const options of bad) {
    t.throws(() => new Dropper(options), { instanceOf: RangeError }, inspect(options))
  }
})

/** Names of this process's threads (Linux); a thread that exits while being listed is skipped. */
function threadNames(): string[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      return [readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()]
    } catch {
      return []
    }
  })
}

;(process.platform === 'linux' ? test : test.skip)(
  'the thread carries the name option, and is gone after close',
  async (t) => {
    const short = new Dropper({ name: 'lf-spec-named' })
    const long = new Dropper({ name: 'lf-spec-a-very-long-thread-name' })
    // A thread names itself when it starts running: once it has freed
    // something, it has.
    for (const d of [short, long]) d.defer(NativeValue.list(range(100)))
    await Promise.all([short.drain(), long.drain()])
    t.true(threadNames().includes('lf-spec-named'))
    t.true(threadNames().includes('lf-spec-a-very-long-thread-name'.slice(0, 15)), 'Linux keeps 15 bytes')
    await Promise.all([short.close(), long.close()])
    t.false(threadNames().includes('lf-spec-named'))
    t.false(threadNames().includes('lf-spec-a-very-long-thread-name'.slice(0, 15)))
  },
)

// --- what is large -----------------------------------------------------------

test('with the default threshold, 64 elements are freed inline and 65 go to the thread', async (t) => {
  for (const [[kind, at], [, above]] of collections(64).map((c, i) => [c, collections(65)[i]] as const)) {
    const d = dropper(t)
    const small = at()
    const large = above()
    const largeBytes = large.memoryUsage
    t.false(d.defer(small), `${kind} of 64`)
    t.true(d.defer(large), `${kind} of 65`)
    t.true(small.released)
    t.true(large.released)
    await d.drain()
    const s = d.stats()
    t.is(s.inlineSmall, 1, kind)
    t.is(s.deferred, 1, kind)
    t.is(s.freedBytes, largeBytes, kind)
    assertSettled(t, s)
  }
})

test('a collection is large by its element count after equal members collapse', (t) => {
  const d = dropper(t)
  const members = range(64)
  t.false(d.defer(NativeValue.set([...members, ...members])), '128 inputs, 64 members')
  t.false(d.defer(NativeValue.hash([...members, ...members].map((k, i) => [k, i] as const))), '128 pairs, 64 fields')
  t.true(d.defer(NativeValue.set([...members, ...members, 'one more'])))
  t.is(d.stats().inlineSmall, 2)
  t.is(d.stats().deferred, 1)
})

test('custom thresholds move the edge: large means more than threshold elements', (t) => {
  for (const threshold of [0, 1, 10, 200]) {
    const d = dropper(t, { threshold })
    t.false(d.defer(NativeValue.list(range(threshold))), `${threshold} elements, threshold ${threshold}`)
    t.true(d.defer(NativeValue.list(range(threshold + 1))), `${threshold + 1} elements, threshold ${threshold}`)
    t.true(d.defer(NativeValue.zset(range(threshold + 1).map((m, i) => [m, i]))))
    const s = d.stats()
    t.is(s.inlineSmall, 1)
    t.is(s.deferred, 2)
  }
  const never = dropper(t, { threshold: Infinity })
  t.false(never.defer(NativeValue.list(range(5000))), 'threshold Infinity: nothing is large')
  t.is(never.stats().inlineSmall, 1)
})

test('strings are never large: a 10 MB string is freed inline even at threshold 0', async (t) => {
  const d = dropper(t, { threshold: 0 })
  const big = NativeValue.from(Buffer.alloc(10 * 1024 * 1024, 'x'))
  t.is(big.length, 10 * 1024 * 1024)
  t.false(d.defer(big))
  t.true(big.released)
  t.false(d.defer('another string'))
  await d.drain()
  const s = d.stats()
  t.is(s.inlineSmall, 2)
  t.is(s.deferred, 0)
  t.is(s.freedBytes, 0)
})

// --- defer -------------------------------------------------------------------

test('defer(NativeValue) moves the value: it is released, never copied', async (t) => {
  const d = dropper(t)
  const v = NativeValue.list(range(100))
  const bytes = v.memoryUsage
  t.true(d.defer(v))
  t.true(v.released)
  t.is(v.kind, 'list')
  t.is(v.length, 0)
  t.throws(() => v.toJS(), RELEASED)
  t.throws(() => d.defer(v), RELEASED, 'a moved value cannot be deferred again')
  t.false(v.release(), 'nor released again')
  await d.drain()
  const s = d.stats()
  t.is(s.deferred, 1)
  t.is(s.freedBytes, bytes)
  assertSettled(t, s)
})

test('defer(JsValue) converts first, by the same rules', async (t) => {
  const d = dropper(t)
  const inputs: JsValue[] = [
    range(100),
    new Set(range(70)),
    new Map(range(80).map((k) => [k, k])),
    Object.fromEntries(range(90).map((k) => [k, 1])),
  ]
  const bytes = sum(inputs.map((i) => NativeValue.from(i).memoryUsage))
  for (const input of inputs) t.true(d.defer(input))
  t.false(d.defer(range(3)))
  t.false(d.defer('text'))
  await d.drain()
  const s = d.stats()
  t.is(s.deferred, inputs.length)
  t.is(s.inlineSmall, 2)
  t.is(s.freedBytes, bytes)
  assertSettled(t, s)
})

test('defer of a released value throws ERR_LAZYFREE_RELEASED and counts nothing', async (t) => {
  const d = dropper(t)
  const v = NativeValue.list(range(100))
  v.release(d)
  await d.drain()
  const before = d.stats()
  t.throws(() => d.defer(v), RELEASED)
  t.deepEqual(d.stats(), before)
})

// --- deferAll ----------------------------------------------------------------

test('deferAll hands n values over whatever their sizes: deferred += n, then freed += n', async (t) => {
  const d = dropper(t)
  const values = [
    NativeValue.from('a string'),
    NativeValue.list(range(3)),
    NativeValue.set(range(200)),
    NativeValue.hash({ f: 'v' }),
    NativeValue.zset([['m', 1]]),
    NativeValue.list(range(65)),
  ]
  const bytes = sum(values.map((v) => v.memoryUsage))
  t.true(d.deferAll(values))
  t.true(values.every((v) => v.released))
  t.is(d.stats().deferred, values.length)
  t.is(d.stats().inlineSmall, 0)
  await d.drain()
  const s = d.stats()
  t.is(s.freed, values.length)
  t.is(s.freedBytes, bytes)
  assertSettled(t, s)
})

test('deferAll takes any iterable', async (t) => {
  const d = dropper(t)
  const a = [NativeValue.list(range(5)), NativeValue.list(range(6))]
  const b = [NativeValue.from('x'), NativeValue.from('y'), NativeValue.from('z')]
  t.true(d.deferAll(new Set(a)))
  t.true(
    d.deferAll(
      (function* () {
        yield* b
      })(),
    ),
  )
  await d.drain()
  t.is(d.stats().freed, a.length + b.length)
})

test('deferAll of nothing returns false and counts nothing', async (t) => {
  const d = dropper(t)
  const before = d.stats()
  t.false(d.deferAll([]))
  t.false(d.deferAll(new Set<NativeValue>()))
  t.false(d.deferAll((function* (): Generator<NativeValue> {})()))
  await d.drain()
  t.deepEqual(d.stats(), before)
})

test('deferAll refuses a non-NativeValue element by index and releases nothing', async (t) => {
  const d = dropper(t)
  for (const bad of ['text', ['a'], null, undefined, {}, 1]) {
    const values = [NativeValue.list(range(100)), NativeValue.list(range(2))]
    t.throws(() => d.deferAll([values[0], bad as unknown as NativeValue, values[1]]), {
      instanceOf: TypeError,
      message: /^values\[1\] is /,
    })
    t.false(
      values.some((v) => v.released),
      `nothing released after ${inspect(bad)}`,
    )
  }
  t.throws(() => d.deferAll(5 as unknown as NativeValue[]), { instanceOf: TypeError, message: /^values is / })
  await d.drain()
  t.is(accounted(d.stats()), 0)
})

test('deferAll refuses a released element (ERR_LAZYFREE_RELEASED, naming it) and releases nothing', async (t) => {
  const d = dropper(t)
  const gone = NativeValue.list(range(10))
  gone.release(d)
  const before = d.stats()
  const values = [NativeValue.list(range(100)), NativeValue.from('x')]
  t.throws(() => d.deferAll([values[0], values[1], gone]), { ...RELEASED, message: /values\[2\]/ })
  t.false(values.some((v) => v.released))
  t.deepEqual(d.stats(), before)
})

test('deferAll refuses the same value twice (TypeError) and releases nothing', async (t) => {
  const d = dropper(t)
  const a = NativeValue.list(range(100))
  const b = NativeValue.list(range(100))
  t.throws(() => d.deferAll([a, b, a]), { instanceOf: TypeError, message: /^values\[2\]/ })
  t.false(a.released)
  t.false(b.released)
  t.is(accounted(d.stats()), 0)
  t.true(d.deferAll([a, b]), 'each once is fine')
})

// --- stats and drain ---------------------------------------------------------

test('stats() has every documented field, as numbers and a boolean', (t) => {
  const s = dropper(t).stats()
  const numbers = [
    'deferred',
    'freed',
    'pending',
    'pendingBytes',
    'freedBytes',
    'inlineSmall',
    'inlineFull',
    'inlineClosed',
    'queued',
    'capacity',
  ]
  t.deepEqual(Object.keys(s).sort(), [...numbers, 'threadRunning'].sort())
  for (const key of numbers) t.is(typeof s[key as keyof DropperStats], 'number', key)
  t.is(typeof s.threadRunning, 'boolean')
})

test('after drain: freed === deferred, nothing pending, freedBytes === Σ memoryUsage of what was deferred', async (t) => {
  const d = dropper(t)
  const values = [...collections(65), ...collections(300)].map(([, make]) => make())
  const bytes = sum(values.map((v) => v.memoryUsage))
  for (const v of values) t.true(d.defer(v))
  const s0 = d.stats()
  t.is(s0.deferred, values.length)
  t.is(s0.pending, s0.deferred - s0.freed)
  t.is(s0.pendingBytes + s0.freedBytes, bytes, 'every byte is pending or freed')
  await d.drain()
  const s = d.stats()
  t.is(s.deferred, values.length)
  t.is(s.freedBytes, bytes)
  assertSettled(t, s)
})

test('drain under load: every drain resolves after what was handed over before it', async (t) => {
  const d = dropper(t)
  const rounds = 20
  const perRound = 100
  let deferred = 0
  let bytes = 0
  const drains: Array<Promise<void>> = []
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < perRound; i++) {
      const v = NativeValue.list(range(65 + ((round * perRound + i) % 50)))
      bytes += v.memoryUsage
      if (d.defer(v)) deferred++
    }
    const before = d.stats().deferred
    drains.push(
      d.drain().then(() => {
        const s = d.stats()
        t.true(s.freed >= before, `drain ${round}: freed ${s.freed} >= ${before} deferred before it`)
      }),
    )
  }
  t.is(deferred, rounds * perRound, 'the queue holds them all')
  await Promise.all(drains)
  const s = d.stats()
  t.is(s.deferred, rounds * perRound)
  t.is(s.freedBytes, bytes)
  assertSettled(t, s)
})

test('drain resolves at once when nothing was handed over', async (t) => {
  const d = dropper(t)
  await d.drain()
  await Promise.all([d.drain(), d.drain()])
  assertSettled(t, d.stats())
})

// --- queue full --------------------------------------------------------------

test('a full queue frees inline (inlineFull) and every value is accounted for', async (t) => {
  const d = dropper(t, { capacity: 1 })
  // The thread is kept busy freeing a 2M-element list while, in the same
  // tick, more large values are offered to the one remaining slot: more than
  // two batches' worth (1024 values each), so some find no batch to join.
  const busy = NativeValue.list(Array.from({ length: 2_000_000 }, (_, i) => i))
  const values = [busy, ...Array.from({ length: 2 * 1024 + 50 }, () => NativeValue.list(range(100)))]
  const batch = Array.from({ length: 4 }, () => NativeValue.list(range(100)))
  const offered = values.length + batch.length

  const results = values.map((v) => [v.memoryUsage, d.defer(v)] as const)
  const batchBytes = sum(batch.map((v) => v.memoryUsage))
  const batchDeferred = d.deferAll(batch)
  const s = d.stats()

  t.true(results[0][1], 'the empty queue takes the first value')
  t.true(s.inlineFull > 0, 'later values found the queue full')
  t.is(accounted(s), offered, 'deferred + inlineFull + inlineSmall + inlineClosed === offered')
  t.is(s.inlineSmall + s.inlineClosed, 0)
  t.is(s.deferred, results.filter(([, ok]) => ok).length + (batchDeferred ? batch.length : 0))
  t.is(s.inlineFull, results.filter(([, ok]) => !ok).length + (batchDeferred ? 0 : batch.length))
  t.true(
    [...values, ...batch].every((v) => v.released),
    'freed inline or not, every value is released',
  )

  await d.drain()
  const after = d.stats()
  t.is(after.freedBytes, sum(results.filter(([, ok]) => ok).map(([bytes]) => bytes)) + (batchDeferred ? batchBytes : 0))
  assertSettled(t, after)
})

// --- bursts coalesce ---------------------------------------------------------

/** Runs fixtures/burst.js: a burst of `n` values handed over one by one while the thread is busy. */
async function burst(how: string, n: number): Promise<Record<'before' | 'burst' | 'drained', DropperStats>> {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['--expose-gc', join(__dirname, 'fixtures', 'burst.js'), how, String(n)],
      { timeout: 60_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  )
  return JSON.parse(out)
}

for (const how of ['release', 'finalize', 'unlink']) {
  test(`a burst of 10 000 values by ${how} overflows no queue: gathered, deferred at once, freed by drain`, async (t) => {
    const n = 10_000
    const r = await burst(how, n)
    const delta = (s: DropperStats, k: keyof DropperStats) => (s[k] as number) - (r.before[k] as number)
    // One more: the 4M-element list that keeps the thread busy.
    t.is(delta(r.burst, 'inlineFull'), 0, 'nothing freed inline for want of a slot')
    t.is(delta(r.burst, 'inlineClosed') + delta(r.burst, 'inlineSmall'), 0)
    t.is(delta(r.burst, 'deferred'), n + 1, 'each value counts as deferred when accepted')
    t.true(r.burst.pending >= n - 1024, `pending right after the burst: ${r.burst.pending}`)
    t.true(r.burst.queued <= Math.ceil(n / 1024) + 1, `few messages queued: ${r.burst.queued}`)
    t.is(delta(r.drained, 'freed'), n + 1)
    assertSettled(t, r.drained)
  })
}

test.serial('a single release() followed at once by await drain() resolves with the value freed', async (t) => {
  const before = defaultDropper.stats()
  const v = NativeValue.list(range(100))
  const bytes = v.memoryUsage
  t.true(v.release())
  await defaultDropper.drain()
  const s = defaultDropper.stats()
  t.is(s.deferred - before.deferred, 1)
  t.is(s.freed - before.freed, 1)
  t.is(s.freedBytes - before.freedBytes, bytes)
  assertSettled(t, s)
})

test('a burst into a Dropper of two slots: gathered values join the open batch, drain and close free them', async (t) => {
  const d = new Dropper({ capacity: 2 })
  // Its estimated size fills a batch (64 MiB) by itself: the values after it
  // open a second batch, with the second slot, and all join it.
  const busy = NativeValue.list(Array.from({ length: 2_000_000 }, (_, i) => `item-${i}`))
  t.true(busy.memoryUsage >= 64 * 2 ** 20, `${busy.memoryUsage} bytes`)
  const values = Array.from({ length: 1000 }, () => NativeValue.list(range(100)))
  const offered = values.length + 1
  t.true(d.defer(busy))
  const deferred = values.filter((v) => d.defer(v)).length
  const s = d.stats()
  t.is(deferred, values.length, 'each joined a batch')
  t.is(s.inlineFull, 0)
  t.is(s.deferred, offered)
  t.true(s.queued <= 2)
  const drained = d.drain()
  const closed = d.close()
  t.false(d.defer(NativeValue.list(range(100))), 'closed: freed inline')
  await Promise.all([drained, closed])
  const after = d.stats()
  t.is(after.freed, offered)
  t.is(after.inlineClosed, 1)
  assertSettled(t, after)
})

// --- close -------------------------------------------------------------------

test('close frees what is pending, stops the thread, and is idempotent', async (t) => {
  const d = new Dropper()
  const values = Array.from({ length: 200 }, (_, i) => NativeValue.list(range(65 + i)))
  const bytes = sum(values.map((v) => v.memoryUsage))
  for (const v of values) d.defer(v)
  await Promise.all([d.close(), d.close()])
  t.true(d.closed)
  const s = d.stats()
  t.false(s.threadRunning)
  t.is(s.deferred, values.length)
  t.is(s.freedBytes, bytes)
  assertSettled(t, s)
  await d.close()
  await d.drain()
  t.true(d.closed)
})

test('after close, defer and deferAll free inline and count inlineClosed', async (t) => {
  const d = new Dropper()
  await d.close()
  t.true(d.closed)
  t.false(d.stats().threadRunning)
  const large = NativeValue.list(range(100))
  t.false(d.defer(large))
  t.true(large.released)
  t.false(d.defer(range(100)), 'a JsValue too')
  const batch = [NativeValue.list(range(100)), NativeValue.from('x'), NativeValue.set(range(3))]
  t.false(d.deferAll(batch))
  t.true(batch.every((v) => v.released))
  t.false(NativeValue.zset(range(100).map((m, i) => [m, i])).release(d))
  const s = d.stats()
  t.is(s.inlineClosed, 1 + 1 + batch.length + 1)
  t.is(s.deferred, 0)
  t.false(s.threadRunning)
  await d.drain()
  await d.close()
})

// --- the default dropper -----------------------------------------------------

test('defaultDropper is a Dropper with the default options', (t) => {
  t.true(defaultDropper instanceof Dropper)
  t.is(defaultDropper.capacity, 4096)
  t.is(defaultDropper.threshold, 64)
  t.false(defaultDropper.closed)
  t.is(defaultDropper.stats().capacity, 4096)
})

test('defaultDropper starts its thread with the first large value (fresh process)', async (t) => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [join(__dirname, 'fixtures', 'default-dropper.js')],
      { timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  )
  const r = JSON.parse(out)
  t.true(r.isDropper)
  t.is(r.capacity, 4096)
  t.is(r.threshold, 64)
  t.false(r.closed)
  t.true(r.handedOver)
  t.false(r.steps.loaded.threadRunning, 'no thread when loaded')
  t.is(accounted(r.steps.loaded), 0)
  t.false(r.steps.afterSmall.threadRunning, 'small values do not start it')
  t.is(r.steps.afterSmall.inlineSmall, 2)
  t.true(r.steps.afterLarge.threadRunning, 'the first large value does')
  t.is(r.steps.afterLarge.deferred, 1)
  t.is(r.steps.drained.freed, 1)
  assertSettled(t, r.steps.drained)
})

test.serial('capacity is bounded at 2^20, and a dropper at the bound starts quickly', (t) => {
  t.throws(() => new Dropper({ capacity: 2 ** 24 }), { instanceOf: RangeError, message: /from 1 to 1048576/ })
  // The queue's slots are allocated when the thread starts (here, in the
  // constructor): at the bound that is 16 MiB, set up in milliseconds
  // (it was 104 MiB and ~120 ms with unboxed slots).
  const start = process.hrtime.bigint()
  const d = new Dropper({ capacity: 2 ** 20 })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  t.is(d.capacity, 2 ** 20)
  t.true(d.defer(NativeValue.list(Array.from({ length: 100 }, (_, i) => `v${i}`))))
  t.log(`new Dropper({ capacity: 2 ** 20 }): ${ms.toFixed(1)} ms`)
  t.true(ms < 250, `constructor took ${ms.toFixed(1)} ms`)
  return d.close()
})

test('the fast functions check the dropper and the value in the order of their facade methods', async (t) => {
  const binding = createRequire(import.meta.url)('../binding.js') as Record<string, (...args: unknown[]) => unknown>
  const ID_OF = Symbol.for('lazyfree.idOf')
  const idOf = (o: object) => (o as unknown as Record<symbol, () => number>)[ID_OF]()
  const d = dropper(t)
  const value = NativeValue.list(range(100))
  const [dropperId, valueId] = [idOf(d), idOf(value)]
  const noDropper = { instanceOf: TypeError, message: 'dropper is not a live Dropper' }
  // Dropper#defer checks the dropper first, then the value.
  t.throws(() => binding.dropperDefer(0, 0), noDropper)
  t.throws(() => binding.dropperDefer(0, valueId), noDropper)
  t.throws(() => binding.dropperDefer(dropperId, 0), {
    instanceOf: TypeError,
    message: 'value is not a live NativeValue',
  })
  // NativeValue#release checks the value first, then the dropper.
  t.throws(() => binding.nativeRelease(0, 0), { instanceOf: TypeError, message: 'this is not a live NativeValue' })
  t.throws(() => binding.nativeRelease(valueId, 0), noDropper)
  t.false(value.released, 'a refused call touches nothing')
  t.true(binding.nativeRelease(valueId, dropperId) as boolean)
  // Released: release answers false, defer throws; the dropper is still checked first.
  t.false(binding.nativeRelease(valueId, dropperId) as boolean)
  t.throws(() => binding.dropperDefer(dropperId, valueId), RELEASED)
  t.throws(() => binding.dropperDefer(0, valueId), noDropper)
  await d.drain()
  t.like(d.stats(), { deferred: 1, freed: 1 })
})

test('Dropper#defer stays optimized when every NativeValue has been collected (fresh process)', async (t) => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['--allow-natives-syntax', '--expose-gc', join(__dirname, 'fixtures', 'shape.js')],
      { timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  )
  // The shape of NativeValue objects outlives them, so V8 keeps the code of
  // `defer` that checks for it: the next burst runs optimized at once.
  t.deepEqual(JSON.parse(out), { before: true, after: true })
})

test('defer and release through the fast functions find values by id and refuse unknown ids', async (t) => {
  const binding = createRequire(import.meta.url)('../binding.js') as Record<string, (...args: unknown[]) => unknown>
  const dropper = new Dropper()
  const items = Array.from({ length: 100 }, (_, i) => `item-${i}`)
  const a = NativeValue.list(items)
  const b = NativeValue.list(items)
  t.true(dropper.defer(a))
  t.true(a.released)
  t.throws(() => dropper.defer(a), { code: 'ERR_LAZYFREE_RELEASED' })
  t.true(b.release(dropper))
  t.false(b.release(dropper))
  // Ids nothing was registered under: refused, nothing touched.
  const dropperId = 0 // no dropper's id
  for (const id of [0, -1, 1.5, 2 ** 60, 'x']) {
    t.throws(() => binding.dropperDefer(dropperId, id), { instanceOf: TypeError })
    t.throws(() => binding.nativeRelease(id, dropperId), { instanceOf: TypeError })
    t.throws(() => binding.dropperCapacity(id), { instanceOf: TypeError, message: 'dropper is not a live Dropper' })
  }
  // An id taken already cannot be reused for another value.
  const NativeHandle = binding.NativeHandle as unknown as { convert(...a: unknown[]): unknown }
  const convert = (...a: unknown[]) => NativeHandle.convert(...a)
  const held = convert('x', 'string', 's', 2 ** 52)
  t.truthy(held)
  t.throws(() => convert('y', 'string', 's', 2 ** 52), {
    instanceOf: RangeError,
    message: `native value id ${2 ** 52} is in use already`,
  })
  t.throws(() => convert('y', 'string', 's', 0.5), {
    instanceOf: RangeError,
    message: 'native value id 0.5 is not a positive safe integer',
  })
  await dropper.drain()
  t.is(dropper.stats().deferred, 2)
  t.is(dropper.capacity, 4096)
  await dropper.close()
})
