// Keyspace: the embedded Redis-style store (docs/api.md §3), command by command,
// option by option. Lazy-free routing is asserted through a dedicated
// dropper's counters; time-based behaviour (expiry) is asserted by polling
// for the outcome with a deadline.
import test from 'ava'
import { createRequire } from 'node:module'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Dropper, Keyspace, NativeValue, type KeyspaceOptions } from '../index'
import { keyspaceSettings } from '../src/keyspace-options'

const WRONGTYPE = {
  instanceOf: Error,
  code: 'WRONGTYPE',
  message: 'WRONGTYPE Operation against a key holding the wrong kind of value',
}
const OOM = { instanceOf: Error, code: 'OOM' }

function err(message: string) {
  return { instanceOf: Error, code: 'ERR', message: `ERR ${message}` }
}

/** A keyspace with its own dropper, so counters belong to this test alone. */
function fresh(options: KeyspaceOptions = {}): { ks: Keyspace; dropper: Dropper } {
  const dropper = new Dropper()
  const ks = new Keyspace({ dropper, ...options })
  return { ks, dropper }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** `n` distinct members: a collection of more than 64 is large. */
const many = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (condition()) return true
    await sleep(20)
  }
  return condition()
}

// --- construction -------------------------------------------------------------

test('options are checked: types, names, ranges', (t) => {
  t.throws(() => new Keyspace(null as never), { instanceOf: TypeError })
  t.throws(() => new Keyspace({ maxmemory: 1 } as never), {
    instanceOf: TypeError,
    message: /unknown option 'maxmemory'/,
  })
  t.throws(() => new Keyspace({ maxMemory: -1 }), { instanceOf: RangeError })
  t.throws(() => new Keyspace({ maxMemory: 1.5 }), { instanceOf: RangeError })
  t.throws(() => new Keyspace({ maxMemory: '12xb' }), { instanceOf: RangeError, message: /maxMemory/ })
  t.throws(() => new Keyspace({ maxMemory: true } as never), { instanceOf: TypeError })
  t.throws(() => new Keyspace({ evictionPolicy: 'allkeys-lfu' } as never), {
    instanceOf: RangeError,
    message: /allkeys-lru/,
  })
  t.throws(() => new Keyspace({ evictionPolicy: 1 } as never), { instanceOf: TypeError })
  t.throws(() => new Keyspace({ lazyfree: { lazy: true } } as never), { instanceOf: TypeError })
  t.throws(() => new Keyspace({ lazyfree: { userDel: 'yes' } } as never), { instanceOf: TypeError })
  t.throws(() => new Keyspace({ dropper: {} } as never), { instanceOf: TypeError, message: /Dropper/ })
  t.throws(() => new Keyspace({ returnBuffers: 1 } as never), { instanceOf: TypeError })
  t.throws(() => new Keyspace({ hz: 501 }), { instanceOf: RangeError })
  t.throws(() => new Keyspace({ hz: 1.5 }), { instanceOf: RangeError })
})

test('maxMemory takes bytes or Redis units', (t) => {
  const cases: Array<[number | string, number]> = [
    [0, 0],
    [12345, 12345],
    ['10', 10],
    ['10b', 10],
    ['1k', 1000],
    ['100kb', 100 * 1024],
    ['3m', 3e6],
    ['512mb', 512 * 1024 * 1024],
    ['1g', 1e9],
    ['2gb', 2 * 1024 ** 3],
    ['2GB', 2 * 1024 ** 3],
  ]
  for (const [maxMemory, bytes] of cases) {
    const ks = new Keyspace({ maxMemory, hz: 0 })
    t.is(ks.info().maxmemory, bytes, String(maxMemory))
    ks.close()
  }
})

// --- strings -------------------------------------------------------------------

test('set and get, with every option', (t) => {
  const { ks } = fresh()
  t.true(ks.set('k', 'v'))
  t.is(ks.get('k'), 'v')
  t.is(ks.get('missing'), null)
  t.false(ks.set('k', 'w', { nx: true }))
  t.false(ks.set('new', 'w', { xx: true }))
  t.is(ks.exists('new'), 0)
  t.true(ks.set('k', 'w', { xx: true }))
  t.true(ks.set('n', 'x', { nx: true }))
  t.true(ks.set('k', 'v', { ex: 100 }))
  t.is(ks.ttl('k'), 100)
  t.true(ks.set('k', 'v', { px: 5000 }))
  t.true(ks.pttl('k') > 4000 && ks.pttl('k') <= 5000)
  t.true(ks.set('k', 'kept', { keepTtl: true }))
  t.true(ks.pttl('k') > 4000)
  t.true(ks.set('k', 'cleared'))
  t.is(ks.ttl('k'), -1)
  // Scalars by the contract's rules.
  ks.set('n', 42)
  t.is(ks.get('n'), '42')
  ks.set('b', 12345678901234567890n)
  t.is(ks.get('b'), '12345678901234567890')
  ks.set('buf', Buffer.from([0x68, 0x69]))
  t.is(ks.get('buf'), 'hi')
  ks.set('u8', new Uint8Array([0x6f, 0x6b]))
  t.is(ks.get('u8'), 'ok')
})

test('set refuses what Redis refuses, and bad arguments', (t) => {
  const { ks } = fresh()
  ks.set('k', 'v')
  for (const o of [{ ex: 0 }, { ex: -1 }, { px: 0 }, { px: -100 }]) {
    t.throws(() => ks.set('k', 'x', o), err("invalid expire time in 'set' command"))
  }
  t.throws(() => ks.set('k', 'x', { nx: true, xx: true }), err('syntax error'))
  t.throws(() => ks.set('k', 'x', { ex: 1, px: 1 }), err('syntax error'))
  t.throws(() => ks.set('k', 'x', { ex: 1, keepTtl: true }), err('syntax error'))
  t.throws(() => ks.set('k', 'x', { ex: 1.5 }), { instanceOf: RangeError })
  t.throws(() => ks.set('k', 'x', { ex: '1' } as never), { instanceOf: TypeError })
  t.throws(() => ks.set('k', 'x', { nx: 1 } as never), { instanceOf: TypeError })
  t.throws(() => ks.set('k', 'x', { EX: 1 } as never), { instanceOf: TypeError, message: /unknown option 'EX'/ })
  t.throws(() => ks.set('k', null as never), { instanceOf: TypeError, message: /^value is null/ })
  t.throws(() => ks.set('k', NaN), { instanceOf: TypeError })
  t.throws(() => ks.set(1 as never, 'x'), { instanceOf: TypeError, message: /^key is/ })
  t.is(ks.get('k'), 'v', 'nothing changed')
  t.is(ks.ttl('k'), -1)
})

test('incrby, append, strlen', (t) => {
  const { ks } = fresh()
  t.is(ks.incrby('n', 5), 5)
  t.is(ks.incrby('n', -8), -3)
  t.is(ks.get('n'), '-3')
  ks.set('s', 'abc')
  t.throws(() => ks.incrby('s', 1), err('value is not an integer or out of range'))
  ks.set('big', '9223372036854775807')
  t.throws(() => ks.incrby('big', 1), err('increment or decrement would overflow'))
  t.throws(() => ks.incrby('n', 1.5), { instanceOf: RangeError })
  t.throws(() => ks.incrby('n', 2 ** 60), { instanceOf: RangeError })
  t.is(ks.append('a', 'hello'), 5)
  t.is(ks.append('a', ' wörld'), 12)
  t.is(ks.get('a'), 'hello wörld')
  t.is(ks.strlen('a'), 12)
  t.is(ks.strlen('missing'), 0)
})

