// One fuzz run in this Node: seeded random JavaScript inputs through every
// entry point of lazyfree, until a time limit. scripts/fuzz.js starts one per
// Node version; this file is what runs inside each.
//
// Inputs are made from recipes (plain data fast-check generates and shrinks)
// and built twice: once for the call under test, once for a reference model
// of the contract (docs/api.md §1, written here in JavaScript with realm-proof
// checks). An outcome is accepted when
//   - the call succeeded and the reference says it should, and what was
//     stored reads back as the reference's bytes; or
//   - the call threw what the reference expects: a TypeError or RangeError
//     (the reference names which), an Error with a string `code`, or the very
//     exception the input's own code threw (a getter, a proxy trap);
// and, for a Keyspace, a command that threw changed nothing. A message that
// mentions Node-API is always a failure, and so is the process dying: the
// parent reports a crash by the child's exit.
//
// Inputs whose own code runs during conversion (getters, proxy traps) are
// "hostile": only the outcome's class and the no-change rule are checked.
//
//   node scripts/fuzz-child.js --seed 123 --seconds 20
'use strict'

const { join } = require('node:path')
const util = require('node:util')
const vm = require('node:vm')
const fc = require('fast-check')
const lazyfree = require(join(__dirname, '..'))
const { Dropper, Keyspace, NativeValue } = lazyfree

const MAX_STRING_BYTES = 512 * 1024 * 1024
const args = process.argv.slice(2)
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const seed = arg('seed', Date.now() % 2 ** 31)
const seconds = arg('seconds', 20)

// --- realms and typed array kinds ---------------------------------------------

const here = { Map, Set, Object, Array, ArrayBuffer }
const other = vm.runInContext('({ Map, Set, Object, Array, ArrayBuffer })', vm.createContext({}))
const realmOf = (name) => (name === 'other' ? other : here)

const KINDS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Float16Array',
  'DataView',
  'Buffer',
].filter((k) => typeof globalThis[k] === 'function')

/** The exception an input's own code throws. */
class FuzzError extends Error {}

// --- recipes --------------------------------------------------------------------

