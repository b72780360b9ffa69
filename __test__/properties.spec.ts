// Property-based tests (fast-check): generated input, good and bad.
//
// - Valid JavaScript values of every accepted shape round-trip through
//   NativeValue.from (and the explicit constructors) and toJS() to their
//   normalised form: strings as their UTF-8 bytes (a lone surrogate becomes
//   U+FFFD, as in Buffer.from), numbers and bigints as String(n), bytes of any
//   ArrayBufferView or ArrayBuffer copied exactly (decoded as UTF-8 by toJS(),
//   kept as bytes by toJS('buffer')), Set members equal as bytes collapsed,
//   Maps and plain objects as Maps, a repeated hash field or zset member
//   keeping its last value.
// - Invalid values, injected at a random place inside a valid one, throw a
//   TypeError naming that place's path, and leave nothing behind: the default
//   dropper's and a dropper's counters are unchanged, no NativeValue passed
//   alongside is released.
// - Random Keyspace command sequences, with malformed arguments mixed in
//   (wrong types, NaN, fractions, huge counts, negative TTLs, unknown
//   options, empty and binary keys, bad values among good ones): a command
//   either succeeds or throws a TypeError, RangeError or an Error with a
//   Redis error code, and one that throws changes nothing.
//
// FC_SEED replays a run; FC_RUNS changes the number of cases.
import test from 'ava'
import fc from 'fast-check'
import { deepStrictEqual, throws } from 'node:assert'
import * as lazyfree from '../index'
import { Dropper, Keyspace, NativeValue, defaultDropper, type Scalar } from '../index'

const RUNS = Number(process.env.FC_RUNS ?? 200)
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED)
const params = (numRuns = RUNS) => ({ numRuns, ...(SEED === undefined ? {} : { seed: SEED }) })

// --- expectations --------------------------------------------------------------

/** The bytes the contract says a scalar becomes. */
function bytesOf(s: Scalar): Buffer {
  if (typeof s === 'string') return Buffer.from(s, 'utf8')
  if (typeof s === 'number' || typeof s === 'bigint') return Buffer.from(String(s), 'utf8')
  if (s instanceof ArrayBuffer) return Buffer.from(new Uint8Array(s))
  return Buffer.from(new Uint8Array(s.buffer, s.byteOffset, s.byteLength))
}
const text = (s: Scalar) => bytesOf(s).toString('utf8')
const hex = (b: Buffer) => b.toString('hex')

/** Distinct byte strings, first occurrence kept. */
function distinct(items: Scalar[]): Buffer[] {
  const seen = new Map<string, Buffer>()
  for (const item of items) if (!seen.has(hex(bytesOf(item)))) seen.set(hex(bytesOf(item)), bytesOf(item))
  return [...seen.values()]
}

/** field hex -> value hex, a repeated field keeping its last value. */
function hashModel(pairs: Array<readonly [Scalar, Scalar]>): Map<string, string> {
  return new Map(pairs.map(([k, v]) => [hex(bytesOf(k)), hex(bytesOf(v))]))
}

/** Redis order: last score per member, then by score, then member bytes. -0 is 0. */
function zsetModel(entries: Array<readonly [Scalar, number]>): Array<[string, number]> {
  const byMember = new Map<string, [Buffer, number]>()
  for (const [m, score] of entries) byMember.set(hex(bytesOf(m)), [bytesOf(m), score])
  return [...byMember.values()]
    .sort(([ma, sa], [mb, sb]) => (sa === sb ? Buffer.compare(ma, mb) : sa < sb ? -1 : 1))
    .map(([m, s]) => [hex(m), s === 0 ? 0 : s])
}

// --- arbitraries ---------------------------------------------------------------

