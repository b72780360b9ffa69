/**
 * lazyfree: Redis-style lazy free for Node.js.
 *
 * Big data lives in native memory, off the V8 heap, and is released on a
 * background OS thread, so the event loop never stalls on a free.
 *
 * @packageDocumentation
 */

// --- native loader ---
import type * as Binding from './binding'

/**
 * The napi-rs platform name (`linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`)
 * of a Rust target triple, as used in the `.node` file names and the
 * `lazyfree-<platform>` packages.
 */
function platformOfTriple(triple: string): string {
  const cpu: Record<string, string> = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }
  const os: Record<string, string> = { darwin: 'darwin', windows: 'win32', linux: 'linux', freebsd: 'freebsd' }
  const [arch, , sys, abi] = triple.split('-')
  return [os[sys] ?? sys, cpu[arch] ?? arch, abi].filter(Boolean).join('-')
}

/** The C library this process runs on, detected the way napi-rs's loader does. */
function detectLibc(): string {
  if (process.platform !== 'linux') return ''
  try {
    const report = process.report as { excludeNetwork?: boolean; getReport(): object }
    const excludeNetwork = report.excludeNetwork
    report.excludeNetwork = true
    const { header, sharedObjects } = report.getReport() as {
      header?: { glibcVersionRuntime?: string }
      sharedObjects?: string[]
    }
    report.excludeNetwork = excludeNetwork
    if (header?.glibcVersionRuntime) return `glibc ${header.glibcVersionRuntime}`
    if (sharedObjects?.some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'))) return 'musl'
  } catch {
    // fall through to the file check
  }
  try {
    if (require('node:fs').readFileSync('/usr/bin/ldd', 'utf8').includes('musl')) return 'musl'
  } catch {
    // unknown
  }
  return 'unknown libc'
}

function loadBinding(): typeof Binding {
  try {
    return require('./binding')
  } catch (cause) {
    // The single list of prebuilt targets is package.json's `napi.targets`.
    let targets: string[] = []
    try {
      targets = require('./package.json').napi.targets
    } catch {
      // package.json unreadable (e.g. bundled): the list stays empty
    }
    const libc = detectLibc()
    const abi =
      process.platform === 'win32' ? 'msvc' : libc === 'musl' ? 'musl' : process.platform === 'linux' ? 'gnu' : ''
    const here = [process.platform, process.arch, process.arch === 'arm' && abi ? `${abi}eabihf` : abi]
      .filter(Boolean)
      .join('-')
    const prebuilt = targets.map(platformOfTriple).includes(here)
    const error = new Error(
      `lazyfree: no native addon could be loaded for platform ${process.platform}, arch ${process.arch}` +
        (libc ? `, libc ${libc}` : '') +
        ` (napi platform ${here}).\n` +
        `Prebuilt binaries exist for: ${targets.map((t) => `${platformOfTriple(t)} (${t})`).join(', ')}.\n` +
        (prebuilt
          ? `This platform has one, in the optional dependency lazyfree-${here}: reinstall with optional ` +
            'dependencies enabled (no --omit=optional / --no-optional; if package-lock.json or node_modules came ' +
            'from another platform, delete both and run npm install again).\n' +
            'Or build it from source with a Rust toolchain (https://rustup.rs): npx lazyfree-build\n'
          : 'This platform has none: build it from source with a Rust toolchain (https://rustup.rs): ' +
            'npx lazyfree-build\n') +
        `Cause: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
      { cause },
    )
    ;(error as Error & { code: string }).code = 'ERR_LAZYFREE_NATIVE_LOAD'
    throw error
  }
}
const native = loadBinding()

/**
 * The hot path, registered by hand in crate/glue/fast.rs (so not in
 * binding.d.ts): plain functions over the ids of keyspaces, droppers and
 * native values, at the cost of a bare Node-API call. They check nothing
 * the facade checks first.
 */
interface FastBinding {
  ksGet(id: number, key: string): string | Buffer | null
  ksSet(id: number, key: string, value: unknown): boolean
  ksMget(id: number, ...keys: string[]): Array<string | Buffer | null>
  dropperDefer(dropperId: number, nativeId: number): boolean
  nativeRelease(nativeId: number, dropperId: number): boolean
  dropperCapacity(dropperId: number): number
}
const fast = native as unknown as FastBinding

/**
 * Ids of native values (see `NativeValue.make`), from a block of 2^32 the
 * addon hands this copy of the module: copies loaded in one thread never
 * pick the same id.
 */
let nativeIdNext = 0
let nativeIdEnd = 0
function nextNativeId(): number {
  if (nativeIdNext === nativeIdEnd) {
    nativeIdNext = native.nativeIdBlock()
    nativeIdEnd = nativeIdNext + 2 ** 32
  }
  return ++nativeIdNext
}
// --- end native loader ---

type NativeHandle = Binding.NativeHandle
type DropperHandle = Binding.DropperHandle

// --- identity across copies, and refusing to be cloned ---
//
// Each lazyfree object carries one own enumerable property, `lazyfree`,
// holding a registered symbol. Two things follow. The structured clone
// algorithm (`structuredClone`, `postMessage`) cannot clone a symbol, so
// cloning or posting the object throws a `DataCloneError` on every Node
// version, instead of sending an empty object; and the symbol is the same in
// every copy of this module loaded in the process (`Symbol.for`), so a copy
// can tell another copy's objects by it and ask them for their native handle
// through a method registered the same way. The property is a plain field:
// making an object costs one store.

/** The `lazyfree` property of each kind of object; its description is the clone error's message. */
const NATIVE_VALUE_BRAND = Symbol.for(
  'lazyfree.NativeValue: a NativeValue cannot be cloned or posted (its memory is native); post value.toJS() instead',
)
const DROPPER_BRAND = Symbol.for(
  'lazyfree.Dropper: a Dropper cannot be cloned or posted; each thread makes its own',
)
const KEYSPACE_BRAND = Symbol.for(
  'lazyfree.Keyspace: a Keyspace cannot be cloned or posted; share one between threads with Keyspace.open(name)',
)
/** The prototype method, in every copy, that answers an object's native handle. */
const HANDLE_OF = Symbol.for('lazyfree.handleOf')

/** The native handle of an object made by another copy of this module, or `undefined`. */
function foreignHandle(value: unknown, brand: symbol): unknown {
  if (value === null || typeof value !== 'object') return undefined
  if ((value as { lazyfree?: unknown }).lazyfree !== brand) return undefined
  const handleOf = (value as { [HANDLE_OF]?: unknown })[HANDLE_OF]
  return typeof handleOf === 'function' ? handleOf.call(value) : undefined
}

/** A scalar: what a string value, or one element of a collection, is made from. */
export type Scalar = string | Buffer | ArrayBufferView | ArrayBuffer | number | bigint

/** The kind of a native value, named as Redis's `TYPE` names it. */
export type ValueKind = 'string' | 'list' | 'hash' | 'set' | 'zset'

/**
 * A JavaScript value that can enter native memory:
 * a scalar becomes a `'string'`, an array a `'list'` (order kept), a `Set` a
 * `'set'` (members equal as bytes collapse), a `Map` or plain object a `'hash'`.
 */
export type JsValue = Scalar | Scalar[] | Set<Scalar> | Map<Scalar, Scalar> | Record<string, Scalar>

/** What `toJS()` returns: bytes decoded as UTF-8 strings. */
export type JsOutput = string | string[] | Set<string> | Map<string, string> | Array<[string, number]>

/** What `toJS('buffer')` returns: bytes as `Buffer`s. */
export type JsBufferOutput = Buffer | Buffer[] | Set<Buffer> | Map<Buffer, Buffer> | Array<[Buffer, number]>

/** Options of a {@link Dropper}. */
export interface DropperOptions {
  /**
   * Channel slots: messages that can wait for the thread. An integer from 1
   * to 1 048 576 (2^20); default 4096. Slots are allocated when the dropper
   * starts, 16 bytes each (16 MiB at the bound).
   */
  capacity?: number
  /**
   * A list, hash, set or zset is large, and freed on the thread, when it holds
   * more than this many elements. A non-negative integer, or `Infinity` to free
   * everything inline; default 64. Strings are never large.
   */
  threshold?: number
  /** The OS thread's name (Linux keeps the first 15 bytes); default `'lazyfree-drop'`. */
  name?: string
}

/** A dropper's counters (Redis's meanings where Redis has them). */
export interface DropperStats {
  /** Values handed to the thread, ever. */
  deferred: number
  /** Values the thread has freed (Redis: `lazyfreed_objects`). */
  freed: number
  /** `deferred - freed` (Redis: `lazyfree_pending_objects`). */
  pending: number
  /** Estimated bytes handed over and not yet freed. */
  pendingBytes: number
  /** Estimated bytes the thread has freed. */
  freedBytes: number
  /** Values freed inline because they were not large. */
  inlineSmall: number
  /** Values freed inline because the queue was full. */
  inlineFull: number
  /** Values freed inline because the dropper was closed or its thread unavailable. */
  inlineClosed: number
  /** Messages in the channel right now. */
  queued: number
  /** Channel slots. */
  capacity: number
  /** Whether the drop thread is running. */
  threadRunning: boolean
}

/** How a value is named in messages: `null`, `a string`, `an instance of Date`. */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object' || typeof value === 'function') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name
    return name ? `an instance of ${name}` : `a ${typeof value}`
  }
  if (typeof value === 'string') return 'a string'
  if (value === undefined) return 'undefined'
  return `${typeof value} ${String(value)}`
}

/** Whether `value` can be walked with `for…of` (strings excepted: they are scalars). */
function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  )
}

/**
 * The refusal of a binary view where hash entries were expected. A view is
 * iterable (its numbers), but iterating a large one only to refuse each
 * number as "not a pair" would hold the event loop for seconds.
 */
function binaryAsEntries(value: ArrayBufferView, what: string): TypeError {
  return new TypeError(`${what} is ${describe(value)}; expected a Map, a plain object or an iterable of [field, value] pairs`)
}

/** An array of what `items` holds, or a `TypeError` naming `what`. */
function arrayOf(items: unknown, what: string, expected: string): unknown[] {
  if (Array.isArray(items)) return items
  if (isIterable(items)) return Array.from(items)
  throw new TypeError(`${what} is ${describe(items)}; expected ${expected}`)
}

/**
 * An owned native value, outside the V8 heap: a string, list, hash, set or
 * sorted set whose bytes live in native memory.
 *
 * Create one with {@link NativeValue.from} or the explicit constructors; give
 * its memory up with {@link NativeValue.release} (through a dropper thread when
 * it is large). A value garbage-collected without `release()` goes to the
 * {@link defaultDropper} by the same rules.
 *
 * @example
 * ```ts
 * const big = NativeValue.from(rows.map((r) => JSON.stringify(r)))
 * big.length          // rows.length
 * big.release()       // true: freed on the drop thread, not here
 * ```
 */
export class NativeValue {
  readonly #handle: NativeHandle
  /** @internal Makes `structuredClone`/`postMessage` throw a `DataCloneError`; marks a NativeValue across copies. */
  readonly lazyfree: symbol = NATIVE_VALUE_BRAND
  /** The handle's id for the fast functions (see `nextNativeId`). */
  readonly #id: number

  private constructor(handle: NativeHandle, id: number) {
    this.#handle = handle
    this.#id = id
  }

  /** @internal The native handle, for another copy of this module. */
  [HANDLE_OF](): NativeHandle {
    return this.#handle
  }

  /** @internal Wraps a native handle; used by the keyspace. */
  /**
   * @internal Makes the native handle through `create(id)` with a fresh id
   * (from this copy's block, see `nextNativeId`; never reused) and wraps it.
   */
  static make(create: (id: number) => NativeHandle | null): NativeValue | null {
    const id = nextNativeId()
    const handle = create(id)
    return handle ? new NativeValue(handle, id) : null
  }

  static #make(create: (id: number) => NativeHandle): NativeValue {
    return NativeValue.make(create) as NativeValue
  }

  /** @internal The native handle of `value`, or `undefined` when it is not a `NativeValue`. */
  static handleOf(value: unknown): NativeHandle | undefined {
    if (value instanceof Object && #handle in value) return (value as NativeValue).#handle
    const handle = foreignHandle(value, NATIVE_VALUE_BRAND)
    return handle as NativeHandle | undefined
  }

  /** @internal The native id of `value`, or `undefined` when it is not a `NativeValue`. */
  static idOf(value: unknown): number | undefined {
    return value instanceof Object && #handle in value ? (value as NativeValue).#id : undefined
  }

  /**
   * Converts a JavaScript value into native memory: a scalar becomes a string,
   * an array a list, a `Set` a set, a `Map` or plain object a hash.
   *
   * @throws TypeError naming the path of the offending part (for example
   *   `value[3]` or `value.get("k")`) and what was found; nothing is created.
   */
  static from(value: JsValue): NativeValue {
    return NativeValue.#make((id) => native.NativeHandle.convert(value, 'auto', 'value', id))
  }

  /**
   * A string value from one scalar: its UTF-8 bytes, its bytes, or its decimal text.
   * @throws TypeError when `s` is not a scalar.
   */
  static string(s: Scalar): NativeValue {
    return NativeValue.#make((id) => native.NativeHandle.convert(s, 'string', 's', id))
  }

  /**
   * A list from an array or any iterable of scalars, in order.
   * @throws TypeError naming the first element that is not a scalar (`items[i]`).
   */
  static list(items: Iterable<Scalar>): NativeValue {
    const array = arrayOf(items, 'items', 'an array or iterable of scalars')
    return NativeValue.#make((id) => native.NativeHandle.convert(array, 'list', 'items', id))
  }

  /**
   * A set from a `Set`, an array or any iterable of scalars; members equal as bytes collapse.
   * @throws TypeError naming the first member that is not a scalar.
   */
  static set(members: Iterable<Scalar>): NativeValue {
    const source = members instanceof Set ? members : arrayOf(members, 'members', 'a Set, array or iterable of scalars')
    return NativeValue.#make((id) => native.NativeHandle.convert(source, 'set', 'members', id))
  }

  /**
   * A hash from a `Map`, a plain object, or an iterable of `[field, value]`
   * pairs; a repeated field keeps its last value.
   * @throws TypeError naming the first field or value that is not a scalar.
   */
  static hash(entries: Map<Scalar, Scalar> | Record<string, Scalar> | Iterable<readonly [Scalar, Scalar]>): NativeValue {
    if (ArrayBuffer.isView(entries)) throw binaryAsEntries(entries, 'entries')
    const source = entries instanceof Map || !isIterable(entries) ? entries : Array.from(entries)
    return NativeValue.#make((id) => native.NativeHandle.convert(source, 'hash', 'entries', id))
  }

  /**
   * A sorted set from `[member, score]` pairs (an array, a `Map`, any
   * iterable). Scores are numbers, `±Infinity` allowed; a repeated member keeps
   * its last score.
   * @throws TypeError for a member that is not a scalar or a score that is not
   *   a number or is `NaN` (named `entries[i][1]`).
   */
  static zset(entries: Iterable<readonly [member: Scalar, score: number]>): NativeValue {
    const array = arrayOf(entries, 'entries', 'an array or iterable of [member, score] pairs')
    return NativeValue.#make((id) => native.NativeHandle.convert(array, 'zset', 'entries', id))
  }

  /** The kind of value: `'string' | 'list' | 'hash' | 'set' | 'zset'`. Kept after release. */
  get kind(): ValueKind {
    return this.#handle.kind
  }

  /** Element count (bytes for a `'string'`); 0 once released. */
  get length(): number {
    return this.#handle.length
  }

  /**
   * Estimated native bytes held; 0 once released. The formula per kind is in
   * the README ("Memory estimates").
   */
  get memoryUsage(): number {
    return this.#handle.memoryUsage
  }

  /** Whether the value has been released. */
  get released(): boolean {
    return this.#handle.released
  }

  /**
   * A fresh JavaScript copy: strings decoded as UTF-8 (or `Buffer`s with
   * `'buffer'`); a list becomes an array, a set a `Set`, a hash a `Map`, a
   * zset an array of `[member, score]` in Redis order (score, then member bytes).
   *
   * @throws Error with `code === 'ERR_LAZYFREE_RELEASED'` once released.
   * @throws RangeError when a string is too long for a JavaScript string
   *   (V8's limit, about 512 MiB); `toJS('buffer')` has no such limit.
   */
  toJS(): JsOutput
  toJS(encoding: 'buffer'): JsBufferOutput
  toJS(encoding: 'utf8'): JsOutput
  toJS(encoding: 'utf8' | 'buffer' = 'utf8'): JsOutput | JsBufferOutput {
    if (encoding !== 'utf8' && encoding !== 'buffer') {
      throw new TypeError(`encoding is ${describe(encoding)}; expected 'utf8' or 'buffer'`)
    }
    return this.#handle.toJs(encoding === 'buffer') as JsOutput | JsBufferOutput
  }

  /**
   * Gives the memory up. A large value (a collection above the dropper's
   * threshold) is handed to the dropper's thread; a small one, or any value
   * when the queue is full or the dropper closed, is freed here. Afterwards
   * `released` is true; a second call returns `false` and does nothing.
   *
   * @param dropper where to send it; default {@link defaultDropper}.
   * @returns `true` if it was handed to the dropper thread, `false` if freed inline.
   */
  release(dropper: Dropper = defaultDropper): boolean {
    const target = Dropper.idOf(dropper)
    if (target !== undefined) return fast.nativeRelease(this.#id, target)
    // A Dropper of another copy of this module has no id here.
    const foreign = Dropper.handleOf(dropper)
    if (foreign === undefined) {
      throw new TypeError(`dropper is ${describe(dropper)}; expected a Dropper (or nothing, for defaultDropper)`)
    }
    return this.released ? false : foreign.deferValue(this.#handle)
  }
}

const OPTION_NAMES = ['capacity', 'threshold', 'name']

/** Type checks of `DropperOptions`; ranges are checked natively. */
function checkOptions(options: unknown): DropperOptions {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options is ${describe(options)}; expected an object like { capacity, threshold, name }`)
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new TypeError(`unknown option '${key}'; Dropper options are ${OPTION_NAMES.join(', ')}`)
    }
  }
  const { capacity, threshold, name } = options as Record<string, unknown>
  for (const [key, value] of [['capacity', capacity], ['threshold', threshold]] as const) {
    if (value !== undefined && typeof value !== 'number') {
      throw new TypeError(`options.${key} is ${describe(value)}; expected a number`)
    }
  }
  if (name !== undefined && typeof name !== 'string') {
    throw new TypeError(`options.name is ${describe(name)}; expected a string`)
  }
  return options as DropperOptions
}