const strings = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom('\uD800', '\uDFFF', '\uFFFD', 'a', 'é', '\u0000', '\uD83D\uDE00'),
      maxLength: 5,
    }),
  },
)
const scalarRecipe = fc.oneof(
  { weight: 5, arbitrary: strings.map((s) => ({ t: 'str', s })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e21, 2 ** 53 + 2))
      .map((n) => ({ t: 'num', n })),
  },
  { weight: 1, arbitrary: fc.bigInt().map((n) => ({ t: 'big', n: String(n) })) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('bin'),
      kind: fc.constantFrom(...KINDS, 'ArrayBuffer', 'SharedArrayBuffer', 'resizable'),
      bytes: fc.uint8Array({ maxLength: 24 }),
      offset: fc.nat(8),
      realm: fc.constantFrom('here', 'other'),
      lie: fc.constantFrom('none', 'none', 'byteLength', 'length', 'detachGetter', 'detached'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('undefined', 'null', 'true', 'symbol', 'function')
      .map((which) => ({ t: 'prim', which })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('date', 'regexp', 'class', 'createMap', 'createSet', 'promise', 'weakmap', 'error')
      .map((which) => ({ t: 'inst', which })),
  },
)
const wrapper = fc.constantFrom('none', 'none', 'none', 'proxy', 'revoked', 'throwingTrap')
const { value: valueRecipe } = fc.letrec((tie) => ({
  value: fc.oneof(
    { weight: 90, arbitrary: scalarRecipe },
    { weight: 30, arbitrary: tie('container') },
    // Rare: each costs a 512 MiB allocation (never touched).
    { weight: 1, arbitrary: fc.constant({ t: 'huge' }) },
  ),
  element: fc.oneof({ weight: 12, arbitrary: scalarRecipe }, { weight: 1, arbitrary: tie('container') }),
  container: fc.oneof(
    fc.record({
      t: fc.constant('arr'),
      items: fc.array(tie('element'), { maxLength: 5 }),
      realm: fc.constantFrom('here', 'other'),
      wrap: wrapper,
      sparse: fc.boolean(),
    }),
    fc.record({
      t: fc.constant('set'),
      items: fc.array(tie('element'), { maxLength: 5 }),
      realm: fc.constantFrom('here', 'other'),
      wrap: wrapper,
      odd: fc.constantFrom('none', 'none', 'valuesNotFn', 'valuesReplaced'),
    }),
    fc.record({
      t: fc.constant('map'),
      entries: fc.array(fc.tuple(tie('element'), tie('element')), { maxLength: 4 }),
      realm: fc.constantFrom('here', 'other'),
      wrap: wrapper,
      odd: fc.constantFrom('none', 'none', 'keysNotFn', 'keysReplaced'),
    }),
    fc.record({
      t: fc.constant('obj'),
      entries: fc.array(fc.tuple(strings, tie('element')), { maxLength: 4 }),
      realm: fc.constantFrom('here', 'other'),
      nullProto: fc.boolean(),
      wrap: wrapper,
      getter: fc.constantFrom('none', 'none', 'none', 'throws', 'mutates'),
    }),
    fc.record({
      t: fc.constant('pairs'),
      entries: fc.array(fc.tuple(tie('element'), tie('element')), { maxLength: 4 }),
      wrap: wrapper,
    }),
  ),
}))

// --- building inputs --------------------------------------------------------------

/** Builds a recipe into a fresh value; `ctx.hostile` is set when its own code will run. */
function build(r, ctx) {
  switch (r.t) {
    case 'str':
      return r.s
    case 'num':
      return r.n
    case 'big':
      return BigInt(r.n)
    case 'prim':
      return { undefined: undefined, null: null, true: true, symbol: Symbol('s'), function: () => 1 }[r.which]
    case 'inst':
      return {
        date: () => new Date(0),
        regexp: () => /x/,
        class: () =>
          new (class Point {
            x = 1
          })(),
        createMap: () => Object.create(Map.prototype),
        createSet: () => Object.create(Set.prototype),
        promise: () => Promise.resolve(1),
        weakmap: () => new WeakMap(),
        error: () => new Error('e'),
      }[r.which]()
    case 'huge':
      return new Uint8Array(new ArrayBuffer(MAX_STRING_BYTES + 1))
    case 'bin':
      return buildBinary(r)
    case 'arr': {
      const a = realmOf(r.realm).Array.from(r.items.map((x) => build(x, ctx)))
      if (r.sparse && a.length > 0) delete a[a.length - 1]
      return wrap(a, r.wrap, ctx)
    }
    case 'set': {
      const s = new (realmOf(r.realm).Set)(r.items.map((x) => build(x, ctx)))
      if (r.odd === 'valuesNotFn') s.values = 5
      if (r.odd === 'valuesReplaced') s.values = () => [][Symbol.iterator]()
      return wrap(s, r.wrap, ctx)
    }
    case 'map': {
      const m = new (realmOf(r.realm).Map)(r.entries.map(([k, v]) => [build(k, ctx), build(v, ctx)]))
      if (r.odd === 'keysNotFn') m.keys = 'nope'
      if (r.odd === 'keysReplaced') m.keys = () => [][Symbol.iterator]()
      return wrap(m, r.wrap, ctx)
    }
    case 'obj': {
      const O = realmOf(r.realm).Object
      const o = r.nullProto ? O.create(null) : new O()
      for (const [k, v] of r.entries) o[k] = build(v, ctx)
      if (r.getter !== 'none') {
        ctx.hostile = true
        Object.defineProperty(o, 'g', {
          enumerable: true,
          get() {
            if (r.getter === 'throws') throw new FuzzError('getter')
            o[`added${Object.keys(o).length}`] = 'x'
            delete o[Object.keys(o)[0]]
            return 'got'
          },
        })
      }
      return wrap(o, r.wrap, ctx)
    }
    case 'pairs':
      return wrap(
        r.entries.map(([k, v]) => [build(k, ctx), build(v, ctx)]),
        r.wrap,
        ctx,
      )
    default:
      throw new Error(`unknown recipe ${r.t}`)
  }
}

function buildBinary(r) {
  const R = realmOf(r.realm)
  const length = r.bytes.length
  if (r.kind === 'ArrayBuffer' || r.kind === 'resizable' || r.kind === 'SharedArrayBuffer') {
    const b =
      r.kind === 'SharedArrayBuffer'
        ? new SharedArrayBuffer(length)
        : r.kind === 'resizable'
          ? new ArrayBuffer(length, { maxByteLength: length + 16 })
          : new R.ArrayBuffer(length)
    new Uint8Array(b).set(r.bytes)
    if (r.lie === 'detached' && r.kind !== 'SharedArrayBuffer') structuredClone(b, { transfer: [b] })
    return b
  }
  const buffer = new ArrayBuffer(r.offset + length + 8)
  new Uint8Array(buffer, r.offset, length).set(r.bytes)
  let view
  if (r.kind === 'DataView') view = new DataView(buffer, r.offset, length)
  else if (r.kind === 'Buffer') view = Buffer.from(buffer, r.offset, length)
  else {
    const C = globalThis[r.kind]
    const size = C.BYTES_PER_ELEMENT
    const aligned = new ArrayBuffer(r.offset * size + length + 8)
    new Uint8Array(aligned, r.offset * size, length).set(r.bytes)
    view = new C(aligned, r.offset * size, Math.floor(length / size))
  }
  if (r.lie === 'byteLength' || r.lie === 'length') Object.defineProperty(view, r.lie, { value: 4096 })
  if (r.lie === 'detachGetter') {
    // Runs only if someone reads the view's own property: conversion must not.
    Object.defineProperty(view, 'byteLength', {
      get() {
        structuredClone(view.buffer, { transfer: [view.buffer] })
        return 4096
      },
    })
  }
  if (r.lie === 'detached') structuredClone(view.buffer, { transfer: [view.buffer] })
  return view
}

function wrap(v, how, ctx) {
  if (how === 'proxy') return new Proxy(v, {})
  if (how === 'revoked') {
    const { proxy, revoke } = Proxy.revocable(v, {})
    revoke()
    return proxy
  }
  if (how === 'throwingTrap') {
    ctx.hostile = true
    const boom = () => {
      throw new FuzzError('trap')
    }
    return new Proxy(v, { get: boom, ownKeys: boom, getPrototypeOf: boom, has: boom })
  }
  return v
}

// --- the reference model (docs/api.md §1) -------------------------------------------------

/** What a reference answers when only the outcome's class is checked. */
const CLASS_ONLY = Symbol('class only')
const TYPE = { refused: 'TypeError' }
const RANGE = { refused: 'RangeError' }
class Refusal extends Error {
  constructor(kind) {
    super(kind.refused)
    this.kind = kind
  }
}
const refuse = (kind) => {
  throw new Refusal(kind)
}
const intrinsic = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype)
const taBuffer = intrinsic(typedArrayProto, 'buffer')
const taOffset = intrinsic(typedArrayProto, 'byteOffset')
const taLength = intrinsic(typedArrayProto, 'byteLength')
const dvBuffer = intrinsic(DataView.prototype, 'buffer')
const dvOffset = intrinsic(DataView.prototype, 'byteOffset')
const dvLength = intrinsic(DataView.prototype, 'byteLength')
const abLength = intrinsic(ArrayBuffer.prototype, 'byteLength')

