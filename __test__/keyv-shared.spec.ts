// lazyfree/keyv over a shared keyspace (docs/api.md §5, docs/ecosystem.md "One
// cache for every worker"): `createKeyv(Keyspace.open(name))` in the main
// thread and in worker threads is one store. A value set through Keyv in one
// thread is read through Keyv in another, with its TTL; namespaces keep
// apart and `clear` removes only its own; the iterator sees every thread's
// entries; `disconnect()` leaves a keyspace it was given open; and a piscina
// pool of 5 workers reads and writes one `Keyspace.open('cache')`.
import test from 'ava'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { Keyspace } from '../index'
import { KeyvLazyfree, createKeyv } from '../keyv'

const TASK = join(__dirname, 'fixtures', 'keyv-shared-task.js')
let names = 0
const fresh = (prefix: string) => `${prefix}-${process.pid}-${names++}`

type Reply = { threadId: number; [k: string]: unknown }

/** Runs one job of the fixture in a new worker thread of its own. */
function run<T extends Reply = Reply>(data: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(TASK, { workerData: { ...data, plain: true } })
    let result: T | undefined
    w.once('message', (m) => (result = m))
    w.once('error', reject)
    w.once('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`exit ${code}`))))
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('a value set through Keyv in one thread is read through Keyv in another', async (t) => {
  const name = fresh('rw')
  const ks = Keyspace.open(name)
  const keyv = createKeyv(Keyspace.open(name))
  await keyv.set('from-main', { n: 1, tags: ['a'] })
  const worker = await run({ job: 'set', name, entries: [['from-worker', { n: 2 }]] })
  t.not(worker.threadId, 0)
  t.deepEqual(await keyv.get('from-worker'), { n: 2 })
  const other = await run<Reply & { values: unknown[] }>({
    job: 'get',
    name,
    keys: ['from-main', 'from-worker', 'none'],
  })
  t.deepEqual(other.values, [{ n: 1, tags: ['a'] }, { n: 2 }, null])
  // Keyv's keys, as stored in the keyspace everyone shares.
  t.deepEqual(ks.keys('*').sort(), ['keyv:from-main', 'keyv:from-worker'])
  ks.close()
  keyv.store.keyspace.close()
})

test('a TTL set in a worker is the keyspace TTL every thread sees', async (t) => {
  const name = fresh('ttl')
  const ks = Keyspace.open(name)
  const keyv = createKeyv(Keyspace.open(name))
  const start = Date.now()
  await run({
    job: 'set',
    name,
    entries: [
      ['short', 'gone soon', 1000],
      ['medium', 'a minute', 60_000],
      ['long', 'stays'],
    ],
  })
  const pttl = ks.pttl('keyv:medium')
  t.true(pttl > 0 && pttl <= 60_000, `pttl ${pttl}`)
  t.is(ks.pttl('keyv:long'), -1)
  t.is(await keyv.get('medium'), 'a minute')
  // The short one expires for every thread, and not before its TTL.
  while (ks.pttl('keyv:short') !== -2) {
    t.true(Date.now() - start < 30_000, 'keyv:short did not expire within 30 s')
    await sleep(20)
  }
  t.true(Date.now() - start >= 1000, `expired after ${Date.now() - start} ms`)
  t.is(await keyv.get('short'), undefined)
  const seen = await run<Reply & { values: unknown[] }>({ job: 'get', name, keys: ['short', 'medium', 'long'] })
  t.deepEqual(seen.values, [null, 'a minute', 'stays'])
  ks.close()
  keyv.store.keyspace.close()
})

test('namespaces keep apart across threads, and clear removes only its own', async (t) => {
  const name = fresh('ns')
  const ks = Keyspace.open(name)
  const sessions = createKeyv(ks, { namespace: 'sessions' })
  ks.set('plain', 'not a Keyv entry')
  await sessions.set('k', 'session value')
  await run({
    job: 'set',
    name,
    namespace: 'pages',
    entries: [
      ['k', 'page value'],
      ['other', 'page 2'],
    ],
  })
  t.is(await sessions.get('k'), 'session value')
  await run({ job: 'clear', name, namespace: 'pages' })
  t.deepEqual(ks.keys('*').sort(), ['plain', 'sessions:k'])
  const pages = await run<Reply & { values: unknown[] }>({ job: 'get', name, namespace: 'pages', keys: ['k', 'other'] })
  t.deepEqual(pages.values, [null, null])
  await sessions.clear()
  t.deepEqual(ks.keys('*'), ['plain'])
  ks.close()
})

test("the iterator in a worker yields every thread's entries of its namespace", async (t) => {
  const name = fresh('iter')
  const ks = Keyspace.open(name)
  const main = createKeyv(ks, { namespace: 'it' })
  const want: Array<[string, unknown]> = []
  for (let i = 0; i < 300; i++) {
    await main.set(`m${i}`, { i })
    want.push([`m${i}`, { i }])
  }
  await run({ job: 'set', name, namespace: 'it', entries: [['w', 'from a worker']] })
  await run({ job: 'set', name, namespace: 'elsewhere', entries: [['x', 'not in it']] })
  want.push(['w', 'from a worker'])
  const got = await run<Reply & { entries: Array<[string, unknown]> }>({ job: 'iterate', name, namespace: 'it' })
  const byKey = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  t.deepEqual(got.entries.sort(byKey), want.sort(byKey))
  ks.close()
})

test('disconnect() leaves a shared keyspace it was given open, in every thread', async (t) => {
  const name = fresh('disc')
  const ks = Keyspace.open(name)
  const keyv = createKeyv(ks)
  await keyv.set('k', 'v')
  const worker = await run<Reply & { closed: boolean; value: unknown }>({ job: 'disconnect', name, key: 'k' })
  t.deepEqual([worker.closed, worker.value], [false, 'v'])
  await keyv.disconnect()
  t.false(ks.closed)
  t.is(await keyv.get('k'), 'v')
  // The caller closes its own handle; the last close frees the name.
  ks.close()
  const again = Keyspace.open(name)
  t.is(again.size, 0)
  again.close()
})

test('an adapter over its own options still closes its own keyspace on disconnect', async (t) => {
  const store = new KeyvLazyfree({ maxMemory: '1mb' })
  await store.disconnect()
  t.true(store.keyspace.closed)
})

test('a read racing a writer that changes the kind of value never misses or throws', async (t) => {
  const name = fresh('flip')
  const ks = Keyspace.open(name)
  const store = new KeyvLazyfree(ks)
  await store.set('k', 'text')
  const [, reader] = await Promise.all([
    run({ job: 'flip', name, key: 'k', n: 20_000 }),
    run<Reply & { reads: number; bad: number; firstBad: string | null; errors: number; firstError: string | null }>({
      job: 'readFlips',
      name,
      key: 'k',
    }),
  ])
  t.true(reader.reads > 0)
  t.deepEqual(
    { bad: reader.bad, firstBad: reader.firstBad, errors: reader.errors, firstError: reader.firstError },
    { bad: 0, firstBad: null, errors: 0, firstError: null },
  )
  ks.close()
})

test("an object's TTL never lands on another thread's write of the same key", async (t) => {
  const name = fresh('ttlrace')
  const ks = Keyspace.open(name)
  const [, writer] = await Promise.all([
    run({ job: 'objectsWithTtl', name, key: 'k', n: 20_000 }),
    run<Reply & { checked: number; withTtl: number }>({ job: 'stringsWithoutTtl', name, key: 'k', n: 20_000 }),
  ])
  t.true(writer.checked > 0)
  t.is(writer.withTtl, 0, `${writer.withTtl} of ${writer.checked} strings written without a TTL had one`)
  // The adapter's staging keys do not stay behind.
  t.deepEqual(ks.keys('*').sort(), ['k', 'ready'])
  ks.close()
})

test('an object that cannot fit a shared keyspace stores nothing, leaving no staging key', async (t) => {
  const name = fresh('oom')
  const ks = Keyspace.open(name, { maxMemory: '1mb', evictionPolicy: 'noeviction' })
  const store = new KeyvLazyfree(ks)
  await store.set('k', 'old')
  const e = await t.throwsAsync(store.set('k', { blob: 'x'.repeat(200_000) }, 60_000))
  t.is((e as Error & { code?: string }).code, 'OOM')
  t.deepEqual(ks.keys('*'), ['k'])
  t.is(await store.get('k'), 'old')
  await store.set('k', { small: true }, 60_000)
  t.deepEqual(await store.get('k'), { small: true })
  t.true(ks.pttl('k') > 0)
  t.deepEqual(ks.keys('*'), ['k'])
  ks.close()
})

test("a piscina pool of 5 shares one Keyv store: createKeyv(Keyspace.open('cache'))", async (t) => {
  const cache = Keyspace.open('cache')
  const keyv = createKeyv(Keyspace.open('cache'))
  const pool = new Piscina({ filename: TASK, minThreads: 5, maxThreads: 5 })
  try {
    const keys = Array.from({ length: 100 }, (_, i) => `user:${i}`)
    // Writers: 100 tasks, one key each, spread over the pool's threads.
    const writes: Reply[] = await Promise.all(
      keys.map((key, i) => pool.run({ job: 'set', name: 'cache', entries: [[key, { i, at: 'worker' }]] })),
    )
    const writer = new Map(keys.map((key, i) => [key, writes[i].threadId]))
    t.true(new Set(writes.map((w) => w.threadId)).size > 1, 'the writes ran in more than one thread')
    // Readers: every task reads every key, whoever wrote it.
    const reads: Array<Reply & { values: unknown[] }> = await Promise.all(
      Array.from({ length: 20 }, () => pool.run({ job: 'get', name: 'cache', keys })),
    )
    const want = keys.map((_, i) => ({ i, at: 'worker' }))
    for (const r of reads) t.deepEqual(r.values, want)
    const crossed = reads.some((r) => keys.some((key) => writer.get(key) !== r.threadId))
    t.true(crossed, 'some key was read in a thread other than the one that wrote it')
    // The main thread's Keyv over the same name sees the pool's writes.
    t.deepEqual(await keyv.get(keys), want)
    t.is(cache.size, 100)
    // cache-manager over the shared L1: computed in one thread, then found
    // by every other one.
    const first: Reply & { value: { computedBy: number } } = await pool.run({
      job: 'wrap',
      name: 'cache',
      key: 'report',
    })
    t.is(first.value.computedBy, first.threadId)
    const later: Array<Reply & { value: { computedBy: number } }> = await Promise.all(
      Array.from({ length: 10 }, () => pool.run({ job: 'wrap', name: 'cache', key: 'report' })),
    )
    for (const r of later) t.deepEqual(r.value, first.value)
    t.true(
      later.some((r) => r.threadId !== first.threadId),
      'some wrap ran in another thread',
    )
    t.true(cache.pttl('keyv:report') > 0)
  } finally {
    await pool.destroy()
  }
  // The pool's threads have ended; the main thread's handles kept the cache.
  t.is(cache.size, 101)
  t.deepEqual(await keyv.get(['user:0', 'user:99']), [
    { i: 0, at: 'worker' },
    { i: 99, at: 'worker' },
  ])
  cache.close()
  keyv.store.keyspace.close()
  // Every handle is gone (the pool's threads ended): the name is free.
  const after = Keyspace.open('cache')
  t.is(after.size, 0)
  after.close()
})