test('returnBuffers replies with Buffers', (t) => {
  const ks = new Keyspace<Buffer>({ returnBuffers: true, hz: 0 })
  ks.set('k', 'v')
  t.deepEqual(ks.get('k'), Buffer.from('v'))
  ks.rpush('l', 'a', 'b')
  t.deepEqual(ks.lrange('l', 0, -1), [Buffer.from('a'), Buffer.from('b')])
  t.deepEqual(ks.lpop('l'), Buffer.from('a'))
  ks.hset('h', 'f', 'v')
  t.deepEqual(ks.hgetall('h'), { f: Buffer.from('v') })
  t.deepEqual(ks.hget('h', 'f'), Buffer.from('v'))
  ks.sadd('s', 'm')
  t.deepEqual(ks.smembers('s'), [Buffer.from('m')])
  ks.zadd('z', 1, 'a')
  t.deepEqual(ks.zrange('z', 0, -1, { withScores: true }), [[Buffer.from('a'), 1]])
  ks.close()
})

// --- keys ----------------------------------------------------------------------

test('mget answers null for missing keys and other kinds; Buffers with returnBuffers', (t) => {
  const { ks } = fresh({ hz: 0 })
  ks.set('a', '1')
  ks.rpush('l', 'x')
  t.deepEqual(ks.mget('a', 'missing', 'l', 'a'), ['1', null, null, '1'])
  t.throws(() => ks.mget(), { instanceOf: TypeError, message: 'mget needs at least one key' })
  t.throws(() => ks.mget('a', 1 as never), { instanceOf: TypeError, message: /keys\[1\]/ })
  const { ks: kb } = fresh({ hz: 0, returnBuffers: true })
  kb.set('b', Buffer.from([0xff, 0]))
  t.deepEqual((kb as unknown as Keyspace<Buffer>).mget('b', 'x'), [Buffer.from([0xff, 0]), null])
})

test('mget finds keys of every shape as get does, and names a key with a lone surrogate', (t) => {
  const { ks } = fresh({ hz: 0 })
  // ASCII, accented (two UTF-8 bytes a char), CJK (three), astral (a
  // surrogate pair, four), mixed, empty, just under the 127 units read on
  // the stack (up to 360 bytes of UTF-8), and longer (read another way):
  // each is stored by set and must be found by mget under exactly the same
  // bytes.
  const keys = [
    'key:1',
    'clé',
    '键值',
    '😀key',
    'a😀é键b',
    '',
    'mid:' + 'z'.repeat(120),
    'é'.repeat(126),
    '键'.repeat(120),
    'long:' + 'x'.repeat(200),
    'mixé' + 'y'.repeat(150),
  ]
  keys.forEach((k, i) => ks.set(k, `v${i}`))
  const asked = [...keys, 'cle', 'key:2', 'x'.repeat(205)]
  t.deepEqual(
    ks.mget(...asked),
    asked.map((k) => ks.get(k)),
  )
  t.deepEqual(
    ks.mget(...keys),
    keys.map((_, i) => `v${i}`),
  )
  for (const at of [0, 3, 8, 11]) {
    const bad = [...keys]
    bad.splice(at, 0, 'ok\udc00')
    t.throws(() => ks.mget(...bad), {
      instanceOf: TypeError,
      message: new RegExp(`^keys\\[${at}\\] is a string with a lone surrogate at index 2`),
    })
  }
  t.is(ks.size, keys.length, 'a refused mget changed nothing')
})

test('mget replies in a plain array, short or long, and a long one never overflows the stack', (t) => {
  const { ks } = fresh({ hz: 0 })
  ks.set('a', '1')
  // 300 keys build the reply in one call; 50 000 set its elements one by
  // one (a reply passed as that many arguments overflowed the stack after
  // the lookups had run).
  for (const n of [300, 50_000]) {
    const many = Array.from({ length: n }, (_, i) => (i % 2 ? 'a' : `missing${i}`))
    const reply = ks.mget(...many)
    t.true(Array.isArray(reply))
    t.is(Object.getPrototypeOf(reply), Array.prototype)
    t.deepEqual(
      reply,
      many.map((k) => (k === 'a' ? '1' : null)),
    )
  }
})

test('mset takes an object, a Map or pairs; clears TTLs; last value wins', (t) => {
  const { ks } = fresh({ hz: 0 })
  ks.set('a', 'old', { ex: 100 })
  ks.sadd('set', 'm')
  ks.mset({ a: '1', b: 2 })
  ks.mset(
    new Map<string, string | number>([
      ['c', '3'],
      ['set', 4],
    ]),
  )
  ks.mset([
    ['d', Buffer.from('4')],
    ['d', '5'],
  ])
  t.deepEqual(ks.mget('a', 'b', 'c', 'set', 'd'), ['1', '2', '3', '4', '5'])
  t.is(ks.ttl('a'), -1, 'MSET clears the TTL')
  t.is(ks.type('set'), 'string')
})

test('mset is all or nothing: a bad entry or value, or OOM, writes nothing', (t) => {
  const { ks } = fresh({ hz: 0 })
  ks.set('a', 'kept')
  t.throws(
    () =>
      ks.mset([
        ['a', 'x'],
        ['b', {} as never],
      ]),
    { instanceOf: TypeError, message: /values\[1\]/ },
  )
  t.throws(() => ks.mset([['a', 'x'], ['b']] as never), {
    instanceOf: TypeError,
    message: /entries\[1\].*\[key, value\] pair/,
  })
  t.throws(() => ks.mset([[1, 'x']] as never), { instanceOf: TypeError, message: /entries\[0\]\[0\]/ })
  t.throws(() => ks.mset('ab' as never), { instanceOf: TypeError, message: /expected a plain object, a Map/ })
  t.throws(() => ks.mset({}), { instanceOf: TypeError, message: 'mset needs at least one entry' })
  t.deepEqual(ks.mget('a', 'b'), ['kept', null])
  t.is(ks.size, 1)

  const { ks: small } = fresh({ hz: 0, maxMemory: 1000 })
  const entries = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v']))
  t.throws(() => small.mset(entries), OOM)
  t.is(small.size, 0, 'no key of the refused batch was written')
  small.mset({ k0: 'v', k1: 'v' })
  t.is(small.size, 2)
})

test('mset stores and refuses alike in a short batch and in one past the fast path', (t) => {
  // A batch of up to 2 048 pairs is spread into one call of the fast path
  // (ksMset); a longer one takes the class method. Both must store the same
  // values and refuse the same ones, by the same names.
  const long = 'x'.repeat(300)
  const mixed: Array<[string, unknown]> = [
    ['short', 'v'],
    ['long', long],
    ['text', 'é中🙂'],
    ['number', 42],
    ['bigint', 10n ** 20n],
    ['buffer', Buffer.from([0x68, 0x69])],
    ['bytes', new Uint8Array([0x6f, 0x6b])],
    ['short', 'last'],
  ]
  const expected = ['last', long, 'é中🙂', '42', '100000000000000000000', 'hi', 'ok']
  const names = ['short', 'long', 'text', 'number', 'bigint', 'buffer', 'bytes']
  const padding = (n: number): Array<[string, unknown]> => Array.from({ length: n }, (_, i) => [`pad:${i}`, i])
  for (const [label, entries] of [
    ['short batch', mixed],
    ['long batch', [...padding(3000), ...mixed]],
  ] as const) {
    const { ks } = fresh({ hz: 0 })
    ks.set('short', 'old', { ex: 100 })
    ks.mset(entries)
    t.deepEqual(ks.mget(...names), expected, label)
    t.is(ks.ttl('short'), -1, `${label}: the TTL is cleared`)
    const size = ks.size
    const at = entries.length
    for (const [bad, message] of [
      [{}, new RegExp(`^values\\[${at}\\] is an object`)],
      ['a\uD800', new RegExp(`^values\\[${at}\\] is a string with a lone surrogate at index 1.*as a Buffer$`)],
    ] as const) {
      t.throws(() => ks.mset([...entries, ['new', bad]]), { instanceOf: TypeError, message }, label)
    }
    t.is(ks.size, size, `${label}: a refused batch writes nothing`)
    t.is(ks.get('new'), null)
    ks.close()
    t.throws(() => ks.mset(mixed), { code: 'ERR_LAZYFREE_CLOSED' }, `${label}: closed`)
  }
})