/** Whether a string is well-formed UTF-16 (no lone surrogate). */
const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
/** Strings mixing lone surrogates with text; those with one are refused (below). */
const surrogateStrings = fc.string({
  unit: fc.constantFrom('\uD800', '\uDFFF', 'a', 'é', '\uFFFD', '\u0000'),
  maxLength: 6,
})
const strings = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }).filter(wellFormed),
  surrogateStrings.filter(wellFormed),
)
const numbers = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.maxSafeInteger())
const bytes = fc.uint8Array({ maxLength: 16 })
/** The same bytes as one of every kind of binary a scalar may be. */
const binaries = fc.tuple(bytes, fc.nat(6)).map(([u8, kind]): Scalar => {
  const padded = new Uint8Array(u8.length + 3)
  padded.set(u8, 3)
  switch (kind) {
    case 0:
      return Buffer.from(u8)
    case 1:
      return u8
    case 2:
      return u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength) as ArrayBuffer
    case 3:
      return new DataView(padded.buffer, 3, u8.length) // a view that does not start at 0
    case 4:
      return padded.subarray(3)
    case 5:
      return new Uint16Array(padded.buffer.slice(0, padded.length & ~1))
    default:
      return new Float64Array(padded.buffer.slice(0, padded.length & ~7))
  }
})
const scalars: fc.Arbitrary<Scalar> = fc.oneof(strings, numbers, fc.bigInt(), binaries)
/** Scalars whose UTF-8 text is exact (no invalid bytes): for comparing decoded output. */
const textScalars: fc.Arbitrary<Scalar> = fc.oneof(fc.string({ maxLength: 12 }), numbers, fc.bigInt())
const objectKeys = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('__proto__', 'constructor', '0', '1e3', 'two words', 'é'),
)

// --- round trips -----------------------------------------------------------------

test('scalars round-trip: UTF-8 text, String(n), bytes copied exactly', (t) => {
  fc.assert(
    fc.property(scalars, (s) => {
      const v = NativeValue.from(s)
      deepStrictEqual(v.kind, 'string')
      deepStrictEqual(v.length, bytesOf(s).length)
      deepStrictEqual(hex(v.toJS('buffer') as Buffer), hex(bytesOf(s)))
      deepStrictEqual(v.toJS(), text(s))
      deepStrictEqual(NativeValue.string(s).toJS(), text(s))
      v.release()
    }),
    params(),
  )
  t.pass()
})

test('a string with a lone surrogate is refused with a TypeError, never stored as U+FFFD', (t) => {
  fc.assert(
    fc.property(
      surrogateStrings.filter((s) => !wellFormed(s)),
      fc.nat(3),
      (bad, i) => {
        const items: Scalar[] = ['a', 'b', 'c']
        items.splice(i, 0, bad)
        throws(
          () => NativeValue.from(bad),
          (e: Error) => e instanceof TypeError && e.message.startsWith('value is a string with a lone surrogate'),
        )
        throws(
          () => NativeValue.from(items),
          (e: Error) =>
            e instanceof TypeError &&
            e.message.startsWith(`value[${Math.min(i, 3)}] is a string with a lone surrogate`),
        )
        const ks = new Keyspace()
        throws(() => ks.set(bad, 'v'), TypeError)
        throws(() => ks.set('k', bad), TypeError)
        deepStrictEqual(ks.size, 0)
        ks.close()
      },
    ),
    params(),
  )
  t.pass()
})

test('arrays (and any iterable, for list()) round-trip as lists, in order', (t) => {
  fc.assert(
    fc.property(fc.array(scalars, { maxLength: 40 }), (items) => {
      for (const v of [NativeValue.from(items), NativeValue.list(items), NativeValue.list(items.values())]) {
        deepStrictEqual(v.kind, 'list')
        deepStrictEqual(v.length, items.length)
        deepStrictEqual(
          (v.toJS('buffer') as Buffer[]).map(hex),
          items.map((s) => hex(bytesOf(s))),
        )
        deepStrictEqual(v.toJS(), items.map(text))
      }
    }),
    params(),
  )
  t.pass()
})

test('Sets round-trip as sets: members equal as bytes collapse', (t) => {
  fc.assert(
    fc.property(fc.array(scalars, { maxLength: 40 }), (members) => {
      const unique = distinct(members)
      for (const v of [
        NativeValue.from(new Set(members)),
        NativeValue.set(members),
        NativeValue.set(new Set(members)),
      ]) {
        deepStrictEqual(v.kind, 'set')
        deepStrictEqual(v.length, unique.length)
        const out = v.toJS('buffer') as Set<Buffer>
        deepStrictEqual([...out].map(hex).sort(), unique.map(hex).sort())
        deepStrictEqual(v.toJS(), new Set(unique.map((b) => b.toString('utf8'))))
      }
    }),
    params(),
  )
  t.pass()
})

