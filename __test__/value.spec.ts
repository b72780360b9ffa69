// NativeValue: JavaScript values in, native bytes out (docs/api.md §1).
//
// Every expectation is derived from the inputs: the bytes a scalar must
// become, the order a sorted set must come back in, and the memory estimate
// of crate/memory.rs's documented formulas are all computed here from what
// went in, never copied from what came out.
import test from 'ava'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { Dropper, NativeValue, defaultDropper, type JsValue, type Scalar } from '../index'

const RELEASED = { instanceOf: Error, code: 'ERR_LAZYFREE_RELEASED' }

// --- expectations, from the inputs -------------------------------------------

/** The bytes the contract says a scalar becomes. */
function bytesOf(s: Scalar): Buffer {
  if (typeof s === 'string') return Buffer.from(s, 'utf8')
  if (typeof s === 'number' || typeof s === 'bigint') return Buffer.from(String(s), 'utf8')
  if (s instanceof ArrayBuffer) return Buffer.from(new Uint8Array(s))
  return Buffer.from(new Uint8Array(s.buffer, s.byteOffset, s.byteLength))
}

/** Distinct byte strings of `items`, first occurrence kept, in order. */
function distinct(items: Scalar[]): Buffer[] {
  const seen = new Map<string, Buffer>()
  for (const item of items) {
    const b = bytesOf(item)
    if (!seen.has(b.toString('hex'))) seen.set(b.toString('hex'), b)
  }
  return [...seen.values()]
}

/** `[field, value]` byte pairs, a repeated field keeping its last value. */
function hashModel(pairs: Array<readonly [Scalar, Scalar]>): Map<string, [Buffer, Buffer]> {
  const map = new Map<string, [Buffer, Buffer]>()
  for (const [k, v] of pairs) map.set(bytesOf(k).toString('hex'), [bytesOf(k), bytesOf(v)])
  return map
}

/** A sorted set as Redis orders it: last score per member, then by score, then member bytes. */
function zsetModel(entries: Array<readonly [Scalar, number]>): Array<[Buffer, number]> {
  const byMember = new Map<string, [Buffer, number]>()
  for (const [m, score] of entries) byMember.set(bytesOf(m).toString('hex'), [bytesOf(m), score])
  return [...byMember.values()].sort(([ma, sa], [mb, sb]) => (sa === sb ? Buffer.compare(ma, mb) : sa < sb ? -1 : 1))
}

// crate/memory.rs: the documented estimates.
const memory = {
  string: (s: Scalar) => 16 + bytesOf(s).length,
  list: (items: Scalar[]) => 24 + items.reduce<number>((sum, i) => sum + bytesOf(i).length + 32, 0),
  set: (members: Scalar[]) => 48 + distinct(members).reduce((sum, m) => sum + m.length + 40, 0),
  hash: (pairs: Array<readonly [Scalar, Scalar]>) =>
    48 + [...hashModel(pairs).values()].reduce((sum, [k, v]) => sum + k.length + v.length + 64, 0),
  zset: (entries: Array<readonly [Scalar, number]>) => {
    const members = zsetModel(entries)
    return 80 + 104 * members.length + members.reduce((sum, [m]) => sum + m.length, 0)
  },
}