test('an error a command throws is made once its keyspace is let go', (t) => {
  // Making a coded error sets its `code`, which runs a setter on
  // Error.prototype if a program put one there; that setter may use the
  // keyspace the failed command was on.
  const { ks } = fresh({ hz: 0, maxMemory: 1000 })
  ks.set('x', 'present')
  ks.rpush('list', 'a')
  const seen: string[] = []
  const original = Object.getOwnPropertyDescriptor(Error.prototype, 'code')
  let inside = false
  Object.defineProperty(Error.prototype, 'code', {
    configurable: true,
    set(this: Error, value: unknown) {
      Object.defineProperty(this, 'code', { value, configurable: true, writable: true, enumerable: true })
      if (inside) return
      inside = true
      try {
        seen.push(String(ks.get('x')))
      } catch (e) {
        seen.push(`threw ${(e as { code?: string }).code}`)
      } finally {
        inside = false
      }
    },
  })
  try {
    t.throws(() => ks.get('list'), { code: 'WRONGTYPE' })
    t.throws(() => ks.set('big', 'v'.repeat(2000)), { code: 'OOM' })
    t.throws(() => ks.mset({ a: 'v'.repeat(600), b: 'v'.repeat(600) }), { code: 'OOM' })
  } finally {
    if (original) Object.defineProperty(Error.prototype, 'code', original)
    else delete (Error.prototype as { code?: unknown }).code
  }
  t.deepEqual(seen, ['present', 'present', 'present'])
  t.deepEqual(ks.mget('big', 'a', 'b'), [null, null, null], 'the refused writes wrote nothing')
})

test('ksMset refuses what is not key, value pairs', (t) => {
  const binding = createRequire(import.meta.url)('../binding.js') as Record<string, (...args: unknown[]) => unknown> & {
    KeyspaceHandle: new (config: object, dropper: object) => { id: number; size: number }
  }
  const { config, dropper } = keyspaceSettings({ hz: 0 })
  const handle = new binding.KeyspaceHandle(config, dropper)
  const pairs = { instanceOf: TypeError, message: 'ksMset takes one or more key, value pairs' }
  t.throws(() => binding.ksMset(handle.id), pairs)
  t.throws(() => binding.ksMset(handle.id, 'a', '1', 'b'), pairs)
  t.is(handle.size, 0)
  t.throws(() => binding.ksMset(0, 'a', '1'), { code: 'ERR_LAZYFREE_CLOSED' })
  binding.ksMset(handle.id, 'a', '1', 'b', 2)
  t.deepEqual(binding.ksMget(handle.id, 'a', 'b'), ['1', '2'])
})

test('scan walks every key once when nothing changes, about count slots per call', (t) => {
  const { ks } = fresh({ hz: 0 })
  for (let i = 0; i < 95; i++) ks.set(`key:${i}`, 'v')
  ks.rpush('list', 'x')
  const walk = (options?: { count?: number }) => {
    const seen: string[] = []
    let cursor = 0
    let calls = 0
    do {
      const [next, keys] = ks.scan(cursor, options)
      seen.push(...keys)
      cursor = next
      calls++
    } while (cursor !== 0)
    return { seen, calls }
  }
  const { seen, calls } = walk({ count: 8 })
  t.deepEqual(seen.sort(), ks.keys().sort())
  t.is(new Set(seen).size, 96)
  // A call covers 8 slots of a table between 2/5 and 4/5 full: 96 keys take
  // 128 to 256 slots, so 16 to 32 calls.
  t.true(calls >= 16 && calls <= 32, `${calls} calls`)
  // Defaults: count 10.
  t.is(walk().calls, walk({ count: 10 }).calls)
})

test('scan filters with match and type', (t) => {
  const { ks } = fresh({ hz: 0 })
  ks.mset({ 'user:1': 'a', 'user:2': 'b', 'user*3': 'c', other: 'd' })
  ks.sadd('user:set', 'm')
  const all = (options: object) => {
    const out: string[] = []
    let cursor = 0
    do {
      const [next, keys] = ks.scan(cursor, options)
      out.push(...keys)
      cursor = next
    } while (cursor !== 0)
    return out.sort()
  }
  t.deepEqual(all({ match: 'user:*' }), ['user:1', 'user:2', 'user:set'])
  t.deepEqual(all({ match: 'user\\**' }), ['user*3'])
  t.deepEqual(all({ type: 'set' }), ['user:set'])
  t.deepEqual(all({ match: 'user:*', type: 'string', count: 1 }), ['user:1', 'user:2'])
})

test('scan returns every key present throughout while keys come and go', (t) => {
  const { ks } = fresh({ hz: 0 })
  for (let i = 0; i < 500; i++) ks.set(`old:${i}`, 'v')
  const removed = new Set<string>()
  const seen = new Set<string>()
  let cursor = 0
  let n = 0
  do {
    const [next, keys] = ks.scan(cursor, { count: 7 })
    keys.forEach((k) => seen.add(k))
    cursor = next
    // Between calls: add three keys and remove two old ones.
    for (let j = 0; j < 3; j++) ks.set(`new:${n++}`, 'v')
    for (const victim of [`old:${(n * 7) % 500}`, `old:${(n * 13) % 500}`]) {
      if (ks.del(victim) === 1) removed.add(victim)
    }
  } while (cursor !== 0)
  for (let i = 0; i < 500; i++) {
    const k = `old:${i}`
    if (!removed.has(k)) t.true(seen.has(k), `${k} was present throughout`)
  }
  t.true(removed.size > 50)
})

test('scan refuses bad cursors and options', (t) => {
  const { ks } = fresh({ hz: 0 })
  t.throws(() => ks.scan(-1), { instanceOf: RangeError, message: /cursor is -1/ })
  t.throws(() => ks.scan(1.5), { instanceOf: RangeError })
  t.throws(() => ks.scan('0' as never), { instanceOf: TypeError })
  t.throws(() => ks.scan(0, { count: 0 }), { instanceOf: RangeError, message: /options.count is 0/ })
  t.throws(() => ks.scan(0, { type: 'stream' as never }), {
    instanceOf: RangeError,
    message: /options.type is 'stream'/,
  })
  t.throws(() => ks.scan(0, { match: 1 as never }), { instanceOf: TypeError })
  t.throws(() => ks.scan(0, { cursor: 1 } as never), { instanceOf: TypeError, message: /unknown option 'cursor'/ })
  t.deepEqual(ks.scan(0), [0, []])
  ks.set('a', '1')
  // Any cursor is taken as Redis takes it (its bits select a slot); a walk
  // from it ends.
  let [cursor, keys] = ks.scan(12345)
  const seen = [...keys]
  for (let calls = 0; cursor !== 0; calls++) {
    t.true(calls < 100, 'the walk ends')
    ;[cursor, keys] = ks.scan(cursor)
    seen.push(...keys)
  }
  t.true(seen.every((k) => k === 'a'))
})