test('Maps, plain objects and pair lists round-trip as hashes (Map out, last value wins)', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(scalars, scalars), { maxLength: 30 }),
      fc.array(fc.tuple(objectKeys, textScalars), { maxLength: 20 }),
      fc.boolean(),
      (pairs, entries, nullProto) => {
        // A Map first keeps one entry per JS key (at its first position, with
        // its last value); then fields equal as bytes collapse, the last in
        // iteration order winning. A pair list goes straight to the second step.
        const viaMap = hashModel([...new Map(pairs)])
        const cases: Array<[NativeValue, Map<string, string>]> = [
          [NativeValue.from(new Map(pairs)), viaMap],
          [NativeValue.hash(new Map(pairs)), viaMap],
          [NativeValue.hash(pairs), hashModel(pairs)],
        ]
        for (const [v, model] of cases) {
          deepStrictEqual(v.kind, 'hash')
          deepStrictEqual(v.length, model.size)
          const out = v.toJS('buffer') as Map<Buffer, Buffer>
          deepStrictEqual(new Map([...out].map(([k, x]) => [hex(k), hex(x)])), model)
        }
        // A plain object (either prototype): own string keys, as a Map of text.
        const object = Object.fromEntries(entries) as Record<string, Scalar>
        const source = nullProto ? Object.assign(Object.create(null), object) : object
        const v = NativeValue.from(source)
        const out = v.toJS() as Map<string, string>
        deepStrictEqual(out instanceof Map, true)
        deepStrictEqual(
          new Map([...out].sort()),
          new Map(
            Object.entries(object)
              .map(([k, x]): [string, string] => [text(k), text(x)])
              .sort(),
          ),
        )
      },
    ),
    params(),
  )
  t.pass()
})

test('zsets round-trip in Redis order (score, then member bytes), a repeated member keeping its last score', (t) => {
  const scores = fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -5, max: 5 }))
  fc.assert(
    fc.property(fc.array(fc.tuple(scalars, scores), { maxLength: 30 }), (entries) => {
      const v = NativeValue.zset(entries)
      const model = zsetModel(entries)
      deepStrictEqual(v.kind, 'zset')
      deepStrictEqual(v.length, model.length)
      const out = (v.toJS('buffer') as Array<[Buffer, number]>).map(([m, s]): [string, number] => [
        hex(m),
        s === 0 ? 0 : s,
      ])
      deepStrictEqual(out, model)
      const decoded = (v.toJS() as Array<[string, number]>).map(([m]) => m)
      deepStrictEqual(
        decoded,
        model.map(([m]) => Buffer.from(m, 'hex').toString('utf8')),
      )
    }),
    params(),
  )
  t.pass()
})

// --- invalid input -----------------------------------------------------------

class Thing {}
/** What may not enter native memory anywhere, and how a message names it. */
const BAD: Array<[string, () => unknown]> = [
  ['null', () => null],
  ['undefined', () => undefined],
  ['true', () => true],
  ['a symbol', () => Symbol('s')],
  ['a function', () => () => 1],
  ['NaN', () => NaN],
  ['Infinity', () => Infinity],
  ['-Infinity', () => -Infinity],
  ['a nested array', () => ['x']],
  ['a nested object', () => ({ a: 'x' })],
  ['a Date', () => new Date(0)],
  ['a class instance', () => new Thing()],
  ['a Map', () => new Map()],
]
const bad = fc.nat(BAD.length - 1).map((i) => ({ what: BAD[i][0], value: BAD[i][1]() }))

/** `root.key` for an identifier key, `root["key"]` otherwise (as crate/glue/convert.rs names it). */
function propertyPath(root: string, key: string): string {
  if (/^[\p{Alphabetic}_$][\p{Alphabetic}\p{N}_$]*$/u.test(key)) return `${root}.${key}`
  return `${root}[${quote(key)}]`
}
function quote(s: string): string {
  let out = '"'
  for (const c of s) {
    if (c === '"') out += '\\"'
    else if (c === '\\') out += '\\\\'
    else if (c === '\n') out += '\\n'
    else if (c.codePointAt(0)! < 0x20) out += `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`
    else out += c
  }
  return out + '"'
}

interface Case {
  /** Builds the input with the bad part in it. */
  input: unknown
  /** The path the message must name. */
  path: string
  /** The call under test. */
  call: (input: unknown) => unknown
}