const range = (n: number, prefix = 'item-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
const utf8 = (b: Buffer) => b.toString('utf8')
/** A hash's entries in a fixed order: hashes, as in Redis, have none of their own. */
const sortedEntries = (m: unknown) => [...(m as Map<string, string>)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

// --- scalars → 'string' ------------------------------------------------------

test('a string becomes its UTF-8 bytes; length counts bytes, not characters', (t) => {
  for (const s of ['', 'plain ascii', 'héllo wörld', '日本語', 'emoji 🎉', 'nul\0inside']) {
    const v = NativeValue.from(s)
    t.is(v.kind, 'string')
    t.is(v.length, Buffer.byteLength(s, 'utf8'), JSON.stringify(s))
    t.deepEqual(v.toJS('buffer'), Buffer.from(s, 'utf8'))
    t.is(v.toJS(), s)
    t.is(v.memoryUsage, memory.string(s))
  }
})

test('strings of every length around internal buffer sizes keep all their bytes, multi-byte characters included', (t) => {
  for (const unit of ['a', 'é', '日', '🎉']) {
    for (let bytes = 240; bytes <= 270; bytes++) {
      const s = unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)))
      t.deepEqual(
        NativeValue.from(s).toJS('buffer'),
        Buffer.from(s, 'utf8'),
        `${Buffer.byteLength(s)} bytes of ${unit}`,
      )
    }
  }
  const big = '🎉x'.repeat(100_000)
  t.is(NativeValue.from(big).toJS(), big)
  // A lone surrogate has no UTF-8 form: refused, never replaced with U+FFFD
  // (two distinct strings would become the same bytes).
  t.throws(() => NativeValue.from('a\uD800b'), {
    instanceOf: TypeError,
    message: /^value is a string with a lone surrogate at index 1/,
  })
  t.deepEqual(NativeValue.from('a\uFFFDb').toJS('buffer'), Buffer.from('a\uFFFDb', 'utf8'), 'a real U+FFFD is kept')
})

test('numbers and bigints become String(n), as Redis clients send them', (t) => {
  const numbers: Array<number | bigint> = [
    0,
    -0,
    42,
    -7,
    1.5,
    -0.1,
    1e21,
    1e-7,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53 + 2),
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    0n,
    -1n,
    10n ** 30n,
    -(2n ** 64n),
  ]
  for (const n of numbers) {
    const v = NativeValue.from(n)
    t.is(v.kind, 'string')
    t.is(v.toJS(), String(n), `String(${String(n)})`)
    t.is(v.length, String(n).length)
  }
  t.deepEqual(NativeValue.from(numbers).toJS(), numbers.map(String))
})

/** Every kind of binary input, each over a slice of a larger buffer so offsets matter. */
function binaryInputs(): Array<[string, ArrayBufferView | ArrayBuffer]> {
  const backing = new ArrayBuffer(64)
  new Uint8Array(backing).forEach((_, i, a) => (a[i] = (i * 37 + 11) & 0xff))
  const pooled = Buffer.from('pooled buffer bytes') // a view into Node's shared pool, at an offset
  return [
    ['Buffer (pooled)', pooled],
    ['Buffer.alloc', Buffer.alloc(5, 0xab)],
    ['Uint8Array', new Uint8Array(backing, 3, 7)],
    ['Int8Array', new Int8Array(backing, 1, 5)],
    ['Uint8ClampedArray', new Uint8ClampedArray(backing, 2, 3)],
    ['Int16Array', new Int16Array(backing, 2, 3)],
    ['Uint16Array', new Uint16Array(backing, 4, 2)],
    ['Int32Array', new Int32Array(backing, 4, 3)],
    ['Uint32Array', new Uint32Array(backing, 8, 2)],
    ['Float32Array', new Float32Array([1.5, -2, Math.PI])],
    ['Float64Array', new Float64Array(backing, 8, 2)],
    ['BigInt64Array', new BigInt64Array([-1n, 2n ** 40n])],
    ['BigUint64Array', new BigUint64Array(backing, 16, 3)],
    ['DataView', new DataView(backing, 5, 9)],
    ['ArrayBuffer', backing.slice(10, 30)],
    ['subarray', new Uint8Array(backing).subarray(40)],
    ['empty Uint8Array', new Uint8Array(0)],
    ['empty ArrayBuffer', new ArrayBuffer(0)],
  ]
}

test('Buffers, every TypedArray, DataViews and ArrayBuffers are copied byte for byte', (t) => {
  for (const [name, input] of binaryInputs()) {
    const expected = bytesOf(input)
    const v = NativeValue.from(input)
    t.is(v.kind, 'string', name)
    t.is(v.length, expected.length, name)
    t.deepEqual(v.toJS('buffer'), expected, name)
    t.is(v.memoryUsage, 16 + expected.length, name)
    // A copy: changing the source afterwards changes nothing inside.
    const view =
      input instanceof ArrayBuffer
        ? new Uint8Array(input)
        : new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
    view.fill(0x5a)
    t.deepEqual(v.toJS('buffer'), expected, `${name} after the source changed`)
  }
})

