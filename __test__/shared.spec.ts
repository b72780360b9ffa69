// Keyspace.open (docs/api.md §4, docs/shared.md): one keyspace for the main
// thread and every worker. Invariants checked from several workers at once
// (exact incrby totals, renames and two-key deletes never seen half done),
// zero-copy moves between threads, options conflicts, the Dropper refusal,
// the lifecycle (reopen after the last close), and — in child processes —
// 100 rounds of workers terminated at random points while others keep
// working, and the memory returned by the last close.
import test from 'ava'
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { Dropper, Keyspace, defaultDropper } from '../index'

const WORKER = join(__dirname, 'fixtures', 'shared-worker.js')
let names = 0
const fresh = (prefix: string) => `${prefix}-${process.pid}-${names++}`

function run<T = Record<string, unknown>>(data: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: data })
    let result: T | undefined
    w.once('message', (m) => (result = m))
    w.once('error', reject)
    w.once('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`exit ${code}`))))
  })
}

function child(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--expose-gc', join(__dirname, 'fixtures', script), ...args],
      { timeout: 100_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => resolve({ code: error ? ((error.code as number) ?? null) : 0, stdout, stderr }),
    )
  })
}

test('the main thread and workers see the same data', async (t) => {
  const name = fresh('same')
  const ks = Keyspace.open(name)
  t.is(ks.name, name)
  t.is(new Keyspace().name, undefined)
  ks.set('a', 'from main')
  await run({ job: 'incr', name, n: 5, keys: ['n'] })
  t.is(ks.get('n'), '5')
  t.is(ks.get('a'), 'from main')
  ks.close()
})

type Method = (...args: unknown[]) => unknown
type Binding = Record<string, Method> & {
  SharedKeyspaceHandle: { open(name: string): { id: number; close(): void }; prototype: Record<string, Method> }
}
const binding = () => createRequire(__filename)('../binding.js') as Binding

/**
 * Counts the calls get/set/mget make to a shared handle's own methods (the
 * checked path, which the fast functions ksGet/ksSet/ksMget spare) while
 * `f` runs. The facade holds the fast functions themselves, so this is how
 * a test sees which path served a call.
 */
function countChecked(f: () => void): Record<string, number> {
  const proto = binding().SharedKeyspaceHandle.prototype
  const calls: Record<string, number> = { get: 0, set: 0, mget: 0 }
  const originals = Object.keys(calls).map((k) => [k, proto[k]] as const)
  for (const [k, original] of originals) {
    proto[k] = function (this: unknown, ...args: unknown[]) {
      calls[k]++
      return original.apply(this, args)
    }
  }
  try {
    f()
  } finally {
    for (const [k, original] of originals) proto[k] = original
  }
  return calls
}

test("a shared keyspace's get, set and mget take the fast functions and see other threads' writes", async (t) => {
  const name = fresh('fast')
  const ks = Keyspace.open(name)
  const mine = countChecked(() => t.true(ks.set('m', 'from main')))
  const seen = await run<{ m: string; stored: boolean; both: unknown[]; calls: Record<string, number> }>({
    job: 'fastReadWrite',
    name,
  })
  t.deepEqual(seen, {
    m: 'from main',
    stored: true,
    both: ['from main', 'from worker'],
    calls: { get: 0, set: 0, mget: 0, setWithOptions: 1 },
  })
  const calls = countChecked(() => {
    t.is(ks.get('w'), 'from worker')
    t.deepEqual(ks.mget('m', 'w', 'none'), ['from main', 'from worker', null])
  })
  t.deepEqual(mine, { get: 0, set: 0, mget: 0 })
  t.deepEqual(calls, { get: 0, set: 0, mget: 0 })
  // The count sees the checked path when it is taken: a set with options.
  t.deepEqual(
    countChecked(() => t.true(ks.set('o', 'v', { px: 60_000 }))),
    { get: 0, set: 1, mget: 0 },
  )
  // The fast path's input rules hold for a shared keyspace too.
  t.throws(() => ks.get('a\ud800b'), {
    instanceOf: TypeError,
    message: /^key is a string with a lone surrogate at index 1 /,
  })
  t.throws(() => ks.set('a\ud800b', 'v'), { instanceOf: TypeError, message: /^key is a string with a lone surrogate/ })
  t.throws(() => ks.mget('ok', 'a\ud800b'), {
    instanceOf: TypeError,
    message: /^keys\[1\] is a string with a lone surrogate/,
  })
  t.throws(() => ks.set('k', { no: 'scalar' } as never), { instanceOf: TypeError, message: /^value is / })
  t.is(ks.size, 3, 'refused commands changed nothing')
  ks.close()
})