/** A valid container of some shape with one bad part at a random place. */
const invalidCases: fc.Arbitrary<Case> = fc
  .tuple(
    fc.array(textScalars, { maxLength: 8 }),
    fc.nat(),
    bad,
    fc.constantFrom(
      'array',
      'list',
      'hole',
      'set',
      'setArray',
      'mapValue',
      'mapKey',
      'object',
      'pairValue',
      'zsetScore',
      'zsetMember',
      'top',
    ),
    fc.uniqueArray(fc.string({ unit: 'grapheme-ascii', maxLength: 6 }), { minLength: 1, maxLength: 6 }),
  )
  .map(([good, n, b, shape, keys]): Case => {
    const at = n % (good.length + 1)
    const withBad = [...good.slice(0, at), b.value, ...good.slice(at)] as unknown[]
    const from = (x: unknown) => NativeValue.from(x as never)
    switch (shape) {
      case 'array':
        return { input: withBad, path: `value[${at}]`, call: from }
      case 'list':
        return { input: withBad, path: `items[${at}]`, call: (x) => NativeValue.list(x as never) }
      case 'hole': {
        const sparse = [...good, 'x']
        delete sparse[at]
        return { input: sparse, path: `value[${at}]`, call: from }
      }
      case 'set':
        // A Set keeps distinct JS values: the bad one's index among them.
        return {
          input: new Set(withBad),
          path: `[...value][${[...new Set(withBad)].findIndex((x) => Object.is(x, b.value))}]`,
          call: from,
        }
      case 'setArray':
        return { input: withBad, path: `members[${at}]`, call: (x) => NativeValue.set(x as never) }
      case 'mapValue': {
        const key = keys[at % keys.length]
        const map = new Map<unknown, unknown>(keys.map((k) => [k, 'ok']))
        map.set(key, b.value)
        return { input: map, path: `value.get(${quote(key)})`, call: from }
      }
      case 'mapKey': {
        const map = new Map<unknown, unknown>(keys.map((k) => [k, 'ok']))
        map.set(b.value, 'ok')
        return { input: map, path: `[...value.keys()][${keys.length}]`, call: from }
      }
      case 'object': {
        const key = keys[at % keys.length]
        const object: Record<string, unknown> = Object.fromEntries(keys.map((k) => [k, 'ok']))
        object[key] = b.value
        return { input: object, path: propertyPath('value', key), call: from }
      }
      case 'pairValue': {
        const pairs = good.map((g, i) => [g, i] as unknown[])
        pairs.splice(at, 0, ['field', b.value])
        return { input: pairs, path: `entries[${at}][1]`, call: (x) => NativeValue.hash(x as never) }
      }
      case 'zsetScore': {
        const pairs = good.map((g, i) => [g, i] as unknown[])
        // Every BAD thing is a bad score except ±Infinity, which are scores.
        const score = typeof b.value === 'number' && !Number.isNaN(b.value) ? 'not a number' : b.value
        pairs.splice(at, 0, ['member', score])
        return { input: pairs, path: `entries[${at}][1]`, call: (x) => NativeValue.zset(x as never) }
      }
      case 'zsetMember': {
        const pairs = good.map((g, i) => [g, i] as unknown[])
        pairs.splice(at, 0, [b.value, 1])
        return { input: pairs, path: `entries[${at}][0]`, call: (x) => NativeValue.zset(x as never) }
      }
      default: {
        // At the top, an array, a plain object and a Map are values; anything else is not.
        const top =
          b.value !== null && typeof b.value === 'object' && !(b.value instanceof Date || b.value instanceof Thing)
        return { input: top ? Symbol('top') : b.value, path: 'value', call: from }
      }
    }
  })

test('invalid values throw a TypeError naming the path, and change no state', (t) => {
  const dropper = new Dropper({ capacity: 8 })
  fc.assert(
    fc.property(invalidCases, ({ input, path, call }) => {
      const before = [defaultDropper.stats(), dropper.stats()]
      let error: unknown
      try {
        call(input)
      } catch (e) {
        error = e
      }
      if (!(error instanceof TypeError)) throw new Error(`expected a TypeError naming ${path}; got ${String(error)}`)
      if (!error.message.startsWith(`${path} is `)) throw new Error(`expected "${path} is ..."; got "${error.message}"`)
      // The same value handed to defer() directly: the same refusal, nothing counted.
      if (call.length === 1 && path.startsWith('value')) {
        let again: unknown
        try {
          dropper.defer(input as never)
        } catch (e) {
          again = e
        }
        if (!(again instanceof TypeError) || !again.message.startsWith(`${path} is `)) {
          throw new Error(`defer(): expected a TypeError naming ${path}; got ${String(again)}`)
        }
      }
      deepStrictEqual([defaultDropper.stats(), dropper.stats()], before)
    }),
    params(),
  )
  t.pass()
})