test('toJS returns a fresh copy each time', (t) => {
  const v = NativeValue.from([Buffer.from('abc'), 'def'])
  const first = v.toJS('buffer') as Buffer[]
  first[0].fill(0)
  first.push(Buffer.from('extra'))
  t.deepEqual(v.toJS('buffer'), [Buffer.from('abc'), Buffer.from('def')])
  t.not(v.toJS(), v.toJS())
})

// --- collections -------------------------------------------------------------

test('an array becomes a list, order kept, each element by the scalar rules', (t) => {
  const items: Scalar[] = ['z', 'a', 3, 1.5, 10n ** 20n, Buffer.from('buf'), new Uint16Array([0x6968]), 'a', '', '日本']
  const v = NativeValue.from(items)
  t.is(v.kind, 'list')
  t.is(v.length, items.length)
  t.deepEqual(v.toJS('buffer'), items.map(bytesOf))
  t.deepEqual(
    v.toJS(),
    items.map((i) => utf8(bytesOf(i))),
  )
  t.is(v.memoryUsage, memory.list(items))
  t.deepEqual(NativeValue.from([]).toJS(), [])
  t.is(NativeValue.from([]).memoryUsage, memory.list([]))
})

test('a Set becomes a set; members equal as bytes collapse', (t) => {
  const members: Scalar[] = ['a', Buffer.from('a'), new Uint8Array([0x61]), 1, '1', 1n, 'b', 'é', Buffer.from('é')]
  const expected = distinct(members)
  const v = NativeValue.from(new Set(members))
  t.is(v.kind, 'set')
  t.is(v.length, expected.length)
  const out = v.toJS()
  t.true(out instanceof Set)
  t.deepEqual([...(out as Set<string>)].sort(), expected.map(utf8).sort())
  const outBuffers = [...(v.toJS('buffer') as Set<Buffer>)]
  t.true(outBuffers.every((b) => Buffer.isBuffer(b)))
  t.deepEqual(outBuffers.sort(Buffer.compare), [...expected].sort(Buffer.compare))
  t.is(v.memoryUsage, memory.set(members))
})

test('a Map becomes a hash; keys and values by the scalar rules, equal keys collapse to the last', (t) => {
  const pairs: Array<[Scalar, Scalar]> = [
    ['name', 'lazyfree'],
    [1, 2],
    [Buffer.from('bin'), new Uint8Array([1, 2, 3])],
    ['1', 'one'], // the same bytes as the key 1: the last value stays
    [10n, 1.5],
  ]
  const v = NativeValue.from(new Map(pairs))
  const model = hashModel(pairs)
  t.is(v.kind, 'hash')
  t.is(v.length, model.size)
  const out = v.toJS() as Map<string, string>
  t.true(out instanceof Map)
  t.deepEqual(
    new Map([...out].sort()),
    new Map([...model.values()].map(([k, val]) => [utf8(k), utf8(val)] as [string, string]).sort()),
  )
  const outBuffers = v.toJS('buffer') as Map<Buffer, Buffer>
  t.deepEqual(
    [...outBuffers].map(([k, val]) => [k.toString('hex'), val]).sort(),
    [...model].map(([hex, [, val]]) => [hex, val]).sort(),
  )
  t.is(v.memoryUsage, memory.hash(pairs))
})

test('a plain object (Object.prototype or null prototype) becomes a hash of its own enumerable string keys', (t) => {
  const record = { b: 'two', a: 1, 'with space': Buffer.from('x'), 7: 7n }
  const v = NativeValue.from(record)
  t.is(v.kind, 'hash')
  t.deepEqual(
    [...(v.toJS() as Map<string, string>)].sort(),
    Object.entries(record)
      .map(([k, val]) => [k, utf8(bytesOf(val))])
      .sort(),
  )
  t.is(v.memoryUsage, memory.hash(Object.entries(record)))

  const bare = Object.create(null) as Record<string, Scalar>
  bare.only = 'field'
  const fromBare = NativeValue.from(bare)
  t.is(fromBare.kind, 'hash')
  t.deepEqual(fromBare.toJS(), new Map([['only', 'field']]))

  const withHidden = Object.defineProperty({ shown: 's' }, 'hidden', { value: 'h', enumerable: false })
  t.deepEqual(NativeValue.from(withHidden).toJS(), new Map([['shown', 's']]))
  t.deepEqual(NativeValue.from({}).toJS(), new Map())
})

