// `lazyfree/keyv`: a Keyv storage adapter over a Keyspace (docs/api.md §5).
//
// Node services reach their caches through Keyv (and cache-manager over
// Keyv) rather than through a cache library directly. This adapter lets them
// keep that layer and move the cached data off the V8 heap: every entry
// lives in a Keyspace, TTLs are the keyspace's own (expired entries are
// removed by its active expiry, not by a timer per key), and removals go
// through the dropper. `keyv` is an optional peer dependency: this module
// loads it only when `createKeyv` is called, and `require('lazyfree')`
// never loads this module.
import { EventEmitter } from 'node:events'
import { deserialize, serialize } from 'node:v8'
import { threadId } from 'node:worker_threads'
import type { Keyv, KeyvOptions } from 'keyv'
import { Keyspace, NativeValue, type KeyspaceOptions } from './index'

/**
 * Marks a key whose value is not a string: Keyv passes strings (its
 * serializer's output) unless serialization is turned off, in which case it
 * passes its `{ value, expires }` records, and those are stored as a
 * two-element list `[VALUE_MARKER, base64(v8.serialize(value))]`, so they
 * come back as they went in (Buffers, Dates, Maps, BigInts included).
 */
const VALUE_MARKER = 'lazyfree:v8'

/** Numbers this thread's staging keys (see `#setEncoded`). */
let stagingSeq = 0

/** Keys removed per step by `clear`, and visited per step by `iterator`. */
const SCAN_COUNT = 256

/** A Redis glob matching `text` literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`
  return `${typeof value} ${String(value)}`
}

/** A TTL in ms as `set`'s `px`, or `undefined` for none (`undefined` or 0, as Keyv means them). */
function ttlOf(ttl: unknown, name = 'ttl'): number | undefined {
  if (ttl === undefined || ttl === null || ttl === 0) return undefined
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new RangeError(
      `${name} is ${describe(ttl)}; expected a non-negative number of milliseconds (0 or undefined for none)`,
    )
  }
  return Math.max(1, Math.ceil(ttl))
}

/**
 * Whether `value` is a Keyspace of this copy of lazyfree or of another one
 * loaded in the process (a bundler's, a test runner's): every Keyspace
 * carries a `lazyfree` brand, a registered symbol, the same in every copy.
 */
function isKeyspace(value: unknown): value is Keyspace {
  if (value instanceof Keyspace) return true
  const brand = value !== null && typeof value === 'object' ? (value as { lazyfree?: unknown }).lazyfree : undefined
  return typeof brand === 'symbol' && (Symbol.keyFor(brand) ?? '').startsWith('lazyfree.Keyspace:')
}

/** One entry of {@link KeyvLazyfree.setMany}. */
export interface KeyvLazyfreeEntry {
  key: string
  value: unknown
  ttl?: number
}

/**
 * A Keyv storage adapter over a {@link Keyspace}: `new Keyv({ store: new
 * KeyvLazyfree() })`. Keys are stored as Keyv gives them (prefixed with the
 * namespace), string values as keyspace strings, TTLs as keyspace TTLs.
 *
 * Given a keyspace, the adapter uses it and leaves it open on
 * {@link KeyvLazyfree.disconnect}; given options (or nothing), it creates a
 * keyspace of its own and closes it on `disconnect`. Several adapters (one
 * per Keyv namespace) may share one keyspace.
 *
 * Given a shared keyspace (`Keyspace.open(name)`), the adapters of every
 * thread that opened `name` are one store: each command is atomic with
 * respect to the other threads, and each entry is read and written in one
 * command (an object with a TTL goes in under a staging key of its own and
 * is renamed over the entry). `disconnect()` leaves the handle open: the
 * caller opened it and closes it (`keyv.store.keyspace.close()`), or it
 * detaches when its thread ends.
 */
export class KeyvLazyfree extends EventEmitter {
  /**
   * Keyv reads `opts.dialect` to decide whether it may use the adapter's
   * iterator; it knows Redis's, and the keyspace follows Redis's semantics.
   */
  opts: Record<string, unknown> = { dialect: 'redis' }
  /** Set by Keyv: the prefix of this adapter's keys, `namespace:`. */
  namespace?: string
  readonly #ks: Keyspace
  readonly #owned: boolean

  /**
   * @param keyspace a {@link Keyspace} to use, or options for a new one.
   * @throws TypeError when `keyspace` is neither (options are checked as
   *   `new Keyspace(options)` checks them).
   */
  constructor(keyspace?: Keyspace | KeyspaceOptions) {
    super()
    if (isKeyspace(keyspace)) {
      this.#ks = keyspace
      this.#owned = false
    } else {
      this.#ks = new Keyspace(keyspace)
      this.#owned = true
    }
  }

  /** The keyspace holding this adapter's entries. */
  get keyspace(): Keyspace {
    return this.#ks
  }

