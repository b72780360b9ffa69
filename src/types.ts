// The public data types of the facade: what values and replies are made of
// and the option and report shapes of the keyspace commands. Types only: no
// code runs here, so every module can import it.
import type * as Binding from '../binding'

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

/**
 * A dropper's counters (Redis's meanings where Redis has them). Declared
 * once, on the Rust struct in crate/glue/dropper.rs, whose field docs flow
 * into binding.d.ts.
 */
export type DropperStats = Binding.DropperStats

/** Options of {@link Keyspace.hgetallMap}. */
export interface HgetallMapOptions<B extends boolean | undefined = boolean | undefined> {
  /** Fields and values as `Buffer`s (`true`) or strings (`false`); default: as `returnBuffers`. */
  buffers?: B
}

/** What {@link Keyspace.hgetallMap} returns for its `buffers` option `B`. */
export type HgetallMapResult<B, T> = B extends true
  ? Map<Buffer, Buffer>
  : B extends false
    ? Map<string, string>
    : Map<T, T>

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

/**
 * What {@link Keyspace.info} reports, with Redis's field names: the type the
 * addon returns, declared once with its field docs on the Rust struct
 * (crate/glue/keyspace.rs).
 */
export type KeyspaceInfo = Binding.KeyspaceInfo