/** Set while `Dropper.fromHandle` builds a wrapper over an existing handle. */
let adopting: DropperHandle | undefined

/**
 * A background dropper: one named OS thread draining a bounded queue, where
 * large values are freed off the event loop.
 *
 * Handing a value over never blocks: when the queue is full or the dropper is
 * closed, the value is freed on the caller's thread and counted
 * (`inlineFull`, `inlineClosed`). Small values are freed inline (`inlineSmall`).
 *
 * @example
 * ```ts
 * const dropper = new Dropper({ capacity: 1024 })
 * dropper.defer(NativeValue.from(bigArray))   // true
 * await dropper.drain()                       // everything before is freed
 * dropper.stats().freed                       // 1
 * await dropper.close()
 * ```
 */
export class Dropper {
  readonly #handle: DropperHandle
  /** @internal Makes `structuredClone`/`postMessage` throw a `DataCloneError`; marks a Dropper across copies. */
  readonly lazyfree: symbol = DROPPER_BRAND
  /** The handle's id for the fast functions. */
  readonly #id: number

  /**
   * Starts a dropper and its thread.
   *
   * @throws TypeError for options of the wrong type or unknown names.
   * @throws RangeError for a capacity that is not an integer from 1 to
   *   1 048 576 (2^20; the queue's slots are allocated up front, 16 bytes
   *   each, so the largest costs 16 MiB), a threshold that is not a non-negative integer or
   *   `Infinity`, or an empty name.
   */
  constructor(options?: DropperOptions) {
    if (adopting !== undefined) {
      this.#handle = adopting
      this.#id = adopting.id
      adopting = undefined
      return
    }
    const { capacity = 4096, threshold = 64, name = 'lazyfree-drop' } = checkOptions(options)
    this.#handle = new native.DropperHandle(capacity, threshold, name)
    this.#id = this.#handle.id
  }

