/**
 * lazyfree: Redis-style lazy free for Node.js.
 *
 * Big data lives in native memory, off the V8 heap, and is released on a
 * background OS thread, so the event loop never stalls on a free.
 *
 * @packageDocumentation
 */
/** A scalar: what a string value, or one element of a collection, is made from. */
export type Scalar = string | Buffer | ArrayBufferView | ArrayBuffer | number | bigint;
/** The kind of a native value, named as Redis's `TYPE` names it. */
export type ValueKind = 'string' | 'list' | 'hash' | 'set' | 'zset';
/**
 * A JavaScript value that can enter native memory:
 * a scalar becomes a `'string'`, an array a `'list'` (order kept), a `Set` a
 * `'set'` (members equal as bytes collapse), a `Map` or plain object a `'hash'`.
 */
export type JsValue = Scalar | Scalar[] | Set<Scalar> | Map<Scalar, Scalar> | Record<string, Scalar>;
/** What `toJS()` returns: bytes decoded as UTF-8 strings. */
export type JsOutput = string | string[] | Set<string> | Map<string, string> | Array<[string, number]>;
/** What `toJS('buffer')` returns: bytes as `Buffer`s. */
export type JsBufferOutput = Buffer | Buffer[] | Set<Buffer> | Map<Buffer, Buffer> | Array<[Buffer, number]>;
/** Options of a {@link Dropper}. */
export interface DropperOptions {
    /** Channel slots: values that can wait for the thread. An integer from 1 to 16 777 216; default 4096. */
    capacity?: number;
    /**
     * A list, hash, set or zset is large, and freed on the thread, when it holds
     * more than this many elements. A non-negative integer, or `Infinity` to free
     * everything inline; default 64. Strings are never large.
     */
    threshold?: number;
    /** The OS thread's name (Linux keeps the first 15 bytes); default `'lazyfree-drop'`. */
    name?: string;
}
/** A dropper's counters (Redis's meanings where Redis has them). */
export interface DropperStats {
    /** Values handed to the thread, ever. */
    deferred: number;
    /** Values the thread has freed (Redis: `lazyfreed_objects`). */
    freed: number;
    /** `deferred - freed` (Redis: `lazyfree_pending_objects`). */
    pending: number;
    /** Estimated bytes handed over and not yet freed. */
    pendingBytes: number;
    /** Estimated bytes the thread has freed. */
    freedBytes: number;
    /** Values freed inline because they were not large. */
    inlineSmall: number;
    /** Values freed inline because the queue was full. */
    inlineFull: number;
    /** Values freed inline because the dropper was closed or its thread unavailable. */
    inlineClosed: number;
    /** Messages in the channel right now. */
    queued: number;
    /** Channel slots. */
    capacity: number;
    /** Whether the drop thread is running. */
    threadRunning: boolean;
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
export declare class NativeValue {
    #private;
    private constructor();
    /**
     * Converts a JavaScript value into native memory: a scalar becomes a string,
     * an array a list, a `Set` a set, a `Map` or plain object a hash.
     *
     * @throws TypeError naming the path of the offending part (for example
     *   `value[3]` or `value.get("k")`) and what was found; nothing is created.
     */
    static from(value: JsValue): NativeValue;
    /**
     * A string value from one scalar: its UTF-8 bytes, its bytes, or its decimal text.
     * @throws TypeError when `s` is not a scalar.
     */
    static string(s: Scalar): NativeValue;
    /**
     * A list from an array or any iterable of scalars, in order.
     * @throws TypeError naming the first element that is not a scalar (`items[i]`).
     */
    static list(items: Iterable<Scalar>): NativeValue;
    /**
     * A set from a `Set`, an array or any iterable of scalars; members equal as bytes collapse.
     * @throws TypeError naming the first member that is not a scalar.
     */
    static set(members: Iterable<Scalar>): NativeValue;
    /**
     * A hash from a `Map`, a plain object, or an iterable of `[field, value]`
     * pairs; a repeated field keeps its last value.
     * @throws TypeError naming the first field or value that is not a scalar.
     */
    static hash(entries: Map<Scalar, Scalar> | Record<string, Scalar> | Iterable<readonly [Scalar, Scalar]>): NativeValue;
    /**
     * A sorted set from `[member, score]` pairs (an array, a `Map`, any
     * iterable). Scores are numbers, `±Infinity` allowed; a repeated member keeps
     * its last score.
     * @throws TypeError for a member that is not a scalar or a score that is not
     *   a number or is `NaN` (named `entries[i][1]`).
     */
    static zset(entries: Iterable<readonly [member: Scalar, score: number]>): NativeValue;
    /** The kind of value: `'string' | 'list' | 'hash' | 'set' | 'zset'`. Kept after release. */
    get kind(): ValueKind;
    /** Element count (bytes for a `'string'`); 0 once released. */
    get length(): number;
    /**
     * Estimated native bytes held; 0 once released. The formula per kind is in
     * the README ("Memory estimates").
     */
    get memoryUsage(): number;
    /** Whether the value has been released. */
    get released(): boolean;
    /**
     * A fresh JavaScript copy: strings decoded as UTF-8 (or `Buffer`s with
     * `'buffer'`); a list becomes an array, a set a `Set`, a hash a `Map`, a
     * zset an array of `[member, score]` in Redis order (score, then member bytes).
     *
     * @throws Error with `code === 'ERR_LAZYFREE_RELEASED'` once released.
     * @throws RangeError when a string is too long for a JavaScript string
     *   (V8's limit, about 512 MiB); `toJS('buffer')` has no such limit.
     */
    toJS(): JsOutput;
    toJS(encoding: 'buffer'): JsBufferOutput;
    toJS(encoding: 'utf8'): JsOutput;
    /**
     * Gives the memory up. A large value (a collection above the dropper's
     * threshold) is handed to the dropper's thread; a small one, or any value
     * when the queue is full or the dropper closed, is freed here. Afterwards
     * `released` is true; a second call returns `false` and does nothing.
     *
     * @param dropper where to send it; default {@link defaultDropper}.
     * @returns `true` if it was handed to the dropper thread, `false` if freed inline.
     */
    release(dropper?: Dropper): boolean;
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
export declare class Dropper {
    #private;
    /**
     * Starts a dropper and its thread.
     *
     * @throws TypeError for options of the wrong type or unknown names.
     * @throws RangeError for a capacity that is not an integer from 1 to
     *   16 777 216, a threshold that is not a non-negative integer or
     *   `Infinity`, or an empty name.
     */
    constructor(options?: DropperOptions);
    /** Channel slots. */
    get capacity(): number;
    /** Collections with more elements than this are large. */
    get threshold(): number;
    /** Whether `close()` has been called (or the environment tore down). */
    get closed(): boolean;
    /**
     * Frees a value: hands it to the thread when it is large, frees it here
     * otherwise. A `NativeValue` is moved (released, never copied); a plain
     * JavaScript value is converted first.
     *
     * @returns `true` when the value was handed to the thread.
     * @throws TypeError when a JavaScript value cannot be converted (path named).
     * @throws Error with `code === 'ERR_LAZYFREE_RELEASED'` for a released `NativeValue`.
     */
    defer(value: NativeValue | JsValue): boolean;
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
    deferAll(values: Iterable<NativeValue>): boolean;
    /** A snapshot of the counters. */
    stats(): DropperStats;
    /**
     * Resolves once everything handed over before the call has been freed.
     * Never blocks the event loop. Afterwards `freed === deferred` and
     * `pending === 0` (with nothing handed over since).
     */
    drain(): Promise<void>;
    /**
     * Stops accepting values (from now on each is freed inline and counted as
     * `inlineClosed`), lets the thread free what is queued, and joins it.
     * Idempotent.
     */
    close(): Promise<void>;
}
/**
 * This environment's default dropper: the main thread and each worker have
 * their own. Its thread starts with the first large value; it is closed when
 * the environment tears down. `NativeValue#release()` and collected
 * `NativeValue`s use it.
 */
export declare const defaultDropper: Dropper;
/** Maxmemory eviction policies, named as Redis's `maxmemory-policy` names them. */
export type EvictionPolicy = 'noeviction' | 'allkeys-lru' | 'volatile-lru' | 'allkeys-random' | 'volatile-random' | 'volatile-ttl';
/**
 * Which removals free through the dropper (Redis's `lazyfree-lazy-*`
 * switches). Each defaults to `true`; a switch that is off frees inline.
 * `unlink` is always lazy.
 */
export interface LazyFreeOptions {
    /** Keys evicted to make room under `maxMemory`. */
    eviction?: boolean;
    /** Keys removed because their TTL passed. */
    expire?: boolean;
    /** Values replaced by `set`, `setValue` or `rename`. */
    serverDel?: boolean;
    /** Keys removed by `del`. */
    userDel?: boolean;
    /** `flush()` without an explicit `async`. */
    userFlush?: boolean;
}
/** Options of a {@link Keyspace}. */
export interface KeyspaceOptions {
    /**
     * Memory limit: bytes, or a string with Redis's units (`'100kb'`, `'512mb'`,
     * `'2gb'`; `k`/`m`/`g` are powers of 1000, `kb`/`mb`/`gb` of 1024).
     * 0 (the default) means no limit.
     */
    maxMemory?: number | string;
    /** What to evict when a write would pass `maxMemory`; default `'noeviction'`. */
    evictionPolicy?: EvictionPolicy;
    /** The lazy-free switches; each defaults to `true`. */
    lazyfree?: LazyFreeOptions;
    /** The dropper that frees removed values; default {@link defaultDropper}. */
    dropper?: Dropper;
    /** Reply with `Buffer`s instead of UTF-8 strings; default `false`. */
    returnBuffers?: boolean;
    /**
     * Active expiry ticks per second (Redis's `hz`): each tick samples keys with
     * a TTL for about a millisecond. An integer from 0 to 500; 0 turns active
     * expiry off (expired keys are then only removed when touched). Default 10.
     */
    hz?: number;
}
/** Options of {@link Keyspace.set}, as Redis's `SET` spells them. */
export interface SetOptions {
    /** Expire after this many seconds: a positive integer. */
    ex?: number;
    /** Expire after this many milliseconds: a positive integer. */
    px?: number;
    /** Only set the key if it does not exist. */
    nx?: boolean;
    /** Only set the key if it exists. */
    xx?: boolean;
    /** Keep the key's TTL (a plain `set` clears it). */
    keepTtl?: boolean;
}
/** Options of {@link Keyspace.scan}, as Redis's `SCAN` spells them. */
export interface ScanOptions {
    /** Only keys matching this glob pattern (as {@link Keyspace.keys}); default all. */
    match?: string;
    /** About how many entries one call visits: a positive integer, default 10. */
    count?: number;
    /** Only keys holding this kind of value. */
    type?: ValueKind;
}
/** What {@link Keyspace.mset} takes: keys and their values. */
export type MsetEntries = Record<string, Scalar> | Map<string, Scalar> | Iterable<readonly [string, Scalar]>;
/** Options of {@link Keyspace.flush}. */
export interface FlushOptions {
    /** `true`: hand the whole keyspace to the dropper in one message; `false`: free it here. Default: `lazyfree.userFlush`. */
    async?: boolean;
}
/** Options of {@link Keyspace.zrange}. */
export interface ZrangeOptions {
    /** Reply with `[member, score]` pairs instead of members. */
    withScores?: boolean;
}
/** {@link ZrangeOptions} asking for members only. */
export interface ZrangeMembers extends ZrangeOptions {
    /** Members only (the default). */
    withScores?: false;
}
/** {@link ZrangeOptions} asking for `[member, score]` pairs. */
export interface ZrangeWithScores extends ZrangeOptions {
    /** `[member, score]` pairs. */
    withScores: true;
}
/** What {@link Keyspace.info} reports, with Redis's field names. */
export interface KeyspaceInfo {
    /** Keys held (DBSIZE). */
    keys: number;
    /** Keys with a TTL. */
    expires: number;
    /** Bytes held by the entries (key + value estimate + fixed overhead each), plus bytes the dropper has not freed yet. */
    used_memory: number;
    /** The limit in bytes; 0 for none. */
    maxmemory: number;
    /** Keys evicted to make room, ever. */
    evicted_keys: number;
    /** Keys removed because their TTL passed, ever. */
    expired_keys: number;
    /** Reads that found their key. */
    keyspace_hits: number;
    /** Reads that did not. */
    keyspace_misses: number;
    /** The dropper's values not yet freed. */
    lazyfree_pending_objects: number;
    /** The dropper's values freed, ever. */
    lazyfreed_objects: number;
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
    /** The string at `key`, or `null`. @throws Error `WRONGTYPE` for another kind. */
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
     * Adds `n` to the integer at `key` (0 when missing; the TTL is kept) and returns it.
     * @throws Error `code === 'ERR'` when the value is not an integer or the result overflows 64 bits.
     */
    incrby(key: string, n: number): number;
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
    /** Every field and value, as an object (field order unspecified, as in Redis). */
    hgetall(key: string): Record<string, T>;
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
     */
    close(): void;
}