test('exists counts repeats; type names kinds; size counts keys', (t) => {
  const { ks } = fresh()
  ks.set('s', 'v')
  ks.rpush('l', 'a')
  ks.hset('h', 'f', 'v')
  ks.sadd('S', 'a')
  ks.zadd('z', 1, 'a')
  t.is(ks.exists('s', 's', 'nope', 'l'), 3)
  t.deepEqual(
    ['s', 'l', 'h', 'S', 'z', 'nope'].map((k) => ks.type(k)),
    ['string', 'list', 'hash', 'set', 'zset', 'none'],
  )
  t.is(ks.size, 5)
  t.throws(() => ks.exists(), { instanceOf: TypeError })
  t.throws(() => ks.exists('a', 2 as never), { instanceOf: TypeError, message: /keys\[1\]/ })
})

test('del and unlink return how many existed', (t) => {
  const { ks } = fresh()
  ks.set('a', '1')
  ks.set('b', '2')
  ks.set('c', '3')
  t.is(ks.del('a', 'a', 'x'), 1)
  t.is(ks.unlink('b', 'c'), 2)
  t.is(ks.size, 0)
  t.throws(() => ks.del(), { instanceOf: TypeError })
})

test('rename moves value and TTL; a missing key is ERR no such key', (t) => {
  const { ks } = fresh()
  ks.set('a', '1', { ex: 100 })
  ks.rpush('b', 'x')
  ks.rename('a', 'b')
  t.is(ks.get('b'), '1')
  t.is(ks.ttl('b'), 100)
  t.is(ks.exists('a'), 0)
  t.throws(() => ks.rename('nope', 'b'), err('no such key'))
  t.is(ks.get('b'), '1')
  t.throws(() => ks.rename('b', 5 as never), { instanceOf: TypeError, message: /^newKey/ })
})

test('keys matches Redis globs', (t) => {
  const { ks } = fresh()
  for (const k of ['user:1', 'user:2', 'user:10', 'hello', 'hallo', 'hxllo', 'a*b']) ks.set(k, 'v')
  const keys = (p?: string) => ks.keys(p).sort()
  t.deepEqual(keys(), ['a*b', 'hallo', 'hello', 'hxllo', 'user:1', 'user:10', 'user:2'])
  t.deepEqual(keys('user:?'), ['user:1', 'user:2'])
  t.deepEqual(keys('h[ae]llo'), ['hallo', 'hello'])
  t.deepEqual(keys('h[^e]llo'), ['hallo', 'hxllo'])
  t.deepEqual(keys('h[a-e]llo'), ['hallo', 'hello'])
  t.deepEqual(keys('a\\*b'), ['a*b'])
  t.deepEqual(keys('zzz*'), [])
})

test('expire, pexpire, ttl, pttl, persist', async (t) => {
  const { ks } = fresh()
  t.false(ks.expire('missing', 10))
  t.is(ks.ttl('missing'), -2)
  t.is(ks.pttl('missing'), -2)
  ks.set('k', 'v')
  t.is(ks.ttl('k'), -1)
  t.true(ks.expire('k', 10))
  t.is(ks.ttl('k'), 10)
  t.true(ks.pexpire('k', 60_000))
  const pttl = ks.pttl('k')
  t.true(pttl <= 60_000 && pttl > 50_000, String(pttl))
  t.true(ks.persist('k'))
  t.false(ks.persist('k'))
  t.is(ks.pttl('k'), -1)
  t.true(ks.pexpire('k', 30))
  t.true(await until(() => ks.get('k') === null, 2000), 'gone once expired')
  t.is(ks.info().expired_keys, 1)
  ks.set('k', 'v')
  t.true(ks.expire('k', 0), 'a TTL that is not positive deletes the key')
  t.is(ks.exists('k'), 0)
  ks.set('k', 'v')
  t.true(ks.pexpire('k', -5))
  t.is(ks.exists('k'), 0)
  t.throws(() => ks.expire('k', 1.5), { instanceOf: RangeError })
  t.throws(() => ks.expire('k', '1' as never), { instanceOf: TypeError })
  ks.set('k', 'v')
  t.throws(() => ks.expire('k', 2 ** 62), err("invalid expire time in 'expire' command"))
})

test('flush: async hands every key to the dropper in one message, sync frees here', async (t) => {
  const { ks, dropper } = fresh()
  for (let i = 0; i < 100; i++) ks.set(`k${i}`, 'v')
  ks.flush({ async: true })
  t.is(ks.size, 0)
  await dropper.drain()
  t.is(dropper.stats().deferred, 100, 'counted one value per key')
  t.is(dropper.stats().freed, 100)
  for (let i = 0; i < 10; i++) ks.set(`k${i}`, 'v')
  ks.flush({ async: false })
  t.is(ks.size, 0)
  t.is(dropper.stats().deferred, 100)
  ks.set('k', 'v')
  ks.flush()
  await dropper.drain()
  t.is(dropper.stats().deferred, 101, 'a plain flush follows lazyfree.userFlush (on)')
  const off = fresh({ lazyfree: { userFlush: false } })
  off.ks.set('k', 'v')
  off.ks.flush()
  t.is(off.dropper.stats().deferred, 0)
  t.throws(() => ks.flush({ async: 'yes' } as never), { instanceOf: TypeError })
})

// --- lists, hashes, sets, sorted sets -------------------------------------------

test('lists', (t) => {
  const { ks } = fresh()
  t.is(ks.lpush('l', 'a', 'b', 'c'), 3)
  t.is(ks.rpush('l', 'x', 'y'), 5)
  t.deepEqual(ks.lrange('l', 0, -1), ['c', 'b', 'a', 'x', 'y'])
  t.deepEqual(ks.lrange('l', -2, 100), ['x', 'y'])
  t.deepEqual(ks.lrange('l', 3, 1), [])
  t.deepEqual(ks.lrange('missing', 0, -1), [])
  t.is(ks.llen('l'), 5)
  t.is(ks.lindex('l', -1), 'y')
  t.is(ks.lindex('l', 10), null)
  t.is(ks.lpop('l'), 'c')
  t.is(ks.rpop('l'), 'y')
  t.is(ks.lpop('missing'), null)
  while (ks.lpop('l') !== null);
  t.is(ks.exists('l'), 0, 'an emptied list is removed')
  t.throws(() => ks.lpush('l'), { instanceOf: TypeError })
  t.throws(() => ks.lrange('l', 0.5, 1), { instanceOf: RangeError })
  t.throws(() => ks.rpush('l', 'ok', undefined as never), { instanceOf: TypeError, message: /values\[1\]/ })
  t.is(ks.exists('l'), 0, 'a refused push changes nothing')
})