// --- explicit constructors ---------------------------------------------------

function* generate<T>(items: T[]): Generator<T> {
  yield* items
}

test('NativeValue.string takes any one scalar', (t) => {
  for (const s of [
    'text',
    Buffer.from([0, 255]),
    new Float64Array([2.5]),
    new ArrayBuffer(3),
    12.25,
    99n,
  ] as Scalar[]) {
    const v = NativeValue.string(s)
    t.is(v.kind, 'string')
    t.deepEqual(v.toJS('buffer'), bytesOf(s))
  }
  t.throws(() => NativeValue.string(['a'] as unknown as Scalar), { instanceOf: TypeError, message: /^s is an array/ })
  t.throws(() => NativeValue.string(null as unknown as Scalar), { instanceOf: TypeError, message: /^s is null/ })
})

test('NativeValue.list takes an array or any iterable, in order', (t) => {
  const items = ['c', 'a', 'b', 'a']
  t.deepEqual(NativeValue.list(items).toJS(), items)
  t.deepEqual(NativeValue.list(generate(items)).toJS(), items)
  t.deepEqual(NativeValue.list(new Set(items)).toJS(), [...new Set(items)])
  t.deepEqual(NativeValue.list(new Map(items.map((i, n) => [i, n])).keys()).toJS(), [...new Set(items)])
  t.is(NativeValue.list(generate(items)).kind, 'list')
  t.throws(() => NativeValue.list('abc' as unknown as string[]), {
    instanceOf: TypeError,
    message: /^items is a string/,
  })
  t.throws(() => NativeValue.list(generate(['ok', null as unknown as string])), {
    instanceOf: TypeError,
    message: /^items\[1\] is null/,
  })
})

test('NativeValue.set takes a Set, an array or any iterable; equal bytes collapse', (t) => {
  const members: Scalar[] = ['x', 'y', Buffer.from('x'), 'z', 'y']
  const expected = distinct(members).map(utf8).sort()
  for (const source of [members, new Set(members), generate(members)]) {
    const v = NativeValue.set(source)
    t.is(v.kind, 'set')
    t.deepEqual([...(v.toJS() as Set<string>)].sort(), expected)
    t.is(v.length, expected.length)
  }
  t.throws(() => NativeValue.set(7 as unknown as Scalar[]), { instanceOf: TypeError, message: /^members is/ })
})

test('NativeValue.hash takes a Map, a record or [field, value] pairs; a repeated field keeps its last value', (t) => {
  const pairs: Array<[string, Scalar]> = [
    ['f1', 'v1'],
    ['f2', 2],
    ['f1', 'v1-again'],
  ]
  const expected = new Map([...hashModel(pairs).values()].map(([k, v]) => [utf8(k), utf8(v)]))
  for (const source of [pairs, generate(pairs), new Map(pairs), Object.fromEntries(pairs)]) {
    const v = NativeValue.hash(source)
    t.is(v.kind, 'hash')
    t.deepEqual(sortedEntries(v.toJS()), sortedEntries(expected), 'field order is unspecified, as in Redis')
    t.is(v.length, expected.size)
    t.is(v.memoryUsage, memory.hash(pairs))
  }
  t.throws(
    () =>
      NativeValue.hash([
        ['f', 'v'],
        ['g', null],
      ] as unknown as Array<[string, string]>),
    {
      instanceOf: TypeError,
      message: /^entries\[1\]\[1\] is null/,
    },
  )
})