test("a closed shared handle's id is refused while another handle of the same name works", (t) => {
  const name = fresh('fast-closed')
  const b = binding()
  const closed = { instanceOf: Error, code: 'ERR_LAZYFREE_CLOSED', message: 'this Keyspace has been closed' }
  const one = b.SharedKeyspaceHandle.open(name)
  const two = b.SharedKeyspaceHandle.open(name)
  t.true(one.id > 0 && two.id > 0 && one.id !== two.id, `ids ${one.id}, ${two.id}`)
  t.true(b.ksSet(one.id, 'k', 'v'))
  t.is(b.ksGet(two.id, 'k'), 'v')
  one.close()
  t.throws(() => b.ksGet(one.id, 'k'), closed)
  t.throws(() => b.ksSet(one.id, 'k', 'changed'), closed)
  t.throws(() => b.ksMget(one.id, 'k'), closed)
  t.is(b.ksGet(two.id, 'k'), 'v', 'the refused set changed nothing')
  t.deepEqual(b.ksMget(two.id, 'k', 'none'), ['v', null])
  two.close()
  t.throws(() => b.ksGet(two.id, 'k'), closed)
  // Through the facade: closing one Keyspace leaves the other working.
  const a = Keyspace.open(name)
  const c = Keyspace.open(name)
  a.set('x', '1')
  a.close()
  t.throws(() => a.get('x'), closed)
  t.throws(() => a.set('x', '2'), closed)
  t.throws(() => a.mget('x'), closed)
  t.is(c.get('x'), '1')
  t.deepEqual(c.mget('x'), ['1'])
  c.close()
})

test('incrby totals are exact from four workers', async (t) => {
  const name = fresh('incr')
  const ks = Keyspace.open(name)
  const keys = ['x', 'y', 'z']
  await Promise.all(Array.from({ length: 4 }, () => run({ job: 'incr', name, n: 5000, keys })))
  for (const k of keys) t.is(ks.get(k), '20000')
  t.is(ks.size, 3)
  ks.close()
})

test('a rename is never seen half done by another thread', async (t) => {
  const name = fresh('rename')
  const ks = Keyspace.open(name)
  const value = 'v'.repeat(10_000)
  ks.set('a', value)
  const watcher = run<{ seen: number; bad: number; whole: boolean }>({ job: 'watchRename', name, value })
  await run({ job: 'rename', name, n: 20_000 })
  ks.set('stop', '1')
  const seen = await watcher
  t.true(seen.seen > 0)
  t.is(seen.bad, 0)
  t.true(seen.whole)
  t.is(ks.exists('a', 'b'), 1)
  t.true(seen.seen > 100, `the reads overlapped the renames (${seen.seen})`)
  ks.close()
})

test('a del of two keys is seen whole or not at all', async (t) => {
  const name = fresh('del')
  const ks = Keyspace.open(name)
  const pairs = 20_000
  for (let i = 0; i < pairs; i++) {
    ks.set(`p${i}`, 'p')
    ks.set(`q${i}`, 'q')
  }
  const watcher = run<{ seen: number; bad: number }>({ job: 'watchPairs', name, pairs })
  const { deleted } = await run<{ deleted: number }>({ job: 'delPairs', name, pairs })
  const seen = await watcher
  t.is(deleted, 2 * pairs)
  t.true(seen.seen > 0)
  t.is(seen.bad, 0)
  t.is(ks.size, 1) // 'watching'
  ks.close()
})