const isWellFormed = (s) => String.prototype.isWellFormed.call(s)

function fit(bytes) {
  if (bytes.length > MAX_STRING_BYTES) refuse(RANGE)
  return bytes
}

/** A scalar's bytes (as a Buffer), or a Refusal. Never runs the input's own code. */
function refScalar(v) {
  if (typeof v === 'string') return isWellFormed(v) ? fit(Buffer.from(v, 'utf8')) : refuse(TYPE)
  if (typeof v === 'number') return Number.isFinite(v) ? Buffer.from(String(v)) : refuse(TYPE)
  if (typeof v === 'bigint') return Buffer.from(String(v))
  if (util.types.isTypedArray(v)) {
    const n = taLength.call(v) // 0 once detached
    if (n > MAX_STRING_BYTES) refuse(RANGE)
    return n === 0 ? Buffer.alloc(0) : Buffer.from(Buffer.from(taBuffer.call(v), taOffset.call(v), n))
  }
  if (util.types.isDataView(v)) {
    let n = 0
    try {
      n = dvLength.call(v)
    } catch {
      // A DataView over a detached buffer: no bytes.
    }
    if (n > MAX_STRING_BYTES) refuse(RANGE)
    return n === 0 ? Buffer.alloc(0) : Buffer.from(Buffer.from(dvBuffer.call(v), dvOffset.call(v), n))
  }
  if (util.types.isArrayBuffer(v)) {
    const n = abLength.call(v) // 0 once detached
    if (n > MAX_STRING_BYTES) refuse(RANGE)
    return n === 0 ? Buffer.alloc(0) : Buffer.from(new Uint8Array(v))
  }
  return refuse(TYPE)
}