test('NativeValue.zset: [member, score] pairs from any iterable, Redis order, last score wins', (t) => {
  const entries: Array<[Scalar, number]> = [
    ['b', 2],
    ['a', 2], // equal score: ordered by member bytes
    ['B', 2], // 'B' (0x42) sorts before 'a' (0x61)
    ['é', 2], // multi-byte UTF-8 sorts after ASCII
    [Buffer.from([0xff]), 2],
    ['low', -Infinity],
    ['high', Infinity],
    ['mid', 0.5],
    ['moved', -100],
    [7, 3],
    ['moved', 1e9], // a repeated member keeps its last score
  ]
  const model = zsetModel(entries)
  for (const source of [entries, generate(entries), new Map(entries)]) {
    const v = NativeValue.zset(source)
    t.is(v.kind, 'zset')
    t.is(v.length, model.length)
    t.deepEqual(v.toJS('buffer'), model)
    t.deepEqual(
      v.toJS(),
      model.map(([m, s]) => [utf8(m), s]),
    )
    t.is(v.memoryUsage, memory.zset(entries))
  }
  const scores = (NativeValue.zset(entries).toJS() as Array<[string, number]>).map(([, s]) => s)
  t.is(scores[0], -Infinity)
  t.is(scores[scores.length - 1], Infinity)
})

test('a NaN score is a TypeError naming entries[i][1]; other non-numbers too', (t) => {
  t.throws(
    () =>
      NativeValue.zset([
        ['a', 1],
        ['b', 2],
        ['c', NaN],
      ]),
    {
      instanceOf: TypeError,
      message: /^entries\[2\]\[1\] is NaN/,
    },
  )
  t.throws(() => NativeValue.zset(generate([['a', NaN] as [string, number]])), {
    instanceOf: TypeError,
    message: /^entries\[0\]\[1\] is NaN/,
  })
  for (const bad of ['1', 1n, null, undefined]) {
    t.throws(
      () =>
        NativeValue.zset([
          ['a', 1],
          ['b', bad as unknown as number],
        ]),
      {
        instanceOf: TypeError,
        message: /^entries\[1\]\[1\] is /,
      },
    )
  }
  t.throws(() => NativeValue.zset([[null as unknown as string, 1]]), {
    instanceOf: TypeError,
    message: /^entries\[0\]\[0\] is null/,
  })
  t.throws(() => NativeValue.zset(5 as unknown as Array<[string, number]>), {
    instanceOf: TypeError,
    message: /^entries is/,
  })
})

// --- memory estimates --------------------------------------------------------

test('memoryUsage follows the documented formula of each kind', (t) => {
  const items = range(200).concat(['日本語', ''])
  t.is(NativeValue.from(items.join(',')).memoryUsage, memory.string(items.join(',')))
  t.is(NativeValue.list(items).memoryUsage, memory.list(items))
  t.is(NativeValue.set(items.concat(items)).memoryUsage, memory.set(items))
  const pairs = items.map((k, i) => [k, `value-${i * 7}`] as const)
  t.is(NativeValue.hash(pairs).memoryUsage, memory.hash(pairs))
  const entries = items.map((m, i) => [m, i / 3] as const)
  t.is(NativeValue.zset(entries).memoryUsage, memory.zset(entries))
})

// --- release -----------------------------------------------------------------

/** A value of each collection kind holding exactly `n` elements. */
function collections(n: number): Record<'list' | 'set' | 'hash' | 'zset', () => NativeValue> {
  const items = range(n)
  return {
    list: () => NativeValue.list(items),
    set: () => NativeValue.set(items),
    hash: () => NativeValue.hash(items.map((k) => [k, k] as const)),
    zset: () => NativeValue.zset(items.map((m, i) => [m, i])),
  }
}

test('release() hands a large collection (65+ elements) to the thread: true', (t) => {
  for (const [kind, make] of Object.entries(collections(65))) {
    const v = make()
    t.is(v.length, 65)
    t.true(v.release(), kind)
    t.true(v.released)
    t.false(v.release(), `${kind}: a second call does nothing`)
  }
})