test('deferAll with one bad element refuses all: nothing released, nothing counted', (t) => {
  const dropper = new Dropper({ capacity: 8, threshold: 0 })
  fc.assert(
    fc.property(fc.nat(6), fc.nat(), bad, (n, pos, b) => {
      const values: unknown[] = Array.from({ length: n }, (_, i) => NativeValue.list([`v${i}`, 'x']))
      const at = pos % (n + 1)
      values.splice(at, 0, b.value)
      const before = dropper.stats()
      let error: unknown
      try {
        dropper.deferAll(values as NativeValue[])
      } catch (e) {
        error = e
      }
      if (!(error instanceof TypeError) || !error.message.startsWith(`values[${at}] is `)) {
        throw new Error(`expected a TypeError naming values[${at}]; got ${String(error)}`)
      }
      deepStrictEqual(
        values.filter((v) => v instanceof NativeValue).map((v) => (v as NativeValue).released),
        Array(n).fill(false),
      )
      deepStrictEqual(dropper.stats(), before)
    }),
    params(100),
  )
  t.pass()
})

// --- keyspace: malformed commands change nothing -----------------------------

type KeyspaceLike = Record<string, (...args: unknown[]) => unknown> & {
  info(): Record<string, number>
  keys(pattern?: string): string[]
  close(): void
}
const Keyspace = (lazyfree as Record<string, unknown>).Keyspace as (new (options?: object) => KeyspaceLike) | undefined

const KEYS = ['', 'a', 'b', 'list', 'hash', 'set', 'zset', 'str', 'n', '\u0000bin\u0001', '\uD800', 'ключ', 'a b*']
const wrong = fc.constantFrom<unknown>(
  null,
  undefined,
  true,
  NaN,
  Infinity,
  -Infinity,
  1.5,
  -1,
  0,
  2 ** 53,
  -(2 ** 63),
  1e300,
  '1',
  '',
  {},
  [],
  ['a'],
  new Map(),
  Buffer.from('a'),
  Symbol.for('k'),
  () => 1,
)
const key = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: wrong })
const member = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fc.constantFrom('x', 'y', 'z', '', '\u0000'), fc.integer({ min: -3, max: 3 })) },
  { weight: 1, arbitrary: fc.oneof(fc.constant(Buffer.from([0xff, 0])), wrong) },
)
const count = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -5, max: 5 }) }, { weight: 1, arbitrary: wrong })
/** TTLs: long ones (nothing expires while a case runs), or malformed / non-positive ones. */
const ttl = fc.oneof(fc.integer({ min: 60_000, max: 10_000_000 }), fc.constantFrom(-1, 0, -1e9), wrong)
const setOptions = fc.oneof(
  fc.constant(undefined),
  fc.record(
    { ex: ttl, px: ttl, nx: fc.oneof(fc.boolean(), wrong), xx: fc.oneof(fc.boolean(), wrong), keepTtl: fc.boolean() },
    { requiredKeys: [] },
  ),
  fc.constantFrom<unknown>({ bogus: 1 }, null, 'ex', [], { ex: 10, px: 10_000 }),
)

/** [method, arguments] pairs: mostly plausible, often malformed. */
const commands: fc.Arbitrary<[string, unknown[]]> = fc.oneof(
  fc.tuple(fc.constant('set'), fc.tuple(key, member, setOptions)),
  fc.tuple(
    fc.constantFrom(
      'get',
      'strlen',
      'lpop',
      'rpop',
      'llen',
      'hgetall',
      'hlen',
      'smembers',
      'scard',
      'zcard',
      'type',
      'ttl',
      'pttl',
      'persist',
      'takeValue',
    ),
    fc.tuple(key),
  ),
  fc.tuple(fc.constant('incrby'), fc.tuple(key, count)),
  fc.tuple(fc.constant('append'), fc.tuple(key, member)),
  fc.tuple(
    fc.constantFrom('lpush', 'rpush', 'sadd', 'srem', 'hdel', 'zrem'),
    fc.tuple(key).chain(([k]) => fc.array(member, { maxLength: 4 }).map((ms) => [k, ...ms])),
  ),
  fc.tuple(fc.constantFrom('lrange', 'zrange'), fc.tuple(key, count, count)),
  fc.tuple(fc.constant('lindex'), fc.tuple(key, count)),
  fc.tuple(
    fc.constant('hset'),
    fc.oneof(
      fc.tuple(key, member, member),
      fc.tuple(
        key,
        fc.constantFrom<unknown>({ f: 'v', g: 1 }, new Map([['f', 'v']]), { f: null }, {}, [['f', 'v']], 'f'),
      ),
      fc.tuple(key),
    ),
  ),
  fc.tuple(fc.constantFrom('hget', 'hexists', 'sismember', 'zscore'), fc.tuple(key, member)),
  fc.tuple(
    fc.constant('zadd'),
    fc
      .tuple(key)
      .chain(([k]) =>
        fc.array(fc.oneof(count, member, fc.double()), { minLength: 0, maxLength: 5 }).map((rest) => [k, ...rest]),
      ),
  ),
  fc.tuple(fc.constant('zincrby'), fc.tuple(key, fc.oneof(count, fc.double()), member)),
  fc.tuple(fc.constantFrom('exists', 'del', 'unlink'), fc.array(key, { maxLength: 3 })),
  fc.tuple(fc.constant('rename'), fc.tuple(key, key)),
  fc.tuple(
    fc.constant('keys'),
    fc.oneof(fc.constant([] as unknown[]), fc.tuple(fc.oneof(fc.constantFrom('*', 'a*', '[', '\\', '?'), wrong))),
  ),
  fc.tuple(fc.constantFrom('expire', 'pexpire'), fc.tuple(key, ttl)),
  fc.tuple(
    fc.constant('flush'),
    fc.tuple(fc.constantFrom<unknown>({ async: 'yes' }, { bogus: true }, null, 1, 'async')),
  ),
  fc.tuple(fc.constant('setValue'), fc.tuple(key, fc.constantFrom<unknown>('value', null, { kind: 'list' }))),
)