test('hashes, both hset forms', (t) => {
  const { ks } = fresh()
  t.is(ks.hset('h', 'a', '1'), 1)
  t.is(ks.hset('h', 'a', '2'), 0)
  t.is(ks.hset('h', { b: 2, c: 3 }), 2)
  t.is(
    ks.hset(
      'h',
      new Map<string, string>([
        ['c', '30'],
        ['d', '4'],
      ]),
    ),
    1,
  )
  t.is(
    ks.hset('h', [
      ['e', '5'],
      ['e', '6'],
    ]),
    1,
    'a repeated field counts once',
  )
  t.deepEqual(ks.hgetall('h'), { a: '2', b: '2', c: '30', d: '4', e: '6' })
  t.is(ks.hget('h', 'c'), '30')
  t.is(ks.hget('h', 'zz'), null)
  t.true(ks.hexists('h', 'a'))
  t.false(ks.hexists('h', 'zz'))
  t.is(ks.hlen('h'), 5)
  t.is(ks.hdel('h', 'a', 'a', 'zz'), 1)
  t.is(ks.hdel('h', 'b', 'c', 'd', 'e'), 4)
  t.is(ks.exists('h'), 0)
  t.deepEqual(ks.hgetall('h'), {})
  ks.hset('p', '__proto__', 'x')
  const all = ks.hgetall('p')
  t.is(Object.getPrototypeOf(all), Object.prototype)
  t.deepEqual(Object.keys(all), ['__proto__'])
  t.throws(() => ks.hset('h', {}), { instanceOf: TypeError })
  t.throws(() => ks.hset('h', 'f'), { instanceOf: TypeError })
  t.throws(() => ks.hset('h', { f: null } as never), { instanceOf: TypeError, message: /fields\.f/ })
  t.throws(() => ks.hdel('h'), { instanceOf: TypeError })
})

test('sets', (t) => {
  const { ks } = fresh()
  t.is(ks.sadd('s', 'a', 'b', 'a'), 2)
  t.is(ks.sadd('s', 'b', 'c'), 1)
  t.deepEqual(ks.smembers('s').sort(), ['a', 'b', 'c'])
  t.true(ks.sismember('s', 'a'))
  t.false(ks.sismember('s', 'z'))
  t.is(ks.scard('s'), 3)
  t.is(ks.srem('s', 'a', 'z'), 1)
  t.is(ks.srem('s', 'b', 'c'), 2)
  t.is(ks.exists('s'), 0)
  t.deepEqual(ks.smembers('s'), [])
  t.throws(() => ks.sadd('s'), { instanceOf: TypeError })
})

test('sorted sets', (t) => {
  const { ks } = fresh()
  t.is(ks.zadd('z', 2, 'b', 1, 'z', 2, 'a', -Infinity, 'm'), 4)
  t.is(ks.zadd('z', 10, 'q', 3, 'z'), 1)
  t.deepEqual(ks.zrange('z', 0, -1), ['m', 'a', 'b', 'z', 'q'])
  t.deepEqual(ks.zrange('z', 0, 1, { withScores: true }), [
    ['m', -Infinity],
    ['a', 2],
  ])
  t.deepEqual(ks.zrange('z', -2, -1, { withScores: false }), ['z', 'q'])
  t.is(ks.zscore('z', 'q'), 10)
  t.is(ks.zscore('z', 'nope'), null)
  t.is(ks.zcard('z'), 5)
  t.is(ks.zincrby('z', 2.5, 'a'), 4.5)
  t.is(ks.zincrby('z', 1, 'new'), 1)
  t.is(ks.zrem('z', 'a', 'nope'), 1)
  ks.zadd('inf', Infinity, 'x')
  t.throws(() => ks.zincrby('inf', -Infinity, 'x'), err('resulting score is not a number (NaN)'))
  t.is(ks.zscore('inf', 'x'), Infinity)
  t.throws(() => ks.zadd('z', 1, 'ok', NaN, 'bad'), err('value is not a valid float'))
  t.is(ks.zscore('z', 'ok'), null, 'a refused zadd changes nothing')
  t.throws(() => ks.zadd('z', 1, 'a', 2 as never), { instanceOf: TypeError })
  t.throws(() => ks.zadd('z', '1' as never, 'a'), { instanceOf: TypeError })
  t.throws(() => ks.zrange('z', 0, -1, { scores: true } as never), { instanceOf: TypeError })
  t.is(ks.zrem('inf', 'x'), 1)
  t.is(ks.exists('inf'), 0)
})

test('every family refuses a key of another kind with WRONGTYPE', (t) => {
  const { ks } = fresh()
  ks.set('s', 'v')
  ks.rpush('l', 'a')
  t.throws(() => ks.get('l'), WRONGTYPE)
  t.throws(() => ks.append('l', 'x'), WRONGTYPE)
  t.throws(() => ks.incrby('l', 1), WRONGTYPE)
  t.throws(() => ks.strlen('l'), WRONGTYPE)
  for (const f of [
    () => ks.lpush('s', 'a'),
    () => ks.lrange('s', 0, -1),
    () => ks.lindex('s', 0),
    () => ks.llen('s'),
    () => ks.lpop('s'),
    () => ks.hset('s', 'f', 'v'),
    () => ks.hget('s', 'f'),
    () => ks.hgetall('s'),
    () => ks.hdel('s', 'f'),
    () => ks.sadd('s', 'm'),
    () => ks.smembers('s'),
    () => ks.sismember('s', 'm'),
    () => ks.zadd('s', 1, 'm'),
    () => ks.zrange('s', 0, -1),
    () => ks.zscore('s', 'm'),
    () => ks.zincrby('s', 1, 'm'),
  ]) {
    t.throws(f, WRONGTYPE)
  }
  t.is(ks.get('s'), 'v')
})

// --- native values ----------------------------------------------------------------

test('setValue moves a NativeValue in; takeValue moves it out', (t) => {
  const { ks } = fresh()
  const list = NativeValue.list(['a', 'b', 'c'])
  ks.setValue('l', list)
  t.true(list.released, 'moved, not copied')
  t.deepEqual(ks.lrange('l', 0, -1), ['a', 'b', 'c'])
  ks.expire('l', 100)
  ks.setValue('l', NativeValue.hash({ f: 'v' }))
  t.is(ks.type('l'), 'hash')
  t.is(ks.ttl('l'), -1, 'setValue clears the TTL, as set does')
  const taken = ks.takeValue('l')
  t.truthy(taken)
  t.is(taken!.kind, 'hash')
  t.deepEqual(taken!.toJS(), new Map([['f', 'v']]))
  t.is(ks.exists('l'), 0)
  t.is(ks.takeValue('l'), null)
  ks.setValue('e', NativeValue.list([]))
  t.is(ks.exists('e'), 0, 'an empty collection is not stored')
  t.throws(() => ks.setValue('x', list), { instanceOf: Error, code: 'ERR_LAZYFREE_RELEASED' })
  t.throws(() => ks.setValue('x', ['a'] as never), { instanceOf: TypeError })
})

test('setValue that does not fit leaves the NativeValue as it was', (t) => {
  const { ks } = fresh({ maxMemory: 4096 })
  const big = NativeValue.list(many(500))
  t.throws(() => ks.setValue('big', big), OOM)
  t.false(big.released)
  t.is(big.length, 500)
  t.is(ks.exists('big'), 0)
})

// --- memory, eviction, info ------------------------------------------------------------

test('noeviction refuses writes past maxMemory with OOM and changes nothing', (t) => {
  const { ks } = fresh({ maxMemory: 2000 })
  let i = 0
  let refused: unknown
  for (; i < 100; i++) {
    try {
      ks.set(`key${i}`, 'value')
    } catch (e) {
      refused = e
      break
    }
  }
  t.like(refused as object, { code: 'OOM', message: "OOM command not allowed when used memory > 'maxmemory'." })
  t.is(ks.size, i)
  t.true(ks.info().used_memory <= 2000)
  t.throws(() => ks.rpush('list', 'x'), OOM)
  t.is(ks.del('key0'), 1, 'removals are always allowed')
  t.true(ks.set('key0', 'value'))
})