  /** @internal Wraps a native handle (the default dropper). */
  static fromHandle(handle: DropperHandle): Dropper {
    adopting = handle
    return new Dropper()
  }

  /** @internal The native handle of `value`, or `undefined` when it is not a `Dropper`. */
  static handleOf(value: unknown): DropperHandle | undefined {
    if (value instanceof Object && #handle in value) return (value as Dropper).#handle
    const handle = foreignHandle(value, DROPPER_BRAND)
    return handle as DropperHandle | undefined
  }

  /** @internal The native handle, for another copy of this module. */
  [HANDLE_OF](): DropperHandle {
    return this.#handle
  }

  /** @internal The native id of `value`, or `undefined` when it is not a `Dropper`. */
  static idOf(value: unknown): number | undefined {
    return value instanceof Object && #handle in value ? (value as Dropper).#id : undefined
  }

  /** Channel slots. */
  get capacity(): number {
    return fast.dropperCapacity(this.#id)
  }

  /** Collections with more elements than this are large. */
  get threshold(): number {
    return this.#handle.threshold
  }

  /** Whether `close()` has been called (or the environment tore down). */
  get closed(): boolean {
    return this.#handle.closed
  }

  /**
   * Frees a value: hands it to the thread when it is large, frees it here
   * otherwise. A `NativeValue` is moved (released, never copied); a plain
   * JavaScript value is converted first. Large values handed over one by one
   * (here, by `release()`, finalizers or keyspace removals) are gathered
   * into batches of up to 1 024 values, one message each, so a loop of them
   * does not fill the queue; each counts as `deferred` at once
   * (docs/bursts.md).
   *
   * @returns `true` when the value was handed to the thread.
   * @throws TypeError when a JavaScript value cannot be converted (path named).
   * @throws Error with `code === 'ERR_LAZYFREE_RELEASED'` for a released `NativeValue`.
   */
  defer(value: NativeValue | JsValue): boolean {
    const id = NativeValue.idOf(value)
    if (id !== undefined) return fast.dropperDefer(this.#id, id)
    // A NativeValue of another copy of this module has no id here.
    const handle = NativeValue.handleOf(value)
    return handle !== undefined ? this.#handle.deferValue(handle) : this.#handle.deferJs(value)
  }

  /**
   * Hands many values over in one message, whatever their sizes (the flush
   * path). Each is released. Counts one `deferred` per value.
   *
   * @returns `false` for an empty iterable (nothing is counted), or when the
   *   values were freed inline because the queue was full or the dropper closed.
   * @throws TypeError when an element is not a `NativeValue` or is listed
   *   twice; Error `ERR_LAZYFREE_RELEASED` when one is released. Nothing is
   *   released when it throws.
   */
  deferAll(values: Iterable<NativeValue>): boolean {
    const list = arrayOf(values, 'values', 'an array or iterable of NativeValue')
    const handles = list.map((value, i) => {
      const handle = NativeValue.handleOf(value)
      if (handle === undefined) throw new TypeError(`values[${i}] is ${describe(value)}; expected a NativeValue`)
      return handle
    })
    return this.#handle.deferAll(handles)
  }

  /** A snapshot of the counters. */
  stats(): DropperStats {
    return this.#handle.stats()
  }

  /**
   * Resolves once everything handed over before the call has been freed.
   * Never blocks the event loop. Afterwards `freed === deferred` and
   * `pending === 0` (with nothing handed over since).
   */
  drain(): Promise<void> {
    return this.#handle.drain()
  }

  /**
   * Stops accepting values (from now on each is freed inline and counted as
   * `inlineClosed`), lets the thread free what is queued, and joins it.
   * Idempotent.
   */
  close(): Promise<void> {
    return this.#handle.close()
  }
}

/**
 * This environment's default dropper: the main thread and each worker have
 * their own. Its thread starts with the first large value; it is closed when
 * the environment tears down. `NativeValue#release()` and collected
 * `NativeValue`s use it.
 */
export const defaultDropper: Dropper = Dropper.fromHandle(native.DropperHandle.defaultDropper())

// --- keyspace ---

type KeyspaceHandle = Binding.KeyspaceHandle
type SharedKeyspaceHandle = Binding.SharedKeyspaceHandle


/** Maxmemory eviction policies, named as Redis's `maxmemory-policy` names them. */
export type EvictionPolicy =
  | 'noeviction'
  | 'allkeys-lru'
  | 'volatile-lru'
  | 'allkeys-random'
  | 'volatile-random'
  | 'volatile-ttl'

/** Redis's integer range, for `incrby` with a bigint. */
const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n

const POLICIES: readonly string[] = [
  'noeviction',
  'allkeys-lru',
  'volatile-lru',
  'allkeys-random',
  'volatile-random',
  'volatile-ttl',
]

/**
 * Which removals free through the dropper (Redis's `lazyfree-lazy-*`
 * switches). Each defaults to `true`; a switch that is off frees inline.
 * `unlink` is always lazy.
 */
export interface LazyFreeOptions {
  /** Keys evicted to make room under `maxMemory`. */
  eviction?: boolean
  /** Keys removed because their TTL passed. */
  expire?: boolean
  /** Values replaced by `set`, `setValue` or `rename`. */
  serverDel?: boolean
  /** Keys removed by `del`. */
  userDel?: boolean
  /** `flush()` without an explicit `async`. */
  userFlush?: boolean
}

/** Options of a {@link Keyspace}. */
export interface KeyspaceOptions {
  /**
   * Memory limit: bytes, or a string with Redis's units (`'100kb'`, `'512mb'`,
   * `'2gb'`; `k`/`m`/`g` are powers of 1000, `kb`/`mb`/`gb` of 1024).
   * 0 (the default) means no limit.
   */
  maxMemory?: number | string
  /** What to evict when a write would pass `maxMemory`; default `'noeviction'`. */
  evictionPolicy?: EvictionPolicy
  /** The lazy-free switches; each defaults to `true`. */
  lazyfree?: LazyFreeOptions
  /** The dropper that frees removed values; default {@link defaultDropper}. */
  dropper?: Dropper
  /** Reply with `Buffer`s instead of UTF-8 strings; default `false`. */
  returnBuffers?: boolean
  /**
   * Active expiry ticks per second (Redis's `hz`): each tick samples keys with
   * a TTL for about a millisecond. An integer from 0 to 500; 0 turns active
   * expiry off (expired keys are then only removed when touched). Default 10.
   */
  hz?: number
}

/** Options of {@link Keyspace.hgetallMap}. */
export interface HgetallMapOptions<B extends boolean | undefined = boolean | undefined> {
  /** Fields and values as `Buffer`s (`true`) or strings (`false`); default: as `returnBuffers`. */
  buffers?: B
}

/** What {@link Keyspace.hgetallMap} returns for its `buffers` option `B`. */
export type HgetallMapResult<B, T> = B extends true ? Map<Buffer, Buffer> : B extends false ? Map<string, string> : Map<T, T>

/** Options of {@link Keyspace.set}, as Redis's `SET` spells them. */
export interface SetOptions {
  /** Expire after this many seconds: a positive integer. */
  ex?: number
  /** Expire after this many milliseconds: a positive integer. */
  px?: number
  /** Only set the key if it does not exist. */
  nx?: boolean
  /** Only set the key if it exists. */
  xx?: boolean
  /** Keep the key's TTL (a plain `set` clears it). */
  keepTtl?: boolean
}

/** Options of {@link Keyspace.scan}, as Redis's `SCAN` spells them. */
export interface ScanOptions {
  /** Only keys matching this glob pattern (as {@link Keyspace.keys}); default all. */
  match?: string
  /** About how many entries one call visits: a positive integer, default 10. */
  count?: number
  /** Only keys holding this kind of value. */
  type?: ValueKind
}

/** What {@link Keyspace.mset} takes: keys and their values. */
export type MsetEntries = Record<string, Scalar> | Map<string, Scalar> | Iterable<readonly [string, Scalar]>

/** Options of {@link Keyspace.flush}. */
export interface FlushOptions {
  /** `true`: hand the whole keyspace to the dropper in one message; `false`: free it here. Default: `lazyfree.userFlush`. */
  async?: boolean
}

/** Options of {@link Keyspace.zrange}. */
export interface ZrangeOptions {
  /** Reply with `[member, score]` pairs instead of members. */
  withScores?: boolean
}

/** {@link ZrangeOptions} asking for members only. */
export interface ZrangeMembers extends ZrangeOptions {
  /** Members only (the default). */
  withScores?: false
}

/** {@link ZrangeOptions} asking for `[member, score]` pairs. */
export interface ZrangeWithScores extends ZrangeOptions {
  /** `[member, score]` pairs. */
  withScores: true
}

/** What {@link Keyspace.info} reports, with Redis's field names. */
export interface KeyspaceInfo {
  /** Keys held (DBSIZE). */
  keys: number
  /** Keys with a TTL. */
  expires: number
  /** Bytes held by the entries (key + value estimate + fixed overhead each), plus bytes the dropper has not freed yet. */
  used_memory: number
  /** The limit in bytes; 0 for none. */
  maxmemory: number
  /** Keys evicted to make room, ever. */
  evicted_keys: number
  /** Keys removed because their TTL passed, ever. */
  expired_keys: number
  /** Reads that found their key. */
  keyspace_hits: number
  /** Reads that did not. */
  keyspace_misses: number
  /** The dropper's values not yet freed. */
  lazyfree_pending_objects: number
  /** The dropper's values freed, ever. */
  lazyfreed_objects: number
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
}

/** `maxMemory` in bytes. */
function memoryBytes(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`options.maxMemory is ${value}; expected a non-negative integer number of bytes`)
    }
    return value
  }
  if (typeof value !== 'string') {
    throw new TypeError(`options.maxMemory is ${describe(value)}; expected bytes, or a string like '512mb'`)
  }
  const match = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(value)
  const unit = match ? MEMORY_UNITS[match[2].toLowerCase()] : undefined
  const bytes = match && unit !== undefined ? Number(match[1]) * unit : NaN
  if (!Number.isSafeInteger(bytes)) {
    throw new RangeError(
      `options.maxMemory is '${value}'; expected bytes, or a number with a unit b, k, kb, m, mb, g or gb (like '512mb')`,
    )
  }
  return bytes
}