/** Everything a command could change, read without changing anything that matters. */
function snapshot(ks: KeyspaceLike, dropper: Dropper) {
  const data: Record<string, unknown> = {}
  for (const k of ks.keys('*').sort()) {
    const type = ks.type(k) as string
    const content =
      type === 'string'
        ? ks.get(k)
        : type === 'list'
          ? ks.lrange(k, 0, -1)
          : type === 'hash'
            ? Object.entries(ks.hgetall(k) as object).sort()
            : type === 'set'
              ? (ks.smembers(k) as string[]).sort()
              : ks.zrange(k, 0, -1, { withScores: true })
    data[JSON.stringify(k)] = { type, content, ttl: (ks.pttl(k) as number) > 0 }
  }
  const { keys, expires, used_memory, maxmemory, evicted_keys, expired_keys } = ks.info()
  const s = dropper.stats()
  return {
    data,
    info: { keys, expires, used_memory, maxmemory, evicted_keys, expired_keys },
    dropper: [s.deferred, s.inlineSmall, s.inlineFull, s.inlineClosed],
  }
}

/** What a refused command may throw. */
function acceptable(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError) return true
  const code = (error as { code?: unknown })?.code
  return error instanceof Error && typeof code === 'string' && /^(WRONGTYPE|ERR|OOM|NOTINTEGER|EXECABORT)$/.test(code)
}

;(Keyspace ? test : test.skip)(
  'random keyspace commands with malformed arguments: refused ones throw a contract error and change nothing',
  async (t) => {
    const KS = Keyspace!
    const runs = Math.max(20, Math.floor(RUNS / 2))
    let refused = 0
    let succeeded = 0
    await fc.assert(
      fc.asyncProperty(fc.array(commands, { minLength: 1, maxLength: 40 }), fc.boolean(), async (sequence, limited) => {
        const dropper = new Dropper({ capacity: 4, threshold: 2 })
        const ks = new KS({ dropper, hz: 0, ...(limited ? { maxMemory: 4096, evictionPolicy: 'noeviction' } : {}) })
        try {
          for (const [name, args] of sequence) {
            await dropper.drain()
            const before = snapshot(ks, dropper)
            try {
              ks[name](...args)
              succeeded++
            } catch (error) {
              refused++
              if (!acceptable(error)) {
                throw new Error(
                  `${name}(${args.map((a) => String(a)).join(', ')}) threw ${String(error)} (${(error as { code?: string })?.code})`,
                )
              }
              await dropper.drain()
              const after = snapshot(ks, dropper)
              try {
                deepStrictEqual(after, before)
              } catch {
                throw new Error(
                  `${name}(${args.map((a) => String(a)).join(', ')}) threw ${String(error)} but changed the keyspace`,
                )
              }
            }
          }
        } finally {
          ks.close()
          await dropper.close()
        }
      }),
      params(runs),
    )
    t.log(`${succeeded} commands succeeded, ${refused} were refused`)
    t.true(refused > 0 && succeeded > 0)
  },
)
