// Inputs a real program can make, on every entry point (issue 9): strings
// that are not well-formed UTF-16, values from another realm and proxies,
// typed arrays whose own properties lie, the 512 MiB string limit, cloning
// and posting lazyfree objects, and two copies of the facade in one process.
//
// What only another runtime can show (Float16Array, Node 22 and 24's
// structured clone) runs in __test__/fixtures/inputs-child.js under each
// Node found in .cache/node-matrix (npm run test:node-matrix installs them).
import test from 'ava'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import vm from 'node:vm'
import { MessageChannel } from 'node:worker_threads'
import { Dropper, Keyspace, NativeValue } from '../index'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { cachedNode } = require('../scripts/nodes.js') as { cachedNode(major: number): string | null }

const MAX_STRING_BYTES = 512 * 1024 * 1024

/** A hash's entries in a fixed order (field order is unspecified). */
const sorted = (m: unknown) => [...(m as Map<string, string>)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/** What `f` throws (a DOMException is not an `Error` on every Node). */
function thrown(f: () => unknown): unknown {
  try {
    f()
  } catch (e) {
    return e
  }
  return undefined
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const lone = (path: string) => ({
  instanceOf: TypeError,
  message: new RegExp(`^${escape(path)} is a string with a lone surrogate at index \\d+`),
})

// --- item 2: strings that are not well-formed UTF-16 -------------------------

test('a lone surrogate is refused wherever a value string enters, naming its path', (t) => {
  t.throws(() => NativeValue.from('\uD800'), lone('value'))
  t.throws(() => NativeValue.string('ok\uDC00'), lone('s'))
  t.throws(() => NativeValue.from(['a', 'b', 'c', 'x\uDBFF']), lone('value[3]'))
  t.throws(() => NativeValue.list(['\uD800']), lone('items[0]'))
  t.throws(() => NativeValue.set(new Set(['a', '\uDFFF'])), lone('[...members][1]'))
  t.throws(() => NativeValue.from({ f: '\uD800' }), lone('value.f'))
  t.throws(() => NativeValue.from({ ['\uD800']: 'v' }), lone('[...Object.keys(value)][0]'))
  t.throws(() => NativeValue.from(new Map([['\uD800', 'v']])), lone('[...value.keys()][0]'))
  t.throws(() => NativeValue.from(new Map([['k', '\uD800']])), lone('value.get("k")'))
  t.throws(() => NativeValue.zset([['\uDC00', 1]]), lone('entries[0][0]'))
  const d = new Dropper()
  t.throws(() => d.defer(['\uD800']), lone('value[0]'))
  t.is(d.stats().deferred + d.stats().inlineSmall, 0)
})

test('distinct keys with lone surrogates never collide: both are refused and nothing is stored', (t) => {
  const ks = new Keyspace()
  t.throws(() => ks.set('\uD800', 'first'), lone('key'))
  t.throws(() => ks.set('\uDBFF', 'second'), lone('key'))
  t.is(ks.size, 0)
  t.throws(() => ks.get('\uD800'), lone('key'))
  t.throws(() => ks.rename('a', 'b\uDC00'), lone('newKey'))
  t.throws(() => ks.del('a', '\uD800'), lone('keys[1]'))
  t.throws(() => ks.keys('*\uD800'), lone('pattern'))
  t.throws(() => ks.set('k', 'v\uD800'), lone('value'))
  t.throws(() => ks.rpush('l', 'a', '\uD800'), lone('values[1]'))
  t.throws(() => ks.hset('h', '\uD800', 'v'), { instanceOf: TypeError, message: /lone surrogate/ })
  t.throws(() => ks.hset('h', { f: '\uD800' }), lone('fields.f'))
  t.throws(() => ks.sadd('s', '\uDFFF'), lone('members[0]'))
  t.throws(() => ks.zadd('z', 1, '\uD800'), { instanceOf: TypeError, message: /lone surrogate/ })
  t.is(ks.size, 0, 'a refused command changes nothing')
  ks.close()
})

test('a real U+FFFD is still accepted, and round-trips', (t) => {
  const s = 'a\uFFFDb'
  t.is(NativeValue.from(s).toJS(), s)
  t.deepEqual(NativeValue.from({ [s]: s }).toJS(), new Map([[s, s]]))
  const ks = new Keyspace()
  ks.set(s, s)
  t.is(ks.get(s), s)
  const pair = '\uD83D\uDE00' // a well-formed surrogate pair
  ks.set(pair, pair)
  t.is(ks.get(pair), pair)
  ks.close()
})

// --- item 8: other realms and proxies ----------------------------------------

test('Maps, Sets, plain objects and arrays from another realm convert as their kind', (t) => {
  const other = vm.createContext({})
  const map = vm.runInContext('new Map([["a", "1"], ["b", "2"]])', other)
  const set = vm.runInContext('new Set(["x", "y", "x"])', other)
  const object = vm.runInContext('({ a: "1", b: "2" })', other)
  const nullProto = vm.runInContext('Object.assign(Object.create(null), { a: "1" })', other)
  const array = vm.runInContext('["p", "q"]', other)
  t.deepEqual(sorted(NativeValue.from(map).toJS()), [
    ['a', '1'],
    ['b', '2'],
  ])
  t.deepEqual([...(NativeValue.from(set).toJS() as Set<string>)].sort(), ['x', 'y'])
  t.deepEqual(sorted(NativeValue.from(object).toJS()), [
    ['a', '1'],
    ['b', '2'],
  ])
  t.deepEqual(NativeValue.from(nullProto).toJS(), new Map([['a', '1']]))
  t.deepEqual(NativeValue.from(array).toJS(), ['p', 'q'])
  t.deepEqual(sorted(NativeValue.hash(map).toJS()), [
    ['a', '1'],
    ['b', '2'],
  ])
  t.deepEqual([...(NativeValue.set(set).toJS() as Set<string>)].sort(), ['x', 'y'])
  const ks = new Keyspace()
  t.is(ks.hset('h', object), 2)
  t.is(ks.hset('m', map), 2)
  t.deepEqual(ks.hgetall('h'), { a: '1', b: '2' })
  ks.close()
  // A class instance of the other realm is still refused.
  t.throws(() => NativeValue.from(vm.runInContext('new (class Point { constructor() { this.x = 1 } })()', other)), {
    instanceOf: TypeError,
    message: /^value is an instance of Point/,
  })
  t.throws(() => NativeValue.from(vm.runInContext('new Date(0)', other)), { instanceOf: TypeError })
})

test('a Proxy of an array converts as an array, everywhere an array is taken', (t) => {
  t.deepEqual(NativeValue.from(new Proxy(['x', 'y'], {})).toJS(), ['x', 'y'])
  t.deepEqual(NativeValue.list(new Proxy(['x'], {})).toJS(), ['x'])
  t.deepEqual(NativeValue.from(new Map([['k', 'v']])).toJS(), NativeValue.hash(new Proxy([['k', 'v']], {})).toJS())
  t.deepEqual(NativeValue.hash([new Proxy(['k', 'v'], {})]).toJS(), new Map([['k', 'v']]))
  t.deepEqual(NativeValue.zset(new Proxy([['m', 2]], {})).toJS(), [['m', 2]])
  const ks = new Keyspace()
  t.is(ks.hset('h', new Proxy([['f', 'v']], {})), 1)
  t.deepEqual(ks.hgetall('h'), { f: 'v' })
  ks.close()
})

test('an odd Map or Set gets a TypeError that says what is wrong', (t) => {
  const m = new Map([['a', '1']]) as Map<string, string> & { keys: unknown }
  m.keys = 5
  t.throws(() => NativeValue.from(m), {
    instanceOf: TypeError,
    message: /^value is a Map whose keys is 5, not a function/,
  })
  const ks = new Keyspace()
  t.throws(() => ks.hset('h', m), { instanceOf: TypeError, message: /^fields is a Map whose keys is 5/ })
  t.is(ks.size, 0)
  ks.close()
  const s = new Set(['a']) as Set<string> & { values: unknown }
  s.values = null
  t.throws(() => NativeValue.from(s), { instanceOf: TypeError, message: /^value is a Set whose values is null/ })
  t.throws(() => NativeValue.from(Object.create(Map.prototype)), {
    instanceOf: TypeError,
    message: /^value inherits from Map\.prototype but is not a Map/,
  })
  t.throws(() => NativeValue.from(new Proxy(new Map([['a', 'b']]), {})), {
    instanceOf: TypeError,
    message: /^value inherits from Map\.prototype but is not a Map \(a Proxy of a Map/,
  })
  t.throws(() => NativeValue.from(new Proxy(new Set(['a']), {})), {
    instanceOf: TypeError,
    message: /^value inherits from Set\.prototype but is not a Set/,
  })
  // A Map whose methods were replaced by functions is read through the
  // intrinsic iterators: its real entries, whatever its methods claim.
  const lying = new Map([['a', '1']]) as Map<string, string> & { keys: unknown }
  lying.keys = () => ['z'][Symbol.iterator]()
  t.deepEqual(NativeValue.from(lying).toJS(), new Map([['a', '1']]))
})

test('revoked proxies and throwing traps give TypeErrors; the caller’s own exceptions propagate unchanged', (t) => {
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  t.throws(() => NativeValue.from(proxy), { instanceOf: TypeError, message: /revoked/ })
  const revokedArray = Proxy.revocable(['a'], {})
  revokedArray.revoke()
  t.throws(() => NativeValue.from(revokedArray.proxy), { instanceOf: TypeError, message: /revoked/ })
  const mine = new RangeError('mine')
  t.is(
    t.throws(() =>
      NativeValue.from({
        get a() {
          throw mine
        },
      }),
    ),
    mine,
  )
  const trap = new Error('trap')
  t.is(
    t.throws(() =>
      NativeValue.from(
        new Proxy(
          {},
          {
            ownKeys() {
              throw trap
            },
          },
        ),
      ),
    ),
    trap,
  )
  t.is(
    t.throws(() =>
      NativeValue.from(
        new Proxy(['a'], {
          get() {
            throw trap
          },
        }),
      ),
    ),
    trap,
  )
  for (const bad of [
    proxy,
    revokedArray.proxy,
    new Proxy(
      {},
      {
        getPrototypeOf() {
          throw trap
        },
      },
    ),
  ]) {
    const e = t.throws(() => new Keyspace().hset('h', bad as Record<string, string>))
    t.notRegex(String(e?.message), /Node-API/)
  }
})

// --- item 1: typed arrays whose own properties lie ---------------------------

test('a typed array is copied by the lengths Node-API reports, never by its own byteLength', (t) => {
  const kinds = [
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
  ]
  for (const Kind of kinds) {
    const a = new Kind(new ArrayBuffer(64), 8, 3)
    a.fill(7)
    const expected = Buffer.from(a.buffer, a.byteOffset, 3 * Kind.BYTES_PER_ELEMENT)
    Object.defineProperty(a, 'byteLength', { value: 64 })
    Object.defineProperty(a, 'length', { value: 64 })
    t.deepEqual(NativeValue.from(a).toJS('buffer'), expected, Kind.name)
  }
  let ran = false
  const b = new BigInt64Array([1n, 2n])
  Object.defineProperty(b, 'byteLength', {
    get() {
      ran = true
      return 4096
    },
  })
  t.is(NativeValue.from(b).toJS('buffer').length, 16)
  t.false(ran, 'no JavaScript property of the view is read')
})

type Child = {
  node: string
  float16: null | Record<string, { expected?: string; got?: { ok?: string }; getterRan?: boolean; ok?: string[] }>
  clone: Record<string, { error?: string; isDOMException?: boolean }>
  post: Record<string, { error?: string; isDOMException?: boolean }>
  copies: Record<string, { ok?: unknown; error?: string } | boolean>
}

function runChild(node: string, args: string[] = []): Promise<Child> {
  return new Promise((resolve, reject) =>
    execFile(
      node,
      [...args, join(__dirname, 'fixtures', 'inputs-child.js')],
      { timeout: 60_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Child),
    ),
  )
}

const runtimes: Array<[string, string | null, string[], boolean]> = [
  ['this Node', process.execPath, [], typeof (globalThis as { Float16Array?: unknown }).Float16Array === 'function'],
  ['Node 20', cachedNode(20), [], false],
  ['Node 22 with --js-float16array', cachedNode(22), ['--js-float16array'], true],
  ['Node 24', cachedNode(24), [], true],
]
// This Node is already in the list once.
const otherRuntimes = runtimes.filter(([name, node]) => name === 'this Node' || node !== process.execPath)

for (const [name, node, args, float16] of otherRuntimes) {
  const run = node ? test : test.skip
  run(`${name}: Float16Array bytes exact, lazyfree objects refuse cloning, copies share identity`, async (t) => {
    const out = await runChild(node as string, args)
    t.log(out.node)
    if (float16) {
      t.truthy(out.float16, 'this runtime has Float16Array')
      const f = out.float16 as NonNullable<Child['float16']>
      for (const key of ['plain', 'offset', 'lying', 'detaching']) {
        t.is(f[key].got?.ok, f[key].expected, `Float16Array ${key}`)
      }
      t.false(f.detaching.getterRan, 'the byteLength getter never runs')
      t.deepEqual(f.keyspace.ok, [f.lying.expected, f.lying.expected, f.lying.expected])
    }
    for (const [what, r] of [...Object.entries(out.clone), ...Object.entries(out.post)]) {
      t.is(r.error, 'DataCloneError', what)
      t.true(r.isDOMException, what)
    }
    t.is(Object.keys(out.post).length, 4)
    const c = out.copies
    t.true(c.distinctModules as boolean)
    t.deepEqual(c.deferOtherCopysValue, { ok: [true, true] })
    t.deepEqual(c.deferAllOtherCopysValues, { ok: [true, true] })
    t.deepEqual(c.setValueFromOtherCopy, { ok: ['moved', true] })
    t.deepEqual(c.releaseToOtherCopysDropper, { ok: [true, 1] })
    t.deepEqual(c.keyspaceWithOtherCopysDropper, { ok: 1 })
  })
}

// --- item 7: cloning and posting, in this process ----------------------------

test('structuredClone and postMessage of a NativeValue, Dropper or Keyspace throw DataCloneError', (t) => {
  const { port1, port2 } = new MessageChannel()
  const ks = new Keyspace()
  for (const v of [NativeValue.from('x'), new Dropper(), ks]) {
    for (const send of [() => structuredClone(v), () => structuredClone({ nested: [v] }), () => port1.postMessage(v)]) {
      const e = thrown(send) as { name?: string } | undefined
      t.is(e?.name, 'DataCloneError')
      t.true(e instanceof DOMException)
    }
  }
  port1.close()
  port2.close()
  ks.close()
})

// --- item 9: one string limit ------------------------------------------------

test('a scalar over 512 MiB is refused with a RangeError naming the path and the limit; nothing is stored', (t) => {
  // Zero-filled and never written: the pages are not touched, and the
  // refusal comes before any copy.
  const big = new Uint8Array(new ArrayBuffer(MAX_STRING_BYTES + 1))
  const limit = (path: string) => ({
    instanceOf: RangeError,
    message: new RegExp(`^${escape(path)} is ${MAX_STRING_BYTES + 1} bytes; the limit is ${MAX_STRING_BYTES} bytes`),
  })
  t.throws(() => NativeValue.from(big), limit('value'))
  t.throws(() => NativeValue.list([Buffer.from('a'), big.buffer]), limit('items[1]'))
  t.throws(() => NativeValue.from(new DataView(big.buffer)), limit('value'))
  const ks = new Keyspace()
  t.throws(() => ks.set('k', big), limit('value'))
  t.throws(() => ks.rpush('l', 'a', big), limit('values[1]'))
  t.is(ks.size, 0)
  ks.close()
  t.is(NativeValue.from(big.subarray(0, 1024)).length, 1024, 'below the limit is fine')
})
