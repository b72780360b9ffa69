// NativeValue: one owned value in native memory, and the ways to make one.
// It hands its memory to a dropper through the dropper's native handle,
// found by the cross-copy protocol of src/brand.ts, so this module does not
// import src/dropper.ts (which imports this one).
import type { Dropper } from './dropper'
import { DROPPER_BRAND, HANDLE_OF, ID_OF, NATIVE_VALUE_BRAND, foreignHandle, idOf } from './brand'
import { arrayOf, binaryAsEntries, describe, isIterable } from './checks'
import { fast, native, nextNativeId, type Binding } from './loader'
import type { JsBufferOutput, JsOutput, JsValue, Scalar, ValueKind } from './types'

// The hot path's function, held in a module constant: calling through
// `fast.nativeRelease` loads two properties first (as measured on
// Keyspace#get).
const { nativeRelease } = fast

type NativeHandle = Binding.NativeHandle

/** Holds the value that keeps NativeValue's shape alive (see the class's static block). */
const shapeKeeper: NativeValue[] = []

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

  /**
   * One value no function hands out or reads, kept as long as the module: it
   * keeps the shape (V8's hidden class) of NativeValue objects alive. Without
   * it, once every NativeValue of a program has been collected the shape dies
   * with them, V8 throws away the optimized code of `Dropper#defer` that checks
   * for it, and the next burst of hand-overs runs unoptimized until that code
   * is compiled again. Its handle is `null`, so the shape does not depend on
   * the native handles' own shapes either.
   */
  static {
    shapeKeeper.push(new NativeValue(null as unknown as NativeHandle, 0))
  }

  private constructor(handle: NativeHandle, id: number) {
    this.#handle = handle
    this.#id = id
  }

  /** @internal The id the fast functions know this value by, for any copy of this module. */
  [ID_OF](): number {
    return this.#id
  }

  /** @internal The native handle, for another copy of this module. */
  [HANDLE_OF](): NativeHandle {
    return this.#handle
  }

  /**
   * @internal Makes the native handle through `create(id)` with a fresh id
   * (see `nextNativeId`) and wraps it; `null` when `create` makes none (the
   * keyspace's `takeValue` of a missing key).
   */
  static make(create: (id: number) => NativeHandle | null): NativeValue | null {
    const id = nextNativeId()
    const handle = create(id)
    return handle ? new NativeValue(handle, id) : null
  }

  static #make(create: (id: number) => NativeHandle): NativeValue {
    return NativeValue.make(create) as NativeValue
  }

  /** @internal The fast-path id of `value`, or `undefined` when it is not a `NativeValue`. */
  static idOf(value: unknown): number | undefined {
    return value instanceof Object && #id in value ? (value as NativeValue).#id : idOf(value, NATIVE_VALUE_BRAND)
  }

  /** @internal The native handle of `value`, or `undefined` when it is not a `NativeValue`. */
  static handleOf(value: unknown): NativeHandle | undefined {
    if (value instanceof Object && #handle in value) return (value as NativeValue).#handle
    const handle = foreignHandle(value, NATIVE_VALUE_BRAND)
    return handle as NativeHandle | undefined
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
  static hash(
    entries: Map<Scalar, Scalar> | Record<string, Scalar> | Iterable<readonly [Scalar, Scalar]>,
  ): NativeValue {
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
  release(dropper?: Dropper): boolean {
    const target = dropper === undefined ? defaultDropperId() : idOf(dropper, DROPPER_BRAND)
    if (target === undefined) {
      throw new TypeError(`dropper is ${describe(dropper)}; expected a Dropper (or nothing, for defaultDropper)`)
    }
    return nativeRelease(this.#id, target)
  }
}

/**
 * This environment's default dropper, as the fast functions know it: a
 * handle of its own (so this module need not import src/dropper.ts, which
 * imports this one), made on first use and kept, so its id stays live.
 */
const defaultDropper: { handle?: Binding.DropperHandle; id: number } = { id: 0 }
function defaultDropperId(): number {
  if (defaultDropper.id === 0) {
    defaultDropper.handle = native.DropperHandle.defaultDropper()
    defaultDropper.id = defaultDropper.handle.id
  }
  return defaultDropper.id
}
