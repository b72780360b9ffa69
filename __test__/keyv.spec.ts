// lazyfree/keyv beyond Keyv's own suite (keyv.vitest.ts): what the adapter
// promises about the keyspace under it — TTLs held by the keyspace, values
// stored as given when Keyv's serialization is off, clear() confined to its
// namespace even with glob characters in it, batched reads and writes, and
// an iterator that keeps Redis's SCAN guarantee while keys come and go.
import test from 'ava'
import { Keyv } from 'keyv'
import { Keyspace } from '../index'
import { KeyvLazyfree, createKeyv, escapeGlob } from '../keyv'

test('entries and TTLs live in the keyspace', async (t) => {
  const ks = new Keyspace({ hz: 0 })
  const keyv = createKeyv(ks, { namespace: 'app' })
  await keyv.set('a', { n: 1 }, 60_000)
  await keyv.set('b', 'forever')
  t.is(ks.size, 2)
  const pttl = ks.pttl('app:a')
  t.true(pttl > 59_000 && pttl <= 60_000, `pttl ${pttl}`)
  t.is(ks.pttl('app:b'), -1)
  t.deepEqual(await keyv.get('a'), { n: 1 })
  // The keyspace expires it on its own clock: no timer per key.
  await keyv.set('short', 'x', 30)
  await new Promise((resolve) => setTimeout(resolve, 60))
  t.is(ks.exists('app:short'), 0)
  t.is(await keyv.get('short'), undefined)
})

test('with serialization off, values come back as they went in', async (t) => {
  const keyv = new Keyv({ store: new KeyvLazyfree({ hz: 0 }), serialize: undefined, deserialize: undefined })
  const values: unknown[] = [
    Buffer.from([0, 0xff, 0x80]),
    { nested: { when: new Date(0), big: 2n ** 70n, list: [1, 'two', null] } },
    new Map([['k', 1]]),
    42,
    false,
  ]
  for (const [i, value] of values.entries()) await keyv.set(`v${i}`, value, 10_000)
  for (const [i, value] of values.entries()) t.deepEqual(await keyv.get(`v${i}`), value, `value ${i}`)
  t.deepEqual(await keyv.get(values.map((_, i) => `v${i}`)), values)
  const store = keyv.store as KeyvLazyfree
  t.true(store.keyspace.pttl('keyv:v0') > 9_000, 'a non-string value keeps its TTL')
  // A function cannot be copied: a clear error, and nothing is stored.
  await t.throwsAsync(
    store.set('keyv:fn', () => 1),
    {
      instanceOf: TypeError,
      message: /value at 'keyv:fn' cannot be stored: \(\) ?=> ?1 could not be cloned/,
    },
  )
  t.is(store.keyspace.exists('keyv:fn'), 0)
})

test('data of other kinds in a shared keyspace is not an entry', async (t) => {
  const ks = new Keyspace({ hz: 0 })
  const keyv = createKeyv(ks, { namespace: 'ns' })
  await keyv.set('mine', 'v')
  ks.hset('ns:hash', 'f', 'v')
  ks.rpush('ns:list', 'a', 'b')
  ks.sadd('ns:set', 'm')
  t.is(await keyv.get('hash'), undefined)
  t.is(await keyv.get('list'), undefined)
  t.deepEqual(await keyv.get(['mine', 'hash', 'list', 'set']), ['v', undefined, undefined, undefined])
  const seen: string[] = []
  for await (const [key] of keyv.iterator!()) seen.push(key)
  t.deepEqual(seen, ['mine'])
})

test('a returnBuffers keyspace still hands Keyv strings', async (t) => {
  const keyv = createKeyv({ hz: 0, returnBuffers: true })
  await keyv.set('a', 'é')
  await keyv.set('b', [1, 2])
  t.is(await keyv.get('a'), 'é')
  t.deepEqual(await keyv.get(['a', 'b', 'c']), ['é', [1, 2], undefined])
})

