import { type KeyspaceOptions } from './keyspace-options';
import { NativeValue } from './native-value';
import type { FlushOptions, HgetallMapOptions, HgetallMapResult, KeyspaceInfo, MsetEntries, Scalar, ScanOptions, SetOptions, ValueKind, ZrangeMembers, ZrangeOptions, ZrangeWithScores } from './types';
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
export declare class Keyspace<T extends string | Buffer = string> {
    #private;
    /**
     * Creates an empty keyspace.
     *
     * @throws TypeError for options of the wrong type or unknown names.
     * @throws RangeError for a `maxMemory` that is not a size, an unknown
     *   `evictionPolicy`, or an `hz` outside 0–500.
     */
    constructor(options?: KeyspaceOptions);
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
    static open<T extends string | Buffer = string>(name: string, options?: KeyspaceOptions): Keyspace<T>;
    /** The shared keyspace's name ({@link Keyspace.open}); `undefined` for `new Keyspace()`. */
    get name(): string | undefined;
    /** Number of keys (DBSIZE), counting expired keys not yet removed, as Redis does. */
    get size(): number;
    /** Whether {@link Keyspace.close} has been called. */
    get closed(): boolean;
    /** How many of `keys` exist; a key named twice counts twice. */
    exists(...keys: string[]): number;
    /** The kind of value at `key`, or `'none'`. */
    type(key: string): ValueKind | 'none';
    /** Removes keys (freed lazily when `lazyfree.userDel` is on). Returns how many existed. */
    del(...keys: string[]): number;
    /** Removes keys, always freeing large values on the dropper's thread. Returns how many existed. */
    unlink(...keys: string[]): number;
    /**
     * Moves `key`'s value and TTL to `newKey`, replacing what was there.
     * @throws Error `code === 'ERR'` (`ERR no such key`) when `key` does not exist.
     */
    rename(key: string, newKey: string): void;
    /** Keys matching a Redis glob pattern (`*`, `?`, `[abc]`, `[^a-z]`, `\` escapes), in no particular order. */
    keys(pattern?: string): string[];
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
    scan(cursor: number, options?: ScanOptions): [nextCursor: number, keys: string[]];
    /**
     * Sets a TTL in seconds. Returns `false` when the key does not exist. A TTL
     * that is not positive deletes the key (and returns `true`), as in Redis.
     */
    expire(key: string, seconds: number): boolean;
    /** Sets a TTL in milliseconds; see {@link Keyspace.expire}. */
    pexpire(key: string, ms: number): boolean;
    /** Seconds to live (rounded), `-1` without a TTL, `-2` when the key does not exist. */
    ttl(key: string): number;
    /** Milliseconds to live, `-1` without a TTL, `-2` when the key does not exist. */
    pttl(key: string): number;
    /** Removes the TTL. Returns `true` when there was one. */
    persist(key: string): boolean;
    /**
     * Removes every key. `{ async: true }` (or no option while
     * `lazyfree.userFlush` is on) hands the whole keyspace to the dropper in one
     * message, counted as one value per key; `{ async: false }` frees it here.
     */
    flush(options?: FlushOptions): void;
    /**
     * Stores a string value, replacing any value (and clearing the TTL unless
     * `keepTtl`). Returns `false`, changing nothing, when `nx` or `xx` is not met.
     *
     * @throws Error `code === 'ERR'` for an `ex`/`px` that is not positive
     *   (`invalid expire time in 'set' command`) or conflicting options
     *   (`syntax error`); `code === 'OOM'` when it does not fit.
     */
    set(key: string, value: Scalar, options?: SetOptions): boolean;
    /**
     * The string at `key`, or `null`.
     * @throws Error `WRONGTYPE` for another kind.
     * @throws RangeError for a value too long for a JS string (over about
     *   512 MiB): read it from a keyspace made with `returnBuffers: true`, or
     *   with `takeValue(key)` and `toJS('buffer')`.
     */
    get(key: string): T | null;
    /**
     * The string at each key, in order: `null` for a missing key or one that
     * holds another kind (no `WRONGTYPE`, as Redis's `MGET`).
     */
    mget(...keys: string[]): Array<T | null>;
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
    mset(entries: MsetEntries): void;
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
    incrby(key: string, n: number): number;
    /**
     * Adds `n` to the integer at `key` (0 when missing; the TTL is kept) and
     * returns the result as a bigint, exact over Redis's 64-bit range.
     * @throws RangeError when `n` is outside −2^63 … 2^63 − 1.
     * @throws Error `code === 'ERR'` when the value is not an integer or the result overflows 64 bits.
     */
    incrby(key: string, n: bigint): bigint;
    /** Appends to the string at `key` (creating it). Returns the new length in bytes. */
    append(key: string, value: Scalar): number;
    /** Length in bytes of the string at `key`; 0 when missing. */
    strlen(key: string): number;
    /** Pushes values at the head, one after the other (the last ends up first). Returns the new length. */
    lpush(key: string, ...values: Scalar[]): number;
    /** Pushes values at the tail. Returns the new length. */
    rpush(key: string, ...values: Scalar[]): number;
    /** Removes and returns the first element, or `null`; an emptied list's key is removed. */
    lpop(key: string): T | null;
    /** Removes and returns the last element, or `null`. */
    rpop(key: string): T | null;
    /** Elements `start` to `stop` inclusive; negative indexes count from the end. */
    lrange(key: string, start: number, stop: number): T[];
    /** Length of the list; 0 when missing. */
    llen(key: string): number;
    /** The element at `index` (negative from the end), or `null`. */
    lindex(key: string, index: number): T | null;
    /** Sets one field. Returns 1 when the field is new, 0 when it was updated. */
    hset(key: string, field: Scalar, value: Scalar): number;
    /** Sets several fields from a `Map`, a plain object or `[field, value]` pairs. Returns how many were new. */
    hset(key: string, fields: Map<Scalar, Scalar> | Record<string, Scalar> | Iterable<readonly [Scalar, Scalar]>): number;
    /** The value of `field`, or `null`. */
    hget(key: string, field: Scalar): T | null;
    /** Removes fields; an emptied hash's key is removed. Returns how many existed. */
    hdel(key: string, ...fields: Scalar[]): number;
    /**
     * Every field and value, as an object (field order unspecified, as in
     * Redis). Fields become string keys; two fields are never merged into one:
     * when two fields that are not valid UTF-8 decode to the same string, it
     * throws instead (use {@link Keyspace.hgetallMap} with `{ buffers: true }`).
     * @throws Error `code === 'ERR_LAZYFREE_FIELD_COLLISION'` when two fields
     *   decode to the same string.
     */
    hgetall(key: string): Record<string, T>;
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
    hgetallMap<B extends boolean | undefined = undefined>(key: string, options?: HgetallMapOptions<B>): HgetallMapResult<B, T>;
    /** Number of fields; 0 when missing. */
    hlen(key: string): number;
    /** Whether `field` exists. */
    hexists(key: string, field: Scalar): boolean;
    /** Adds members. Returns how many were new. */
    sadd(key: string, ...members: Scalar[]): number;
    /** Removes members; an emptied set's key is removed. Returns how many existed. */
    srem(key: string, ...members: Scalar[]): number;
    /** Every member, in no particular order. */
    smembers(key: string): T[];
    /** Whether `member` is in the set. */
    sismember(key: string, member: Scalar): boolean;
    /** Number of members; 0 when missing. */
    scard(key: string): number;
    /**
     * Sets members' scores: `zadd(key, score, member, score, member, …)`. Returns
     * how many members were new. Scores are numbers, `±Infinity` allowed.
     * @throws Error `code === 'ERR'` (`value is not a valid float`) for a `NaN` score, as Redis.
     */
    zadd(key: string, score: number, member: Scalar, ...more: Array<number | Scalar>): number;
    /** Removes members; an emptied sorted set's key is removed. Returns how many existed. */
    zrem(key: string, ...members: Scalar[]): number;
    /** The score of `member`, or `null`. */
    zscore(key: string, member: Scalar): number | null;
    /** Members ranked `start` to `stop` inclusive (lowest score first; negative ranks count from the end). */
    zrange(key: string, start: number, stop: number, options?: ZrangeMembers): T[];
    /** `[member, score]` pairs ranked `start` to `stop` inclusive. */
    zrange(key: string, start: number, stop: number, options: ZrangeWithScores): Array<[T, number]>;
    /** Members, or `[member, score]` pairs with `withScores`. */
    zrange(key: string, start: number, stop: number, options?: ZrangeOptions): T[] | Array<[T, number]>;
    /** Number of members; 0 when missing. */
    zcard(key: string): number;
    /**
     * Adds `n` to `member`'s score (0 when absent) and returns the new score.
     * @throws Error `code === 'ERR'` when the result would be `NaN` (`inf` + `-inf`).
     */
    zincrby(key: string, n: number, member: Scalar): number;
    /**
     * Moves a native value in at `key` (no copy: `value` is released), replacing
     * any value and clearing the TTL. An empty collection removes the key
     * instead, since Redis never holds one.
     * @throws Error `code === 'OOM'` when it does not fit (then `value` is left as it was).
     */
    setValue(key: string, value: NativeValue): void;
    /** Moves the value at `key` out (the key is removed), or `null`. */
    takeValue(key: string): NativeValue | null;
    /** Counters and gauges, with Redis's `INFO` field names. */
    info(): KeyspaceInfo;
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
    close(): void;
}