const KEYSPACE_OPTIONS = ['maxMemory', 'evictionPolicy', 'lazyfree', 'dropper', 'returnBuffers', 'hz']
const LAZYFREE_SWITCHES = ['eviction', 'expire', 'serverDel', 'userDel', 'userFlush']
const SET_OPTIONS = ['ex', 'px', 'nx', 'xx', 'keepTtl']
const SCAN_OPTIONS = ['match', 'count', 'type']
const KINDS: readonly string[] = ['string', 'list', 'hash', 'set', 'zset']

/** A plain options object (or `undefined`), with only `allowed` names. */
function optionsObject(value: unknown, name: string, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} is ${describe(value)}; expected an object`)
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new TypeError(`unknown option '${key}' in ${name}; expected ${allowed.join(', ')}`)
  }
  return value as Record<string, unknown>
}

function checkBoolean(value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`${name} is ${describe(value)}; expected a boolean`)
  }
  return value
}

function checkKey(key: unknown, name = 'key'): string {
  if (typeof key !== 'string') throw new TypeError(`${name} is ${describe(key)}; expected a string`)
  // A lone surrogate has no UTF-8 form; Node-API would write U+FFFD for it,
  // and distinct keys would collide. (V8 answers a one-byte string at once.)
  if (!(key as unknown as { isWellFormed(): boolean }).isWellFormed()) throw notWellFormed(key, name)
  return key
}

/** The refusal of a string with a lone surrogate, naming where it is. */
function notWellFormed(s: string, name: string): TypeError {
  let at = 0
  for (const c of s) {
    const code = c.codePointAt(0) as number
    if (code >= 0xd800 && code <= 0xdfff) break
    at += c.length
  }
  return new TypeError(
    `${name} is a string with a lone surrogate at index ${at} (not well-formed UTF-16, so it has no UTF-8 form); ` +
      'expected well-formed text: mend it with toWellFormed() if replacing it with U+FFFD is acceptable',
  )
}

function checkKeys(keys: unknown[], command: string): string[] {
  if (keys.length === 0) throw new TypeError(`${command} needs at least one key`)
  // The argument's name is built only for a key that is refused.
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    if (typeof key !== 'string' || !(key as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      checkKey(key, `keys[${i}]`)
    }
  }
  return keys as string[]
}

/** An integer argument; beyond 2^53 it is imprecise, as any JS number is. */
function checkInteger(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} is ${describe(value)}; expected an integer`)
  if (!Number.isInteger(value)) throw new RangeError(`${name} is ${value}; expected an integer`)
  return value
}