const isObjectPrototype = (p) =>
  p !== null &&
  Object.getPrototypeOf(p) === null &&
  typeof Object.getOwnPropertyDescriptor(p, 'constructor')?.value === 'function' &&
  Function.prototype.toString.call(p.constructor) === 'function Object() { [native code] }'

const isPlain = (v) => {
  const p = Object.getPrototypeOf(v)
  return p === null || isObjectPrototype(p)
}

function methodsOk(v, names) {
  for (const n of names) if (typeof v[n] !== 'function') refuse(TYPE)
}

function elements(a) {
  const list = util.types.isProxy(a) ? Array.from(a) : a
  const out = []
  for (let i = 0; i < list.length; i++) {
    if (!(i in list)) refuse(TYPE)
    out.push(refScalar(list[i]))
  }
  return out
}

const hex = (b) => b.toString('hex')
/** A model: { kind, items } with items as hex strings (hash: [field, value] pairs). */
const model = {
  string: (b) => ({ kind: 'string', items: hex(b) }),
  list: (bs) => ({ kind: 'list', items: bs.map(hex) }),
  set: (bs) => ({ kind: 'set', items: [...new Set(bs.map(hex))].sort() }),
  hash: (pairs) => ({ kind: 'hash', items: [...new Map(pairs.map(([k, v]) => [hex(k), hex(v)]))].sort() }),
}

function refMap(v) {
  methodsOk(v, ['keys', 'values', 'entries'])
  return model.hash([...Map.prototype.entries.call(v)].map(([k, x]) => [refScalar(k), refScalar(x)]))
}
function refSet(v) {
  methodsOk(v, ['values', 'keys', 'entries'])
  return model.set([...Set.prototype.values.call(v)].map(refScalar))
}
function refObject(v) {
  return model.hash(Object.keys(v).map((k) => [refScalar(k), refScalar(v[k])]))
}
function refPairs(a) {
  const list = util.types.isProxy(a) ? Array.from(a) : a
  const out = []
  for (let i = 0; i < list.length; i++) {
    if (!(i in list)) refuse(TYPE)
    const pair = list[i]
    if (!Array.isArray(pair)) refuse(TYPE)
    const p = util.types.isProxy(pair) ? Array.from(pair) : pair
    if (p.length < 2) refuse(TYPE)
    out.push([refScalar(p[0]), refScalar(p[1])])
  }
  return model.hash(out)
}

/** NativeValue.from's rules. */
function refValue(v) {
  if (typeof v !== 'object' || v === null) return model.string(refScalar(v))
  if (Array.isArray(v)) return model.list(elements(v))
  if (util.types.isArrayBufferView(v) || util.types.isArrayBuffer(v)) return model.string(refScalar(v))
  if (util.types.isSet(v)) return refSet(v)
  if (util.types.isMap(v)) return refMap(v)
  if (isPlain(v)) return refObject(v)
  return refuse(TYPE)
}

/** The reference's answer: a model, a Refusal, or what the input's own code threw. */
function expect(f) {
  try {
    return { ok: f() }
  } catch (e) {
    if (e instanceof Refusal) return { refused: e.kind.refused }
    if (e instanceof TypeError) return { refused: 'TypeError' } // a revoked proxy, as V8 says
    return { threw: e }
  }
}

// --- running and judging ---------------------------------------------------------------

const failures = []
function fail(what, detail) {
  const e = new Error(`${what}: ${detail}`)
  e.fuzz = true
  throw e
}