test('setValue in one worker and takeValue in another move the same allocation', async (t) => {
  const name = fresh('move')
  const ks = Keyspace.open(name)
  const given = await run<{ id: string; released: boolean }>({ job: 'give', name, key: 'big', bytes: 4 << 20 })
  t.true(given.released)
  const taken = await run<{ id: string; copyId: string; length: number }>({ job: 'take', name, key: 'big' })
  t.is(taken.length, 4 << 20)
  t.is(taken.id, given.id)
  // A copy is another allocation: the identity tells them apart.
  t.not(taken.copyId, given.id)
  t.is(ks.size, 0)
  ks.close()
})

test('an open with other options is refused; without options it attaches', (t) => {
  const name = fresh('options')
  const ks = Keyspace.open(name, { maxMemory: '1mb', evictionPolicy: 'allkeys-lru' })
  ks.set('k', 'v')
  const e = t.throws(() => Keyspace.open(name, { maxMemory: '2mb', evictionPolicy: 'allkeys-lru' }))
  t.is((e as Error & { code: string }).code, 'ERR_LAZYFREE_SHARED_OPTIONS')
  t.regex(e.message, /maxMemory is 1048576, not 2097152/)
  // The same options, or none, attach.
  const same = Keyspace.open(name, { maxMemory: '1mb', evictionPolicy: 'allkeys-lru' })
  const bare = Keyspace.open(name)
  t.is(bare.get('k'), 'v')
  t.is(bare.info().maxmemory, 1 << 20)
  for (const k of [ks, same, bare]) k.close()
})

test('options.dropper is refused with a TypeError, and nothing is opened', (t) => {
  const name = fresh('dropper')
  const dropper = new Dropper()
  for (const d of [dropper, defaultDropper]) {
    const e = t.throws(() => Keyspace.open(name, { dropper: d }), { instanceOf: TypeError })
    t.regex(e.message, /options\.dropper/)
  }
  // Nothing was created: these options would conflict with a live keyspace.
  Keyspace.open(name, { maxMemory: 1000 }).close()
  t.throws(() => Keyspace.open(''), { instanceOf: TypeError, message: /name/ })
  t.throws(() => Keyspace.open(name, { hz: 1000 }), { instanceOf: RangeError })
  return dropper.close()
})

test('the last close frees the name; a later open creates a fresh keyspace', async (t) => {
  const name = fresh('reopen')
  const one = Keyspace.open(name, { maxMemory: 1 << 20 })
  const two = Keyspace.open(name)
  one.set('k', 'v')
  one.close()
  t.true(one.closed)
  t.throws(() => one.get('k'), { code: 'ERR_LAZYFREE_CLOSED' })
  t.is(two.get('k'), 'v')
  two.close()
  two.close()
  // Free again: other options are accepted and the data is gone.
  const three = Keyspace.open(name, { maxMemory: 2 << 20 })
  t.is(three.size, 0)
  t.is(three.info().maxmemory, 2 << 20)
  // A worker that ends without closing releases its handle too.
  three.close()
  await run({ job: 'incr', name, n: 1, keys: ['w'] })
  const four = Keyspace.open(name, { maxMemory: 3 << 20 })
  t.is(four.size, 0)
  four.close()
})

