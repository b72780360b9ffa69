// Dropper: one named OS thread draining a bounded queue where large values
// are freed off the event loop, its option checks, and this environment's
// default dropper.
import { DROPPER_BRAND, HANDLE_OF, ID_OF, foreignHandle, idOf } from './brand'
import { arrayOf, describe } from './checks'
import { fast, native, type Binding } from './loader'
import { NativeValue } from './native-value'
import type { DropperOptions, DropperStats, JsValue } from './types'

// The hot path's functions, held in module constants: calling through
// `fast.name` loads two properties first (as measured on Keyspace#get).
const { dropperCapacity, dropperDefer } = fast

type DropperHandle = Binding.DropperHandle

/** The option defaults, as the core defines them (crate/glue/limits.rs). */
const LIMITS = native.limits()

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
  for (const [key, value] of [
    ['capacity', capacity],
    ['threshold', threshold],
  ] as const) {
    if (value !== undefined && typeof value !== 'number') {
      throw new TypeError(`options.${key} is ${describe(value)}; expected a number`)
    }
  }
  if (name !== undefined && typeof name !== 'string') {
    throw new TypeError(`options.name is ${describe(name)}; expected a string`)
  }
  return options as DropperOptions
}

/**
 * The private token `Dropper.fromHandle` passes to the constructor in place
 * of options: only this module can make one, so no caller can adopt a handle.
 */
class Adopt {
  readonly #handle: DropperHandle
  constructor(handle: DropperHandle) {
    this.#handle = handle
  }
  /** The handle `value` carries when it is a token; a private-field check, so no getter or proxy trap of `value` runs. */
  static handleIn(value: unknown): DropperHandle | undefined {
    return typeof value === 'object' && value !== null && #handle in value ? (value as Adopt).#handle : undefined
  }
}

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
    const adopted = Adopt.handleIn(options)
    if (adopted !== undefined) {
      this.#handle = adopted
      this.#id = adopted.id
      return
    }
    const {
      capacity = LIMITS.dropperCapacity,
      threshold = LIMITS.dropperThreshold,
      name = LIMITS.dropperName,
    } = checkOptions(options)
    this.#handle = new native.DropperHandle(capacity, threshold, name)
    this.#id = this.#handle.id
  }

  /** @internal Wraps a native handle (the default dropper). */
  static fromHandle(handle: DropperHandle): Dropper {
    return new Dropper(new Adopt(handle) as DropperOptions)
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

  /** @internal The id the fast functions know this dropper by, for any copy of this module. */
  [ID_OF](): number {
    return this.#id
  }

  /** @internal The fast-path id of `value`, or `undefined` when it is not a `Dropper`. */
  static idOf(value: unknown): number | undefined {
    return value instanceof Object && #id in value ? (value as Dropper).#id : idOf(value, DROPPER_BRAND)
  }

  /** Channel slots. */
  get capacity(): number {
    return dropperCapacity(this.#id)
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
    return id !== undefined ? dropperDefer(this.#id, id) : this.#handle.deferJs(value)
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