/** Checks a thrown error against the reference (or, for hostile input, its class only). */
function judgeError(e, expected, hostile, what) {
  const message = String(e && e.message)
  if (/Node-API|napi_/.test(message)) fail(what, `a Node-API message escaped: ${message}`)
  if (e instanceof FuzzError) return
  const name = e && e.constructor && e.constructor.name
  const coded = e instanceof Error && typeof e.code === 'string'
  if (name !== 'TypeError' && name !== 'RangeError' && !coded) fail(what, `threw ${name}: ${message}`)
  if (hostile || expected === undefined) return
  if (expected.ok) fail(what, `threw ${name} (${message}) for an input the contract accepts`)
  if (expected.refused && !coded && name !== expected.refused)
    fail(what, `threw ${name} (${message}); expected ${expected.refused}`)
}

function asModel(kind, out) {
  if (kind === 'string') return model.string(out)
  if (kind === 'list') return model.list(out)
  if (kind === 'set') return model.set([...out])
  if (kind === 'hash') return model.hash([...out])
  return { kind, items: out.map(([m, s]) => [hex(m), s]) }
}

/** Runs `call` on a fresh build of `recipe`, judged against `reference` on another build. */
function check(what, recipe, call, reference) {
  const ctxRef = { hostile: false }
  const refInput = build(recipe, ctxRef)
  const found = ctxRef.hostile ? undefined : expect(() => reference(refInput))
  const expected = found && found.ok === CLASS_ONLY ? undefined : found
  const ctx = { hostile: false }
  const input = build(recipe, ctx)
  let result
  try {
    result = call(input)
  } catch (e) {
    if (e && e.fuzz) throw e
    judgeError(e, expected, ctx.hostile, what)
    return
  }
  if (ctx.hostile || expected === undefined || expected.ok === CLASS_ONLY) return
  if (!expected.ok)
    fail(what, `accepted an input the contract refuses (${JSON.stringify(expected.refused ?? String(expected.threw))})`)
  if (result !== undefined) {
    const got = asModel(result.kind, result.toJS('buffer'))
    const want = expected.ok
    if (JSON.stringify(got) !== JSON.stringify(want))
      fail(what, `round-trips differently: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
    result.release()
  }
}

const norm = (x) => (Buffer.isBuffer(x) ? x.toString('hex') : Array.isArray(x) ? x.map(norm) : x)

/**
 * A Keyspace's whole content, to check a refused command changed nothing:
 * [key, type, value, the milliseconds its TTL has left or -1] for every key.
 */
function snapshot(ks) {
  const out = []
  for (const k of ks.keys('*').sort()) {
    const t = ks.type(k)
    const v =
      t === 'string'
        ? ks.get(k)
        : t === 'list'
          ? ks.lrange(k, 0, -1)
          : t === 'hash'
            ? Object.entries(ks.hgetall(k)).sort()
            : t === 'set'
              ? norm(ks.smembers(k)).sort()
              : ks.zrange(k, 0, -1, { withScores: true })
    out.push([k, t, norm(v), ks.pttl(k)])
  }
  return out
}

/**
 * Whether `after` is `before` but for keys whose TTL ran out in the
 * `elapsedMs` between them: a key set with a TTL of a millisecond may expire
 * while a command runs, which is no change the command made. TTLs left are
 * not compared, only whether a key has one.
 */
function unchanged(before, after, elapsedMs) {
  const left = new Set(after.map(([k]) => k))
  const kept = before.filter(([k, , , ttl]) => left.has(k) || ttl < 0 || ttl > elapsedMs + 1)
  const shape = (entries) => JSON.stringify(entries.map(([k, t, v, ttl]) => [k, t, v, ttl >= 0]))
  return shape(kept) === shape(after)
}

const keyRecipe = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('k', 'l', 'h', 's', 'z', 'n') },
  { weight: 2, arbitrary: strings },
  { weight: 1, arbitrary: scalarRecipe.map((r) => ({ recipe: r })) },
)
const buildKey = (k, ctx) => (typeof k === 'string' ? k : build(k.recipe, ctx))
const refKey = (k) => (typeof k === 'string' && isWellFormed(k) ? k : refuse(TYPE))
const junkOptions = fc.oneof(
  fc.constant(undefined),
  fc.record(
    { ex: fc.oneof(fc.integer({ min: -2, max: 1000 }), fc.double(), fc.string()), nx: fc.boolean() },
    { requiredKeys: [] },
  ),
  fc.record({ px: fc.integer({ min: 1, max: 10_000 }), xx: fc.anything() }, { requiredKeys: [] }),
  fc.anything(),
)

const command = fc.oneof(
  fc.record({ c: fc.constant('set'), key: keyRecipe, value: valueRecipe, options: junkOptions }),
  fc.record({ c: fc.constant('append'), key: keyRecipe, value: valueRecipe }),
  fc.record({
    c: fc.constantFrom('rpush', 'lpush'),
    key: keyRecipe,
    values: fc.array(valueRecipe, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ c: fc.constant('hset'), key: keyRecipe, field: valueRecipe, value: valueRecipe }),
  fc.record({ c: fc.constant('hsetAll'), key: keyRecipe, fields: valueRecipe }),
  fc.record({ c: fc.constant('sadd'), key: keyRecipe, members: fc.array(valueRecipe, { minLength: 1, maxLength: 3 }) }),
  fc.record({
    c: fc.constant('zadd'),
    key: keyRecipe,
    score: fc.oneof(fc.double(), fc.anything()),
    member: valueRecipe,
  }),
  fc.record({ c: fc.constant('setValue'), key: keyRecipe, value: valueRecipe }),
  fc.record({
    c: fc.constant('mset'),
    pairs: fc.array(fc.tuple(keyRecipe, valueRecipe), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ c: fc.constant('mget'), keys: fc.array(keyRecipe, { minLength: 1, maxLength: 4 }) }),
  fc.record({
    c: fc.constantFrom('get', 'del', 'exists', 'type', 'keys', 'lrange', 'expire', 'rename'),
    key: keyRecipe,
    other: fc.anything(),
  }),
)

/** Runs one keyspace command on fresh inputs; checks it against the reference. */
function runCommand(ks, cmd) {
  const ctx = { hostile: false }
  const refCtx = { hostile: false }
  const before = snapshot(ks)
  const started = Date.now()
  const what = `Keyspace.${cmd.c}`
  let expected
  let read
  const invoke = () => {
    // mset and mget name their keys in their pairs and lists instead.
    const key = cmd.key === undefined ? undefined : buildKey(cmd.key, ctx)
    switch (cmd.c) {
      case 'set': {
        const value = build(cmd.value, ctx)
        const refValueIn = build(cmd.value, refCtx)
        if (cmd.options === undefined) {
          expected = expect(() => [refKey(buildKey(cmd.key, refCtx)), refScalar(refValueIn)])
          ks.set(key, value)
          read = () => [key, hex(ks.get(key))]
          return
        }
        ks.set(key, value, cmd.options)
        return
      }
      case 'append':
        ks.append(key, build(cmd.value, ctx))
        return
      case 'rpush':
      case 'lpush': {
        const values = cmd.values.map((v) => build(v, ctx))
        const refValues = cmd.values.map((v) => build(v, refCtx))
        expected = expect(() => [refKey(buildKey(cmd.key, refCtx)), refValues.map(refScalar)])
        const n = ks[cmd.c](key, ...values)
        read = () => [
          key,
          (cmd.c === 'rpush'
            ? ks.lrange(key, n - values.length, n - 1)
            : ks.lrange(key, 0, values.length - 1).reverse()
          ).map(hex),
        ]
        return
      }
      case 'hset': {
        const field = build(cmd.field, ctx)
        const value = build(cmd.value, ctx)
        const refField = build(cmd.field, refCtx)
        const refV = build(cmd.value, refCtx)
        expected = expect(() => [refKey(buildKey(cmd.key, refCtx)), refScalar(refField), refScalar(refV)])
        ks.hset(key, field, value)
        read = () => [key, hex(refScalar(refV)), hex(ks.hget(key, field))]
        return
      }
      case 'hsetAll':
        ks.hset(key, build(cmd.fields, ctx))
        return
      case 'sadd': {
        const members = cmd.members.map((v) => build(v, ctx))
        const refMembers = cmd.members.map((v) => build(v, refCtx))
        expected = expect(() => [refKey(buildKey(cmd.key, refCtx)), refMembers.map(refScalar)])
        ks.sadd(key, ...members)
        read = () => [
          key,
          refMembers.map((m) => hex(refScalar(m))),
          refMembers.map((m) => (ks.sismember(key, m) ? hex(refScalar(m)) : 'missing')),
        ]
        return
      }
      case 'zadd':
        ks.zadd(key, cmd.score, build(cmd.member, ctx))
        return
      case 'setValue': {
        const v = NativeValue.from(build(cmd.value, ctx))
        ks.setValue(key, v)
        return
      }
      case 'mset': {
        const pairs = cmd.pairs.map(([k, v]) => [buildKey(k, ctx), build(v, ctx)])
        const refPairs = cmd.pairs.map(([k, v]) => [buildKey(k, refCtx), build(v, refCtx)])
        // Every key is checked before any value is converted.
        expected = expect(() => {
          const keys = refPairs.map(([k]) => refKey(k))
          return refPairs.map(([, v], i) => [keys[i], refScalar(v)])
        })
        ks.mset(pairs)
        // Each key's last value, as stored and as the reference has it.
        read = () => {
          const last = new Map(expected.ok.map(([k, v]) => [k, hex(v)]))
          return [[...last.keys()].map((k) => hex(ks.get(k))), [...last.values()]]
        }
        return
      }
      case 'mget': {
        const keys = cmd.keys.map((k) => buildKey(k, ctx))
        expected = expect(() => cmd.keys.map((k) => refKey(buildKey(k, refCtx))))
        ks.mget(...keys)
        return
      }
      default: {
        const o = cmd.other
        if (cmd.c === 'keys') ks.keys(key)
        else if (cmd.c === 'lrange') ks.lrange(key, o, 1)
        else if (cmd.c === 'expire') ks.expire(key, o)
        else if (cmd.c === 'rename') ks.rename(key, o)
        else if (cmd.c === 'del' || cmd.c === 'exists') ks[cmd.c](key, o)
        else ks[cmd.c](key)
      }
    }
  }
  try {
    invoke()
  } catch (e) {
    if (e && e.fuzz) throw e
    const hostile = ctx.hostile || refCtx.hostile
    // WRONGTYPE and friends are coded; the reference does not model kinds.
    judgeError(e, e && typeof e.code === 'string' ? undefined : expected, hostile, what)
    if (!unchanged(before, snapshot(ks), Date.now() - started)) {
      fail(what, `threw ${e && e.message} but changed the keyspace`)
    }
    return
  }
  if (ctx.hostile || refCtx.hostile || expected === undefined) return
  if (!expected.ok)
    fail(what, `accepted arguments the contract refuses (${expected.refused ?? String(expected.threw)})`)
  if (read) {
    const got = read()
    if (cmd.c === 'set' && got[1] !== hex(expected.ok[1]))
      fail(what, `stored ${got[1]}, expected ${hex(expected.ok[1])}`)
    if (
      (cmd.c === 'rpush' || cmd.c === 'lpush') &&
      JSON.stringify(got[1]) !== JSON.stringify(expected.ok[1].map(hex))
    ) {
      fail(what, `stored ${JSON.stringify(got[1])}, expected ${JSON.stringify(expected.ok[1].map(hex))}`)
    }
    if (cmd.c === 'hset' && got[1] !== got[2]) fail(what, `hget gave ${got[2]}, expected ${got[1]}`)
    if (cmd.c === 'sadd' && JSON.stringify(got[1]) !== JSON.stringify(got[2]))
      fail(what, `members missing: ${JSON.stringify(got[2])}`)
    if (cmd.c === 'mset' && JSON.stringify(got[0]) !== JSON.stringify(got[1]))
      fail(what, `stored ${JSON.stringify(got[0])}, expected ${JSON.stringify(got[1])}`)
  }
}

// --- entry points ----------------------------------------------------------------------

const dropper = new Dropper({ capacity: 64 })
const entryPoints = {
  from: (r) => check('NativeValue.from', r, (v) => NativeValue.from(v), refValue),
  string: (r) =>
    check(
      'NativeValue.string',
      r,
      (v) => NativeValue.string(v),
      (v) => model.string(refScalar(v)),
    ),
  // list, set and zset iterate any iterable: a 512 MiB view would be
  // iterated number by number (correct, and slow), so it is left to the
  // scalar entry points.
  list: (r) =>
    r.t === 'huge' ||
    check(
      'NativeValue.list',
      r,
      (v) => NativeValue.list(v),
      (v) => {
        if (typeof v !== 'object' || v === null || typeof v[Symbol.iterator] !== 'function') refuse(TYPE)
        return model.list(Array.isArray(v) ? elements(v) : Array.from(v).map(refScalar))
      },
    ),
  set: (r) =>
    r.t === 'huge' ||
    check(
      'NativeValue.set',
      r,
      (v) => NativeValue.set(v),
      (v) => {
        if (util.types.isSet(v) && v instanceof Set) return refSet(v)
        if (typeof v !== 'object' || v === null || typeof v[Symbol.iterator] !== 'function') refuse(TYPE)
        return model.set(Array.isArray(v) ? elements(v) : Array.from(v).map(refScalar))
      },
    ),
  hash: (r) =>
    check(
      'NativeValue.hash',
      r,
      (v) => NativeValue.hash(v),
      (v) => {
        if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) refuse(TYPE)
        if (v instanceof Map) return refMap(v)
        if (typeof v[Symbol.iterator] === 'function') return refPairs(Array.from(v))
        if (util.types.isMap(v)) return refMap(v)
        if (isPlain(v)) return refObject(v)
        return refuse(TYPE)
      },
    ),
  zset: (r) =>
    r.t === 'huge' ||
    // Scores come from the recipe's values: the outcome's class is judged.
    check(
      'NativeValue.zset',
      r,
      (v) => NativeValue.zset(v),
      () => CLASS_ONLY,
    ),
  defer: (r) =>
    check(
      'Dropper.defer',
      r,
      (v) => {
        dropper.defer(v)
      },
      refValue,
    ),
  deferAll: (r) =>
    check(
      'Dropper.deferAll',
      r,
      (v) => {
        dropper.deferAll([NativeValue.from('a'), v])
      },
      () => refuse(TYPE),
    ),
}

const entryArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(fc.constantFrom(...Object.keys(entryPoints)), valueRecipe).map(([e, r]) => ({ e, r })),
  },
  { weight: 6, arbitrary: fc.array(command, { minLength: 1, maxLength: 6 }).map((cmds) => ({ e: 'keyspace', cmds })) },
)

let runs = 0
let calls = 0
const started = Date.now()
const property = fc.property(entryArb, (input) => {
  runs++
  const t0 = Date.now()
  try {
    return runOne(input)
  } finally {
    // FUZZ_SLOW=1 names inputs that take over 100 ms (the time limit is
    // only checked between inputs).
    if (process.env.FUZZ_SLOW && Date.now() - t0 > 100) {
      console.error(
        'slow',
        Date.now() - t0,
        JSON.stringify(input, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 300),
      )
    }
  }
})
function runOne(input) {
  if (input.e === 'keyspace') {
    const ks = new Keyspace({ returnBuffers: true })
    try {
      for (const cmd of input.cmds) {
        calls++
        runCommand(ks, cmd)
      }
    } finally {
      ks.close()
    }
  } else {
    calls++
    entryPoints[input.e](input.r)
  }
}

try {
  fc.assert(property, {
    seed,
    numRuns: Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: seconds * 1000,
    markInterruptAsFailure: false,
    endOnFailure: false,
  })
} catch (e) {
  const cause = e.cause ? `\nGot: ${e.cause.message}` : ''
  failures.push(`${e.message}${cause}`)
}

const summary = { node: process.version, seed, seconds, runs, calls, elapsedMs: Date.now() - started, failures }
process.stdout.write(`FUZZ-RESULT ${JSON.stringify(summary)}\n`)
dropper.close().then(() => {
  process.exitCode = failures.length ? 1 : 0
})