test('release() frees a small value inline: false; a second call: false', (t) => {
  for (const [kind, make] of Object.entries(collections(64))) {
    const v = make()
    t.false(v.release(), kind)
    t.true(v.released)
    t.false(v.release())
  }
  const big = NativeValue.from('x'.repeat(1 << 20))
  t.false(big.release(), 'a string is never large')
  t.true(big.released)
})

test('release(dropper) uses that dropper and its threshold', async (t) => {
  const dropper = new Dropper({ threshold: 3 })
  t.teardown(() => dropper.close())
  const large = NativeValue.from(['a', 'b', 'c', 'd'])
  const usage = large.memoryUsage
  t.true(large.release(dropper))
  t.false(NativeValue.from(['a', 'b', 'c']).release(dropper))
  await dropper.drain()
  const s = dropper.stats()
  t.is(s.deferred, 1)
  t.is(s.freed, 1)
  t.is(s.inlineSmall, 1)
  t.is(s.freedBytes, usage)
})

test('a released value keeps its kind; length and memoryUsage are 0; toJS throws ERR_LAZYFREE_RELEASED', (t) => {
  const values = [
    NativeValue.from('text'),
    ...Object.values(collections(100)).map((make) => make()),
    ...Object.values(collections(2)).map((make) => make()),
  ]
  for (const v of values) {
    const kind = v.kind
    t.true(v.length > 0)
    t.true(v.memoryUsage > 0)
    t.false(v.released)
    v.release()
    t.true(v.released)
    t.is(v.kind, kind)
    t.is(v.length, 0)
    t.is(v.memoryUsage, 0)
    const error = t.throws(() => v.toJS(), RELEASED)
    t.false(error instanceof TypeError)
    t.throws(() => v.toJS('buffer'), RELEASED)
  }
})

// --- bad input ---------------------------------------------------------------

class Custom {
  field = 'x'
}

/** Values that are never scalars, with a word their description must contain. */
const notScalars: Array<[string, unknown, RegExp]> = [
  ['null', null, /null/],
  ['undefined', undefined, /undefined/],
  ['true', true, /boolean/],
  ['false', false, /boolean/],
  ['a symbol', Symbol('s'), /symbol/],
  ['a function', () => 1, /function/],
  ['NaN', NaN, /NaN/],
  ['Infinity', Infinity, /Infinity/],
  ['-Infinity', -Infinity, /-Infinity/],
  ['a Date', new Date(0), /Date/],
  ['a class instance', new Custom(), /Custom/],
  ['a RegExp', /re/, /RegExp/],
  ['a boxed string', Object('s'), /String/],
]

/** Containers that are fine at the top but never inside a collection. */
const nested: Array<[string, unknown, RegExp]> = [
  ['an array', ['a'], /array/],
  ['an object', { a: 'b' }, /object/],
  ['a Map', new Map([['a', 'b']]), /Map/],
  ['a Set', new Set(['a']), /Set/],
]

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Where a bad part can sit, the input that puts it there, and the path the message must name. */
const positions: Array<[string, (bad: unknown) => unknown]> = [
  ['value[3]', (bad) => ['a', 'b', 'c', bad, 'e']],
  [
    'value.get("k")',
    (bad) =>
      new Map<unknown, unknown>([
        ['ok', 'fine'],
        ['k', bad],
      ]),
  ],
  ['value.key', (bad) => ({ ok: 'fine', key: bad })],
  ['value["a b"]', (bad) => ({ ok: 'fine', 'a b': bad })],
  [
    '[...value.keys()][1]',
    (bad) =>
      new Map<unknown, unknown>([
        ['ok', 'fine'],
        [bad, 'value'],
      ]),
  ],
  ['[...value][1]', (bad) => new Set<unknown>(['ok', bad])],
]

test('non-scalars at the top level are TypeErrors naming `value` and what was found', (t) => {
  for (const [name, bad, found] of notScalars) {
    const error = t.throws(
      () => NativeValue.from(bad as JsValue),
      { instanceOf: TypeError, message: /^value is / },
      name,
    )
    t.regex(error?.message ?? '', found, name)
  }
})

