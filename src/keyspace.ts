// Keyspace: the embedded Redis-style store, local (`new Keyspace`) or
// shared by every thread of the process (`Keyspace.open`). Argument checks
// come from src/checks.ts, options from src/keyspace-options.ts.
import { KEYSPACE_BRAND } from './brand'
import {
  binaryAsEntries,
  checkBoolean,
  checkInteger,
  checkKey,
  checkKeyTypes,
  checkKeys,
  checkNumber,
  describe,
  isIterable,
  needSome,
  optionsObject,
  wellFormedKey,
} from './checks'
import { codedError } from './errors'
import { startActiveExpiry, type ActiveExpiry } from './expiry'
import { KEYSPACE_OPTIONS, keyspaceSettings, type KeyspaceOptions, type KeyspaceSettings } from './keyspace-options'
import { fast, native, type Binding } from './loader'
import { NativeValue } from './native-value'
import type {
  FlushOptions,
  HgetallMapOptions,
  HgetallMapResult,
  KeyspaceInfo,
  MsetEntries,
  Scalar,
  ScanOptions,
  SetOptions,
  ValueKind,
  ZrangeMembers,
  ZrangeOptions,
  ZrangeWithScores,
} from './types'

// The hot path's functions, held in module constants: calling through
// `fast.name` loads two properties first (3 ns of a 110 ns get, measured).
const { ksGet, ksSet, ksMget, ksMset } = fast

/**
 * Most arguments (keys and values) an `mset` spreads into one `ksMset`
 * call: 2 048 pairs, 32 KB of the stack (as many as an `mget` reply
 * passes to make its array), so a call made deep in a recursion does not
 * run out of stack where the class method would not.
 */
const MSET_FAST_ARGS = 4096

type KeyspaceHandle = Binding.KeyspaceHandle
type SharedKeyspaceHandle = Binding.SharedKeyspaceHandle

/** Redis's integer range, for `incrby` with a bigint. */
const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n

const SET_OPTIONS = ['ex', 'px', 'nx', 'xx', 'keepTtl']
const SCAN_OPTIONS = ['match', 'count', 'type']
const KINDS: readonly string[] = ['string', 'list', 'hash', 'set', 'zset']

/**
 * The private token `Keyspace.open` passes to the constructor in place of
 * options: the shared handle and its name. Only this module can make one.
 */
class OpenShared {
  readonly #opened: { handle: SharedKeyspaceHandle; name: string }
  constructor(handle: SharedKeyspaceHandle, name: string) {
    this.#opened = { handle, name }
  }
  /** What `value` carries when it is a token; a private-field check, so no getter or proxy trap of `value` runs. */
  static openedIn(value: unknown): { handle: SharedKeyspaceHandle; name: string } | undefined {
    return typeof value === 'object' && value !== null && #opened in value ? (value as OpenShared).#opened : undefined
  }
}

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
  #expiry: ActiveExpiry | undefined
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
    const opened = OpenShared.openedIn(options)
    if (opened !== undefined) {
      this.#handle = opened.handle
      this.#name = opened.name
      this.#buffers = opened.handle.returnBuffers
      this.#id = opened.handle.id
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
    let settings: KeyspaceSettings | undefined
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
    return new Keyspace<T>(new OpenShared(handle, name) as KeyspaceOptions)
  }

  /** The shared keyspace's name ({@link Keyspace.open}); `undefined` for `new Keyspace()`. */
  get name(): string | undefined {
    return this.#name
  }

  get #h(): KeyspaceHandle | SharedKeyspaceHandle {
    if (this.#handle === undefined) {
      throw codedError('ERR_LAZYFREE_CLOSED', 'this Keyspace has been closed')
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
      return typeof key === 'string' && this.#id !== 0 ? ksSet(this.#id, key, value) : this.#h.set(checkKey(key), value)
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
    return (typeof key === 'string' && this.#id !== 0 ? ksGet(this.#id, key) : this.#h.get(checkKey(key))) as T | null
  }

  /**
   * The string at each key, in order: `null` for a missing key or one that
   * holds another kind (no `WRONGTYPE`, as Redis's `MGET`).
   */
  mget(...keys: string[]): Array<T | null> {
    // Closed (#h throws ERR_LAZYFREE_CLOSED before any key is looked at):
    // the handle's method.
    if (this.#id === 0) return this.#h.mget(checkKeys(keys, 'mget')) as Array<T | null>
    return ksMget(this.#id, ...checkKeyTypes(keys, 'mget')) as Array<T | null>
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
      throw new TypeError(
        `entries is ${describe(entries)}; expected a plain object, a Map or an iterable of [key, value] pairs`,
      )
    }
    // The pairs flat, key then value, as ksMset takes them. A key's name
    // for an error is built only when the key is refused.
    // Sized up front when the count is known, so filling it never grows it
    // (`new Array(length)`: setting `length` on an empty array, or
    // `Array.from({ length })`, does not reserve the room).
    const count = Array.isArray(entries) ? entries.length : entries instanceof Map ? entries.size : 0
    // oxlint-disable-next-line unicorn/no-new-array -- the argument is a length
    const flat: unknown[] = new Array(2 * count)
    let n = 0
    if (entries instanceof Map || isIterable(entries)) {
      let i = 0
      for (const pair of entries as Iterable<unknown>) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new TypeError(`entries[${i}] is ${describe(pair)}; expected a [key, value] pair`)
        }
        const key: unknown = pair[0]
        flat[n++] = wellFormedKey(key) ? key : checkKey(key, `entries[${i}][0]`)
        flat[n++] = pair[1]
        i++
      }
    } else {
      for (const [key, value] of Object.entries(entries)) {
        flat[n++] = wellFormedKey(key) ? key : checkKey(key, 'entries key')
        flat[n++] = value
      }
    }
    if (n === 0) throw new TypeError('mset needs at least one entry')
    flat.length = n
    // A batch is spread into one call's arguments up to a bound (V8's stack
    // holds them); a longer one, or a closed keyspace (id 0, which the
    // checked path refuses), takes the class method.
    if (this.#id !== 0 && flat.length <= MSET_FAST_ARGS) {
      ksMset(this.#id, ...flat)
      return
    }
    const keys: string[] = []
    const values: unknown[] = []
    for (let i = 0; i < flat.length; i += 2) {
      keys.push(flat[i] as string)
      values.push(flat[i + 1])
    }
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
        throw new RangeError(
          `n is ${n}n; expected a bigint from -(2n ** 63n) to 2n ** 63n - 1n (Redis's 64-bit integers)`,
        )
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
      T[] | Array<[T, number]>
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
      throw codedError(
        'ERR_LAZYFREE_BUSY',
        'close() was called while a command of this Keyspace is running (from a getter or ' +
          'Symbol.toPrimitive during its argument conversion); nothing was closed: call close() ' +
          'after the command has returned',
        { cause },
      )
    }
    this.#expiry?.stop()
    this.#expiry = undefined
    this.#handle = undefined
    this.#id = 0
  }
}