test('allkeys-lru evicts to make room and never passes maxMemory', (t) => {
  const { ks } = fresh({ maxMemory: '20kb', evictionPolicy: 'allkeys-lru' })
  for (let i = 0; i < 1000; i++) {
    ks.set(`key${i}`, 'x'.repeat(i % 50))
    t.true(ks.info().used_memory <= 20 * 1024)
  }
  const info = ks.info()
  t.true(info.evicted_keys > 0)
  t.is(info.keys + info.evicted_keys, 1000)
})

test('volatile policies only evict keys with a TTL', (t) => {
  for (const evictionPolicy of ['volatile-lru', 'volatile-random', 'volatile-ttl'] as const) {
    const { ks } = fresh({ maxMemory: 3000, evictionPolicy })
    ks.set('persistent', 'v')
    for (let i = 0; i < 100; i++) ks.set(`v${i}`, 'v', { ex: 1000 + i })
    t.is(ks.get('persistent'), 'v', evictionPolicy)
    t.true(ks.info().evicted_keys > 0)
    ks.flush({ async: false })
    for (let i = 0; i < 50; i++) {
      try {
        ks.set(`p${i}`, 'v')
      } catch (e) {
        t.is((e as { code: string }).code, 'OOM', 'nothing volatile to evict')
        break
      }
    }
  }
})

test('allkeys-random evicts', (t) => {
  const { ks } = fresh({ maxMemory: 3000, evictionPolicy: 'allkeys-random' })
  for (let i = 0; i < 100; i++) ks.set(`k${i}`, 'v')
  t.true(ks.info().evicted_keys > 0)
  t.true(ks.info().used_memory <= 3000)
})

test('info reports Redis fields', async (t) => {
  const { ks } = fresh({ maxMemory: '1mb' })
  ks.set('a', '1')
  ks.set('b', '2', { ex: 100 })
  ks.get('a')
  ks.get('zz')
  ks.rpush('big', ...many(100))
  ks.unlink('big')
  await new Promise((resolve) => setImmediate(resolve))
  const info = ks.info()
  t.deepEqual(Object.keys(info).sort(), [
    'evicted_keys',
    'expired_keys',
    'expires',
    'keys',
    'keyspace_hits',
    'keyspace_misses',
    'lazyfree_pending_objects',
    'lazyfreed_objects',
    'maxmemory',
    'used_memory',
  ])
  t.like(info, { keys: 2, expires: 1, maxmemory: 1024 * 1024, keyspace_hits: 1, keyspace_misses: 1 })
  t.true(info.used_memory > 0)
  t.is(info.lazyfree_pending_objects + info.lazyfreed_objects, 1)
})

// --- lazy free routing ---------------------------------------------------------------------

test('unlink, del, overwrite, expiry and eviction go through the dropper per switch', async (t) => {
  const { ks, dropper } = fresh()
  const deferred = async () => {
    await dropper.drain()
    return dropper.stats().deferred
  }
  ks.rpush('big', ...many(100))
  ks.unlink('big')
  t.is(await deferred(), 1, 'unlink')
  ks.rpush('big', ...many(100))
  ks.del('big')
  t.is(await deferred(), 2, 'del with userDel')
  ks.sadd('big', ...many(100))
  ks.set('big', 'string now')
  t.is(await deferred(), 3, 'overwrite by set with serverDel')
  ks.del('big')
  ks.hset('big', Object.fromEntries(many(100).map((m) => [m, m])))
  ks.set('src', 'v')
  ks.rename('src', 'big')
  t.is(await deferred(), 4, 'overwrite by rename')
  ks.del('big')
  ks.zadd('big', ...many(100).flatMap((m, i) => [i, m] as [number, string]))
  ks.setValue('big', NativeValue.string('v'))
  t.is(await deferred(), 5, 'overwrite by setValue')
  ks.rpush('exp', ...many(100))
  ks.pexpire('exp', 1)
  await sleep(5)
  t.is(ks.llen('exp'), 0)
  t.is(await deferred(), 6, 'expiry with expire')
  ks.rpush('small', 'a')
  ks.del('small')
  t.is(await deferred(), 6, 'small values are freed inline')
  t.is(dropper.stats().inlineSmall >= 1, true)

  const off = fresh({
    lazyfree: { eviction: false, expire: false, serverDel: false, userDel: false, userFlush: false },
  })
  off.ks.rpush('big', ...many(100))
  off.ks.del('big')
  off.ks.sadd('big', ...many(100))
  off.ks.set('big', 'x')
  off.ks.rpush('exp', ...many(100))
  off.ks.expire('exp', 0)
  t.is(off.dropper.stats().deferred, 0, 'every switch off: freed inline')
  off.ks.rpush('big2', ...many(100))
  off.ks.unlink('big2')
  await off.dropper.drain()
  t.is(off.dropper.stats().deferred, 1, 'unlink is lazy whatever the switches say')
})

test('eviction follows lazyfree.eviction', async (t) => {
  for (const eviction of [true, false]) {
    const { ks, dropper } = fresh({ maxMemory: '60kb', evictionPolicy: 'allkeys-lru', lazyfree: { eviction } })
    ks.sadd('big', ...many(500))
    await sleep(2)
    ks.set('filler', 'x'.repeat(40 * 1024))
    t.is(ks.exists('big'), 0)
    await dropper.drain()
    t.is(dropper.stats().deferred, eviction ? 1 : 0)
  }
})

// --- active expiry, close --------------------------------------------------------------------

test('active expiry removes keys nobody touches within a second or two', async (t) => {
  const { ks } = fresh()
  for (let i = 0; i < 2000; i++) ks.set(`t${i}`, 'v', { px: 50 })
  for (let i = 0; i < 100; i++) ks.set(`p${i}`, 'v')
  t.true(await until(() => ks.size === 100, 3000), `size ${ks.size}`)
  t.is(ks.info().expired_keys, 2000)
  t.is(ks.info().expires, 0)
})

test('hz: 0 turns active expiry off', async (t) => {
  const { ks } = fresh({ hz: 0 })
  for (let i = 0; i < 100; i++) ks.set(`t${i}`, 'v', { px: 10 })
  await sleep(300)
  t.is(ks.size, 100, 'expired keys stay until touched')
  t.is(ks.get('t0'), null)
  t.is(ks.size, 99)
})

test.serial('active expiry works in slices: a backlog is cleared over many short ticks', async (t) => {
  const { ks } = fresh({ hz: 50 })
  const n = 200_000
  for (let i = 0; i < n; i++) ks.set(`t${i}`, 'v', { px: 1 })
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  const sizes = new Set<number>()
  const deadline = Date.now() + 60_000
  while (ks.size > 0 && Date.now() < deadline) {
    sizes.add(ks.size)
    await new Promise((resolve) => setImmediate(resolve))
  }
  h.disable()
  t.is(ks.size, 0)
  t.is(ks.info().expired_keys, n)
  // A slice removes what fits in about a millisecond, never the whole
  // backlog: the event loop saw the size go down step by step.
  t.true(sizes.size > 20, `${sizes.size} distinct sizes`)
  t.log(
    `${sizes.size} steps; event loop delay p50 ${(h.percentile(50) / 1e6).toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`,
  )
})

test('close stops the keyspace and hands its keys to the dropper', async (t) => {
  const { ks, dropper } = fresh()
  for (let i = 0; i < 10; i++) ks.set(`k${i}`, 'v')
  t.false(ks.closed)
  ks.close()
  ks.close()
  t.true(ks.closed)
  await dropper.drain()
  t.is(dropper.stats().deferred, 10)
  t.throws(() => ks.get('k0'), { instanceOf: Error, code: 'ERR_LAZYFREE_CLOSED' })
  t.throws(() => ks.size, { instanceOf: Error, code: 'ERR_LAZYFREE_CLOSED' })
})