test('non-scalars inside collections are TypeErrors naming their path and what was found', (t) => {
  for (const [path, place] of positions) {
    for (const [name, bad, found] of [...notScalars, ...nested]) {
      const input = place(bad)
      const error = t.throws(() => NativeValue.from(input as JsValue), { instanceOf: TypeError }, `${name} at ${path}`)
      t.regex(error?.message ?? '', new RegExp(`^${escape(path)} is `), `${name} at ${path}`)
      t.regex(error?.message ?? '', found, `${name} at ${path}: ${error?.message}`)
    }
  }
})

test('sparse-array holes are TypeErrors naming the hole', (t) => {
  const sparse = ['a', 'b', 'c']
  sparse[4] = 'e' // index 3 is a hole
  t.throws(() => NativeValue.from(sparse), { instanceOf: TypeError, message: /^value\[3\] is a hole/ })
  t.throws(() => NativeValue.list(sparse), { instanceOf: TypeError, message: /^items\[3\] is a hole/ })
  t.throws(() => NativeValue.set(sparse), { instanceOf: TypeError, message: /^members\[3\] is a hole/ })
  // eslint-disable-next-line no-sparse-arrays
  t.throws(() => NativeValue.from([, 'b'] as unknown as JsValue), {
    instanceOf: TypeError,
    message: /^value\[0\] is a hole/,
  })
  // An explicit undefined is not a hole, and is refused as what it is.
  t.throws(() => NativeValue.from(['a', 'b', 'c', undefined] as unknown as JsValue), {
    instanceOf: TypeError,
    message: /^value\[3\] is undefined/,
  })
})

test('class instances are not plain objects, whatever they hold', (t) => {
  t.throws(() => NativeValue.from(new Custom() as unknown as JsValue), {
    instanceOf: TypeError,
    message: /^value is an instance of Custom/,
  })
  t.throws(() => NativeValue.from(new Date() as unknown as JsValue), { instanceOf: TypeError, message: /Date/ })
  t.throws(() => NativeValue.from(Object.create({ inherited: 'x' }) as JsValue), {
    instanceOf: TypeError,
    message: /^value is /,
  })
  t.throws(() => NativeValue.from(new SharedArrayBuffer(4) as unknown as JsValue), {
    instanceOf: TypeError,
    message: /^value is /,
  })
  t.throws(() => NativeValue.hash(new Custom() as unknown as Record<string, string>), {
    instanceOf: TypeError,
    message: /^entries is /,
  })
})

test('a Proxy is judged by its target: a proxied class instance is refused, a proxied plain object is a hash', (t) => {
  t.throws(() => NativeValue.from(new Proxy(new Date(0), {}) as unknown as JsValue), {
    instanceOf: TypeError,
    message: /^value is .*Date/,
  })
  t.throws(() => NativeValue.from(new Proxy(new Custom(), {}) as unknown as JsValue), {
    instanceOf: TypeError,
    message: /^value is .*Custom/,
  })
  t.throws(() => NativeValue.from({ ok: 'x', inner: new Proxy(new Custom(), {}) } as unknown as JsValue), {
    instanceOf: TypeError,
    message: /^value\.inner is /,
  })
  const record = { a: '1', b: 2 }
  t.deepEqual(
    sortedEntries(NativeValue.from(new Proxy(record, {})).toJS()),
    sortedEntries(
      new Map([
        ['a', '1'],
        ['b', '2'],
      ]),
    ),
  )
  t.deepEqual(NativeValue.from(new Proxy(Object.create(null), {})).toJS(), new Map())
})

test.serial('a failed conversion creates nothing and changes no counter', async (t) => {
  await defaultDropper.drain()
  const before = defaultDropper.stats()
  const large = range(500)
  for (const bad of [null, undefined, NaN, [1], new Custom()]) {
    t.throws(() => NativeValue.from([...large, bad] as JsValue), { instanceOf: TypeError })
    t.throws(
      () =>
        NativeValue.from(new Map<unknown, unknown>([...large.map((k) => [k, k] as const), ['last', bad]]) as JsValue),
      { instanceOf: TypeError },
    )
    t.throws(() => NativeValue.zset(large.map((m, i) => [m, i === 499 ? NaN : i])), { instanceOf: TypeError })
  }
  t.deepEqual(defaultDropper.stats(), before)
})