test('clear removes its own namespace only, glob characters included', async (t) => {
  const ks = new Keyspace({ hz: 0 })
  const star = createKeyv(ks, { namespace: 'a*' })
  const a = createKeyv(ks, { namespace: 'ab' })
  const q = createKeyv(ks, { namespace: 'a?[x]\\' })
  for (let i = 0; i < 600; i++) await star.set(`k${i}`, 'v')
  await a.set('k', 'v')
  await q.set('k', 'v')
  ks.set('unrelated', 'v')
  await star.clear()
  t.is(await a.get('k'), 'v', "'a*' must not match 'ab:'")
  t.is(await q.get('k'), 'v')
  t.is(ks.get('unrelated'), 'v')
  t.is(ks.size, 3)
  await q.clear()
  t.deepEqual(ks.keys().sort(), ['ab:k', 'unrelated'])
  t.is(escapeGlob('a*b?[c]\\'), 'a\\*b\\?\\[c\\]\\\\')
})

test('setMany writes plain entries in one mset and timed ones with their TTL', async (t) => {
  const store = new KeyvLazyfree({ hz: 0 })
  const ks = store.keyspace
  ks.set('a', 'old', { ex: 100 })
  t.deepEqual(
    await store.setMany([
      { key: 'a', value: '1' },
      { key: 'b', value: '2', ttl: 5000 },
      { key: 'c', value: { x: 1 } },
      { key: 'a', value: '3' },
    ]),
    [true, true, true, true],
  )
  t.deepEqual(await store.getMany(['a', 'b', 'c', 'd']), ['3', '2', { x: 1 }, undefined])
  t.is(ks.pttl('a'), -1, 'the plain write cleared the old TTL')
  t.true(ks.pttl('b') > 4000)
  await t.throwsAsync(store.setMany([{ key: 'z', value: 'v', ttl: -1 }]), {
    instanceOf: RangeError,
    message: /entries\[0\]\.ttl/,
  })
  t.is(ks.exists('z'), 0)
  t.true(await store.deleteMany(['a', 'b']))
  t.false(await store.deleteMany(['c', 'nope']), 'not every key existed')
  t.deepEqual(await store.hasMany(['a', 'c']), [false, false])
})

test('bad TTLs are refused with what was wrong', async (t) => {
  const store = new KeyvLazyfree({ hz: 0 })
  await t.throwsAsync(store.set('k', 'v', -5), { instanceOf: RangeError, message: /ttl is number -5/ })
  await t.throwsAsync(store.set('k', 'v', Number.NaN), { instanceOf: RangeError })
  t.is(store.keyspace.size, 0)
  await store.set('k', 'v', 0.5)
  t.not(store.keyspace.pttl('k'), -1, 'a fraction of a millisecond is a TTL (of 1 ms), not none')
})

test('the iterator yields every entry present throughout while others come and go', async (t) => {
  const ks = new Keyspace({ hz: 0 })
  const keyv = createKeyv(ks, { namespace: 'it' })
  const other = createKeyv(ks, { namespace: 'other' })
  for (let i = 0; i < 1000; i++) await keyv.set(`old${i}`, i)
  for (let i = 0; i < 50; i++) await other.set(`x${i}`, i)
  const seen = new Map<string, unknown>()
  const removed = new Set<string>()
  let n = 0
  for await (const [key, value] of keyv.iterator!()) {
    seen.set(key, value)
    n++
    if (n % 5 === 0) {
      await keyv.set(`new${n}`, n)
      const victim = `old${(n * 7) % 1000}`
      if (await keyv.delete(victim)) removed.add(victim)
    }
  }
  for (let i = 0; i < 1000; i++) {
    if (!removed.has(`old${i}`)) t.is(seen.get(`old${i}`), i, `old${i}`)
  }
  t.false(
    [...seen.keys()].some((k) => k.startsWith('x')),
    'no key of another namespace',
  )
  t.true(removed.size > 50)
})

test('an adapter given a keyspace leaves it open; one that made its own closes it', async (t) => {
  const ks = new Keyspace({ hz: 0 })
  await new KeyvLazyfree(ks).disconnect()
  t.false(ks.closed)
  const own = new KeyvLazyfree({ hz: 0 })
  await own.disconnect()
  t.true(own.keyspace.closed)
  t.throws(() => new KeyvLazyfree({ nope: 1 } as never), { instanceOf: TypeError, message: /unknown option 'nope'/ })
})