test('a handle nobody references detaches when it is collected', async (t) => {
  const name = fresh('gc')
  ;(() => {
    Keyspace.open(name, { maxMemory: 1 << 20 }).set('k', 'v')
  })()
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) return t.pass('needs --expose-gc')
  // While the handle lives, other options conflict; once collected, the name is free.
  let reopened: Keyspace | undefined
  for (let i = 0; i < 100 && reopened === undefined; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
    try {
      reopened = Keyspace.open(name, { maxMemory: 2 << 20 })
    } catch (e) {
      t.is((e as Error & { code: string }).code, 'ERR_LAZYFREE_SHARED_OPTIONS')
    }
  }
  t.truthy(reopened, 'the collected handle still held the keyspace')
  t.is(reopened?.size, 0)
  reopened?.close()
})

test('info reports the shared drop thread, and active expiry runs off the event loop', async (t) => {
  const name = fresh('info')
  const ks = Keyspace.open(name, { hz: 50 })
  ks.rpush('big', ...Array.from({ length: 1000 }, (_, i) => `e${i}`))
  t.is(ks.unlink('big'), 1)
  for (let i = 0; i < 100; i++) ks.set(`t${i}`, 'v', { px: 10 })
  // Block this event loop: only a native thread can expire the keys.
  const until = Date.now() + 400
  while (Date.now() < until) {
    /* busy */
  }
  const info = ks.info()
  t.is(info.expired_keys, 100)
  t.is(info.keys, 0)
  t.is(info.lazyfree_pending_objects + info.lazyfreed_objects, 1)
  ks.close()
})

test('100 rounds of workers terminated at random points while others work', async (t) => {
  const r = await child('shared-churn.js', ['100', String(Math.floor(Math.random() * 1e9))])
  t.is(r.code, 0, r.stderr)
  const report = JSON.parse(r.stdout)
  t.deepEqual(report.unexpected, [], `seed ${report.seed}`)
  t.is(report.total, report.counted)
  t.true(report.reopened)
})

test('the last close returns the memory', async (t) => {
  const r = await child('shared-memory.js', [])
  t.is(r.code, 0, r.stderr)
  const m = JSON.parse(r.stdout)
  t.log(m)
  // 256 MiB went in; after the last close RSS is back near where it started.
  t.true(m.filled - m.baseline > 200 << 20, 'the data was resident')
  t.true(m.after - m.baseline < 48 << 20, 'the memory came back')
})

test('a shared keyspace has the same commands: scan across shards, exact incrby, lossless hashes', (t) => {
  const ks = Keyspace.open(fresh('parity'))
  try {
    const keys = Array.from({ length: 200 }, (_, i) => `k:${i}`)
    ks.mset(keys.map((k) => [k, k]))
    ks.rpush('a-list', 'x')
    // A full SCAN returns every key, whichever shard holds it, a few at a time.
    const seen = new Set<string>()
    let cursor = 0
    let calls = 0
    do {
      const [next, batch] = ks.scan(cursor, { count: 7 })
      for (const k of batch) seen.add(k)
      cursor = next
      calls++
    } while (cursor !== 0 && calls < 10_000)
    t.deepEqual([...seen].sort(), [...keys, 'a-list'].sort())
    t.true(calls > 16, 'bounded work per call: the walk takes several calls per shard')
    const [, lists] = ks.scan(0, { count: 1000, type: 'list' })
    t.true(lists.every((k) => k === 'a-list'))
    // incrby refuses a result a number cannot hold exactly; a bigint gets it.
    ks.set('n', '9007199254740991')
    t.throws(() => ks.incrby('n', 1), { instanceOf: RangeError, message: /pass n as a bigint/ })
    t.is(ks.get('n'), '9007199254740991', 'the refused incrby changed nothing')
    t.is(ks.incrby('n', 1n), 9007199254740992n)
    // Two binary fields that decode to one string are never merged.
    ks.hset(
      'h',
      new Map([
        [Buffer.from([0xff]), 'a'],
        [Buffer.from([0xfe]), 'b'],
      ]),
    )
    t.throws(() => ks.hgetall('h'), { code: 'ERR_LAZYFREE_FIELD_COLLISION' })
    t.is(ks.hgetallMap('h', { buffers: true }).size, 2)
  } finally {
    ks.close()
  }
})