test('a failed defer of a bad JsValue leaves the dropper untouched', async (t) => {
  const dropper = new Dropper()
  t.teardown(() => dropper.close())
  const before = dropper.stats()
  t.throws(() => dropper.defer([...range(100), null] as unknown as JsValue), {
    instanceOf: TypeError,
    message: /^value\[100\] is null/,
  })
  t.throws(() => dropper.defer({ a: 'x', b: undefined } as unknown as JsValue), {
    instanceOf: TypeError,
    message: /^value\.b is undefined/,
  })
  t.throws(() => dropper.defer(true as unknown as JsValue), { instanceOf: TypeError, message: /^value is a boolean/ })
  await dropper.drain()
  t.deepEqual(dropper.stats(), before)
})

test('bad arguments to toJS and release are TypeErrors and leave the value usable', async (t) => {
  const items = range(80)
  const v = NativeValue.from(items)
  t.throws(() => v.toJS('latin1' as 'utf8'), { instanceOf: TypeError, message: /encoding/ })
  t.throws(() => v.toJS(null as unknown as 'utf8'), { instanceOf: TypeError, message: /encoding/ })
  for (const notADropper of [null, {}, 'defaultDropper', 1, NativeValue.from('x')]) {
    t.throws(() => v.release(notADropper as unknown as Dropper), { instanceOf: TypeError, message: /dropper/ })
  }
  t.false(v.released)
  t.is(v.length, items.length)
  t.deepEqual(v.toJS(), items)
  const dropper = new Dropper()
  t.teardown(() => dropper.close())
  t.true(v.release(dropper))
  await dropper.drain()
  t.is(dropper.stats().freed, 1)
})

// --- module entry points -----------------------------------------------------

test("require('lazyfree') (CommonJS) exposes Dropper, NativeValue and defaultDropper", (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cjs = require('lazyfree') as typeof import('../index')
  t.is(typeof cjs.Dropper, 'function')
  t.is(typeof cjs.NativeValue.from, 'function')
  t.true(cjs.defaultDropper instanceof cjs.Dropper)
  const v = cjs.NativeValue.from(['x', 'y'])
  t.deepEqual(v.toJS(), ['x', 'y'])
  t.false(v.release(cjs.defaultDropper))
})

test('import() of index.mjs exposes the same objects as require', async (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cjs = require('lazyfree') as typeof import('../index')
  const entry = '../index.mjs'
  const esm = (await import(entry)) as typeof import('../index')
  t.is(esm.Dropper, cjs.Dropper)
  t.is(esm.NativeValue, cjs.NativeValue)
  t.is(esm.defaultDropper, cjs.defaultDropper)
})

test("a real ES module importing 'lazyfree' gets named exports and a default", async (t) => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [join(__dirname, 'fixtures', 'esm.mjs')],
      { timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  )
  t.deepEqual(JSON.parse(out), {
    named: ['Dropper', 'Keyspace', 'NativeValue', 'defaultDropper'],
    sameAsRequire: true,
    defaultIsRequire: true,
    defaultDropperIsDropper: true,
    roundTrip: ['a', 'b'],
  })
})

test('a string value too long for a JavaScript string throws RangeError from toJS(), and toJS("buffer") still works', (t) => {
  // 512 MiB, the most a value may hold, is more UTF-16 units than V8 allows
  // in one string (2^29 - 24).
  const length = 2 ** 29
  const huge = NativeValue.from(Buffer.alloc(length, 0x61))
  t.throws(() => huge.toJS(), { instanceOf: RangeError, message: /too many for a JavaScript string.*toJS\('buffer'\)/ })
  t.false(huge.released)
  const copy = huge.toJS('buffer') as Buffer
  t.is(copy.length, length)
  t.is(copy[length - 1], 0x61)
  t.false(huge.release(), 'a string is never large: freed inline')
  t.true(huge.released)
})