  /** The value at `key`, or `undefined`. */
  async get(key: string): Promise<unknown> {
    return this.#read(key)
  }

  /** The values at `keys`, in order, `undefined` for missing ones. */
  async getMany(keys: string[]): Promise<unknown[]> {
    if (keys.length === 0) return []
    const values: unknown[] = this.#ks.mget(...keys)
    const missing: number[] = []
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      if (v === null) missing.push(i)
      else if (typeof v !== 'string') values[i] = String(v)
    }
    // A null is a missing key, or one holding a non-string value (a list):
    // one exists() tells whether any of them needs a second look.
    if (missing.length > 0 && this.#ks.exists(...missing.map((i) => keys[i])) > 0) {
      for (const i of missing) values[i] = this.#read(keys[i])
    } else {
      for (const i of missing) values[i] = undefined
    }
    return values
  }

  /**
   * Stores `value` at `key`, replacing what was there; `ttl` in ms (0 or
   * `undefined`: none). Resolves to `true`.
   *
   * @throws RangeError for a negative or non-finite `ttl`; Error `OOM` when
   *   the keyspace is full under `noeviction`; TypeError for a non-string
   *   value that `v8.serialize` cannot copy (a function). Nothing is stored
   *   then.
   */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const px = ttlOf(ttl)
    if (typeof value === 'string') {
      this.#ks.set(key, value, px === undefined ? undefined : { px })
    } else {
      this.#setEncoded(key, value, px)
    }
    return true
  }

  /**
   * Stores every entry. Entries without a TTL are written in one `mset`
   * (all or nothing); each entry with one is written as `set` writes it.
   */
  async setMany(entries: KeyvLazyfreeEntry[]): Promise<boolean[]> {
    const plain = new Map<string, string>()
    const rest: Array<{ key: string; value: unknown; px: number | undefined }> = []
    entries.forEach((entry, i) => {
      const px = ttlOf(entry.ttl, `entries[${i}].ttl`)
      if (px === undefined && typeof entry.value === 'string') {
        plain.delete(entry.key) // keep the order of the last write
        plain.set(entry.key, entry.value)
      } else {
        plain.delete(entry.key)
        rest.push({ key: entry.key, value: entry.value, px })
      }
    })
    if (plain.size > 0) this.#ks.mset(plain)
    for (const { key, value, px } of rest) {
      if (typeof value === 'string') this.#ks.set(key, value, px === undefined ? undefined : { px })
      else this.#setEncoded(key, value, px)
    }
    return entries.map(() => true)
  }

  /** Removes `key` (its value freed off the event loop if large). `true` when it existed. */
  async delete(key: string): Promise<boolean> {
    return this.#ks.unlink(key) === 1
  }

  /** Removes `keys`. `true` when every one of them existed (as Keyv's own fallback answers). */
  async deleteMany(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return false
    return this.#ks.unlink(...keys) === keys.length
  }

  /** Whether `key` holds a live entry. */
  async has(key: string): Promise<boolean> {
    return this.#ks.exists(key) === 1
  }

  /** {@link KeyvLazyfree.has} for each key. */
  async hasMany(keys: string[]): Promise<boolean[]> {
    return keys.map((key) => this.#ks.exists(key) === 1)
  }

  /**
   * Removes this adapter's namespace: every key starting with `namespace:`,
   * found with `scan` and removed with `unlink` a step at a time, yielding to
   * the event loop between steps. Keys of other namespaces, and other data
   * in a shared keyspace, are left alone. Without a namespace (Keyv with
   * `namespace: undefined`), every key of the keyspace is removed (for every
   * thread, when the keyspace is shared). Each step is atomic; the whole is
   * not: an entry another thread writes while `clear` runs may stay.
   */
  async clear(): Promise<void> {
    if (this.namespace === undefined || this.namespace === '') {
      this.#ks.flush()
      return
    }
    const match = `${escapeGlob(this.namespace)}:*`
    let cursor = 0
    do {
      const [next, keys] = this.#ks.scan(cursor, { match, count: SCAN_COUNT })
      if (keys.length > 0) this.#ks.unlink(...keys)
      cursor = next
      if (cursor !== 0) await new Promise((resolve) => setImmediate(resolve))
    } while (cursor !== 0)
  }

  /**
   * Every `[key, value]` of `namespace` (or of the whole keyspace without
   * one), walked with `scan`: a key present for the whole walk is yielded at
   * least once however the keyspace changes meanwhile, and each step holds
   * the event loop for a bounded time.
   */
  async *iterator(namespace?: string): AsyncGenerator<[string, unknown], void> {
    const match = namespace ? `${escapeGlob(namespace)}:*` : undefined
    let cursor = 0
    do {
      const [next, keys] = this.#ks.scan(cursor, { match, count: SCAN_COUNT })
      cursor = next
      if (keys.length === 0) continue
      const values = await this.getMany(keys)
      for (let i = 0; i < keys.length; i++) {
        if (values[i] !== undefined) yield [keys[i], values[i]]
      }
    } while (cursor !== 0)
  }

  /**
   * Closes the keyspace if this adapter created it. A keyspace it was given,
   * shared or not, stays open: it belongs to the caller, who may use it
   * elsewhere (another namespace, another Keyv, the keyspace's own
   * commands). For a shared keyspace that also means this thread's handle
   * stays attached; close it with `keyv.store.keyspace.close()`.
   */
  async disconnect(): Promise<void> {
    if (this.#owned) this.#ks.close()
  }

  #setEncoded(key: string, value: unknown, px: number | undefined): void {
    let bytes: Buffer
    try {
      bytes = serialize(value)
    } catch (error) {
      throw new TypeError(
        `value at '${key}' cannot be stored: ${(error as Error).message} (without Keyv's serializer, values must be structured-cloneable)`,
      )
    }
    const list = NativeValue.list([VALUE_MARKER, bytes.toString('base64')])
    if (px === undefined || this.#ks.name === undefined) {
      // Moved in as a whole, replacing what was there (or, on OOM, nothing),
      // then given its TTL: two commands, with no JavaScript of another
      // thread between them (an unshared keyspace belongs to this thread).
      this.#ks.setValue(key, list)
      if (px !== undefined) this.#ks.pexpire(key, px)
      return
    }
    // A shared keyspace: another thread may write `key` between two
    // commands, and a pexpire after setValue would then give that thread's
    // value this TTL. So the value gets its TTL under a staging key of this
    // thread's own, and one rename (atomic, keeping the TTL) replaces `key`.
    const staging = `${VALUE_MARKER}:staging:${threadId}:${stagingSeq++}`
    this.#ks.setValue(staging, list)
    this.#ks.pexpire(staging, px)
    try {
      this.#ks.rename(staging, key)
    } catch (error) {
      if (this.#ks.exists(staging) === 1) {
        // Not renamed (OOM: the target's shard is full): nothing is stored.
        this.#ks.unlink(staging)
        throw error
      }
      // The staging key expired or was evicted before the rename: the
      // entry was written and is gone already, as if evicted at once.
      this.#ks.unlink(key)
    }
  }

  /**
   * The entry at `key`. Each step is one keyspace command, so it is atomic
   * even when other threads write the key (a shared keyspace): a string is
   * read with `get`, one of our lists with a single `lrange`; a key that
   * changes kind between the two (another thread replaced it) is read again.
   */
  #read(key: string): unknown {
    for (;;) {
      let v: string | Buffer | null
      try {
        v = this.#ks.get(key) as string | Buffer | null
      } catch (error) {
        if ((error as { code?: string }).code !== 'WRONGTYPE') throw error
        // Not a string: one of ours (a marked two-element list), or data of
        // another kind put in a shared keyspace by someone else (not an entry).
        let items: Array<string | Buffer>
        try {
          items = this.#ks.lrange(key, 0, 2) as Array<string | Buffer>
        } catch (inner) {
          if ((inner as { code?: string }).code !== 'WRONGTYPE') throw inner
          // Not a list now: replaced by another thread since the get. A
          // string or list (changed again since) is read again; data of
          // another kind is not an entry, and a missing key is none.
          const kind = this.#ks.type(key)
          if (kind === 'string' || kind === 'list') continue
          return undefined
        }
        if (items.length === 0) continue // removed since the get: read again
        if (items.length !== 2 || String(items[0]) !== VALUE_MARKER) return undefined
        return deserialize(Buffer.from(String(items[1]), 'base64'))
      }
      if (v === null) return undefined
      return typeof v === 'string' ? v : v.toString('utf8')
    }
  }
}

/**
 * A Keyv over a {@link KeyvLazyfree}: `createKeyv()` (a keyspace of its
 * own), `createKeyv({ maxMemory: '256mb', evictionPolicy: 'allkeys-lru' })`,
 * or `createKeyv(keyspace, { namespace: 'sessions' })`.
 *
 * @throws Error `MODULE_NOT_FOUND` with how to install it, when `keyv` is
 *   not installed.
 */
export function createKeyv(keyspace?: Keyspace | KeyspaceOptions, keyvOptions?: Omit<KeyvOptions, 'store'>): Keyv {
  let KeyvClass: typeof Keyv
  try {
    KeyvClass = (require('keyv') as { Keyv: typeof Keyv }).Keyv
  } catch (error) {
    if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error
    const e = new Error("createKeyv needs the 'keyv' package (a peer dependency of lazyfree/keyv): npm install keyv@5")
    ;(e as Error & { code: string }).code = 'MODULE_NOT_FOUND'
    throw e
  }
  return new KeyvClass({ ...keyvOptions, store: new KeyvLazyfree(keyspace) })
}