function checkNumber(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} is ${describe(value)}; expected a number`)
  return value
}

function needSome(items: unknown[], command: string, what: string): unknown[] {
  if (items.length === 0) throw new TypeError(`${command} needs at least one ${what}`)
  return items
}

/** Longest a single active expiry slice may hold the event loop, in ms. */
const EXPIRE_SLICE_MS = 1
/** Pause between follow-up slices while expired keys are piling up, in ms. */
const EXPIRE_FAST_GAP_MS = 2

/**
 * Drives Redis's active expiry for one keyspace: a slice of at most
 * {@link EXPIRE_SLICE_MS} every `1000 / hz` ms (Redis's slow cycle), and, when
 * a slice ran out of time with expired keys still to find, follow-up slices
 * {@link EXPIRE_FAST_GAP_MS} apart until the backlog is gone (Redis's fast
 * cycle). Each slice yields back to the event loop. The timers are unref'd and
 * hold the handle weakly: a keyspace nobody references is collected (its
 * entries go to its dropper) and its timers stop themselves.
 */
function startActiveExpiry(handle: KeyspaceHandle, hz: number): { stop(): void } {
  const ref = new WeakRef(handle)
  let stopped = false
  let fast: NodeJS.Timeout | undefined
  const stop = () => {
    stopped = true
    clearInterval(slow)
    clearTimeout(fast)
  }
  const tick = () => {
    fast = undefined
    const h = ref.deref()
    if (stopped || h === undefined) return stop()
    if (h.activeExpireCycle(EXPIRE_SLICE_MS).timedOut) {
      fast = setTimeout(tick, EXPIRE_FAST_GAP_MS)
      fast.unref()
    }
  }
  const slow: NodeJS.Timeout = setInterval(() => {
    if (fast === undefined) tick()
  }, 1000 / hz)
  slow.unref()
  return { stop }
}

/** What a keyspace is made with, checked: the native config, the dropper, hz. */
function keyspaceSettings(options: KeyspaceOptions | undefined): {
  config: Binding.KeyspaceConfig
  dropper: DropperHandle
  hz: number
} {
  const o = optionsObject(options, 'options', KEYSPACE_OPTIONS)
  const maxMemory = o.maxMemory === undefined ? 0 : memoryBytes(o.maxMemory)
  const policy = o.evictionPolicy ?? 'noeviction'
  if (typeof policy !== 'string') {
    throw new TypeError(`options.evictionPolicy is ${describe(policy)}; expected a string`)
  }
  if (!POLICIES.includes(policy)) {
    throw new RangeError(`options.evictionPolicy is '${policy}'; expected one of ${POLICIES.join(', ')}`)
  }
  const lazyfree = optionsObject(o.lazyfree, 'options.lazyfree', LAZYFREE_SWITCHES)
  const on = (name: string) => checkBoolean(lazyfree[name], `options.lazyfree.${name}`) ?? true
  const dropper = Dropper.handleOf(o.dropper ?? defaultDropper)
  if (dropper === undefined) {
    throw new TypeError(`options.dropper is ${describe(o.dropper)}; expected a Dropper`)
  }
  const hz = o.hz === undefined ? 10 : checkInteger(o.hz, 'options.hz')
  if (hz < 0 || hz > 500) throw new RangeError(`options.hz is ${hz}; expected an integer from 0 to 500`)
  const config = {
    maxMemory,
    policy,
    eviction: on('eviction'),
    expire: on('expire'),
    serverDel: on('serverDel'),
    userDel: on('userDel'),
    userFlush: on('userFlush'),
    returnBuffers: checkBoolean(o.returnBuffers, 'options.returnBuffers') ?? false,
  }
  return { config, dropper, hz }
}

/** The shared handle `Keyspace.open` hands to the constructor it calls. */
let openingShared: { handle: SharedKeyspaceHandle; name: string } | undefined

/**
 * An embedded, off-heap, Redis-style store. Keys are strings; values live in
 * native memory as the five {@link NativeValue} kinds, so they cost the V8
 * garbage collector nothing. Methods follow the Redis commands of the same
 * name — replies, errors and edge cases included — and are synchronous.
 *
 * Every removal of a large value (`unlink`, `del`, expiry, eviction,
 * overwrite, `flush`) is freed on the dropper's thread, per the
 * {@link LazyFreeOptions} switches. Expired keys are removed when touched and,
 * in the background, by Redis's adaptive sampling `hz` times a second.
 *
 * Errors: a command on a key of the wrong kind throws an `Error` with
 * `code === 'WRONGTYPE'`; a write that cannot fit under `maxMemory` throws
 * `code === 'OOM'`; other Redis errors throw `code === 'ERR'` with Redis's
 * message; malformed arguments throw `TypeError` or `RangeError`. A command
 * that throws changes nothing.
 *
 * `T` is the reply type of strings: `string`, or `Buffer` for a keyspace
 * made with `returnBuffers: true` (write `new Keyspace<Buffer>(...)`).
 *
 * @example
 * ```ts
 * const ks = new Keyspace({ maxMemory: '512mb', evictionPolicy: 'allkeys-lru' })
 * ks.set('session:1', JSON.stringify(session), { ex: 3600 })
 * ks.rpush('events', 'a', 'b', 'c')
 * ks.lrange('events', 0, -1)   // ['a', 'b', 'c']
 * ks.unlink('events')          // freed off the event loop if large
 * ks.close()
 * ```
 */
export class Keyspace<T extends string | Buffer = string> {
  #handle: KeyspaceHandle | SharedKeyspaceHandle | undefined
  /** @internal Makes `structuredClone`/`postMessage` throw a `DataCloneError`. */
  readonly lazyfree: symbol = KEYSPACE_BRAND
  /** The handle's id for the fast functions (own or shared keyspace); 0 once closed. */
  #id = 0
  #expiry: { stop(): void } | undefined
  #buffers: boolean
  #name: string | undefined

  /**
   * Creates an empty keyspace.
   *
   * @throws TypeError for options of the wrong type or unknown names.
   * @throws RangeError for a `maxMemory` that is not a size, an unknown
   *   `evictionPolicy`, or an `hz` outside 0–500.
   */
  constructor(options?: KeyspaceOptions) {
    if (openingShared !== undefined) {
      this.#handle = openingShared.handle
      this.#name = openingShared.name
      this.#buffers = openingShared.handle.returnBuffers
      this.#id = openingShared.handle.id
      openingShared = undefined
      return
    }
    const { config, dropper, hz } = keyspaceSettings(options)
    this.#buffers = config.returnBuffers
    const handle = new native.KeyspaceHandle(config, dropper)
    this.#handle = handle
    this.#id = handle.id
    if (hz > 0) this.#expiry = startActiveExpiry(handle, hz)
  }

  /**
   * Opens the keyspace called `name` that every thread of the process shares
   * (the main thread and every worker), creating it with `options` when no
   * thread has it open. Every command is atomic with respect to other
   * threads; active expiry and frees run on native threads of the keyspace's
   * own. `close()` detaches this handle; the keyspace lives while any handle
   * in any thread is open, and the last close (or the end of the last thread
   * holding one) frees it and the name. See docs/shared.md.
   *
   * @throws TypeError for a name that is not a non-empty string, options of
   *   the wrong type, or `options.dropper` (a `Dropper` belongs to one thread).
   * @throws Error `code === 'ERR_LAZYFREE_SHARED_OPTIONS'` when the keyspace is
   *   open with other options than `options` (open it without options to attach).
   */
  static open<T extends string | Buffer = string>(name: string, options?: KeyspaceOptions): Keyspace<T> {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`name is ${describe(name)}; expected a non-empty string`)
    }
    let settings: ReturnType<typeof keyspaceSettings> | undefined
    if (options !== undefined) {
      const o = optionsObject(options, 'options', KEYSPACE_OPTIONS)
      if (o.dropper !== undefined) {
        throw new TypeError(
          'options.dropper is not allowed for a shared keyspace: a Dropper belongs to one thread, and a shared keyspace frees through a drop thread of its own; remove the option',
        )
      }
      settings = keyspaceSettings(options)
    }
    const handle = native.SharedKeyspaceHandle.open(name, settings?.config, settings?.hz)
    openingShared = { handle, name }
    try {
      return new Keyspace<T>()
    } finally {
      openingShared = undefined
    }
  }

  /** The shared keyspace's name ({@link Keyspace.open}); `undefined` for `new Keyspace()`. */
  get name(): string | undefined {
    return this.#name
  }

  get #h(): KeyspaceHandle | SharedKeyspaceHandle {
    if (this.#handle === undefined) {
      const error = new Error('this Keyspace has been closed')
      ;(error as Error & { code: string }).code = 'ERR_LAZYFREE_CLOSED'
      throw error
    }
    return this.#handle
  }

  /** Number of keys (DBSIZE), counting expired keys not yet removed, as Redis does. */
  get size(): number {
    return this.#h.size
  }

  /** Whether {@link Keyspace.close} has been called. */
  get closed(): boolean {
    return this.#handle === undefined
  }

  /** How many of `keys` exist; a key named twice counts twice. */
  exists(...keys: string[]): number {
    return this.#h.exists(checkKeys(keys, 'exists'))
  }

  /** The kind of value at `key`, or `'none'`. */
  type(key: string): ValueKind | 'none' {
    return this.#h.type(checkKey(key))
  }

  /** Removes keys (freed lazily when `lazyfree.userDel` is on). Returns how many existed. */
  del(...keys: string[]): number {
    return this.#h.del(checkKeys(keys, 'del'))
  }

  /** Removes keys, always freeing large values on the dropper's thread. Returns how many existed. */
  unlink(...keys: string[]): number {
    return this.#h.unlink(checkKeys(keys, 'unlink'))
  }

  /**
   * Moves `key`'s value and TTL to `newKey`, replacing what was there.
   * @throws Error `code === 'ERR'` (`ERR no such key`) when `key` does not exist.
   */
  rename(key: string, newKey: string): void {
    this.#h.rename(checkKey(key), checkKey(newKey, 'newKey'))
  }

  /** Keys matching a Redis glob pattern (`*`, `?`, `[abc]`, `[^a-z]`, `\` escapes), in no particular order. */
  keys(pattern = '*'): string[] {
    return this.#h.keys(checkKey(pattern, 'pattern'))
  }

  /**
   * One step of an iteration over the keys, as Redis's `SCAN`: start with
   * cursor 0, pass each returned cursor to the next call, and stop when it
   * returns 0. Every key present for the whole iteration is returned at
   * least once, even while keys are added and removed between calls; a key
   * may be returned more than once, and keys added meanwhile may or may not
   * be. A call visits about `count` entries (default 10), so it holds the
   * event loop for a bounded time; `match` and `type` filter what it visits,
   * so a call may return no keys while the iteration goes on.
   *
   * @throws RangeError for a cursor that is not a non-negative integer, a
   *   `count` below 1, or an unknown `type`.
   */
  scan(cursor: number, options?: ScanOptions): [nextCursor: number, keys: string[]] {
    checkInteger(cursor, 'cursor')
    if (cursor < 0) throw new RangeError(`cursor is ${cursor}; expected 0 or a cursor a previous scan returned`)
    const o = optionsObject(options, 'options', SCAN_OPTIONS)
    const count = o.count === undefined ? 10 : checkInteger(o.count, 'options.count')
    if (count < 1) throw new RangeError(`options.count is ${count}; expected a positive integer`)
    const match = o.match === undefined ? undefined : checkKey(o.match, 'options.match')
    let type: string | undefined
    if (o.type !== undefined) {
      type = checkKey(o.type, 'options.type')
      if (!KINDS.includes(type)) throw new RangeError(`options.type is '${type}'; expected one of ${KINDS.join(', ')}`)
    }
    const step = this.#h.scan(cursor, count, match, type)
    return [step.cursor, step.keys]
  }

  /**
   * Sets a TTL in seconds. Returns `false` when the key does not exist. A TTL
   * that is not positive deletes the key (and returns `true`), as in Redis.
   */
  expire(key: string, seconds: number): boolean {
    return this.#h.expire(checkKey(key), checkInteger(seconds, 'seconds'))
  }

  /** Sets a TTL in milliseconds; see {@link Keyspace.expire}. */
  pexpire(key: string, ms: number): boolean {
    return this.#h.pexpire(checkKey(key), checkInteger(ms, 'ms'))
  }

  /** Seconds to live (rounded), `-1` without a TTL, `-2` when the key does not exist. */
  ttl(key: string): number {
    return this.#h.ttl(checkKey(key))
  }

  /** Milliseconds to live, `-1` without a TTL, `-2` when the key does not exist. */
  pttl(key: string): number {
    return this.#h.pttl(checkKey(key))
  }

  /** Removes the TTL. Returns `true` when there was one. */
  persist(key: string): boolean {
    return this.#h.persist(checkKey(key))
  }

  /**
   * Removes every key. `{ async: true }` (or no option while
   * `lazyfree.userFlush` is on) hands the whole keyspace to the dropper in one
   * message, counted as one value per key; `{ async: false }` frees it here.
   */
  flush(options?: FlushOptions): void {
    const o = optionsObject(options, 'options', ['async'])
    // Options are read before the handle: a getter that closes the keyspace
    // then makes this call throw ERR_LAZYFREE_CLOSED instead of acting on it.
    const async = checkBoolean(o.async, 'options.async')
    this.#h.flush(async)
  }

  /**
   * Stores a string value, replacing any value (and clearing the TTL unless
   * `keepTtl`). Returns `false`, changing nothing, when `nx` or `xx` is not met.
   *
   * @throws Error `code === 'ERR'` for an `ex`/`px` that is not positive
   *   (`invalid expire time in 'set' command`) or conflicting options
   *   (`syntax error`); `code === 'OOM'` when it does not fit.
   */
  set(key: string, value: Scalar, options?: SetOptions): boolean {
    if (options === undefined) {
      // Anything but a string key takes the checked path (same errors, same
      // order), as does a closed keyspace (id 0).
      return typeof key === 'string' && this.#id !== 0
        ? fast.ksSet(this.#id, key, value)
        : this.#h.set(checkKey(key), value)
    }
    const o = optionsObject(options, 'options', SET_OPTIONS)
    // Options are read before the handle (see flush).
    const ex = o.ex === undefined ? undefined : checkInteger(o.ex, 'options.ex')
    const px = o.px === undefined ? undefined : checkInteger(o.px, 'options.px')
    const nx = checkBoolean(o.nx, 'options.nx')
    const xx = checkBoolean(o.xx, 'options.xx')
    const keepTtl = checkBoolean(o.keepTtl, 'options.keepTtl')
    return this.#h.set(checkKey(key), value, ex, px, nx, xx, keepTtl)
  }

  /**
   * The string at `key`, or `null`.
   * @throws Error `WRONGTYPE` for another kind.
   * @throws RangeError for a value too long for a JS string (over about
   *   512 MiB): read it from a keyspace made with `returnBuffers: true`, or
   *   with `takeValue(key)` and `toJS('buffer')`.
   */
  get(key: string): T | null {
    // A closed keyspace (id 0) takes the checked path, which throws.
    return (
      typeof key === 'string' && this.#id !== 0 ? fast.ksGet(this.#id, key) : this.#h.get(checkKey(key))
    ) as T | null
  }

  /**
   * The string at each key, in order: `null` for a missing key or one that
   * holds another kind (no `WRONGTYPE`, as Redis's `MGET`).
   */
  mget(...keys: string[]): Array<T | null> {
    // Closed (#h throws ERR_LAZYFREE_CLOSED before any key is looked at):
    // the handle's method.
    if (this.#id === 0) return this.#h.mget(checkKeys(keys, 'mget')) as Array<T | null>
    return fast.ksMget(this.#id, ...checkKeys(keys, 'mget')) as Array<T | null>
  }

  /**
   * Stores every key's value as {@link Keyspace.set} without options would
   * (replacing any value, clearing any TTL), all or nothing: every value is
   * converted and the whole batch's memory is reserved before any key is
   * written. A key given twice ends with its last value, as Redis's `MSET`.
   *
   * @throws TypeError for entries that are not a plain object, a `Map` or an
   *   iterable of `[key, value]` pairs, a key that is not a string, a value
   *   that is not a {@link Scalar}, or no entries at all.
   * @throws Error `code === 'OOM'` when the batch does not fit (nothing is written).
   */
  mset(entries: MsetEntries): void {
    if (entries === null || typeof entries !== 'object') {
      throw new TypeError(`entries is ${describe(entries)}; expected a plain object, a Map or an iterable of [key, value] pairs`)
    }
    const keys: string[] = []
    const values: unknown[] = []
    if (entries instanceof Map || isIterable(entries)) {
      let i = 0
      for (const pair of entries as Iterable<unknown>) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new TypeError(`entries[${i}] is ${describe(pair)}; expected a [key, value] pair`)
        }
        keys.push(checkKey(pair[0], `entries[${i}][0]`))
        values.push(pair[1])
        i++
      }
    } else {
      for (const [key, value] of Object.entries(entries)) {
        keys.push(checkKey(key, 'entries key'))
        values.push(value)
      }
    }
    if (keys.length === 0) throw new TypeError('mset needs at least one entry')
    this.#h.mset(keys, values)
  }

  /**
   * Adds `n` to the integer at `key` (0 when missing; the TTL is kept) and
   * returns the result, exactly: a number `n` gets a number back, and a
   * result that is not a safe integer (beyond ±(2^53 − 1), where a number
   * would round it) is refused, changing nothing — pass `n` as a bigint for
   * the whole 64-bit range.
   * @throws RangeError when `n` is not a safe integer, or the result is not
   *   one (the message says to pass `n` as a bigint).
   * @throws Error `code === 'ERR'` when the value is not an integer or the result overflows 64 bits.
   */
  incrby(key: string, n: number): number
  /**
   * Adds `n` to the integer at `key` (0 when missing; the TTL is kept) and
   * returns the result as a bigint, exact over Redis's 64-bit range.
   * @throws RangeError when `n` is outside −2^63 … 2^63 − 1.
   * @throws Error `code === 'ERR'` when the value is not an integer or the result overflows 64 bits.
   */
  incrby(key: string, n: bigint): bigint
  incrby(key: string, n: number | bigint): number | bigint {
    if (typeof n === 'bigint') {
      if (n < I64_MIN || n > I64_MAX) {
        throw new RangeError(`n is ${n}n; expected a bigint from -(2n ** 63n) to 2n ** 63n - 1n (Redis's 64-bit integers)`)
      }
      return this.#h.incrbyBig(checkKey(key), n)
    }
    if (!Number.isSafeInteger(checkInteger(n, 'n'))) {
      throw new RangeError(`n is ${n}; expected a safe integer (pass a bigint for larger increments)`)
    }
    return this.#h.incrby(checkKey(key), n)
  }

  /** Appends to the string at `key` (creating it). Returns the new length in bytes. */
  append(key: string, value: Scalar): number {
    return this.#h.append(checkKey(key), value)
  }

  /** Length in bytes of the string at `key`; 0 when missing. */
  strlen(key: string): number {
    return this.#h.strlen(checkKey(key))
  }

  /** Pushes values at the head, one after the other (the last ends up first). Returns the new length. */
  lpush(key: string, ...values: Scalar[]): number {
    return this.#h.lpush(checkKey(key), needSome(values, 'lpush', 'value'))
  }

  /** Pushes values at the tail. Returns the new length. */
  rpush(key: string, ...values: Scalar[]): number {
    return this.#h.rpush(checkKey(key), needSome(values, 'rpush', 'value'))
  }

  /** Removes and returns the first element, or `null`; an emptied list's key is removed. */
  lpop(key: string): T | null {
    return this.#h.lpop(checkKey(key)) as T | null
  }

  /** Removes and returns the last element, or `null`. */
  rpop(key: string): T | null {
    return this.#h.rpop(checkKey(key)) as T | null
  }

  /** Elements `start` to `stop` inclusive; negative indexes count from the end. */
  lrange(key: string, start: number, stop: number): T[] {
    return this.#h.lrange(checkKey(key), checkInteger(start, 'start'), checkInteger(stop, 'stop')) as T[]
  }

  /** Length of the list; 0 when missing. */
  llen(key: string): number {
    return this.#h.llen(checkKey(key))
  }

  /** The element at `index` (negative from the end), or `null`. */
  lindex(key: string, index: number): T | null {
    return this.#h.lindex(checkKey(key), checkInteger(index, 'index')) as T | null
  }

  /** Sets one field. Returns 1 when the field is new, 0 when it was updated. */
  hset(key: string, field: Scalar, value: Scalar): number
  /** Sets several fields from a `Map`, a plain object or `[field, value]` pairs. Returns how many were new. */
  hset(key: string, fields: Map<Scalar, Scalar> | Record<string, Scalar> | Iterable<readonly [Scalar, Scalar]>): number
  hset(key: string, ...args: unknown[]): number {
    checkKey(key)
    if (args.length === 2) return this.#h.hset(key, [[args[0], args[1]]])
    if (args.length !== 1) throw new TypeError('hset takes (key, field, value) or (key, fields)')
    const fields = args[0]
    if (ArrayBuffer.isView(fields)) throw binaryAsEntries(fields, 'fields')
    const source = fields instanceof Map || !isIterable(fields) ? fields : Array.from(fields)
    const count =
      source instanceof Map
        ? source.size
        : Array.isArray(source)
          ? source.length
          : source !== null && typeof source === 'object'
            ? Object.keys(source).length
            : 1
    if (count === 0) throw new TypeError('hset needs at least one field')
    return this.#h.hset(key, source)
  }

  /** The value of `field`, or `null`. */
  hget(key: string, field: Scalar): T | null {
    return this.#h.hget(checkKey(key), field) as T | null
  }

  /** Removes fields; an emptied hash's key is removed. Returns how many existed. */
  hdel(key: string, ...fields: Scalar[]): number {
    return this.#h.hdel(checkKey(key), needSome(fields, 'hdel', 'field'))
  }

  /**
   * Every field and value, as an object (field order unspecified, as in
   * Redis). Fields become string keys; two fields are never merged into one:
   * when two fields that are not valid UTF-8 decode to the same string, it
   * throws instead (use {@link Keyspace.hgetallMap} with `{ buffers: true }`).
   * @throws Error `code === 'ERR_LAZYFREE_FIELD_COLLISION'` when two fields
   *   decode to the same string.
   */
  hgetall(key: string): Record<string, T> {
    const flat = this.#h.hgetall(checkKey(key))
    const out: Record<string, T> = {}
    for (let i = 0; i < flat.length; i += 2) {
      const field = flat[i] as string
      if (field === '__proto__') {
        Object.defineProperty(out, field, { value: flat[i + 1], enumerable: true, writable: true, configurable: true })
      } else {
        out[field] = flat[i + 1] as T
      }
    }
    return out
  }

  /**
   * Every field and value, as a `Map` (order unspecified): lossless for any
   * field. Fields and values are strings, or `Buffer`s in a keyspace made
   * with `returnBuffers: true`; `{ buffers: true }` returns `Buffer`s in any
   * keyspace, which keeps fields that are not valid UTF-8 apart. (Two
   * `Buffer` keys of a `Map` are distinct objects: look a field up by
   * iterating, or by `field.toString('latin1')` of your own.)
   * @throws Error `code === 'ERR_LAZYFREE_FIELD_COLLISION'` when fields are
   *   strings and two of them decode to the same string.
   */
  hgetallMap<B extends boolean | undefined = undefined>(
    key: string,
    options?: HgetallMapOptions<B>,
  ): HgetallMapResult<B, T> {
    const o = optionsObject(options, 'options', ['buffers'])
    const buffers = checkBoolean(o.buffers, 'options.buffers') ?? this.#buffers
    const flat = this.#h.hgetall(checkKey(key), buffers)
    const out = new Map<T | Buffer, T | Buffer>()
    for (let i = 0; i < flat.length; i += 2) out.set(flat[i] as T, flat[i + 1] as T)
    return out as HgetallMapResult<B, T>
  }

  /** Number of fields; 0 when missing. */
  hlen(key: string): number {
    return this.#h.hlen(checkKey(key))
  }

  /** Whether `field` exists. */
  hexists(key: string, field: Scalar): boolean {
    return this.#h.hexists(checkKey(key), field)
  }

  /** Adds members. Returns how many were new. */
  sadd(key: string, ...members: Scalar[]): number {
    return this.#h.sadd(checkKey(key), needSome(members, 'sadd', 'member'))
  }

  /** Removes members; an emptied set's key is removed. Returns how many existed. */
  srem(key: string, ...members: Scalar[]): number {
    return this.#h.srem(checkKey(key), needSome(members, 'srem', 'member'))
  }

  /** Every member, in no particular order. */
  smembers(key: string): T[] {
    return this.#h.smembers(checkKey(key)) as T[]
  }

  /** Whether `member` is in the set. */
  sismember(key: string, member: Scalar): boolean {
    return this.#h.sismember(checkKey(key), member)
  }

  /** Number of members; 0 when missing. */
  scard(key: string): number {
    return this.#h.scard(checkKey(key))
  }

  /**
   * Sets members' scores: `zadd(key, score, member, score, member, …)`. Returns
   * how many members were new. Scores are numbers, `±Infinity` allowed.
   * @throws Error `code === 'ERR'` (`value is not a valid float`) for a `NaN` score, as Redis.
   */
  zadd(key: string, score: number, member: Scalar, ...more: Array<number | Scalar>): number {
    checkKey(key)
    const args: unknown[] = [score, member, ...more]
    if (args.length % 2 !== 0) throw new TypeError('zadd takes (key, score, member, …) with a member for every score')
    const scores: number[] = []
    const members: unknown[] = []
    for (let i = 0; i < args.length; i += 2) {
      scores.push(checkNumber(args[i], i === 0 ? 'score' : `scores[${i / 2}]`))
      members.push(args[i + 1])
    }
    return this.#h.zadd(key, scores, members)
  }

  /** Removes members; an emptied sorted set's key is removed. Returns how many existed. */
  zrem(key: string, ...members: Scalar[]): number {
    return this.#h.zrem(checkKey(key), needSome(members, 'zrem', 'member'))
  }

  /** The score of `member`, or `null`. */
  zscore(key: string, member: Scalar): number | null {
    return this.#h.zscore(checkKey(key), member) ?? null
  }

  /** Members ranked `start` to `stop` inclusive (lowest score first; negative ranks count from the end). */
  zrange(key: string, start: number, stop: number, options?: ZrangeMembers): T[]
  /** `[member, score]` pairs ranked `start` to `stop` inclusive. */
  zrange(key: string, start: number, stop: number, options: ZrangeWithScores): Array<[T, number]>
  /** Members, or `[member, score]` pairs with `withScores`. */
  zrange(key: string, start: number, stop: number, options?: ZrangeOptions): T[] | Array<[T, number]>
  zrange(key: string, start: number, stop: number, options?: ZrangeOptions): T[] | Array<[T, number]> {
    const o = optionsObject(options, 'options', ['withScores'])
    const withScores = checkBoolean(o.withScores, 'options.withScores') ?? false
    return this.#h.zrange(checkKey(key), checkInteger(start, 'start'), checkInteger(stop, 'stop'), withScores) as
      | T[]
      | Array<[T, number]>
  }

  /** Number of members; 0 when missing. */
  zcard(key: string): number {
    return this.#h.zcard(checkKey(key))
  }

  /**
   * Adds `n` to `member`'s score (0 when absent) and returns the new score.
   * @throws Error `code === 'ERR'` when the result would be `NaN` (`inf` + `-inf`).
   */
  zincrby(key: string, n: number, member: Scalar): number {
    return this.#h.zincrby(checkKey(key), checkNumber(n, 'n'), member)
  }

  /**
   * Moves a native value in at `key` (no copy: `value` is released), replacing
   * any value and clearing the TTL. An empty collection removes the key
   * instead, since Redis never holds one.
   * @throws Error `code === 'OOM'` when it does not fit (then `value` is left as it was).
   */
  setValue(key: string, value: NativeValue): void {
    const handle = NativeValue.handleOf(value)
    if (handle === undefined) throw new TypeError(`value is ${describe(value)}; expected a NativeValue`)
    this.#h.setValue(checkKey(key), handle)
  }

  /** Moves the value at `key` out (the key is removed), or `null`. */
  takeValue(key: string): NativeValue | null {
    const h = this.#h
    checkKey(key)
    return NativeValue.make((id) => h.takeValue(key, id))
  }

  /** Counters and gauges, with Redis's `INFO` field names. */
  info(): KeyspaceInfo {
    return this.#h.info()
  }

  /**
   * Stops active expiry and hands every key to the dropper; the keyspace can
   * no longer be used (its methods throw `ERR_LAZYFREE_CLOSED`). Idempotent.
   *
   * All or nothing: called while a command of this keyspace is still
   * converting its arguments (from a getter or `Symbol.toPrimitive` run by
   * that conversion), it throws an `Error` with `code ===
   * 'ERR_LAZYFREE_BUSY'` before changing anything: the keyspace stays open,
   * active expiry keeps running, and the command completes.
   */
  close(): void {
    const handle = this.#handle
    if (handle === undefined) return
    // Detaching (shared) or the flush (own keyspace) is the only step that
    // can fail (the handle is in use by a command further up the stack); it
    // goes first so a refusal leaves everything as it was.
    try {
      if (this.#name !== undefined) (handle as SharedKeyspaceHandle).close()
      else (handle as KeyspaceHandle).flush(true)
    } catch (cause) {
      const error = new Error(
        'close() was called while a command of this Keyspace is running (from a getter or ' +
          'Symbol.toPrimitive during its argument conversion); nothing was closed: call close() ' +
          'after the command has returned',
        { cause },
      )
      ;(error as Error & { code: string }).code = 'ERR_LAZYFREE_BUSY'
      throw error
    }
    this.#expiry?.stop()
    this.#expiry = undefined
    this.#handle = undefined
    this.#id = 0
  }

}