test('a keyspace nobody references is collected and its keys go to its dropper', async (t) => {
  const dropper = new Dropper()
  ;(() => {
    for (let i = 0; i < 20; i++) {
      const ks = new Keyspace({ dropper, hz: 100 })
      ks.set('a', '1')
      ks.set('b', '2')
    }
  })()
  const collected = await until(() => {
    globalThis.gc?.()
    return dropper.stats().deferred === 40
  }, 10_000)
  t.true(collected, `deferred ${dropper.stats().deferred} of 40`)
  await dropper.drain()
  t.is(dropper.stats().freed, 40)
})

// --- re-entrant close ------------------------------------------------------------------------

test('close() from a getter during a command throws ERR_LAZYFREE_BUSY and changes nothing', async (t) => {
  const { ks } = fresh({ hz: 100 })
  ks.set('soon', 'v', { px: 20 })
  let inner: unknown
  const fields = {
    get f() {
      try {
        ks.close()
      } catch (e) {
        inner = e
      }
      return 'v'
    },
  }
  t.is(ks.hset('h', fields), 1, 'the command itself completes')
  t.like(inner, { code: 'ERR_LAZYFREE_BUSY' })
  t.regex((inner as Error).message, /call close\(\) after the command has returned/)
  t.false(ks.closed)
  t.is(ks.hget('h', 'f'), 'v')
  // Active expiry still runs: the key nobody touches is collected.
  t.true(await until(() => ks.info().expired_keys === 1, 3000), `expired_keys ${ks.info().expired_keys}`)
  ks.close()
  t.true(ks.closed)
})

// --- OOM without eviction --------------------------------------------------------------------

test('an oversized write throws OOM and evicts nothing', (t) => {
  const { ks } = fresh({ maxMemory: '1mb', evictionPolicy: 'allkeys-lru' })
  for (let i = 0; i < 1000; i++) ks.set(`k${i}`, 'v')
  t.throws(() => ks.set('big', Buffer.alloc(2 << 20)), OOM)
  t.is(ks.size, 1000)
  t.is(ks.info().evicted_keys, 0)
  // Under a volatile policy only keys with a TTL may go: a write that needs
  // more than they hold is refused just the same.
  // What the keys with a TTL hold in all is measured, not assumed: the
  // 500 of them are written first, into an empty keyspace.
  const v = fresh({ maxMemory: '1mb', evictionPolicy: 'volatile-lru' }).ks
  const value = 'v'.repeat(200)
  for (let i = 0; i < 500; i++) v.set(`t${i}`, value, { ex: 1000 })
  const volatileBytes = v.info().used_memory
  for (let i = 0; i < 500; i++) v.set(`k${i}`, value)
  const room = (1 << 20) - v.info().used_memory
  t.throws(() => v.set('big', Buffer.alloc(room + volatileBytes + 1000)), OOM)
  t.is(v.size, 1000)
  t.is(v.info().evicted_keys, 0)
  t.true(v.set('fits', Buffer.alloc(room + Math.floor(volatileBytes / 2))))
  t.true(v.info().evicted_keys > 0)
  t.is(v.info().expires, 500 - v.info().evicted_keys, 'only keys with a TTL were evicted')
})

// --- incrby: exact or refused ----------------------------------------------------------------

test('incrby with a number refuses a result past 2^53; with a bigint it is exact over 64 bits', (t) => {
  const { ks } = fresh()
  ks.set('n', '9007199254740991')
  const refused = t.throws(() => ks.incrby('n', 1), { instanceOf: RangeError })
  t.regex(refused.message, /9007199254740992 is not a safe integer/)
  t.regex(refused.message, /pass n as a bigint/)
  t.is(ks.get('n'), '9007199254740991', 'a refused increment changes nothing')
  t.is(ks.incrby('fresh', -Number.MAX_SAFE_INTEGER), -Number.MAX_SAFE_INTEGER)
  t.throws(() => ks.incrby('fresh', -1), { instanceOf: RangeError })
  t.is(ks.get('fresh'), String(-Number.MAX_SAFE_INTEGER))
  t.is(ks.incrby('n', -1), 9007199254740990)
  const exact: bigint = ks.incrby('n', 1n) // the overloads type the reply by n's type
  t.is(exact, 9007199254740991n)
  t.is(ks.incrby('n', 1n), 9007199254740992n)
  t.is(ks.incrby('n', 1n), 9007199254740993n)
  t.is(ks.get('n'), '9007199254740993')
  t.is(ks.incrby('m', 2n ** 63n - 1n), 9223372036854775807n)
  t.throws(() => ks.incrby('m', 1n), err('increment or decrement would overflow'))
  t.is(ks.incrby('neg', -(2n ** 63n)), -9223372036854775808n)
  t.throws(() => ks.incrby('x', 2n ** 63n), { instanceOf: RangeError, message: /64-bit/ })
  t.throws(() => ks.incrby('x', -(2n ** 63n) - 1n), { instanceOf: RangeError, message: /64-bit/ })
  t.is(ks.exists('x'), 0)
})

// --- hgetall never merges fields -------------------------------------------------------------

test('hgetall refuses to merge binary fields; hgetallMap keeps them apart', (t) => {
  const b = fresh({ returnBuffers: true }).ks as unknown as Keyspace<Buffer>
  b.hset(
    'h',
    new Map([
      [Buffer.from([0xff]), 'first'],
      [Buffer.from([0xfe]), 'second'],
    ]),
  )
  t.is(b.hlen('h'), 2)
  const e = t.throws(() => b.hgetall('h'), { instanceOf: Error, code: 'ERR_LAZYFREE_FIELD_COLLISION' })
  t.regex(e.message, /<Buffer ff> and <Buffer fe>|<Buffer fe> and <Buffer ff>/)
  t.regex(e.message, /hgetallMap\(key, \{ buffers: true \}\)/)
  const map: Map<Buffer, Buffer> = b.hgetallMap('h')
  t.is(map.size, 2)
  const entries = [...map].map(([f, v]) => [f.toString('hex'), v.toString()]).sort()
  t.deepEqual(entries, [
    ['fe', 'second'],
    ['ff', 'first'],
  ])
  // A string keyspace: { buffers: true } is the lossless read there too.
  const s = fresh().ks
  s.hset(
    'h',
    new Map<string | Buffer, string>([
      [Buffer.from([0xff]), 'first'],
      [Buffer.from([0xfe]), 'second'],
      ['plain', 'v'],
    ]),
  )
  t.throws(() => s.hgetall('h'), { code: 'ERR_LAZYFREE_FIELD_COLLISION' })
  t.throws(() => s.hgetallMap('h'), { code: 'ERR_LAZYFREE_FIELD_COLLISION' })
  const raw: Map<Buffer, Buffer> = s.hgetallMap('h', { buffers: true })
  t.is(raw.size, 3)
  t.true([...raw.values()].every((v) => Buffer.isBuffer(v)))
  // Fields that decode without collision are unchanged, binary or not.
  s.hset(
    'one',
    new Map<string | Buffer, string>([
      [Buffer.from([0xff]), 'x'],
      ['a', 'y'],
    ]),
  )
  t.deepEqual(s.hgetall('one'), { '\uFFFD': 'x', a: 'y' })
  t.deepEqual([...s.hgetallMap('one')].sort(), [
    ['a', 'y'],
    ['\uFFFD', 'x'],
  ])
  t.deepEqual(s.hgetallMap('missing'), new Map())
  t.throws(() => s.hgetallMap('h', { buffers: 1 } as never), { instanceOf: TypeError })
})

