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
// --- end native loader ---

type NativeHandle = Binding.NativeHandle
type DropperHandle = Binding.DropperHandle

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
  /** Channel slots: values that can wait for the thread. An integer from 1 to 16 777 216; default 4096. */
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

  private constructor(handle: NativeHandle) {
    this.#handle = handle
  }

  /** @internal Wraps a native handle; used by the keyspace. */
  static fromHandle(handle: NativeHandle): NativeValue {
    return new NativeValue(handle)
  }

  /** @internal The native handle of `value`, or `undefined` when it is not a `NativeValue`. */
  static handleOf(value: unknown): NativeHandle | undefined {
    return value instanceof Object && #handle in value ? (value as NativeValue).#handle : undefined
  }

  /**
   * Converts a JavaScript value into native memory: a scalar becomes a string,
   * an array a list, a `Set` a set, a `Map` or plain object a hash.
   *
   * @throws TypeError naming the path of the offending part (for example
   *   `value[3]` or `value.get("k")`) and what was found; nothing is created.
   */
  static from(value: JsValue): NativeValue {
    return new NativeValue(native.NativeHandle.convert(value, 'auto', 'value'))
  }

  /**
   * A string value from one scalar: its UTF-8 bytes, its bytes, or its decimal text.
   * @throws TypeError when `s` is not a scalar.
   */
  static string(s: Scalar): NativeValue {
    return new NativeValue(native.NativeHandle.convert(s, 'string', 's'))
  }

  /**
   * A list from an array or any iterable of scalars, in order.
   * @throws TypeError naming the first element that is not a scalar (`items[i]`).
   */
  static list(items: Iterable<Scalar>): NativeValue {
    const array = arrayOf(items, 'items', 'an array or iterable of scalars')
    return new NativeValue(native.NativeHandle.convert(array, 'list', 'items'))
  }

  /**
   * A set from a `Set`, an array or any iterable of scalars; members equal as bytes collapse.
   * @throws TypeError naming the first member that is not a scalar.
   */
  static set(members: Iterable<Scalar>): NativeValue {
    const source = members instanceof Set ? members : arrayOf(members, 'members', 'a Set, array or iterable of scalars')
    return new NativeValue(native.NativeHandle.convert(source, 'set', 'members'))
  }

  /**
   * A hash from a `Map`, a plain object, or an iterable of `[field, value]`
   * pairs; a repeated field keeps its last value.
   * @throws TypeError naming the first field or value that is not a scalar.
   */
  static hash(entries: Map<Scalar, Scalar> | Record<string, Scalar> | Iterable<readonly [Scalar, Scalar]>): NativeValue {
    const source = entries instanceof Map || !isIterable(entries) ? entries : Array.from(entries)
    return new NativeValue(native.NativeHandle.convert(source, 'hash', 'entries'))
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
    return new NativeValue(native.NativeHandle.convert(array, 'zset', 'entries'))
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
    const target = Dropper.handleOf(dropper)
    if (target === undefined) {
      throw new TypeError(`dropper is ${describe(dropper)}; expected a Dropper (or nothing, for defaultDropper)`)
    }
    return this.#handle.release(target)
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

  /**
   * Starts a dropper and its thread.
   *
   * @throws TypeError for options of the wrong type or unknown names.
   * @throws RangeError for a capacity that is not an integer from 1 to
   *   16 777 216, a threshold that is not a non-negative integer or
   *   `Infinity`, or an empty name.
   */
  constructor(options?: DropperOptions) {
    if (adopting !== undefined) {
      this.#handle = adopting
      adopting = undefined
      return
    }
    const { capacity = 4096, threshold = 64, name = 'lazyfree-drop' } = checkOptions(options)
    this.#handle = new native.DropperHandle(capacity, threshold, name)
  }

  /** @internal Wraps a native handle (the default dropper). */
  static fromHandle(handle: DropperHandle): Dropper {
    adopting = handle
    return new Dropper()
  }

  /** @internal The native handle of `value`, or `undefined` when it is not a `Dropper`. */
  static handleOf(value: unknown): DropperHandle | undefined {
    return value instanceof Object && #handle in value ? (value as Dropper).#handle : undefined
  }

  /** Channel slots. */
  get capacity(): number {
    return this.#handle.capacity
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
   * JavaScript value is converted first.
   *
   * @returns `true` when the value was handed to the thread.
   * @throws TypeError when a JavaScript value cannot be converted (path named).
   * @throws Error with `code === 'ERR_LAZYFREE_RELEASED'` for a released `NativeValue`.
   */
  defer(value: NativeValue | JsValue): boolean {
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