// --- strings: one 512 MiB limit, and what to do with a value too long for JS -----------------

test.serial('a value too long for a JS string says how a Keyspace can read it', (t) => {
  const { ks } = fresh()
  ks.set('k', Buffer.alloc(2 ** 29)) // 512 MiB: at the limit, and longer than V8's strings
  const e = t.throws(() => ks.get('k'), { instanceOf: RangeError })
  t.regex(e.message, /returnBuffers: true/)
  t.regex(e.message, /takeValue\(key\)/)
  t.throws(() => ks.append('k', 'x'), err('string exceeds maximum allowed size (proto-max-bulk-len)'))
  t.is(ks.strlen('k'), 2 ** 29)
  const v = ks.takeValue('k')
  if (v === null) return t.fail('takeValue found no value')
  t.is((v.toJS('buffer') as Buffer).length, 2 ** 29)
  v.release()
})

test('close() from an option getter closes fully and the command throws ERR_LAZYFREE_CLOSED', (t) => {
  const { ks, dropper } = fresh({ hz: 100 })
  ks.set('a', '1')
  const setOptions = {
    get ex() {
      ks.close()
      return 100
    },
  }
  // The write is not made on the closed keyspace's handle behind its back.
  t.throws(() => ks.set('b', '2', setOptions), { code: 'ERR_LAZYFREE_CLOSED' })
  t.true(ks.closed)
  const ks2 = new Keyspace({ dropper })
  const flushOptions = {
    get async() {
      ks2.close()
      return true
    },
  }
  t.throws(() => ks2.flush(flushOptions), { code: 'ERR_LAZYFREE_CLOSED' })
  t.true(ks2.closed)
})

test('get and set refuse a key with a lone surrogate, naming it, and accept a real U+FFFD', (t) => {
  const { ks } = fresh({ hz: 0 })
  const lone = { instanceOf: TypeError, message: /^key is a string with a lone surrogate at index 1 .*well-formed/ }
  t.throws(() => ks.set('a\ud800b', 'v'), lone)
  t.throws(() => ks.get('a\udc00b'), lone)
  t.throws(() => ks.set('x\ud83d', 'v'), {
    instanceOf: TypeError,
    message: /^key is a string with a lone surrogate at index 1 /,
  })
  t.is(ks.size, 0, 'a refused set changed nothing')
  // The UTF-8 of a lone surrogate and of U+FFFD are the same bytes: only the first is refused.
  t.true(ks.set('a\ufffdb', 'v'))
  t.is(ks.get('a\ufffdb'), 'v')
  t.true(ks.set('😀', 'emoji'))
  t.is(ks.get('😀'), 'emoji')
  ks.close()
})

test('get and set read keys and values of every length around the stack buffer, and refuse bad ones there too', (t) => {
  // Strings of up to 126 UTF-16 units are read onto the stack; longer ones
  // into the heap. Each shape is written and read back at every length
  // across that bound, as key and as value, and a lone surrogate is named
  // on both sides of it.
  const { ks } = fresh({ hz: 0 })
  const shapes: Array<[string, (n: number) => string]> = [
    ['ascii', (n) => 'k'.repeat(n)],
    ['latin1', (n) => 'é'.repeat(n)],
    ['cjk', (n) => '键'.repeat(n)],
    ['astral across the bound', (n) => 'a'.repeat(Math.max(0, n - 2)) + '😀'],
  ]
  let stored = 0
  for (const [shape, make] of shapes) {
    for (let n = 120; n <= 132; n++) {
      const key = `${make(n)}:${shape}`
      const value = make(n)
      t.true(ks.set(key, value), `${shape} ${n}`)
      stored++
      t.is(ks.get(key), value, `${shape} ${n}`)
      t.is(ks.strlen(key), Buffer.byteLength(value), `${shape} ${n}: stored as its UTF-8`)
      for (const at of [0, n - 1, n + 3]) {
        const lone = 'x'.repeat(at) + '\ud800' + 'y'.repeat(Math.max(0, n - at))
        const named = new RegExp(`^key is a string with a lone surrogate at index ${at} `)
        t.throws(() => ks.get(lone), { instanceOf: TypeError, message: named }, `get ${n} at ${at}`)
        t.throws(() => ks.set(lone, 'v'), { instanceOf: TypeError, message: named }, `set ${n} at ${at}`)
        t.throws(
          () => ks.set('k', lone),
          {
            instanceOf: TypeError,
            message: new RegExp(`^value is a string with a lone surrogate at index ${at} .*as a Buffer`),
          },
          `value ${n} at ${at}`,
        )
      }
    }
  }
  t.is(ks.size, stored, 'the refused calls stored nothing')
  // Values that are not strings take the conversion after the stack read.
  t.true(ks.set('n', 42))
  t.is(ks.get('n'), '42')
  t.true(ks.set('b', Buffer.from([0x68, 0x69])))
  t.is(ks.get('b'), 'hi')
  t.throws(() => ks.get(42 as never), { instanceOf: TypeError, message: /^key is number 42; expected a string/ })
  ks.close()
})

test('ksGetFloor makes the Node-API calls of a get and reads no keyspace', (t) => {
  type Handle = { id: number; info(): Record<string, number> }
  const binding = createRequire(import.meta.url)('../binding.js') as Record<string, (...args: unknown[]) => unknown> & {
    KeyspaceHandle: new (config: object, dropper: object) => Handle
  }
  // The facade's own settings for a keyspace, made by hand.
  const { config, dropper } = keyspaceSettings({ hz: 0 })
  const handle = new binding.KeyspaceHandle(config, dropper)
  t.true(binding.ksSet(handle.id, 'k', 'v'))
  const before = handle.info()
  // Whatever it is given (a live id, a missing key, no keyspace, no string,
  // a long key, no arguments), it makes the same 11-byte reply.
  const calls: unknown[][] = [[handle.id, 'k'], [handle.id, 'missing'], [0, 'k'], ['x', 5], [1, 'é'.repeat(300)], []]
  for (const args of calls) t.is(binding.ksGetFloor(...args), 'value:12345', JSON.stringify(args))
  t.deepEqual(handle.info(), before, 'no hit, miss or key was counted')
  t.is(binding.ksGet(handle.id, 'k'), 'v')
  t.is(handle.info().keyspace_hits, before.keyspace_hits + 1, 'the same count sees a real get')
})

test('the fast functions find a keyspace by id only while its handle lives', (t) => {
  const binding = createRequire(import.meta.url)('../binding.js') as Record<string, (...args: unknown[]) => unknown>
  const closed = { instanceOf: Error, code: 'ERR_LAZYFREE_CLOSED', message: 'this Keyspace has been closed' }
  for (const id of [0, -1, 0.5, 1e300, Number.NaN, 'x', undefined]) {
    t.throws(() => binding.ksGet(id, 'k'), closed, `id ${String(id)}`)
    t.throws(() => binding.ksSet(id, 'k', 'v'), closed, `id ${String(id)}`)
  }
  const { ks } = fresh({ hz: 0 })
  t.throws(() => ks.set('k', { no: 'scalar' } as never), { instanceOf: TypeError, message: /^value is / })
  ks.set('k', 'v')
  ks.close()
  t.throws(() => ks.set('k', 'v'), closed)
  t.throws(() => ks.get('k'), closed)
})
